"""The PostgreSQL triggers that keep orgs.OrgStats in the transaction of every change (issue 13), and the
one-pass rebuild. Frozen into migrations: a change here ships as a new migration that runs INSTALL again.

Who writes what:
- a statement on memberships, held posts or the people's flags refreshes the people it touched, in one set:
  their old marks (orgs_personstatsmark) are taken back and their new contribution added, both as rows
  appended to orgs_orgstatsdelta (appends never wait on one another, so a graduation rush does not queue
  on the county's row);
- a statement on transfers refreshes their marks (orgs_requeststatsmark) the same way;
- an organization's row copies its path and flags, and its parent's `children` moves by a delta;
- `compact` folds the deltas into orgs_orgstats, skipping rows another transaction holds (SKIP LOCKED).

DEFER: a writer of many rows in several statements (the sweep, R-TR-7: each completion ends a membership, starts one
and finishes its request) may call tuanji_stats_defer() first: until tuanji_stats_flush(), in the same transaction,
the refreshes only note their ids (in transaction-local settings, so a rolled-back savepoint takes its notes with
it), and the flush refreshes each person and request once. Between the two, this transaction's figures lag behind
its rows: read none of them there (members.completeness.refresh_orgs reads them: after the flush).

The people's rows are locked in id order first (FOR NO KEY UPDATE: services lock Person before Membership,
R-TR-17), so two refreshes of one person never both read the marks the other is replacing.
"""

COUNTERS = ("members", "members_incomplete", "members_pending", "members_failed", "members_dev_issue",
            "cadres", "cadres_incomplete", "cadres_pending", "cadres_failed", "cadres_dev_issue", "people_incomplete")
STATUSES = ("pending", "completed", "rejected", "withdrawn")
REQUESTS = tuple(f"requests_{s}" for s in STATUSES)
ALL = (*COUNTERS, *REQUESTS, "children")
FLAGS = ("orgs", "branches", "meeting", "small", "empty", "no_cadres", "branches_no_cadres")
ROLLED = (*ALL, *FLAGS)
# Frozen copies (a migration runs this text): tests/orgs/test_figures.py holds them equal to orgs.models'.
SEGMENT = 6
SMALL_BRANCH = 3  # R-ORG-7
LOCK = 7_101_013  # pg_advisory_xact_lock: the compactor and a move of an organization, one at a time


def flag_exprs(p: str = "") -> dict[str, str]:
    """What an organization adds to the counts of organizations, 0 or 1, from its columns (prefix p). The same
    conditions as reports.selectors.dashboard.FIGURE_FLAGS."""
    active, branch = f"{p}is_active", f"{p}is_active AND {p}is_branch"
    return {
        "orgs": active, "branches": branch, "meeting": f"{p}is_active AND {p}meets_standard",
        "small": f"{branch} AND {p}members < {SMALL_BRANCH}",
        "empty": f"{active} AND {p}members = 0 AND {p}cadres = 0 AND {p}children = 0",
        "no_cadres": f"{active} AND {p}cadres = 0", "branches_no_cadres": f"{branch} AND {p}cadres = 0",
    }


def _flag_values(p: str = "") -> str:
    return ", ".join(f"({e})::int" for e in flag_exprs(p).values())


def _cols(names=COUNTERS, prefix="") -> str:
    return ", ".join(prefix + n for n in names)


def _zeros(names) -> str:
    return ", ".join("0" for _ in names)


