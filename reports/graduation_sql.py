"""The PostgreSQL triggers that keep each graduate's state (R-TR-14) per season, in the transaction of every change
(issue 13; docs/decisions.md "Graduation counts from kept states"). Frozen into migrations: a change here ships as a
new migration that runs INSTALL again.

reports_graduatemark: one row a graduate and season, (person, year, graduating branch, within, state), the state
exactly as reports.graduation.graduates() works it out; written by these functions only (no Django model: reads are
SQL, reports/graduation.py). A graduating branch's counts are a count of its rows, read from one index
(branch, year, within, state) without the table: no per-graduate join at read time, and no shared counter row at write
time (a first version kept one counter row a branch and season: two sweep workers deadlocked on them, each statement's
upsert locking them in order, but not a chunk's several statements; docs/performance.md).

A statement on memberships, transfers, approval steps, graduate flags or branch marks refreshes the people it touched,
in one set: those who are or were a graduate (most people a statement touches are neither, and are left alone) have
their rows deleted and inserted again. Their rows in members_person are locked in id order first (FOR NO KEY UPDATE,
as orgs/figures_sql.py does: services lock Person before Membership, R-TR-17), so two refreshes of one person never
both read the rows the other is replacing. A TRUNCATE of a source table rebuilds the table (tests, seed_scale).

The state does not depend on the clock: the season opens on 1 September of the year before and the target is the end
of 30 June, both Asia/Shanghai (reports.graduation.season_opens, deadline)."""

STATES = ("not_started", "pending_out", "pending_in", "pending_assign", "done_on_time", "done_late", "kept", "delayed")
SOURCES = ("members_membership", "transfers_transferrequest", "transfers_approvalstep", "reports_graduateflag",
           "reports_branchgraduation")

_COLS = ", ".join(STATES)
_ANY = " OR ".join(f"{s} <> 0" for s in STATES)

TABLES = f"""
DROP TABLE IF EXISTS reports_graduationdelta;
DROP TABLE IF EXISTS reports_graduationcount;
DROP TABLE IF EXISTS reports_graduatemark;
CREATE TABLE reports_graduatemark (
  person_id bigint NOT NULL, year smallint NOT NULL, branch_id bigint NOT NULL, within smallint NOT NULL DEFAULT 0,
  state varchar(16) NOT NULL);
CREATE INDEX graduatemark_person ON reports_graduatemark (person_id);
CREATE INDEX graduatemark_branch ON reports_graduatemark (branch_id, year, within);   -- a search by name
CREATE TABLE reports_graduationcount (
  branch_id bigint NOT NULL, year smallint NOT NULL, within smallint NOT NULL,
  {", ".join(f"{s} integer NOT NULL DEFAULT 0" for s in STATES)},
  PRIMARY KEY (branch_id, year, within));
CREATE TABLE reports_graduationdelta (
  branch_id bigint NOT NULL, year smallint NOT NULL, within smallint NOT NULL,
  {", ".join(f"{s} integer NOT NULL DEFAULT 0" for s in STATES)});
"""


def _opens(year: str) -> str:
    return f"make_timestamptz({year} - 1, 9, 1, 0, 0, 0, 'Asia/Shanghai')"


def _deadline(year: str) -> str:
    return f"make_timestamptz({year}, 7, 1, 0, 0, 0, 'Asia/Shanghai')"


