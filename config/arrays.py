"""`column IN (…)` over a long list of ids (issue 13: a sweep's chunk names thousands). On PostgreSQL one array
parameter, `column = ANY(%s)`: the statement's text stays short and is parsed, planned and bound the same way for 10
ids or 5,000. Elsewhere the ordinary IN. Imports no app (docs/architecture.md)."""
from django.db import connection
from django.db.models import BooleanField, Expression, F, Q


class _AnyOf(Expression):
    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str | F, ids: list):
        super().__init__()
        self.column = F(column) if isinstance(column, str) else column
        self.ids = ids

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        return f"{sql} = ANY(%s)", (*params, self.ids)


def in_ids(column: str, ids) -> Q | _AnyOf:
    """A filter: `column` is one of `ids` (integers). Pass it to filter() or exclude()."""
    ids = sorted(set(ids))
    if connection.vendor == "postgresql":
        return _AnyOf(column, ids)
    return Q(**{f"{column}__in": ids})


def int_array(values) -> str:
    """Integers (or None) as the text of a PostgreSQL array, to pass as one parameter cast with `::bigint[]` (or
    `::int[]`): a long list costs one string, where the driver's dumper quotes and checks every element."""
    return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"
