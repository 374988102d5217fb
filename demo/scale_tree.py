"""The shape of a national tree, and COPY-speed loading, shared by `seed_scale` and bench/tree_bench.py.

The shape follows the league's: a central organ, provinces, cities, counties (about 1,540 organizations
under each county-level committee nationally), then grassroots units of several kinds — township committees
with village branches, middle schools with grade general branches, colleges with department committees,
enterprise groups down to workshop branches — from depth 4 to depth 8."""
from django.db import connection

from orgs.models import OrgType as T
from orgs.regions import PROVINCES

COUNTY_SIZE = 1540     # organizations under one county-level committee, nationally
COUNTIES_PER_CITY = 8.6


def grassroots(add, county, budget, rng):
    """Fill one county with units until it holds about `budget` organizations. Unit roots are depth 4."""
    start = add.count
    while add.count - start < budget:
        pick = rng.random()
        if pick < 0.35:                      # township committee, village branches: depth 5
            c = add(county, T.COMMITTEE, "乡镇团委")
            for _ in range(rng.randint(4, 14)):
                add(c, T.BRANCH, "村团支部")
        elif pick < 0.65:                    # middle school: grade general branches, class branches: depth 6
            c = add(county, T.COMMITTEE, "中学团委")
            for _ in range(3):
                g = add(c, T.GENERAL_BRANCH, "年级团总支")
                for _ in range(rng.randint(3, 8)):
                    add(g, T.BRANCH, "班团支部")
        elif pick < 0.72:                    # college: school committees, general branches, branches: depth 7
            c = add(county, T.COMMITTEE, "学院团委")
            for _ in range(rng.randint(2, 5)):
                s = add(c, T.COMMITTEE, "系团委")
                for _ in range(rng.randint(2, 4)):
                    g = add(s, T.GENERAL_BRANCH, "年级团总支")
                    for _ in range(rng.randint(3, 8)):
                        add(g, T.BRANCH, "班团支部")
        elif pick < 0.82:                    # enterprise group: depth 8 at the bottom
            c = add(county, T.COMMITTEE, "集团团委")
            for _ in range(rng.randint(2, 3)):
                s = add(c, T.COMMITTEE, "公司团委")
                for _ in range(rng.randint(1, 2)):
                    w = add(s, T.WORKING_COMMITTEE, "厂区团工委")
                    for _ in range(rng.randint(1, 3)):
                        g = add(w, T.GENERAL_BRANCH, "车间团总支")
                        for _ in range(rng.randint(2, 6)):
                            add(g, T.BRANCH, "班组团支部")
        else:                                # a branch right under the county committee: depth 4
            add(county, T.BRANCH, "机关团支部")


def build_shape(n: int, rng, *, provinces: int = 31):
    """Rows (parent index, org_type, label, province code), parents before children."""
    rows = []

    def add(parent, org_type, label, region=None):
        rows.append((parent, org_type, label, region or rows[parent][3]))
        add.count = len(rows)
        return len(rows) - 1

    add.count = 0
    root = add(None, T.LEADING, "共青团中央", "11")
    tops = [add(root, T.LEADING, f"共青团{name}委员会", code) for code, name in list(PROVINCES.items())[:provinces]]
    n_counties = max(len(tops), round((n - 1 - len(tops)) / COUNTY_SIZE))
    n_cities = max(len(tops), round(n_counties / COUNTIES_PER_CITY))
    cities = [add(tops[i % len(tops)], T.LEADING, "市团委") for i in range(n_cities)]
    counties = [add(cities[i % n_cities], T.LEADING, "县团委") for i in range(n_counties)]
    per_county = (n - len(rows)) / n_counties
    for county in counties:
        grassroots(add, county, per_county * rng.uniform(0.7, 1.3), rng)
    return rows, tops, counties


def reserve_ids(model, count: int) -> list[int]:
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [model._meta.db_table, count])
        return [r[0] for r in cur.fetchall()]


def reserve_block(model, count: int) -> int:
    """`count` consecutive ids of the model's sequence (the first returned): one round trip, not a row an id."""
    with connection.cursor() as cur:
        table = model._meta.db_table
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
        first = cur.fetchone()[0]
        if count > 1:
            cur.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, first + count - 1])
        return first


def _defaults(model) -> dict:
    """attname -> the database value of the model's default, worked out once through the field (so NOT NULL
    columns with a Django-side default are filled)."""
    blank = model()
    return {f.attname: f.get_db_prep_save(f.pre_save(blank, True), connection) for f in model._meta.concrete_fields}


def insert_select(cur, model, computed: dict[str, str], from_sql: str, params: dict) -> None:
    """INSERT INTO the model's table SELECT `computed` (attname -> SQL, pyformat parameters from `params`)
    `from_sql`; the other columns get the model's defaults."""
    defaults = _defaults(model)
    cols = ", ".join(connection.ops.quote_name(f.column) for f in model._meta.concrete_fields)
    exprs = ", ".join(computed.get(name, f"%(default_{name})s") for name in defaults)
    cur.execute(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({cols}) SELECT {exprs} {from_sql}",
                {**params, **{f"default_{name}": value for name, value in defaults.items() if name not in computed}})


def copy_in(model, rows) -> int:
    """COPY rows (dicts of attname -> database value) in; a column a row leaves out gets the model's default,
    worked out once through the field (so NOT NULL columns with a Django-side default are filled)."""
    fields = model._meta.concrete_fields
    default = _defaults(model)
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({cols}) FROM STDIN"
    n = 0
    with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([row[name] if name in row else value for name, value in default.items()])
            n += 1
    return n
