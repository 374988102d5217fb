"""Data for the journeys, built through the services (never seed_demo), with names a reader of the
screenshots recognises. Each journey calls what it needs."""
import datetime as dt
from types import SimpleNamespace

from django_otp.plugins.otp_totp.models import TOTPDevice

from members.services import enter_cadre, enter_member
from orgs.models import OrgType
from orgs.services import create_org
from tests.factories import make_id_number

PASSWORD = "Tuan-2026-strong"


def org(full_name: str, org_type: str, parent=None, **kw):
    return create_org(actor=None, full_name=full_name, org_type=org_type, parent=parent, **kw)


def admin(at, name: str, *, authenticator: bool = True):
    """The secretary (书记) of `at`, an admin, with a password already chosen and, unless told otherwise, an
    authenticator app already set up (R-ACC-5; journey.sign_in types its code)."""
    person = enter_cadre(actor=None, org=at, id_number=make_id_number(dt.date(1996, 6, 6)), name=name, title="书记",
                         is_admin=True)
    person.set_password(PASSWORD)
    person.save(update_fields=["password", "password_set"])
    if authenticator:
        TOTPDevice.objects.create(user=person, name="authenticator", confirmed=True)
    return person


def member(branch, name: str, *, actor=None, password: str | None = None):
    """A member born in 2000 who joined in 2015: no development number needed (R-ENT-4)."""
    person = enter_member(actor=actor, branch=branch, id_number=make_id_number(dt.date(2000, 3, 1)), name=name,
                          joined_on=dt.date(2015, 5, 4))
    if password:
        person.set_password(password)
        person.save(update_fields=["password", "password_set"])
    return person


def league() -> SimpleNamespace:
    """共青团中央 > 北京市委 > 示范大学团委 > 信息学院团总支 > two class branches; 示范科技公司团委 > its R&D branch.
    An admin for each branch and committee."""
    w = SimpleNamespace()
    w.central = org("共青团中央", OrgType.LEADING, region_code="11")
    w.beijing = org("共青团北京市委员会", OrgType.LEADING, w.central)
    w.uni = org("北京示范大学团委", OrgType.COMMITTEE, w.beijing)
    w.school = org("北京示范大学信息学院团总支", OrgType.GENERAL_BRANCH, w.uni)
    w.class1 = org("北京示范大学信息学院2022级1班团支部", OrgType.BRANCH, w.school)
    w.class2 = org("北京示范大学信息学院2022级2班团支部", OrgType.BRANCH, w.school)
    w.firm = org("北京示范科技有限公司团委", OrgType.COMMITTEE, w.beijing)
    w.lab = org("北京示范科技有限公司研发部团支部", OrgType.BRANCH, w.firm)
    w.sales = org("北京示范科技有限公司市场部团支部", OrgType.BRANCH, w.firm)
    w.class1_admin = admin(w.class1, "王书记")
    w.class2_admin = admin(w.class2, "赵书记")
    w.firm_admin = admin(w.firm, "陈书记")
    return w