def _contributions(people: str) -> str:
    """Rows (person_id, org_id, counters…): what each person of `people` (a query of ids) adds to each
    organization now. Placements: current memberships and held posts (ended_at null, confirmed). An incomplete
    person counts +1 in `people_incomplete` where placed and -1 where two consecutive placements meet."""
    return f"""
    ppl AS (SELECT p.id, NOT p.is_complete AS bad, p.verification_status = 'pending' AS pend,
                   p.verification_status = 'failed' AS fail, p.dev_number_issue <> '' AS dev
              FROM members_person p WHERE p.id IN ({people})),
    placed AS (SELECT m.person_id, m.branch_id AS org_id, 1 AS m, 0 AS c FROM members_membership m
                WHERE m.ended_at IS NULL AND m.person_id IN (SELECT id FROM ppl)
               UNION ALL
               SELECT c.person_id, c.org_id, 0, 1 FROM members_cadrepost c
                WHERE c.ended_at IS NULL AND c.confirmed_at IS NOT NULL AND c.person_id IN (SELECT id FROM ppl)),
    per_org AS (SELECT person_id, org_id, sum(m)::int AS m, sum(c)::int AS c FROM placed GROUP BY person_id, org_id),
    meets AS (SELECT x.person_id, o2.id AS org_id
                FROM (SELECT po.person_id, o.path,
                             lag(o.path) OVER (PARTITION BY po.person_id ORDER BY o.path) AS prev
                        FROM per_org po JOIN orgs_organization o ON o.id = po.org_id
                        JOIN ppl ON ppl.id = po.person_id AND ppl.bad) x
                JOIN orgs_organization o2 ON o2.path = tuanji_common_path(x.path, x.prev)
               WHERE x.prev IS NOT NULL),
    rows_ AS (SELECT person_id, org_id, m, c, 1 AS pi FROM per_org
              UNION ALL SELECT person_id, org_id, 0, 0, -1 FROM meets),
    new AS (SELECT r.person_id, r.org_id,
                   sum(r.m)::int AS members, sum(r.m * p.bad::int)::int AS members_incomplete,
                   sum(r.m * p.pend::int)::int AS members_pending, sum(r.m * p.fail::int)::int AS members_failed,
                   sum(r.m * p.dev::int)::int AS members_dev_issue,
                   sum(r.c)::int AS cadres, sum(r.c * p.bad::int)::int AS cadres_incomplete,
                   sum(r.c * p.pend::int)::int AS cadres_pending, sum(r.c * p.fail::int)::int AS cadres_failed,
                   sum(r.c * p.dev::int)::int AS cadres_dev_issue,
                   sum(CASE WHEN p.bad THEN r.pi ELSE 0 END)::int AS people_incomplete
              FROM rows_ r JOIN ppl p ON p.id = r.person_id GROUP BY r.person_id, r.org_id)"""


_NONZERO = " OR ".join(f"{n} <> 0" for n in COUNTERS)

REFRESH = f"""
CREATE OR REPLACE FUNCTION tuanji_stats_refresh(pids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF pids IS NULL OR cardinality(pids) = 0 THEN RETURN; END IF;
  IF current_setting('tuanji.stats_defer', true) = 'on' THEN  -- DEFER: noted, refreshed once by the flush
    PERFORM set_config('tuanji.stats_people',
                       concat(current_setting('tuanji.stats_people', true), array_to_string(pids, ','), ','), true);
    RETURN;
  END IF;
  PERFORM 1 FROM members_person WHERE id = ANY(pids) ORDER BY id FOR NO KEY UPDATE;
  WITH old AS (DELETE FROM orgs_personstatsmark WHERE person_id = ANY(pids)
               RETURNING org_id, {_cols()}),
  {_contributions("SELECT unnest(pids)")},
  ins AS (INSERT INTO orgs_personstatsmark (person_id, org_id, {_cols()})
          SELECT person_id, org_id, {_cols()} FROM new),
  diff AS (SELECT org_id, {", ".join(f"sum({n})::int AS {n}" for n in COUNTERS)}
             FROM (SELECT org_id, {_cols()} FROM new
                   UNION ALL SELECT org_id, {", ".join("-" + n for n in COUNTERS)} FROM old) u
            GROUP BY org_id)
  INSERT INTO orgs_orgstatsdelta (org_id, {_cols(ALL)})
  SELECT org_id, {_cols()}, {_zeros(REQUESTS)}, 0 FROM diff WHERE {_NONZERO};
END $$;
"""


