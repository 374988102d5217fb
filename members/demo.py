"""The demo data set of `seed_demo`: a realistic tree, about 200 people, an admin at every level.
Everything goes through the services (actor=None: the system), so the demo obeys every rule."""
import datetime as dt
import random

from django_otp.plugins.otp_totp.models import TOTPDevice

from orgs.models import Organization, OrgType
from orgs.naming import normalize_full_name
from orgs.services import create_org

from . import league_age
from .completeness import refresh_for_people
from .demo_cases import seed_cases
from .idnumber import check_char
from .models import AgeExceptionRequest, CadrePost, Person
from .services import (
    allocate_segment,
    enter_cadre,
    enter_from_age_exception,
    enter_member,
    file_age_exception,
    forward_age_exceptions,
    return_age_exception,
    withdraw_age_exception,
)
from .verification import verify_people

DEMO_PASSWORD = "Tuanji-Demo-2026"
# R-ACC-5: every demo admin's authenticator has this one known secret (its bytes are this phrase), so anyone can
# add it to an authenticator app from what seed_demo prints. A published secret, like the password: demo only.
DEMO_TOTP_PHRASE = b"Tuanji-demo-2fa-2026"
DEMO_TOTP_KEY = DEMO_TOTP_PHRASE.hex()
L, C, W, G, B = OrgType.LEADING, OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH, OrgType.BRANCH

# (full name, type, region, children); branches get members.
TREE = ("共青团中央", L, "11", [
    ("共青团北京市委员会", L, "", [
        ("共青团北京市海淀区委员会", L, "", [
            ("北京示范大学团委", C, "", [
                ("北京示范大学信息学院团总支", G, "", [
                    ("北京示范大学信息学院2022级1班团支部", B, "", []),
                    ("北京示范大学信息学院2022级2班团支部", B, "", []),
                    ("北京示范大学信息学院2023级1班团支部", B, "", []),
                ]),
                ("北京示范大学机械学院团总支", G, "", [
                    ("北京示范大学机械学院2022级1班团支部", B, "", []),
                    ("北京示范大学机械学院研究生团支部", B, "", []),
                ]),
            ]),
            ("北京示范科技有限公司团委", C, "", [
                ("北京示范科技有限公司研发部团支部", B, "", []),
                ("北京示范科技有限公司市场部团支部", B, "", []),
            ]),
            ("共青团北京市海淀区学院路街道工作委员会", W, "", [
                ("学院路街道流动团员团支部", B, "", []),
                ("学院路街道（北区）社区团支部", B, "", []),
            ]),
            # Issue 18: a talent exchange centre's league organization, the other target the FAQ names for a
            # graduate without a job (transfers/selectors.unemployed_candidates).
            ("北京市海淀区人才交流中心团委", C, "", [
                ("北京市海淀区人才交流中心流动团员团支部", B, "", []),
            ]),
        ]),
    ]),
    ("共青团新疆维吾尔自治区委员会", L, "65", [
        ("共青团乌鲁木齐市委员会", L, "", [
            ("共青团乌鲁木齐市天山区委员会", L, "", [
                ("乌鲁木齐示范中学团委", C, "", [
                    ("乌鲁木齐示范中学高一（1）班团支部", B, "", []),
                    ("乌鲁木齐示范中学高二（1）班团支部", B, "", []),
                ]),
                ("共青团天山区示范镇委员会", C, "", [
                    ("天山区示范镇示范村团支部", B, "", []),
                ]),
            ]),
        ]),
    ]),
])

INCOMPLETE_BRANCHES = {"北京示范大学信息学院2023级1班团支部", "天山区示范镇示范村团支部"}
UNVERIFIED_BRANCH = "天山区示范镇示范村团支部"
SECOND_CADRE = {"北京示范大学团委", "北京示范大学信息学院团总支", "北京示范科技有限公司团委"}  # R-CMP-2: 2 cadres
# Issue 14: this branch's first member turns 28 within 90 days of the seeding day (the lifecycle list, the reminder).
TURNING_28_BRANCH = "北京示范科技有限公司研发部团支部"
TURNING_28_IN_DAYS = 45

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "小红", "晓东", "思远", "雨桐", "子涵", "浩然", "欣怡", "梓萱", "宇航", "佳怡"]
AREA = {"11": "110108", "65": "650102"}


