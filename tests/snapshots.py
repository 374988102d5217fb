"""Fixture data built through the services once per test process, then put back for each later test as rows.

`tree` (tests/conftest.py) is asked for by ~1,400 tests; building it through the services is ~200 queries (ten
organizations, ten cadres, their audit rows and figures), most of the suite's setup time. The first test that asks
builds it through the services inside a savepoint, reads every row that the build added, and rolls the savepoint
back; that test and every later one get those rows back with one INSERT a table (the same primary keys, the same
values; on PostgreSQL with triggers off while they go in, as the figures the triggers kept are among the rows) and
model instances for them, made without a query.

Built through the services as before, every time, when
- the test is transactional (no transaction around it: what the services leave for after the commit, the ID-number
  verification, runs then, and concurrency tests need the real thing);
- the build changed a row that was there before it (a snapshot of new rows would not say what changed), or wrote a
  table no model describes;
- PostgreSQL would not let this connection turn triggers off (not a superuser);
- putting the rows back fails (a row left over in the database holds one of their keys or names)."""
import copy
from collections import Counter

from django.apps import apps
from django.db import IntegrityError, connection, transaction

_taken: dict[str, "Snapshot | None"] = {}


class _Undo(Exception):
    pass


def built_once(key: str, build):
    """`build()` returns a dict of model instances; the same dict, from the snapshot of its rows when it can."""
    if not connection.in_atomic_block:
        return build()
    if key not in _taken:
        _taken[key] = Snapshot.take(build)
    snapshot = _taken[key]
    if snapshot is not None:
        try:
            return snapshot.restore()
        except IntegrityError:
            pass
    return build()


def _models():
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]


def _rows(model) -> dict:
    names = [f.attname for f in model._meta.concrete_fields]
    return {row[model._meta.pk.attname]: row for row in model._base_manager.values(*names)}


def _contents(tables) -> dict:
    """Tables no model describes (kept by triggers, e.g. reports_graduationcount): every row, in any order."""
    with connection.cursor() as cursor:
        found = {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            found[table] = Counter(map(repr, cursor.fetchall()))
        return found


class Snapshot:
    def __init__(self, added, names, setval_sql):
        self.added = added  # [(model, [row dict, ...])] in the order of _models()
        self.names = names  # {name: (model, pk)}
        self.setval_sql = setval_sql

    @classmethod
    def take(cls, build) -> "Snapshot | None":
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('is_superuser')")
                if cursor.fetchone()[0] != "on":
                    return None  # session_replication_role needs a superuser
        elif connection.vendor != "sqlite":
            return None
        models = _models()
        others = sorted(set(connection.introspection.table_names()) - {m._meta.db_table for m in models})
        before = {m: _rows(m) for m in models}
        contents_before = _contents(others)
        try:
            with transaction.atomic():
                built = build()
                after = {m: _rows(m) for m in models}
                contents_after = _contents(others)
                raise _Undo
        except _Undo:
            pass
        if contents_after != contents_before:
            return None
        added = []
        for model in models:
            old, new = before[model], after[model]
            if any(new.get(pk) != row for pk, row in old.items()):
                return None
            rows = [row for pk, row in new.items() if pk not in old]
            if rows and model._meta.parents:
                return None  # bulk_create cannot put back a row of multi-table inheritance
            if rows:
                added.append((model, rows))
        names = {}
        for name, obj in built.items():
            if not any(isinstance(obj, model) and obj.pk in {r[model._meta.pk.attname] for r in rows}
                       for model, rows in added):
                return None  # an instance the build returned but did not add: nothing to make it from
            names[name] = (type(obj), obj.pk)
        return cls(added, names, cls._setval_sql(added))

    @staticmethod
    def _setval_sql(added) -> str:
        """PostgreSQL: each sequence at least past the snapshot's keys (a TRUNCATE … RESTART IDENTITY may have
        started it again), so rows a test adds never take one of them. SQLite's AUTOINCREMENT does that itself."""
        if connection.vendor != "postgresql":
            return ""
        parts = []
        with connection.cursor() as cursor:
            for model, rows in added:
                pk = model._meta.pk
                if not pk.get_internal_type().endswith("AutoField"):
                    continue
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, pk.column])
                seq = cursor.fetchone()[0]
                if seq:
                    top = max(row[pk.attname] for row in rows)
                    parts.append(f"setval('{seq}', GREATEST({top}, (SELECT last_value FROM {seq})))")
        return "SELECT " + ", ".join(parts) if parts else ""

    def restore(self) -> dict:
        made = {}
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET LOCAL session_replication_role = replica")
                for model, rows in self.added:
                    objs = [model(**copy.deepcopy(row)) for row in rows]
                    model._base_manager.bulk_create(objs)
                    for obj in objs:
                        made[model, obj.pk] = obj
                if connection.vendor == "postgresql":
                    cursor.execute("SET LOCAL session_replication_role = origin")
                    if self.setval_sql:
                        cursor.execute(self.setval_sql)
        found = {name: made[key] for name, key in self.names.items()}
        # As the services return them: an instance's foreign key to another of them already loaded (org.parent).
        for obj in found.values():
            for field in obj._meta.concrete_fields:
                if field.is_relation and field.many_to_one:
                    target = made.get((field.related_model, getattr(obj, field.attname)))
                    if target is not None and target in found.values():
                        field.set_cached_value(obj, target)
        return found