def _request_contributions(requests: str) -> str:
    """Rows (request_id, org_id, requests_<status>…): +1 at the branch a transfer leaves, +1 at the organization it
    goes to, -1 where their paths meet: summed over a subtree, a transfer that left or reached it counts once."""
    return f"""
    reqs AS (SELECT r.id, r.status, r.from_branch_id, r.to_org_id FROM transfers_transferrequest r
              WHERE r.id IN ({requests})),
    ends AS (SELECT id, status, from_branch_id AS org_id, 1 AS n FROM reqs
             UNION ALL SELECT id, status, to_org_id, 1 FROM reqs
             UNION ALL SELECT q.id, q.status, o3.id, -1 FROM reqs q
                 JOIN orgs_organization o1 ON o1.id = q.from_branch_id
                 JOIN orgs_organization o2 ON o2.id = q.to_org_id
                 JOIN orgs_organization o3 ON o3.path = tuanji_common_path(o1.path, o2.path)),
    new AS (SELECT id AS request_id, org_id,
                   {", ".join(f"coalesce(sum(n) FILTER (WHERE status = '{st}'), 0)::int AS requests_{st}" for st in STATUSES)}
              FROM ends GROUP BY id, org_id)"""


REFRESH_REQUESTS = f"""
CREATE OR REPLACE FUNCTION tuanji_stats_refresh_requests(rids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF rids IS NULL OR cardinality(rids) = 0 THEN RETURN; END IF;
  IF current_setting('tuanji.stats_defer', true) = 'on' THEN  -- DEFER
    PERFORM set_config('tuanji.stats_requests',
                       concat(current_setting('tuanji.stats_requests', true), array_to_string(rids, ','), ','), true);
    RETURN;
  END IF;
  WITH old AS (DELETE FROM orgs_requeststatsmark WHERE request_id = ANY(rids) RETURNING org_id, {_cols(REQUESTS)}),
  {_request_contributions("SELECT unnest(rids)")},
  ins AS (INSERT INTO orgs_requeststatsmark (request_id, org_id, {_cols(REQUESTS)})
          SELECT request_id, org_id, {_cols(REQUESTS)} FROM new WHERE {" OR ".join(f"{n} <> 0" for n in REQUESTS)}),
  diff AS (SELECT org_id, {", ".join(f"sum({n})::int AS {n}" for n in REQUESTS)}
             FROM (SELECT org_id, {_cols(REQUESTS)} FROM new
                   UNION ALL SELECT org_id, {", ".join("-" + n for n in REQUESTS)} FROM old) u
            GROUP BY org_id)
  INSERT INTO orgs_orgstatsdelta (org_id, {_cols(ALL)})
  SELECT org_id, {_zeros(COUNTERS)}, {_cols(REQUESTS)}, 0 FROM diff WHERE {" OR ".join(f"{n} <> 0" for n in REQUESTS)};
END $$;
"""

