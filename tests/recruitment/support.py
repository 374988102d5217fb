"""Helpers for the recruitment tests: an application driven through the services to any stage, on fixed past
dates (docs/recruitment-rules.md)."""
import datetime as dt
from decimal import Decimal

from members.services import allocate_segment, enter_cadre
from recruitment.services import (
    apply_to_join,
    approve_admission,
    approve_prereview,
    choose_activist,
    propose_candidate,
    record_meeting,
    record_training,
    start_notice,
)
from tests.factories import make_id_number
from tests.transfers.support import codes, new_member  # noqa: F401  (re-exported for the tests)

BORN = dt.date(2010, 1, 1)
APPLIED = dt.date(2026, 1, 5)
ACTIVIST = dt.date(2026, 2, 2)
CANDIDATE = dt.date(2026, 5, 4)
PREREVIEWED = dt.date(2026, 5, 6)
NOTICE = dt.date(2026, 5, 11)      # a Monday: 5 working days end on Friday 15 May
MEETING = dt.date(2026, 5, 18)
APPROVED = dt.date(2026, 5, 20)
OATH = dt.date(2026, 5, 25)
ORDER = ["applied", "activist", "candidate", "prereviewed", "notice", "passed", "approved"]


def new_application(tree, *, branch="b1", born=BORN, name="王小红", expected=CANDIDATE):
    b = tree[branch]
    return apply_to_join(actor=tree[f"{branch}_admin"], branch=b, id_number=make_id_number(born), name=name,
                         applied_on=APPLIED, expected_join_on=expected, work_unit="示范中学")


def introducers(tree, branch="b1"):
    return [new_member(tree[branch], name="介绍人甲"), new_member(tree[branch], name="介绍人乙")]


def meeting_votes(**over):
    votes = {"entitled": 20, "present": 15, "votes_for": 12, "against": 2, "abstain": 1, "form_number": "2026-001"}
    votes.update(over)
    return votes


def committee_admin(tree, branch="b1"):
    return tree["uni_admin"] if branch in ("b1", "b2") else tree["xj_admin"]


def drive(tree, application, to: str, *, branch="b1"):
    """Move `application` from where it stands up to stage `to`, every step through its service."""
    admin, committee = tree[f"{branch}_admin"], committee_admin(tree, branch)
    steps = {
        "activist": lambda a: choose_activist(actor=admin, application=a, activist_on=ACTIVIST,
                                              decision="支部委员会2026年2月2日会议", introducers=introducers(tree, branch)),
        "candidate": lambda a: (record_training(actor=admin, application=a, held_on=ACTIVIST, hours=Decimal("8"),
                                                topic="团的基础知识"),
                                propose_candidate(actor=admin, application=a, candidate_on=CANDIDATE))[1],
        "prereviewed": lambda a: approve_prereview(actor=committee, application=a, decided_on=PREREVIEWED),
        "notice": lambda a: start_notice(actor=admin, application=a, notice_from=NOTICE),
        "passed": lambda a: record_meeting(actor=admin, application=a, meeting_on=MEETING, **meeting_votes()),
        "approved": lambda a: approve_admission(actor=committee, application=a, decided_on=APPROVED),
    }
    for stage in ORDER[ORDER.index(application.stage) + 1:ORDER.index(to) + 1]:
        application = steps[stage](application)
    return application


def second_admin(tree, branch="b1"):
    return enter_cadre(actor=None, org=tree[branch], id_number=make_id_number(dt.date(1996, 6, 6)), name="副书记",
                       title="副书记", is_admin=True)


def segment(tree, org="uni", year=2026, first="202600000001", last="202600000100"):
    return allocate_segment(actor=None, org=tree[org], year=year, first=first, last=last)