def marks_of(people: str) -> str:
    """Rows (person_id, year, branch_id, state, within) for the people of `people` (an expression of type bigint[]):
    the CTEs ending in `new`. As reports.graduation.graduates: a graduate of a season is a current member of a branch
    graduating then, or left one by a completed transfer since the season opened (the latest such transfer); current
    membership wins (R-ENT-7: one at most). Flags first, then done (on time or late), then the pending step's kind.

    `within` 0: the graduate's own row, counted in every subtree holding its branch. One who left graduating branch A
    for graduating branch B of the same season is B's graduate; yet a subtree holding A and not B sees them leave A
    by a completed transfer: done there (graduates() reads the subtree's graduating branches only). That second row,
    A's, has `within` = the length of the path where A and B meet: it counts in a subtree whose path is longer."""
    return f"""
    cur AS (SELECT m.person_id, m.branch_id, extract(year FROM g.expected_on)::int AS year
              FROM members_membership m JOIN reports_branchgraduation g ON g.branch_id = m.branch_id
             WHERE m.person_id = ANY({people}) AND m.ended_at IS NULL),
    gone AS (SELECT DISTINCT ON (r.member_id, y.year) r.member_id AS person_id, r.from_branch_id AS branch_id, y.year,
                    r.finished_at
               FROM transfers_transferrequest r JOIN reports_branchgraduation g ON g.branch_id = r.from_branch_id
              CROSS JOIN LATERAL (SELECT extract(year FROM g.expected_on)::int AS year) y
              WHERE r.member_id = ANY({people}) AND r.status = 'completed' AND r.finished_at >= {_opens("y.year")}
              ORDER BY r.member_id, y.year, r.finished_at DESC, r.id DESC),
    grads AS (SELECT coalesce(c.person_id, d.person_id) AS person_id, coalesce(c.year, d.year) AS year,
                     coalesce(c.branch_id, d.branch_id) AS branch_id, c.person_id IS NOT NULL AS here, d.finished_at,
                     0 AS within
                FROM cur c FULL JOIN gone d ON d.person_id = c.person_id AND d.year = c.year
              UNION ALL
              SELECT d.person_id, d.year, d.branch_id, false, d.finished_at,
                     length(tuanji_common_path(oa.path, ob.path))
                FROM cur c JOIN gone d ON d.person_id = c.person_id AND d.year = c.year AND d.branch_id <> c.branch_id
                JOIN orgs_organization oa ON oa.id = d.branch_id JOIN orgs_organization ob ON ob.id = c.branch_id),
    new AS (SELECT g.person_id, g.year, g.branch_id, g.within,
                   CASE WHEN f.kind = 'delayed' THEN 'delayed'
                        WHEN f.kind = 'kept' THEN 'kept'
                        WHEN NOT g.here AND g.finished_at < {_deadline("g.year")} THEN 'done_on_time'
                        WHEN NOT g.here THEN 'done_late'
                        WHEN s.kind = 'out' THEN 'pending_out'
                        WHEN s.kind = 'in' THEN 'pending_in'
                        WHEN s.kind = 'assign' THEN 'pending_assign'
                        ELSE 'not_started' END AS state
              FROM grads g
              LEFT JOIN reports_graduateflag f ON f.person_id = g.person_id AND f.year = g.year
              LEFT JOIN transfers_transferrequest o ON o.member_id = g.person_id AND o.status = 'pending'
              LEFT JOIN transfers_approvalstep s ON s.request_id = o.id AND s.status = 'pending')"""


REFRESH = f"""
CREATE OR REPLACE FUNCTION tuanji_grad_refresh(pids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF pids IS NULL OR cardinality(pids) = 0 THEN RETURN; END IF;
  IF current_setting('tuanji.stats_defer', true) = 'on' THEN
    -- Deferred (orgs/figures_sql.py DEFER; the sweep): noted, refreshed once by tuanji_grad_flush, which
    -- tuanji_stats_flush calls. A sweep's chunk touches a person in up to five statements.
    PERFORM set_config('tuanji.grad_people',
                       concat(current_setting('tuanji.grad_people', true), array_to_string(pids, ','), ','), true);
    PERFORM set_config('tuanji.flush_hooks',
                       concat(current_setting('tuanji.flush_hooks', true), 'tuanji_grad_flush,'), true);
    RETURN;
  END IF;
  -- Only who is or was a graduate: most people a statement touches are neither, and are left alone (no lock).
  pids := ARRAY(
    SELECT k.person_id FROM reports_graduatemark k WHERE k.person_id = ANY(pids)
    UNION SELECT m.person_id FROM members_membership m JOIN reports_branchgraduation g ON g.branch_id = m.branch_id
           WHERE m.person_id = ANY(pids) AND m.ended_at IS NULL
    UNION SELECT r.member_id FROM transfers_transferrequest r JOIN reports_branchgraduation g ON g.branch_id = r.from_branch_id
           WHERE r.member_id = ANY(pids) AND r.status = 'completed');
  IF cardinality(pids) = 0 THEN RETURN; END IF;
  PERFORM 1 FROM members_person WHERE id = ANY(pids) ORDER BY id FOR NO KEY UPDATE;
  WITH old AS (DELETE FROM reports_graduatemark WHERE person_id = ANY(pids) RETURNING branch_id, year, within, state),
  {marks_of("pids")},
  ins AS (INSERT INTO reports_graduatemark (person_id, year, branch_id, within, state)
          SELECT person_id, year, branch_id, within, state FROM new),
  diff AS (SELECT branch_id, year, within,
                  {", ".join(f"coalesce(sum(n) FILTER (WHERE state = '{s}'), 0)::int AS {s}" for s in STATES)}
             FROM (SELECT branch_id, year, within, state, 1 AS n FROM new
                   UNION ALL SELECT branch_id, year, within, state, -1 FROM old) u
            GROUP BY branch_id, year, within)
  INSERT INTO reports_graduationdelta (branch_id, year, within, {_COLS})
  SELECT branch_id, year, within, {_COLS} FROM diff WHERE {_ANY};
  PERFORM set_config('tuanji.grad_unfolded', 'on', true);  -- FOLD: this transaction has deltas to fold
END $$;
CREATE OR REPLACE FUNCTION tuanji_grad_flush() RETURNS void LANGUAGE plpgsql AS $$
DECLARE people bigint[];
BEGIN
  people := ARRAY(SELECT DISTINCT x::bigint FROM unnest(string_to_array(current_setting('tuanji.grad_people', true), ',')) x
                   WHERE x <> '' ORDER BY 1);
  PERFORM set_config('tuanji.grad_people', '', true);
  PERFORM tuanji_grad_refresh(people);
END $$;
"""