DEFER = """
CREATE OR REPLACE FUNCTION tuanji_stats_defer() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('tuanji.stats_defer', 'on', true);
  PERFORM set_config('tuanji.stats_people', '', true);
  PERFORM set_config('tuanji.stats_requests', '', true);
  PERFORM set_config('tuanji.flush_hooks', '', true);
END $$;
-- Other apps' kept figures may defer with these (reports/graduation_sql.py): while the deferral is on, their refresh
-- notes its ids and names its own flush function in tuanji.flush_hooks, which this flush calls after its own, each
-- once. orgs knows no other app: it calls what was named.
CREATE OR REPLACE FUNCTION tuanji_stats_flush() RETURNS void LANGUAGE plpgsql AS $$
DECLARE people bigint[]; reqs bigint[]; hooks text[]; hook text;
BEGIN
  people := ARRAY(SELECT DISTINCT x::bigint FROM unnest(string_to_array(current_setting('tuanji.stats_people', true), ',')) x
                   WHERE x <> '' ORDER BY 1);
  reqs := ARRAY(SELECT DISTINCT x::bigint FROM unnest(string_to_array(current_setting('tuanji.stats_requests', true), ',')) x
                 WHERE x <> '' ORDER BY 1);
  hooks := ARRAY(SELECT DISTINCT x FROM unnest(string_to_array(current_setting('tuanji.flush_hooks', true), ',')) x
                  WHERE x <> '' ORDER BY 1);
  PERFORM set_config('tuanji.stats_defer', 'off', true);
  PERFORM set_config('tuanji.stats_people', '', true);
  PERFORM set_config('tuanji.stats_requests', '', true);
  PERFORM set_config('tuanji.flush_hooks', '', true);
  PERFORM tuanji_stats_refresh(people);
  PERFORM tuanji_stats_refresh_requests(reqs);
  FOREACH hook IN ARRAY hooks LOOP
    EXECUTE 'SELECT ' || quote_ident(hook) || '()';
  END LOOP;
END $$;
"""

REQUEST = """
CREATE OR REPLACE FUNCTION tuanji_stats_request_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM tuanji_stats_refresh_requests(ARRAY(SELECT id FROM new_rows)); RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION tuanji_stats_request_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM tuanji_stats_refresh_requests(ARRAY(SELECT id FROM old_rows)); RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION tuanji_stats_request_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tuanji_stats_refresh_requests(ARRAY(
    SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
     WHERE (o.status, o.from_branch_id, o.to_org_id) IS DISTINCT FROM (n.status, n.from_branch_id, n.to_org_id)));
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tuanji_stats_ins ON transfers_transferrequest;
DROP TRIGGER IF EXISTS tuanji_stats_del ON transfers_transferrequest;
DROP TRIGGER IF EXISTS tuanji_stats_upd ON transfers_transferrequest;
CREATE TRIGGER tuanji_stats_ins AFTER INSERT ON transfers_transferrequest REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tuanji_stats_request_ins();
CREATE TRIGGER tuanji_stats_del AFTER DELETE ON transfers_transferrequest REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tuanji_stats_request_del();
CREATE TRIGGER tuanji_stats_upd AFTER UPDATE ON transfers_transferrequest REFERENCING OLD TABLE AS old_rows
  NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tuanji_stats_request_upd();
"""

COMMON_PATH = """
CREATE OR REPLACE FUNCTION tuanji_common_path(a varchar, b varchar) RETURNS varchar
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE n int := 0;
BEGIN
  -- orgs.models.SEGMENT: six characters a level
  WHILE n + 6 <= least(length(a), length(b)) AND substr(a, n + 1, 6) = substr(b, n + 1, 6) LOOP
    n := n + 6;
  END LOOP;
  RETURN substr(a, 1, n);
END $$;
"""


def _placement_trigger(table: str, name: str, changed: str) -> str:
    """Three statement triggers on a placement table: the people of the inserted, deleted and changed rows."""
    return f"""
CREATE OR REPLACE FUNCTION tuanji_stats_{name}_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM tuanji_stats_refresh(ARRAY(SELECT DISTINCT person_id FROM new_rows)); RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION tuanji_stats_{name}_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM tuanji_stats_refresh(ARRAY(SELECT DISTINCT person_id FROM old_rows)); RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION tuanji_stats_{name}_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Path copies follow a move without changing anyone's placement: those updates cost one join here.
  PERFORM tuanji_stats_refresh(ARRAY(
    SELECT o.person_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed}
    UNION SELECT n.person_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed}));
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tuanji_stats_ins ON {table};
DROP TRIGGER IF EXISTS tuanji_stats_del ON {table};
DROP TRIGGER IF EXISTS tuanji_stats_upd ON {table};
CREATE TRIGGER tuanji_stats_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tuanji_stats_{name}_ins();
CREATE TRIGGER tuanji_stats_del AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tuanji_stats_{name}_del();
CREATE TRIGGER tuanji_stats_upd AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tuanji_stats_{name}_upd();
"""


