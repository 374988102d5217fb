"""The 28th birthday (团章: a member past 28 without a post in the league leaves, 离团), as dates the database
can compare with. Someone born on 29 February completes a year on 1 March in common years (R-ENT-2), the
same rule as members.rules.full_years."""
import datetime as dt

from django.utils import timezone

AGE_OUT = 28
LOOKAHEAD_DAYS = 90  # issue 6 item 5: members turning 28 are listed this many days ahead


def today() -> dt.date:
    """The date in Asia/Shanghai (tests replace this to stand on a chosen day)."""
    return timezone.localdate()


def birthday(born: dt.date, age: int = AGE_OUT) -> dt.date:
    """The day `born` completes `age` years: 29 February → 1 March in a common year."""
    try:
        return born.replace(year=born.year + age)
    except ValueError:
        return dt.date(born.year + age, 3, 1)


def latest_birth_date(on: dt.date, age: int = AGE_OUT) -> dt.date:
    """The latest birth date of someone who has completed `age` years on `on`: `birth_date <= this` is
    `full_years(birth_date, on) >= age`, a comparison an index can serve."""
    try:
        return on.replace(year=on.year - age)
    except ValueError:  # on is 29 February, and that year less `age` is a common year
        return dt.date(on.year - age, 2, 28)
