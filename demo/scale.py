"""The benchmark data set (issue 13): a national tree with people and transfers in every state, loaded with
COPY in about a minute for 100,000 organizations, 1,000,000 members and 100,000 transfers.

Everything it writes is what the services would write: valid ID numbers (GB 11643), one current branch per
member with its path copied, a confirmed admin post (书记) in every organization, transfers with the steps
their state implies (a completed one moved its member, whose old membership ended), graduating class
branches. Deterministic for a given seed. PostgreSQL only (COPY)."""
import datetime as dt
import random
import time
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from access.models import CadrePost
from members.idnumber import CHECK_CHARS, WEIGHTS
from members.models import Membership, Person
from orgs.figures_sql import REQUEST_MARKS, STATS_FROM_MARKS, single_placement_marks
from orgs.models import Organization, OrgType, path_segment
from orgs.naming import normalize_full_name
from reports.models import BranchGraduation
from transfers.models import ApprovalStep, Reason, TransferRequest

from .scale_tree import build_shape, copy_in, insert_select, reserve_block, reserve_ids

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳"
         "嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪"
         "澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽")
TRANSFER_STATES = (("completed", 0.55), ("pending_out", 0.12), ("pending_in", 0.1), ("pending_assign", 0.03),
                   ("rejected", 0.12), ("withdrawn", 0.08))
TABLES = ("transfers_message", "transfers_approvalstep", "transfers_transferrequest", "reports_graduateflag",
          "reports_branchgraduation", "members_cadrepost", "members_membership", "members_resetcode",
          "members_numbersegment", "members_importjob", "members_leaguestatuschange", "members_person",
          "orgs_organization", "orgs_orgstats", "orgs_orgstatsdelta", "orgs_personstatsmark", "orgs_requeststatsmark")
# The figures' triggers (orgs/figures_sql.py) are off while the rows stream in; one pass counts them after.
COUNTED_TABLES = ("orgs_organization", "members_person", "members_membership", "members_cadrepost",
                  "transfers_transferrequest")


def weighted(digits: str, at: int) -> int:
    """The GB 11643 weighted sum of `digits` standing at position `at` of an ID number's first 17."""
    return sum(int(c) * w for c, w in zip(digits, WEIGHTS[at:at + len(digits)], strict=True))


@dataclass
class Node:
    pk: int
    parent_id: int | None
    path: str
    depth: int
    org_type: str
    label: str
    region: str