# The counts: one row a graduating branch, season and `within`. A refresh appends its difference to
# reports_graduationdelta (appends never wait on one another); at commit, one deferred trigger folds all of the
# transaction's deltas into the counts in one statement, in (branch, year, within) order, so two transactions lock
# shared count rows in one order and never deadlock (an upsert a statement locked them in each statement's order, and
# two sweep workers' chunks, several statements each, deadlocked: docs/performance.md). A delta row visible to a
# reader is one of its own transaction's, not folded yet: readers add them (reports.graduation.kept_counts_of).
# A constraint trigger fires once a row: the first firing folds every delta, and the others, told so by the
# transaction-local mark the refresh sets after writing deltas, return at once (a sweep's chunk wrote ~230 delta
# rows, and their 230 folds took ~0.4 s of its commit at load 9; docs/performance.md). Only tuanji_grad_refresh
# writes deltas. The mark is a setting: a savepoint rolled back takes it back with its deltas.
FOLD = f"""
CREATE OR REPLACE FUNCTION tuanji_grad_fold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('tuanji.grad_unfolded', true) = 'off' THEN RETURN NULL; END IF;
  PERFORM set_config('tuanji.grad_unfolded', 'off', true);
  WITH taken AS (DELETE FROM reports_graduationdelta RETURNING branch_id, year, within, {_COLS}),
  sums AS (SELECT branch_id, year, within, {", ".join(f"sum({s})::int AS {s}" for s in STATES)}
             FROM taken GROUP BY branch_id, year, within)
  INSERT INTO reports_graduationcount AS c (branch_id, year, within, {_COLS})
  SELECT branch_id, year, within, {_COLS} FROM sums WHERE {_ANY} ORDER BY branch_id, year, within
  ON CONFLICT (branch_id, year, within) DO UPDATE SET {", ".join(f"{s} = c.{s} + EXCLUDED.{s}" for s in STATES)};
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tuanji_grad_fold ON reports_graduationdelta;
CREATE CONSTRAINT TRIGGER tuanji_grad_fold AFTER INSERT ON reports_graduationdelta DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION tuanji_grad_fold();
"""

REBUILD = """
CREATE OR REPLACE FUNCTION tuanji_grad_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM reports_graduatemark;
  DELETE FROM reports_graduationcount;
  DELETE FROM reports_graduationdelta;
  PERFORM tuanji_grad_refresh(ARRAY(
    SELECT m.person_id FROM members_membership m JOIN reports_branchgraduation g ON g.branch_id = m.branch_id
     WHERE m.ended_at IS NULL
    UNION
    SELECT r.member_id FROM transfers_transferrequest r JOIN reports_branchgraduation g ON g.branch_id = r.from_branch_id
     WHERE r.status = 'completed'));
END $$;
CREATE OR REPLACE FUNCTION tuanji_grad_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM tuanji_grad_rebuild(); RETURN NULL; END $$;
"""


def _trigger(table: str, name: str, people, changed: str) -> str:
    """Three statement triggers on `table` (and one on TRUNCATE): the people of its inserted, deleted and changed
    rows. `people(rows)`: a query of person ids over `rows`, a FROM item aliased x (a transition table, or both
    versions of the updated rows that matter); `changed`: when an updated row (o, n) matters."""
    both = (f"(SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {changed}"
            f" UNION ALL SELECT o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed}) x")
    return f"""
CREATE OR REPLACE FUNCTION tuanji_grad_{name}_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM tuanji_grad_refresh(ARRAY({people("new_rows x")})); RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION tuanji_grad_{name}_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM tuanji_grad_refresh(ARRAY({people("old_rows x")})); RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION tuanji_grad_{name}_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM tuanji_grad_refresh(ARRAY({people(both)})); RETURN NULL; END $$;
DROP TRIGGER IF EXISTS tuanji_grad_ins ON {table};
DROP TRIGGER IF EXISTS tuanji_grad_del ON {table};
DROP TRIGGER IF EXISTS tuanji_grad_upd ON {table};
DROP TRIGGER IF EXISTS tuanji_grad_trunc ON {table};
CREATE TRIGGER tuanji_grad_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tuanji_grad_{name}_ins();
CREATE TRIGGER tuanji_grad_del AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tuanji_grad_{name}_del();
CREATE TRIGGER tuanji_grad_upd AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tuanji_grad_{name}_upd();
CREATE TRIGGER tuanji_grad_trunc AFTER TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION tuanji_grad_truncated();
"""


