"""Full names (全称): how they are compared (R-ORG-5) and which bodies are not league organizations (R-ORG-4)."""
import re
import unicodedata

# R-ORG-4: these are bodies of a Party or company, not league organizations.
NOT_LEAGUE_MARKERS = ("青工委", "青年工作委员会", "青年部", "群团部", "群工部")

_SPACE = re.compile(r"\s+")


def normalize_full_name(full_name: str) -> str:
    """The comparison key: NFKC folds full-width parentheses (and digits, letters) to half-width,
    then every kind of white space goes."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", full_name or ""))


def clean_full_name(full_name: str) -> str:
    """What we store and show: the name as typed, trimmed, inner runs of space collapsed."""
    return _SPACE.sub(" ", (full_name or "").strip())


def is_league_name(full_name: str) -> bool:
    key = normalize_full_name(full_name)
    return not any(marker in key for marker in NOT_LEAGUE_MARKERS)
