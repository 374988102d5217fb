"""The recruitment rules that need no database (docs/recruitment-rules.md): age, months, working days, votes.
Each returns the problem's (message, code), or None; services turn them into ValidationErrors on their field."""
import calendar
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from members.rules import AGE_RULE_CHANGED, full_years
from orgs.regions import XINJIANG


def age_problem(born: dt.date, on: dt.date, region_code: str) -> tuple[str, str] | None:
    """R-REC-3: at least RECRUIT_MIN_AGE full years (and R-ENT-2's floor: 13 from 2017 and always in Xinjiang, 12
    before), fewer than RECRUIT_AGE_LIMIT, on `on`."""
    floor = 13 if (region_code == XINJIANG or on >= AGE_RULE_CHANGED) else 12  # R-ENT-2
    minimum = max(settings.RECRUIT_MIN_AGE, floor)
    years = full_years(born, on)
    if years < minimum:
        return _("%(on)s时未满%(age)d周岁，不能入团。") % {"on": on.isoformat(), "age": minimum}, "recruit_age"
    if years >= settings.RECRUIT_AGE_LIMIT:
        return _("%(on)s时已满%(age)d周岁，不能申请入团。") % {"on": on.isoformat(),
                                                           "age": settings.RECRUIT_AGE_LIMIT}, "recruit_age"
    return None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day when it has no such day (31 January + 1 → 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _dates(values) -> set[dt.date]:
    return {v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v).strip()) for v in values if str(v).strip()}


def is_working_day(day: dt.date) -> bool:
    """R-REC-8: Monday to Friday, minus the holidays, plus the weekend days made working days (调休)."""
    if day in _dates(settings.RECRUIT_EXTRA_WORKDAYS):
        return True
    return day.weekday() < 5 and day not in _dates(settings.RECRUIT_HOLIDAYS)


def notice_last_day(start: dt.date) -> dt.date:
    """R-REC-8: the last of RECRUIT_NOTICE_WORKING_DAYS working days counted from `start` (itself included)."""
    day, counted = start, 0
    while True:
        if is_working_day(day):
            counted += 1
            if counted >= settings.RECRUIT_NOTICE_WORKING_DAYS:
                return day
        day += dt.timedelta(days=1)


def vote_problems(*, entitled: int, present: int, for_: int, against: int, abstain: int) -> list[tuple[str, str, str]]:
    """R-REC-9: (field, message, code) for each problem of the meeting's numbers."""
    if present > entitled or for_ + against + abstain > present:
        return [("meeting_present", _("人数不一致：实到人数不能多于应到人数，赞成、反对、弃权之和不能多于实到人数。"),
                 "meeting_votes")]
    problems = []
    if present * 2 <= entitled:  # more than half of those entitled must be present
        problems.append(("meeting_present", _("到会有表决权的团员须超过应到会人数的半数（应到 %(e)d 人，实到 %(p)d 人），"
                                              "会议不能作出决议。") % {"e": entitled, "p": present}, "meeting_quorum"))
    basis = present if settings.RECRUIT_MAJORITY_BASIS == "present" else entitled
    if for_ * 2 <= basis:
        label = _("实到会") if settings.RECRUIT_MAJORITY_BASIS == "present" else _("应到会有表决权")
        problems.append(("meeting_for", _("赞成人数须超过%(label)s团员的半数（%(n)d 人中赞成 %(f)d 人），决议未通过。")
                         % {"label": label, "n": basis, "f": for_}, "meeting_majority"))
    return problems


def min_training_hours() -> Decimal:
    return Decimal(str(settings.RECRUIT_MIN_TRAINING_HOURS))