PERSON = """
CREATE OR REPLACE FUNCTION tuanji_stats_person_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tuanji_stats_refresh(ARRAY(
    SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
     WHERE (o.is_complete, o.verification_status, o.dev_number_issue)
           IS DISTINCT FROM (n.is_complete, n.verification_status, n.dev_number_issue)));
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tuanji_stats_upd ON members_person;
CREATE TRIGGER tuanji_stats_upd AFTER UPDATE ON members_person REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tuanji_stats_person_upd();
"""

_ZERO_ALL = _zeros(ALL)
_ZERO_COUNTERS = _zeros(COUNTERS + REQUESTS)

ORGANIZATION = f"""
CREATE OR REPLACE FUNCTION tuanji_stats_org() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE was varchar; now_ varchar;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO orgs_orgstats (org_id, path, is_active, is_branch, meets_standard, {_cols(ALL)},
                               {_cols(FLAGS, "f_")}, {_cols(ROLLED, "r_")})
    VALUES (NEW.id, NEW.path, NEW.is_active, NEW.org_type = 'branch', NEW.meets_standard, {_ZERO_ALL},
            {_zeros(FLAGS)}, {_zeros(ROLLED)});
    -- a delta of nothing marks it for the compactor, which counts it into its ancestors' figures
    INSERT INTO orgs_orgstatsdelta (org_id, {_cols(ALL)}) VALUES (NEW.id, {_ZERO_ALL});
    IF NEW.is_active AND NEW.parent_id IS NOT NULL THEN
      INSERT INTO orgs_orgstatsdelta (org_id, {_cols(ALL)}) VALUES (NEW.parent_id, {_ZERO_COUNTERS}, 1);
    END IF;
    RETURN NULL;
  END IF;
  IF (OLD.path, OLD.is_active, OLD.org_type, OLD.meets_standard)
     IS DISTINCT FROM (NEW.path, NEW.is_active, NEW.org_type, NEW.meets_standard) THEN
    UPDATE orgs_orgstats SET path = NEW.path, is_active = NEW.is_active, is_branch = NEW.org_type = 'branch',
                             meets_standard = NEW.meets_standard WHERE org_id = NEW.id;
    INSERT INTO orgs_orgstatsdelta (org_id, {_cols(ALL)}) VALUES (NEW.id, {_ZERO_ALL});
  END IF;
  IF (OLD.parent_id, OLD.is_active) IS DISTINCT FROM (NEW.parent_id, NEW.is_active) THEN
    IF OLD.is_active AND OLD.parent_id IS NOT NULL THEN
      INSERT INTO orgs_orgstatsdelta (org_id, {_cols(ALL)}) VALUES (OLD.parent_id, {_ZERO_COUNTERS}, -1);
    END IF;
    IF NEW.is_active AND NEW.parent_id IS NOT NULL THEN
      INSERT INTO orgs_orgstatsdelta (org_id, {_cols(ALL)}) VALUES (NEW.parent_id, {_ZERO_COUNTERS}, 1);
    END IF;
  END IF;
  IF OLD.parent_id IS DISTINCT FROM NEW.parent_id THEN
    -- A moved subtree takes its folded totals from the old ancestors to the new ones (the parents' paths, which
    -- the move leaves as they are); what is not folded yet follows by path at the next fold.
    PERFORM pg_advisory_xact_lock({LOCK});
    was := (SELECT path FROM orgs_organization WHERE id = OLD.parent_id);
    now_ := (SELECT path FROM orgs_organization WHERE id = NEW.parent_id);
    UPDATE orgs_orgstats a SET {", ".join(f"r_{n} = a.r_{n} + m.sign * s.r_{n}" for n in ROLLED)}
      FROM orgs_orgstats s,
           (SELECT substr(was, 1, k) AS anc, -1 AS sign FROM generate_series({SEGMENT}, coalesce(length(was), 0), {SEGMENT}) k
            UNION ALL
            SELECT substr(now_, 1, k), 1 FROM generate_series({SEGMENT}, coalesce(length(now_), 0), {SEGMENT}) k) m
     WHERE s.org_id = NEW.id AND a.path = m.anc AND m.anc NOT IN (
           SELECT substr(was, 1, k) FROM generate_series({SEGMENT}, coalesce(length(was), 0), {SEGMENT}) k
           INTERSECT SELECT substr(now_, 1, k) FROM generate_series({SEGMENT}, coalesce(length(now_), 0), {SEGMENT}) k);
  END IF;
  IF OLD.path IS DISTINCT FROM NEW.path THEN
    -- Where two placements meet moves with the tree: refresh the people placed here who are placed elsewhere too.
    PERFORM tuanji_stats_refresh(ARRAY(
      SELECT k.person_id FROM orgs_personstatsmark k
       WHERE k.org_id = NEW.id AND (k.members > 0 OR k.cadres > 0)
         AND EXISTS (SELECT 1 FROM orgs_personstatsmark k2 WHERE k2.person_id = k.person_id AND k2.org_id <> NEW.id)));
    -- and the transfers that leave or reach it: where their two ends meet may have moved.
    PERFORM tuanji_stats_refresh_requests(ARRAY(
      SELECT id FROM transfers_transferrequest WHERE from_branch_id = NEW.id
      UNION SELECT id FROM transfers_transferrequest WHERE to_org_id = NEW.id));
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tuanji_stats ON orgs_organization;
CREATE TRIGGER tuanji_stats AFTER INSERT OR UPDATE ON orgs_organization
  FOR EACH ROW EXECUTE FUNCTION tuanji_stats_org();
"""

