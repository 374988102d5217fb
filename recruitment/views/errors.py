"""A service's ValidationError shown next to the fields it names; what the form does not have goes on top."""
from django.core.exceptions import ValidationError


def attach(form, exc: ValidationError, *, rename: dict | None = None) -> None:
    rename = rename or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        field = rename.get(field, field)
        form.add_error(field if field in form.fields else None, errors)