class ScaleSeeder:
    def __init__(self, *, orgs: int, members: int, transfers: int, seed: int = 1, out=print):
        self.n_orgs, self.n_members, self.n_transfers = orgs, members, transfers
        self.rng = random.Random(seed)
        self.seed = seed
        self.out = out
        self.now = timezone.now()
        self.serial = 0
        self.clock = time.perf_counter()

    def _lap(self, what: str) -> None:
        """Long work shows progress: each part says what it did and what it took."""
        now = time.perf_counter()
        self.out(f"  {what} ({now - self.clock:.1f} s)")
        self.clock = now

    # --- the parts ---------------------------------------------------------------------------------------

    def run(self) -> dict:
        with connection.cursor() as cur:
            # A benchmark database: everything starts empty (CASCADE empties the audit trail and sessions too).
            cur.execute("TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY CASCADE")
        with connection.cursor() as cur:
            # One sort or hash in memory instead of spilling to disk: the figures' count groups a million people,
            # and each index build sorts its table (session-local settings of this benchmark load).
            cur.execute("SET LOCAL work_mem = '256MB'")
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            # The whole-register counts are planned at costs that switch JIT compilation on: at 100,000 members
            # 6.5 s of the figures' 19 s count was compiling (EXPLAIN ANALYZE), for queries run once.
            cur.execute("SET LOCAL jit = off")
        foreign_keys = self._drop_foreign_keys()
        dropped = self._drop_indexes() + self._drop_unique_constraints()
        self._figures_triggers("DISABLE")
        nodes = self.organizations()
        branches = [n for n in nodes if n.org_type == OrgType.BRANCH]
        admins = self.admins(nodes)
        homes = self.members(branches)
        moved = self.transfers(branches, homes, nodes, admins)
        self.memberships()
        self.graduating(branches)
        self.figures()
        with connection.cursor() as cur:
            for sql in foreign_keys:  # each checked by one join over its table, not a million queued row checks
                cur.execute(sql)
            self._lap(f"{len(foreign_keys)} foreign keys checked")
            for sql in dropped:  # one sorted build per index is much cheaper than a million inserts into it
                cur.execute(sql)
            self._lap(f"{len(dropped)} indexes built (unique constraints among them)")
            self._figures_triggers("ENABLE")
            cur.execute("SELECT tuanji_grad_rebuild()")  # the graduation counts (reports/graduation_sql.py), once
            self._lap("graduation counted")
            for table in (*TABLES, "reports_graduatemark", "reports_graduationcount"):
                cur.execute(f"ANALYZE {table}")
            self._lap("analysed")
            # The load's settings end with it: a caller that goes on in this transaction (the plan tests) plans
            # with the server's own.
            cur.execute("RESET work_mem; RESET maintenance_work_mem; RESET jit")
        return {"organizations": len(nodes), "branches": len(branches), "members": len(homes),
                "cadres": len(admins), "transfers": moved}

    def figures(self) -> None:
        """The figures (orgs/figures_sql.py), counted as tuanji_stats_rebuild() counts them but before the indexes
        are built, and the people's marks written straight: everyone here holds one placement (a member one
        current membership, an admin one post), so the rebuild's per-person grouping and the window that finds
        where two placements meet have nothing to do (25 of its 27 s at 1,000,000 members). The tables start
        empty (TRUNCATE above); tests/orgs/test_figures.py holds the result equal to a recount."""
        with connection.cursor() as cur:
            cur.execute(single_placement_marks())
            cur.execute(REQUEST_MARKS)
            cur.execute(STATS_FROM_MARKS)
        self._lap("figures counted")

    def _figures_triggers(self, state: str) -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'tuanji_stats%%' "
                        "AND tgrelid::regclass::text = ANY(%s)", [list(COUNTED_TABLES)])
            for table, name in cur.fetchall():
                cur.execute(f'ALTER TABLE {table} {state} TRIGGER "{name}"')
            # and the graduation counts' (reports/graduation_sql.py): counted once after the load, as the figures
            cur.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'tuanji_grad%%'")
            for table, name in cur.fetchall():
                cur.execute(f'ALTER TABLE {table} {state} TRIGGER "{name}"')

    def _drop_foreign_keys(self) -> list[str]:
        """Drop the foreign keys of the loaded tables; return the statements that add them again. Kept, each COPY'd
        row would queue a deferred check (a key look-up a row: ~3 million at M, the load's slowest part)."""
        with connection.cursor() as cur:
            cur.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY conrelid, conname",
                        [list(TABLES)])
            found = cur.fetchall()
            for table, name, _definition in found:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        return [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in found]

    def _drop_indexes(self) -> list[str]:
        """Drop the secondary indexes of the big tables (not those behind a constraint: primary keys, unique
        columns); return the statements that build them again."""
        with connection.cursor() as cur:
            cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                        "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                        [list(TABLES)])
            found = cur.fetchall()
            for name, _definition in found:
                cur.execute(f'DROP INDEX "{name}"')
        return [definition for _name, definition in found]

    def _drop_unique_constraints(self) -> list[str]:
        """Drop the loaded tables' unique constraints (the ID number's, the development number's…; after the foreign
        keys, none of which refers to them); return the statements that add them again, each one sorted build
        that checks every row at once. Kept, each of 1,100,000 people is a look-up and an insert at a random
        place of the ID numbers' index."""
        with connection.cursor() as cur:
            cur.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s) ORDER BY conrelid, conname",
                        [list(TABLES)])
            found = cur.fetchall()
            for table, name, _definition in found:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        return [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in found]

    def organizations(self) -> list[Node]:
        rows, _tops, _counties = build_shape(self.n_orgs, self.rng, provinces=34)
        ids = reserve_ids(Organization, len(rows))
        nodes = []
        for i, (parent, org_type, label, region) in enumerate(rows):
            up = nodes[parent] if parent is not None else None
            nodes.append(Node(ids[i], up.pk if up else None, (up.path if up else "") + path_segment(ids[i]),
                              up.depth + 1 if up else 0, org_type, label, region))

        def row(i, node):
            full_name = node.label if i <= 34 else f"第{node.pk}{node.label}"
            return {"id": node.pk, "full_name": full_name, "name_key": normalize_full_name(full_name),
                    "org_type": node.org_type, "parent_id": node.parent_id, "path": node.path, "depth": node.depth,
                    "region_code": node.region, "created_at": self.now}

        copy_in(Organization, (row(i, n) for i, n in enumerate(nodes)))
        self._lap(f"organizations: {len(nodes)}")
        return nodes

    def _people(self, first: int, places: list[int], first_year: int, span_years: int, joined: str) -> None:
        """People `first`, `first` + 1, … one for each organization id of `places`, made on the server: Python sends
        the organization ids (one short line each) and one INSERT … SELECT makes the rows. ID numbers (GB 11643):
        the organization's province, 0102, the birth date, a serial's last three digits, the check character; the
        serial and the birth date together keep every number unique (one date per 1,000 serials, 7919 prime to
        the span's days). Names come from a hash of the person's id and the seed: the same seed, the same names."""
        with connection.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS scale_place (n bigserial, org_id bigint) ON COMMIT DROP")
            cur.execute("TRUNCATE scale_place RESTART IDENTITY")
            with cur.cursor.copy("COPY scale_place (org_id) FROM STDIN") as copy:
                copy.write("".join(f"{pk}\n" for pk in places))
            # The check character's weighted sum in three parts looked up by index in arrays worked out here (the
            # area's six digits by province code, the birth date's eight by day, the serial's three by its value):
            # seventeen substr() and casts a row were most of this statement's work.
            days = 365 * span_years
            start = dt.date(first_year, 1, 1)
            area_w = [weighted(f"{code:02d}0102", 0) for code in range(100)]
            day_w = [weighted(f"{start + dt.timedelta(days=d):%Y%m%d}", 6) for d in range(days)]
            serial_w = [weighted(f"{k:03d}", 14) for k in range(1000)]
            check = ("(%(area_w)s::int[])[s.region_code::int + 1] + (%(day_w)s::int[])[s.day + 1]"
                     " + (%(serial_w)s::int[])[(s.serial %% 1000)::int + 1]")

            def pick(chars: str, k: int) -> str:
                return (f"substr(%({chars})s::text, 1 + abs(hashint8extended(s.pk, %(seed)s * 3 + {k})"
                        f" %% char_length(%({chars})s::text))::int, 1)")

            computed = {
                "id": "s.pk", "id_number": f"b.body || substr('{CHECK_CHARS}', 1 + ({check}) %% 11, 1)",
                "name": f"{pick('surnames', 0)} || {pick('given', 1)} || "
                        f"CASE WHEN s.pk %% 3 = 0 THEN '' ELSE {pick('given', 2)} END",
                "birth_date": "s.born", "gender": "CASE WHEN s.serial %% 2 = 1 THEN 'male' ELSE 'female' END",
                "joined_on": joined, "password": "'!'", "verification_status": "'verified'", "created_at": "%(now)s",
            }
            insert_select(cur, Person, computed, """
                FROM (SELECT *, make_date(%(year)s, 1, 1) + day AS born
                        FROM (SELECT %(first)s + p.n - 1 AS pk, %(serial)s + p.n AS serial, o.region_code,
                                     (((%(serial)s + p.n) / 1000 * 7919) %% %(days)s)::int AS day
                                FROM scale_place p JOIN orgs_organization o ON o.id = p.org_id) x) s
                CROSS JOIN LATERAL (SELECT s.region_code || '0102' || to_char(s.born, 'YYYYMMDD')
                                           || lpad((s.serial %% 1000)::text, 3, '0') AS body) b""",
                          {"first": first, "serial": self.serial, "year": first_year, "days": days, "seed": self.seed,
                           "surnames": SURNAMES, "given": GIVEN, "now": self.now, "area_w": area_w, "day_w": day_w,
                           "serial_w": serial_w})
        self.serial += len(places)

    def admins(self, nodes: list[Node]) -> list[int]:
        first = reserve_block(Person, len(nodes))
        self._people(first, [n.pk for n in nodes], 1985, 12, "make_date(2003, 5, 4)")
        ids = list(range(first, first + len(nodes)))
        with connection.cursor() as cur:
            post = reserve_block(CadrePost, len(nodes))
            insert_select(cur, CadrePost, {"id": "%(post)s + p.n - 1", "person_id": "%(first)s + p.n - 1",
                                           "org_id": "o.id", "org_path": "o.path", "title": "'书记'", "is_admin": "true",
                                           "started_at": "%(now)s", "confirmed_at": "%(now)s"},
                          "FROM scale_place p JOIN orgs_organization o ON o.id = p.org_id",
                          {"post": post, "first": first, "now": self.now})
        self._lap(f"admins (one confirmed 书记 per organization): {len(ids)}")
        return ids

    def members(self, branches: list[Node]) -> list[tuple[int, Node]]:
        first = reserve_block(Person, self.n_members)
        homes = self.rng.choices(branches, k=self.n_members)
        # Joined before 2017: no development number is required (R-ENT-4), so none is made up.
        self._people(first, [b.pk for b in homes], 2000, 9, "make_date(2014 + (s.pk %% 3)::int, 5, 4)")
        self.first_member = first
        self._lap(f"members: {self.n_members} in {len(set(b.pk for b in homes))} branches")
        return list(zip(range(first, first + self.n_members), homes, strict=True))

    def memberships(self) -> None:
        """Every member's current membership, from the places _people left (members' last): one INSERT … SELECT.
        A member a completed transfer moved began there when it completed (scale_moved, from transfers)."""
        with connection.cursor() as cur:
            first = reserve_block(Membership, self.n_members)
            insert_select(cur, Membership, {"id": "%(first)s + p.n - 1", "person_id": "%(people)s + p.n - 1",
                                            "branch_id": "o.id", "org_path": "o.path",
                                            "started_at": "coalesce(s.at, %(began)s)"},
                          "FROM scale_place p JOIN orgs_organization o ON o.id = p.org_id "
                          "LEFT JOIN scale_moved s ON s.person_id = %(people)s + p.n - 1",
                          {"first": first, "people": self.first_member, "began": self.now - dt.timedelta(days=400)})
        self._lap(f"memberships: {self.n_members}")

    def transfers(self, branches, homes, nodes, admins) -> int:
        admin_of = {n.pk: pk for n, pk in zip(nodes, admins, strict=True)}
        committees = [n for n in nodes if n.org_type in (OrgType.COMMITTEE, OrgType.GENERAL_BRANCH)]
        chosen = self.rng.sample(homes, min(self.n_transfers, len(homes)))
        states = self.rng.choices([s for s, _w in TRANSFER_STATES], [w for _s, w in TRANSFER_STATES], k=len(chosen))
        req_ids = reserve_ids(TransferRequest, len(chosen))
        requests, steps, ended, moved_to = [], [], [], {}
        for rid, (person, home), state in zip(req_ids, chosen, states, strict=True):
            created = self.now - dt.timedelta(hours=self.rng.uniform(1, 24 * 40))
            other = self.rng.choice(branches)
            while other.pk == home.pk:
                other = self.rng.choice(branches)
            req = {"id": rid, "member_id": person, "reason": self.rng.choice(Reason.values[:-1]), "kind": "self",
                   "created_at": created, "initiated_by_id": person}
            out_step = {"request_id": rid, "kind": "out", "created_at": created, "due_at": created + dt.timedelta(days=15)}
            if state == "completed":
                # The member came from `other` and now lives at home: the old membership ended then.
                finished = created + dt.timedelta(days=self.rng.uniform(0.1, 10))
                req.update(status="completed", from_branch_id=other.pk, to_org_id=home.pk, to_branch_id=home.pk,
                           finished_at=finished)
                steps += [dict(out_step, org_id=other.pk, org_path=other.path, status="approved",
                               decided_by_id=admin_of[other.pk], decided_at=finished - dt.timedelta(hours=1)),
                          {"request_id": rid, "kind": "in", "org_id": home.pk, "org_path": home.path,
                           "status": "approved", "created_at": finished - dt.timedelta(hours=1),
                           "due_at": finished + dt.timedelta(days=15), "decided_by_id": admin_of[home.pk],
                           "decided_at": finished}]
                ended.append({"person_id": person, "branch_id": other.pk, "org_path": other.path,
                              "started_at": created - dt.timedelta(days=400), "ended_at": finished,
                              "end_reason": f"transfer:{rid}"})
                moved_to[person] = finished
            else:
                target = self.rng.choice(committees) if state == "pending_assign" else other
                req.update(from_branch_id=home.pk, to_org_id=target.pk,
                           status={"rejected": "rejected", "withdrawn": "withdrawn"}.get(state, "pending"))
                out = dict(out_step, org_id=home.pk, org_path=home.path)
                if state == "pending_out":
                    steps.append(out)
                elif state in ("rejected", "withdrawn"):
                    req["finished_at"] = created + dt.timedelta(days=1)
                    steps.append(dict(out, status="rejected" if state == "rejected" else "cancelled",
                                      decided_at=req["finished_at"],
                                      decided_by_id=admin_of[home.pk] if state == "rejected" else None,
                                      comment="材料不全，请补充后重新申请" if state == "rejected" else ""))
                else:
                    opened = created + dt.timedelta(days=1)
                    steps.append(dict(out, status="approved", decided_by_id=admin_of[home.pk], decided_at=opened))
                    in_step = {"request_id": rid, "kind": "in", "org_id": target.pk, "org_path": target.path,
                               "created_at": opened, "due_at": opened + dt.timedelta(days=15)}
                    if state == "pending_in":
                        steps.append(in_step)
                    else:
                        steps.append(dict(in_step, status="approved", decided_by_id=admin_of[target.pk],
                                          decided_at=opened + dt.timedelta(hours=2)))
                        steps.append({"request_id": rid, "kind": "assign", "org_id": target.pk,
                                      "org_path": target.path, "created_at": opened + dt.timedelta(hours=2),
                                      "due_at": None})
            requests.append(req)
        copy_in(TransferRequest, requests)
        for step, pk in zip(steps, reserve_ids(ApprovalStep, len(steps)), strict=True):
            step["id"] = pk
        copy_in(ApprovalStep, steps)
        for row, pk in zip(ended, reserve_ids(Membership, len(ended)), strict=True):
            row["id"] = pk
        copy_in(Membership, ended)
        with connection.cursor() as cur:  # the current membership of a moved member began when it completed
            cur.execute("CREATE TEMP TABLE scale_moved (person_id bigint PRIMARY KEY, at timestamptz) ON COMMIT DROP")
            with cur.cursor.copy("COPY scale_moved FROM STDIN") as copy:
                for person, at in moved_to.items():
                    copy.write_row([person, at])
        counts = {s: states.count(s) for s, _w in TRANSFER_STATES}
        self._lap(f"transfers: {len(requests)} {counts}, steps: {len(steps)}")
        return len(requests)

    def graduating(self, branches: list[Node]) -> None:
        classes = [b for b in branches if b.label == "班团支部"]
        picked = self.rng.sample(classes, len(classes) // 4)
        year = self.now.year if self.now.month <= 6 else self.now.year + 1
        ids = reserve_ids(BranchGraduation, len(picked))
        copy_in(BranchGraduation, ({"id": pk, "branch_id": b.pk, "expected_on": dt.date(year, 6, 30),
                                    "set_at": self.now} for pk, b in zip(ids, picked, strict=True)))
        self._lap(f"graduating class branches: {len(picked)} (30 June {year})")
