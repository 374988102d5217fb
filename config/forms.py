"""Free text is cleaned once, at the edge (STYLE.md rule 11): NUL, other control characters and Unicode format
characters (zero-width spaces and joiners, byte-order marks, bidirectional overrides) never reach a service,
a query or a log. Every app's forms use `TextField`; list pages read ?q= through `search_text`."""
import unicodedata

from django import forms

KEEP = "\t\n\r"  # text areas keep their line breaks and tabs
DROP = ("Cc", "Cf", "Cs")  # control, format, and lone surrogates (which no database can store)


def clean_text(value, *, keep: str = KEEP) -> str:
    """The text without NUL, control characters (but `keep`: tabs and line breaks) and format characters.
    Identity fields keep none of them (members/idnumber.py drop_invisible)."""
    text = str(value)
    if text.isprintable():  # the common case: nothing to drop (isprintable is False for any Cc/Cf/Cs)
        return text
    return "".join(ch for ch in text if ch in keep or unicodedata.category(ch) not in DROP)


class TextField(forms.CharField):
    """A CharField that cleans the text before stripping it and checking its length."""

    def to_python(self, value):
        if value not in self.empty_values:
            value = clean_text(value)
        return super().to_python(value)


SEARCH_MAX_LENGTH = 100


def search_text(params, name: str = "q", *, max_length: int = SEARCH_MAX_LENGTH) -> str:
    """The search text of a list page (a `request.GET`), cleaned by the same field as every form's text and cut
    to `max_length`: a longer search finds nothing a shorter one would not."""
    value = TextField(required=False).clean(params.get(name, ""))
    return value[:max_length].strip()
