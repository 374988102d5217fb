"""Shared fixtures: a small tree built through the services, and a client signed in as anyone."""
import datetime as dt

import pytest
from django.db import connection
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.factors import authenticator_of, needs_second_factor
from config.sessions import start as start_session_clock
from tests import emptying
from tests.factories import make_id_number
from tests.snapshots import built_once

emptying.install()  # after a transactional test on PostgreSQL: DELETE with triggers off, not TRUNCATE


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need real row locks; on SQLite they are deselected (not skipped):
    CI runs the suite on both databases, so each runs where it means something."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgres") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def back_to_chinese():
    """LocaleMiddleware leaves the last request's language active in the thread: a test that asked for an English
    page must not leave later tests' messages in English (issue 15's export tests did)."""
    yield
    translation.deactivate()


@pytest.fixture
def tree(db):
    """central > province > university committee > general branch > 2 branches; a company committee with
    one branch; a Xinjiang province with one branch. An admin (书记) at every level but the central one,
    which has its own admin too. Built through the services once per test process; later tests get the same
    rows back (tests/snapshots.py), transactional tests a build of their own."""
    return built_once("tree", build_tree)


def build_tree():
    from members.services import enter_cadre
    from orgs.models import OrgType
    from orgs.services import create_org

    t = {}
    t["central"] = create_org(actor=None, full_name="共青团中央", org_type=OrgType.LEADING, parent=None, region_code="11")
    t["province"] = create_org(actor=None, full_name="共青团北京市委员会", org_type=OrgType.LEADING, parent=t["central"])
    t["uni"] = create_org(actor=None, full_name="北京示范大学团委", org_type=OrgType.COMMITTEE, parent=t["province"])
    t["school"] = create_org(actor=None, full_name="北京示范大学信息学院团总支", org_type=OrgType.GENERAL_BRANCH,
                             parent=t["uni"])
    t["b1"] = create_org(actor=None, full_name="信息学院1班团支部", org_type=OrgType.BRANCH, parent=t["school"])
    t["b2"] = create_org(actor=None, full_name="信息学院2班团支部", org_type=OrgType.BRANCH, parent=t["school"])
    t["firm"] = create_org(actor=None, full_name="示范科技公司团委", org_type=OrgType.COMMITTEE, parent=t["province"])
    t["fb"] = create_org(actor=None, full_name="示范科技公司研发部团支部", org_type=OrgType.BRANCH, parent=t["firm"])
    t["xj"] = create_org(actor=None, full_name="共青团新疆维吾尔自治区委员会", org_type=OrgType.LEADING,
                         parent=t["central"], region_code="65")
    t["xjb"] = create_org(actor=None, full_name="乌鲁木齐示范中学高一（1）班团支部", org_type=OrgType.BRANCH, parent=t["xj"])
    for key in ("central", "province", "uni", "school", "b1", "b2", "firm", "fb", "xj", "xjb"):
        t[key + "_admin"] = enter_cadre(actor=None, org=t[key], id_number=make_id_number(dt.date(1995, 5, 5)),
                                        name=f"管理员{key}", title="书记", is_admin=True)
    return t


@pytest.fixture
def member(tree):
    from members.services import enter_member

    return enter_member(actor=tree["b1_admin"], branch=tree["b1"], id_number=make_id_number(dt.date(2004, 3, 1)),
                        name="张小明", joined_on=dt.date(2016, 5, 4))


@pytest.fixture
def client_as(client):
    """A test client signed in as `person` (password already set), acting as `org` when given. An admin's session
    has shown a second factor (R-ACC-5), as after the code page; `verified=False` leaves it at the password."""

    def sign_in(person, org=None, *, verified=True):
        if not person.password_set:
            person.set_password("Tuan-2026-strong")
            person.save(update_fields=["password", "password_set"])
        client.force_login(person)
        session = client.session
        start_session_clock(session)  # R-ACC-5: as the sign-in request does (config/sessions.py); force_login skips it
        if verified and needs_second_factor(person):
            session[DEVICE_ID_SESSION_KEY] = second_factor(person).persistent_id
        if org is not None:
            session["acting_org_id"] = org.pk
        session.save()
        return client

    return sign_in


def second_factor(person):
    """The person's authenticator (made, with a random key, if they have none): what django_otp.login records."""
    return authenticator_of(person) or TOTPDevice.objects.create(user=person, name="authenticator", confirmed=True)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"