_SUMS = ", ".join(f"sum({n})::int AS {n}" for n in ALL)

VIEW = f"""
CREATE OR REPLACE VIEW orgs_orgcurrent AS
SELECT s.org_id, s.path, s.is_active, s.is_branch, s.meets_standard,
       {", ".join(f"s.{n} + coalesce(d.{n}, 0) AS {n}" for n in ALL)}
  FROM orgs_orgstats s
  LEFT JOIN (SELECT org_id, {_SUMS} FROM orgs_orgstatsdelta GROUP BY org_id) d ON d.org_id = s.org_id;
"""

_ANCESTORS = f"generate_series({SEGMENT}, length(x.path), {SEGMENT}) k"

# The rebuild's parts after the people's marks, shared with the scale loader (demo/scale.py), which writes those
# marks its own way (single_placement_marks). Text only: the function below is what migrations install.
REQUEST_MARKS = f"""
  WITH {_request_contributions("SELECT id FROM transfers_transferrequest")}
  INSERT INTO orgs_requeststatsmark (request_id, org_id, {_cols(REQUESTS)})
  SELECT request_id, org_id, {_cols(REQUESTS)} FROM new WHERE {" OR ".join(f"{n} <> 0" for n in REQUESTS)};"""

STATS_FROM_MARKS = f"""
  INSERT INTO orgs_orgstats (org_id, path, is_active, is_branch, meets_standard, {_cols(ALL)},
                             {_cols(FLAGS, "f_")}, {_cols(ROLLED, "r_")})
  SELECT o.id, o.path, o.is_active, o.org_type = 'branch', o.meets_standard,
         {", ".join(f"coalesce(k.{n}, 0)" for n in COUNTERS)}, {", ".join(f"coalesce(q.{n}, 0)" for n in REQUESTS)},
         coalesce(ch.n, 0), {_zeros(FLAGS)}, {_zeros(ROLLED)}
    FROM orgs_organization o
    LEFT JOIN (SELECT org_id, {", ".join(f"sum({n})::int AS {n}" for n in COUNTERS)}
                 FROM orgs_personstatsmark GROUP BY org_id) k ON k.org_id = o.id
    LEFT JOIN (SELECT org_id, {", ".join(f"sum({n})::int AS {n}" for n in REQUESTS)}
                 FROM orgs_requeststatsmark GROUP BY org_id) q ON q.org_id = o.id
    LEFT JOIN (SELECT parent_id, count(*)::int AS n FROM orgs_organization
                WHERE is_active AND parent_id IS NOT NULL GROUP BY parent_id) ch ON ch.parent_id = o.id;
  UPDATE orgs_orgstats SET ({_cols(FLAGS, "f_")}) = ({_flag_values()});
  UPDATE orgs_orgstats a SET ({_cols(ROLLED, "r_")}) = ({_cols(ROLLED, "t.")})
    FROM (SELECT substr(x.path, 1, k) AS anc, {", ".join(f"sum(x.{n})::int AS {n}" for n in ALL)},
                 {", ".join(f"sum(x.f_{n})::int AS {n}" for n in FLAGS)}
            FROM orgs_orgstats x CROSS JOIN {_ANCESTORS} GROUP BY 1) t
   WHERE a.path = t.anc;"""

