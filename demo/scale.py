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
from members.idnumber import check_char
from members.models import Membership, Person
from orgs.models import Organization, OrgType, path_segment
from orgs.naming import normalize_full_name
from reports.models import BranchGraduation
from transfers.models import ApprovalStep, Reason, TransferRequest

from .scale_tree import build_shape, copy_in, reserve_ids

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
COUNTED_TABLES = ("orgs_organization", "members_person", "members_membership", "members_cadrepost")


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
        dropped = self._drop_indexes()
        self._figures_triggers("DISABLE")
        nodes = self.organizations()
        branches = [n for n in nodes if n.org_type == OrgType.BRANCH]
        admins = self.admins(nodes)
        homes = self.members(branches)
        moved = self.transfers(branches, homes, nodes, admins)
        self.graduating(branches)
        with connection.cursor() as cur:
            for sql in foreign_keys:  # each checked by one join over its table, not a million queued row checks
                cur.execute(sql)
            self._lap(f"{len(foreign_keys)} foreign keys checked")
            for sql in dropped:  # one sorted build per index is much cheaper than a million inserts into it
                cur.execute(sql)
            self._lap(f"{len(dropped)} indexes built")
            self._figures_triggers("ENABLE")
            cur.execute("SELECT tuanji_stats_rebuild()")
            self._lap("figures counted")
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

    def _person(self, pk: int, region: str, born: dt.date, joined: dt.date | None) -> dict:
        self.serial += 1
        area = f"{region}0102"
        body = f"{area}{born:%Y%m%d}{self.serial % 1000:03d}"
        id_number = body + check_char(body)
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN) + (self.rng.choice(GIVEN) if pk % 3 else "")
        return {"id": pk, "id_number": id_number, "name": name, "birth_date": born,
                "gender": "male" if int(body[16]) % 2 else "female", "joined_on": joined, "password": "!",
                "verification_status": "verified", "created_at": self.now}

    def _born(self, first_year: int, span_years: int) -> dt.date:
        # The serial's 3 digits and the birth date together keep every ID number unique: one date per 1,000.
        day = self.serial // 1000
        return dt.date(first_year, 1, 1) + dt.timedelta(days=(day * 7919) % (365 * span_years))

    def admins(self, nodes: list[Node]) -> list[int]:
        ids = reserve_ids(Person, len(nodes))
        copy_in(Person, (self._person(pk, n.region, self._born(1985, 12), dt.date(2003, 5, 4))
                         for pk, n in zip(ids, nodes, strict=True)))
        post_ids = reserve_ids(CadrePost, len(nodes))
        copy_in(CadrePost, ({"id": post, "person_id": pk, "org_id": n.pk, "org_path": n.path, "title": "书记",
                             "is_admin": True, "started_at": self.now, "confirmed_at": self.now}
                            for post, pk, n in zip(post_ids, ids, nodes, strict=True)))
        self._lap(f"admins (one confirmed 书记 per organization): {len(ids)}")
        return ids

    def members(self, branches: list[Node]) -> list[tuple[int, Node]]:
        ids = reserve_ids(Person, self.n_members)
        homes = self.rng.choices(branches, k=self.n_members)
        # Joined before 2017: no development number is required (R-ENT-4), so none is made up.
        copy_in(Person, (self._person(pk, b.region, self._born(2000, 9), dt.date(2014 + pk % 3, 5, 4))
                         for pk, b in zip(ids, homes, strict=True)))
        m_ids = reserve_ids(Membership, self.n_members)
        copy_in(Membership, ({"id": m, "person_id": pk, "branch_id": b.pk, "org_path": b.path,
                              "started_at": self.now - dt.timedelta(days=400)}
                             for m, pk, b in zip(m_ids, ids, homes, strict=True)))
        self._lap(f"members: {len(ids)} in {len(set(b.pk for b in homes))} branches")
        return list(zip(ids, homes, strict=True))

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
            cur.execute("CREATE TEMP TABLE scale_moved (person_id bigint, at timestamptz) ON COMMIT DROP")
            with cur.cursor.copy("COPY scale_moved FROM STDIN") as copy:
                for person, at in moved_to.items():
                    copy.write_row([person, at])
            cur.execute("UPDATE members_membership m SET started_at = s.at FROM scale_moved s "
                        "WHERE m.person_id = s.person_id AND m.ended_at IS NULL")
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
