"""What the apps above members tell it, without members importing them (the arrows point down).

Leaving the league waits for a transfer in progress (R-TR-10): members must know who is in one, and the
transfers app knows. transfers registers a provider here in its AppConfig.ready(); members asks this module."""
from django.db.models import BooleanField, ExpressionWrapper, Q

from .models import Person

_in_transfer: list = []


def provide_people_in_transfer(provider) -> None:
    """provider() returns a one-column values() queryset: the ids of people with a transfer in progress."""
    if provider not in _in_transfer:
        _in_transfer.append(provider)


def _people_in_transfer():
    return _in_transfer[0]() if _in_transfer else Person.objects.none().values("pk")


def in_transfer(person_ids) -> set[int]:
    """Of these people, those with a transfer in progress: one query."""
    return set(Person.objects.filter(pk__in=list(person_ids)).filter(pk__in=_people_in_transfer())
               .values_list("pk", flat=True))


def in_transfer_flag(person_ref: str = "person_id") -> ExpressionWrapper:
    """An annotation: whether the row's person has a transfer in progress (a subquery, no join)."""
    return ExpressionWrapper(Q(**{f"{person_ref}__in": _people_in_transfer()}), output_field=BooleanField())