REBUILD = (f"""
CREATE OR REPLACE FUNCTION tuanji_stats_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock({LOCK});
  DELETE FROM orgs_orgstatsdelta;
  DELETE FROM orgs_personstatsmark;
  DELETE FROM orgs_requeststatsmark;
  DELETE FROM orgs_orgstats;
  WITH {_contributions("SELECT id FROM members_person")}
  INSERT INTO orgs_personstatsmark (person_id, org_id, {_cols()}) SELECT person_id, org_id, {_cols()} FROM new;"""
           + REQUEST_MARKS + STATS_FROM_MARKS + """
END $$;
""")


def single_placement_marks() -> str:
    """The people's marks of a register where each person holds one placement at most (a current membership or a
    confirmed post, not both, not two): what _contributions gives then, without its per-person grouping and
    where-placements-meet window (the scale loader's 1,100,000 people: ~25 s of the rebuild's ~30)."""
    return f"""
  INSERT INTO orgs_personstatsmark (person_id, org_id, {_cols()})
  SELECT p.id, x.org_id, x.m, x.m * (NOT p.is_complete)::int, x.m * (p.verification_status = 'pending')::int,
         x.m * (p.verification_status = 'failed')::int, x.m * (p.dev_number_issue <> '')::int,
         x.c, x.c * (NOT p.is_complete)::int, x.c * (p.verification_status = 'pending')::int,
         x.c * (p.verification_status = 'failed')::int, x.c * (p.dev_number_issue <> '')::int,
         (NOT p.is_complete)::int
    FROM (SELECT person_id, branch_id AS org_id, 1 AS m, 0 AS c FROM members_membership WHERE ended_at IS NULL
          UNION ALL
          SELECT person_id, org_id, 0, 1 FROM members_cadrepost WHERE ended_at IS NULL AND confirmed_at IS NOT NULL) x
    JOIN members_person p ON p.id = x.person_id"""