def turning_28_soon(today: dt.date) -> dt.date:
    """A birth date whose 28th birthday is TURNING_28_IN_DAYS after `today`: 27 years and about 10 months old on
    the day, so still a member who may be entered (R-ENT-2), in the "turning 28 within 90 days" list."""
    return league_age.latest_birth_date(today + dt.timedelta(days=TURNING_28_IN_DAYS))


def make_id(rng: random.Random, born: dt.date, region: str, serial: int) -> str:
    body = f"{AREA.get(region, '110108')}{born:%Y%m%d}{serial % 1000:03d}"
    return body + check_char(body)


class Seeder:
    def __init__(self, out=print):
        self.rng = random.Random(2026)
        self.out = out
        self.serial = 100
        self.logins: list[tuple[str, str, str, str]] = []  # role, org, id number, password
        self.dev_serial = {}
        self.password_hash = None

    def org(self, full_name, org_type, region, parent):
        found = Organization.objects.filter(name_key=normalize_full_name(full_name), is_active=True).first()
        return found or create_org(actor=None, full_name=full_name, org_type=org_type, parent=parent,
                                   region_code=region)

    def person_id(self, born, region):
        """A valid ID number not on record yet (reruns must not collide with earlier runs' people)."""
        while True:
            self.serial += 1
            id_number = make_id(self.rng, born, region, self.serial)
            if not Person.objects.filter(id_number=id_number).exists():
                return id_number

    def name(self):
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def admin(self, org, title="书记"):
        id_number = self.person_id(dt.date(1990 + self.rng.randrange(8), 1 + self.rng.randrange(12), 1 + self.rng.randrange(28)),
                                   org.region_code)
        existing = CadrePost.objects.filter(org=org, is_admin=True, ended_at__isnull=True).select_related("person").first()
        if existing:
            person = existing.person
        else:
            person = enter_cadre(actor=None, org=org, id_number=id_number, name=self.name(), title=title, is_admin=True,
                                 joined_on=self.cadre_joined(org, id_number), **self.profile(org))
            # One hash for every demo admin: the real hasher costs ~0.4 s a call here.
            if self.password_hash is None:
                person.set_password(DEMO_PASSWORD)
                self.password_hash = person.password
            Person.objects.filter(pk=person.pk).update(password=self.password_hash, password_set=True)
        self.authenticator(person)
        self.logins.append((f"{org.get_org_type_display()}管理员", org.full_name, person.id_number, DEMO_PASSWORD))
        return person

    @staticmethod
    def authenticator(person):
        """R-ACC-5: the demo admin's second factor, the known secret (confirmed; never used yet). Written here like
        the demo password: access's enrolment service asks for a code from a phone, which a seed has not got."""
        TOTPDevice.objects.update_or_create(user=person, name="authenticator", defaults={
            "key": DEMO_TOTP_KEY, "confirmed": True, "last_t": -1, "drift": 0})

    def members(self, branch, count):
        # Everyone who was ever here counts: members moved away by the demo transfers are not replaced.
        have = branch.memberships.count()
        first_login = branch.memberships.filter(ended_at__isnull=True, person__password_set=False).order_by("pk").first()
        first_login = first_login.person if first_login else None
        for i in range(max(count - have, 0)):
            born = dt.date(2000 + self.rng.randrange(8), 1 + self.rng.randrange(12), 1 + self.rng.randrange(28))
            if i == 0 and branch.full_name == TURNING_28_BRANCH:  # after the draw: the others stay as they were
                born = turning_28_soon(league_age.today())
            joined = dt.date(born.year + 14 + self.rng.randrange(2), 5, 4)
            if joined > dt.date.today():
                joined = dt.date(dt.date.today().year - 1, 5, 4)
            number = ""
            needs = joined >= (dt.date(2016, 1, 1) if branch.region_code == "65" else dt.date(2017, 1, 1))
            if needs:
                number = self.next_number(joined.year, branch.region_code)
            person = enter_member(actor=None, branch=branch, id_number=self.person_id(born, branch.region_code),
                                  name=self.name(), joined_on=joined, development_number=number,
                                  **self.profile(branch))
            first_login = first_login or person
        if first_login:
            self.logins.append(("团员（首次登录）", branch.full_name, first_login.id_number, first_login.id_number[-8:]))

    def next_number(self, year: int, region: str) -> str:
        """The next free development number of that year and region: a rerun continues after the last."""
        prefix = f"{year}{region}"
        if prefix not in self.dev_serial:
            last = (Person.objects.filter(development_number__startswith=prefix)
                    .order_by("-development_number").values_list("development_number", flat=True).first())
            self.dev_serial[prefix] = int(last[6:]) if last and last[6:].isdigit() else 0
        self.dev_serial[prefix] += 1
        return f"{prefix}{self.dev_serial[prefix]:06d}"

    def profile(self, org) -> dict:
        """A full record for most people; in two branches every 3rd leaves 民族 and 学历 empty (R-ENT-8)."""
        self.count = getattr(self, "count", 0) + 1
        full = not (org.full_name in INCOMPLETE_BRANCHES and self.count % 3 == 0)
        return {
            "phone": f"138{self.rng.randrange(10**8):08d}",
            "ethnicity": ("维吾尔族" if org.region_code == "65" and self.count % 2 else "汉族") if full else "",
            "political_status": "league",
            "full_time_education": "普通高中" if full else "",
            "highest_education": "大学本科" if full else "",
            "work_unit": org.full_name.replace("团支部", "").replace("团委", "")[:40],
            "province": org.region_code,
            "city": "乌鲁木齐市" if org.region_code == "65" else "北京市",
        }

    def cadre_joined(self, org, id_number):
        """Cadres joined before 2016 (no development number needed); a branch's admin is also its member."""
        return dt.date(int(id_number[6:10]) + 14, 5, 4)

    def problems(self):
        """People in every problem state of issue 3: failed verification, each development-number case.
        The numbers stand for legacy records on file before R-ENT-4 was checked (R-ENT-5), so they are
        written directly; everything else went through the services."""

        branch = Organization.objects.get(name_key=normalize_full_name("北京示范大学信息学院2023级1班团支部"))
        recent = list(Person.objects.filter(memberships__branch=branch, memberships__ended_at__isnull=True,
                                            joined_on__gte=dt.date(2017, 1, 1)).order_by("pk")[:4])
        uni = Organization.objects.get(name_key=normalize_full_name("北京示范大学团委"))
        if not uni.segments.exists():

            for year in range(2017, dt.date.today().year + 1):
                allocate_segment(actor=None, org=uni, year=year, first=f"{year}11000001", last=f"{year}11099999")
        # format (11 digits), format (letters), missing, year mismatch, outside the segment
        for person in recent:
            year = person.joined_on.year
            legacy = {0: f"{year}0000123", 1: f"{year}ABC00001", 2: None, 3: "199900000001"}
            Person.objects.filter(pk=person.pk).update(
                development_number=legacy.get(recent.index(person)))
        outside = (Person.objects.filter(memberships__branch__parent__parent=uni, joined_on__year__gte=2017)
                   .exclude(pk__in=[p.pk for p in recent]).order_by("pk").first())
        if outside:
            Person.objects.filter(pk=outside.pk).update(development_number=f"{outside.joined_on.year}12345678")
        odd = Person.objects.filter(memberships__branch=branch, memberships__ended_at__isnull=True).order_by("-pk").first()
        if odd and odd.name != "张":
            Person.objects.filter(pk=odd.pk).update(name="张")  # a one-character name fails verification
        verify_people(Person.objects.filter(verification_status="pending").values_list("pk", flat=True))
        refresh_for_people(Person.objects.values_list("pk", flat=True))

    def after_commit(self):
        """Leave one branch's people unverified (未认证), as if the verifier had been unreachable (R-VER-4)."""
        Person.objects.filter(memberships__branch__name_key=normalize_full_name(UNVERIFIED_BRANCH),
                              memberships__ended_at__isnull=True).update(verification_status="pending")

    def build(self, node=TREE, parent=None):
        full_name, org_type, region, kids = node
        org = self.org(full_name, org_type, region, parent)
        self.admin(org)
        if full_name in SECOND_CADRE and org.posts.filter(ended_at__isnull=True).count() < 2:
            enter_cadre(actor=None, org=org, id_number=self.person_id(dt.date(1996, 6, 6), org.region_code),
                        name=self.name(), title="副书记", joined_on=dt.date(2010, 5, 4), **self.profile(org))
        if org_type == B:
            self.members(org, 16 if "（北区）" not in full_name else 2)  # one small branch for R-ORG-7
        for kid in kids:
            self.build(kid, org)
        return org

    def run(self):
        root = self.build()
        # A person with posts in two organizations, to show the switcher (R-ACC-3).
        uni = Organization.objects.get(name_key=normalize_full_name("北京示范大学团委"))
        firm = Organization.objects.get(name_key=normalize_full_name("北京示范科技有限公司团委"))
        two = Person.objects.filter(posts__org=uni, posts__is_admin=True).first()
        if two and not two.posts.filter(org=firm, ended_at__isnull=True).exists():
            enter_cadre(actor=None, org=firm, id_number=two.id_number, name=two.name, title="副书记", is_admin=True)
        self.pending_post(firm)
        self.problems()
        seed_cases(self.out)  # R-VER-5: identity cases in every state
        self.age_exceptions(root)
        return root

    def pending_post(self, firm):
        """R-ENT-9: a company committee entered a university member as its cadre; the post waits for them."""
        login = next((row for row in self.logins if row[0] == "团员（首次登录）"), None)
        person = Person.objects.filter(id_number=login[2]).first() if login else None
        admin = CadrePost.objects.held().filter(org=firm, is_admin=True).select_related("person").first()
        if person and admin and not CadrePost.objects.filter(person=person, org=firm).exists():
            enter_cadre(actor=admin.person, org=firm, id_number=person.id_number, name=person.name, title="委员")

    def age_exceptions(self, root):
        """R-ENT-11: age-exception requests in every state — waiting for the province (filed by a county-level
        committee and by a branch), forwarded to the centre, entered, returned with a reason, withdrawn — each
        step taken by the admin whose step it is, through the services."""
        if AgeExceptionRequest.objects.exists():
            return
        by_name = {o.full_name: o for o in Organization.objects.filter(full_name__in=[
            "共青团北京市委员会", "共青团北京市海淀区委员会", "学院路街道流动团员团支部",
            "共青团新疆维吾尔自治区委员会", "天山区示范镇示范村团支部"], is_active=True)}
        beijing, haidian = by_name["共青团北京市委员会"], by_name["共青团北京市海淀区委员会"]
        street = by_name["学院路街道流动团员团支部"]
        xinjiang, village = by_name["共青团新疆维吾尔自治区委员会"], by_name["天山区示范镇示范村团支部"]
        admin = {o.pk: CadrePost.objects.held().filter(org=o, is_admin=True).order_by("pk").first().person
                 for o in (root, beijing, haidian, xinjiang, village)}

        def file(acting, branch, joined, born, note):
            id_number = self.person_id(born, branch.region_code)
            return file_age_exception(
                actor=admin[acting.pk], acting_org=acting, branch=branch, name=self.name(), id_number=id_number,
                phone=f"139{self.rng.randrange(10**8):08d}", joined_on=joined,
                development_number=self.next_number(joined.year, branch.region_code), explanation=note)

        note = "%s由%s发展入团，时年%d岁，入团志愿书及支部大会记录存档，经区团委核实。"
        # Forwarded by Beijing in one batch: one entered by the centre since, one still waiting for it.
        entered = file(haidian, street, dt.date(2019, 5, 4), dt.date(2007, 9, 1), note % ("2019年5月", street.full_name, 11))
        waiting = file(haidian, street, dt.date(2020, 5, 4), dt.date(2008, 8, 8), note % ("2020年5月", street.full_name, 11))
        forward_age_exceptions(actor=admin[beijing.pk], acting_org=beijing, request_ids=[entered.pk, waiting.pk])
        enter_from_age_exception(actor=admin[root.pk], acting_org=root, age_request=entered)
        # Xinjiang (13 whatever the date): forwarded, then returned by the centre with a reason.
        returned = file(village, village, dt.date(2018, 5, 4), dt.date(2005, 12, 1), note % ("2018年5月", village.full_name, 12))
        forward_age_exceptions(actor=admin[xinjiang.pk], acting_org=xinjiang, request_ids=[returned.pk])
        return_age_exception(actor=admin[root.pk], acting_org=root, age_request=returned,
                             reason="情况说明未写明发展经过，请补充支部大会日期和介绍人后重新提交。")
        # Waiting for the province: one filed by a county-level committee, one by a branch; and one withdrawn.
        file(haidian, street, dt.date(2021, 5, 4), dt.date(2009, 10, 10), note % ("2021年5月", street.full_name, 11))
        file(village, village, dt.date(2019, 5, 4), dt.date(2006, 11, 11), note % ("2019年5月", village.full_name, 12))
        gone = file(haidian, street, dt.date(2022, 5, 4), dt.date(2010, 1, 2), note % ("2022年5月", street.full_name, 12))
        withdraw_age_exception(actor=admin[haidian.pk], acting_org=haidian, age_request=gone)
        del waiting
