"""GB 11643-1999 resident ID numbers (R-ENT-1), written out by hand so every step is visible."""
import datetime as dt
import functools
import re
import unicodedata

from config.forms import clean_text

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_SPACES = re.compile(r"\s+")


def drop_invisible(text: str) -> str:
    """NUL and other control characters (Unicode Cc) and format characters (Cf: zero-width spaces and joiners,
    bidi controls such as U+202E, the BOM) out: a paste carries them into a name or an ID number unseen."""
    return clean_text(text, keep="")


def normalize_id_number(raw) -> str:
    """Full-width digits and letters folded, spaces and invisible characters dropped, a lower-case x stored
    as X (R-ENT-1)."""
    text = drop_invisible(unicodedata.normalize("NFKC", str(raw or "")))
    return _SPACES.sub("", text).upper()


@functools.lru_cache(maxsize=1 << 15)  # an import checks each row's number several times (shape, age, duplicates)
def check_char(body17: str) -> str:
    total = sum(int(c) * w for c, w in zip(body17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def birth_date_of(id_number: str) -> dt.date | None:
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def is_valid_id_number(id_number: str, *, today: dt.date | None = None) -> bool:
    if not _SHAPE.match(id_number):
        return False
    born = birth_date_of(id_number)
    if born is None or born.year < 1900 or born > (today or dt.date.today()):
        return False
    return check_char(id_number[:17]) == id_number[17]


def gender_of(id_number: str) -> str:
    """The 17th character is odd for men, even for women."""
    return "male" if int(id_number[16]) % 2 else "female"


def mask_id_number(id_number: str) -> str:
    """R-AUTH-6: first 6 and last 1 visible; never the last 4 or more (the initial password is the last 8)."""
    if not id_number:
        return ""
    if len(id_number) < 8:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 7) + id_number[-1]


VISIBLE_PREFIX = 6  # R-AUTH-6: what a masked number shows at its start


def id_number_filter(ident: str, field: str = "id_number") -> dict:
    """A search by ID number: the whole number, or at most its visible first 6 characters. A longer prefix
    would let anyone who may list people rebuild a whole number character by character (and with it the
    initial password, R-ACC-1): it matches nobody."""
    if len(ident) == 18:
        return {field: ident}
    if len(ident) <= VISIBLE_PREFIX:
        return {field + "__startswith": ident}
    return {field + "__in": []}