def _person(column: str):
    return lambda rows: f"SELECT DISTINCT x.{column} FROM {rows}"


def _of_step(rows: str) -> str:
    # A key look-up a request: joined to the transition table, whose size the planner guesses (5,000 rows for a
    # sweep's 1,000), it merged with a scan of every request's key instead (~0.4 s a chunk, docs/performance.md).
    # Only graduates, those with marks: a step changes a graduate's state, never whether one is a graduate (that is
    # their membership or a completed transfer, whose own triggers note them, in the same flush when deferred). A
    # sweep's chunk touches ~1,000 people's steps, ~200 of them graduates; the refresh looked each one up three
    # times to find them (issue 13).
    return (f"SELECT DISTINCT r.member_id FROM transfers_transferrequest r"
            f" WHERE r.id = ANY(ARRAY(SELECT x.request_id FROM {rows}))"
            f" AND EXISTS (SELECT 1 FROM reports_graduatemark k WHERE k.person_id = r.member_id)")


def _of_branch(rows: str) -> str:
    """The people a branch's mark concerns: its current members, and whoever left it by a completed transfer."""
    return (f"SELECT m.person_id FROM members_membership m JOIN {rows} ON m.branch_id = x.branch_id"
            f" WHERE m.ended_at IS NULL"
            f" UNION SELECT r.member_id FROM transfers_transferrequest r JOIN {rows} ON r.from_branch_id = x.branch_id"
            f" WHERE r.status = 'completed'")


MEMBERSHIP = _trigger("members_membership", "membership", _person("person_id"),
                      "(o.person_id, o.branch_id, o.ended_at) IS DISTINCT FROM (n.person_id, n.branch_id, n.ended_at)")
TRANSFER = _trigger("transfers_transferrequest", "transfer", _person("member_id"),
                    "(o.member_id, o.status, o.from_branch_id, o.finished_at)"
                    " IS DISTINCT FROM (n.member_id, n.status, n.from_branch_id, n.finished_at)")
STEP = _trigger("transfers_approvalstep", "step", _of_step,
                "(o.request_id, o.kind, o.status) IS DISTINCT FROM (n.request_id, n.kind, n.status)")
FLAG = _trigger("reports_graduateflag", "flag", _person("person_id"),
                "(o.person_id, o.year, o.kind) IS DISTINCT FROM (n.person_id, n.year, n.kind)")
BRANCH = _trigger("reports_branchgraduation", "branch", _of_branch,
                  "(o.branch_id, o.expected_on) IS DISTINCT FROM (n.branch_id, n.expected_on)")

# Where two branches meet moves with the tree: refresh the people with a second row (few: see marks_of).
ORGANIZATION = """
CREATE OR REPLACE FUNCTION tuanji_grad_org_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.path IS DISTINCT FROM n.path) THEN
    PERFORM tuanji_grad_refresh(ARRAY(SELECT DISTINCT person_id FROM reports_graduatemark WHERE within > 0));
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tuanji_grad_upd ON orgs_organization;
CREATE TRIGGER tuanji_grad_upd AFTER UPDATE ON orgs_organization REFERENCING OLD TABLE AS old_rows
  NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tuanji_grad_org_upd();
"""

INSTALL = [TABLES, REFRESH, FOLD, REBUILD, MEMBERSHIP, TRANSFER, STEP, FLAG, BRANCH, ORGANIZATION,
           "SELECT tuanji_grad_rebuild();", "SET CONSTRAINTS tuanji_grad_fold IMMEDIATE;",
           "ANALYZE reports_graduatemark;", "ANALYZE reports_graduationcount;"]

UNINSTALL = "DROP TRIGGER IF EXISTS tuanji_grad_upd ON orgs_organization;" + "".join(f"""
DROP TRIGGER IF EXISTS tuanji_grad_{op} ON {table};""" for table in SOURCES for op in ("ins", "del", "upd", "trunc")) + """
DROP TABLE IF EXISTS reports_graduatemark;
DROP TABLE IF EXISTS reports_graduationcount;
DROP TABLE IF EXISTS reports_graduationdelta;
DROP FUNCTION IF EXISTS tuanji_grad_flush();
DROP FUNCTION IF EXISTS tuanji_grad_refresh(bigint[]);
"""