COMPACT = f"""
CREATE OR REPLACE FUNCTION tuanji_stats_compact() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE folded integer;
BEGIN
  PERFORM pg_advisory_xact_lock({LOCK});
  -- An ancestor's row held by a change of that organization makes this fold give up soon (and run again next
  -- time) rather than wait: the change never waits long on the compactor, and the two never deadlock.
  PERFORM set_config('lock_timeout', '500ms', true);
  WITH locked AS (SELECT org_id FROM orgs_orgstats
                   WHERE org_id IN (SELECT DISTINCT org_id FROM orgs_orgstatsdelta)
                   ORDER BY org_id FOR UPDATE SKIP LOCKED),
  taken AS (DELETE FROM orgs_orgstatsdelta d USING locked l WHERE d.org_id = l.org_id
            RETURNING d.org_id, {_cols(ALL, "d.")}),
  sums AS (SELECT org_id, {_SUMS} FROM taken GROUP BY org_id),
  -- each folded organization's own figures after the fold (x) and what it adds to the counts of organizations
  fold AS (SELECT x.*, {", ".join(f"({e})::int AS nf_{n}" for n, e in flag_exprs("x.").items())}
             FROM (SELECT s.org_id, s.path, s.is_active, s.is_branch, s.meets_standard,
                          {", ".join(f"s.{n} + u.{n} AS {n}" for n in ALL)}, {", ".join(f"u.{n} AS d_{n}" for n in ALL)},
                          {_cols(FLAGS, "s.f_")}
                     FROM orgs_orgstats s JOIN sums u ON u.org_id = s.org_id) x),
  -- the change of every ancestor's subtree totals (the organization itself included)
  up AS (SELECT substr(x.path, 1, k) AS anc, {", ".join(f"sum(x.d_{n})::int AS {n}" for n in ALL)},
                {", ".join(f"sum(x.nf_{n} - x.f_{n})::int AS {n}" for n in FLAGS)}
           FROM fold x CROSS JOIN {_ANCESTORS} GROUP BY 1)
  UPDATE orgs_orgstats a
     SET {", ".join(f"r_{n} = a.r_{n} + up.{n}" for n in ROLLED)},
         {", ".join(f"{n} = coalesce(f.{n}, a.{n})" for n in ALL)},
         {", ".join(f"f_{n} = coalesce(f.nf_{n}, a.f_{n})" for n in FLAGS)}
    FROM up LEFT JOIN fold f ON f.path = up.anc
   WHERE a.path = up.anc;
  GET DIAGNOSTICS folded = ROW_COUNT;
  RETURN folded;
END $$;
"""

MEMBERSHIP = _placement_trigger(
    "members_membership", "membership",
    "(o.person_id, o.branch_id, o.ended_at) IS DISTINCT FROM (n.person_id, n.branch_id, n.ended_at)")
POST = _placement_trigger(
    "members_cadrepost", "post",
    "(o.person_id, o.org_id, o.ended_at, o.confirmed_at) IS DISTINCT FROM (n.person_id, n.org_id, n.ended_at, n.confirmed_at)")

INSTALL = [COMMON_PATH, REFRESH, REFRESH_REQUESTS, DEFER, MEMBERSHIP, POST, PERSON, REQUEST, ORGANIZATION,
           "DROP VIEW IF EXISTS orgs_orgcurrent", VIEW, REBUILD, COMPACT,
           "SELECT tuanji_stats_rebuild();", "ANALYZE orgs_orgstats;"]

UNINSTALL = """
DROP TRIGGER IF EXISTS tuanji_stats ON orgs_organization;
DROP TRIGGER IF EXISTS tuanji_stats_upd ON members_person;
DROP TRIGGER IF EXISTS tuanji_stats_ins ON members_membership;
DROP TRIGGER IF EXISTS tuanji_stats_del ON members_membership;
DROP TRIGGER IF EXISTS tuanji_stats_upd ON members_membership;
DROP TRIGGER IF EXISTS tuanji_stats_ins ON members_cadrepost;
DROP TRIGGER IF EXISTS tuanji_stats_del ON members_cadrepost;
DROP TRIGGER IF EXISTS tuanji_stats_upd ON members_cadrepost;
DROP TRIGGER IF EXISTS tuanji_stats_ins ON transfers_transferrequest;
DROP TRIGGER IF EXISTS tuanji_stats_del ON transfers_transferrequest;
DROP TRIGGER IF EXISTS tuanji_stats_upd ON transfers_transferrequest;
DROP VIEW IF EXISTS orgs_orgcurrent;
"""
