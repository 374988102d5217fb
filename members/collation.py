"""Pinyin order for Chinese names (issue 7). PostgreSQL sorts a name column with ICU's Chinese collation
("zh-x-icu", shipped with Debian's PostgreSQL builds); other databases (SQLite in development and tests)
keep their plain order, which is by code point."""
from django.db import connections
from django.db.models import F, OrderBy
from django.db.models.functions import Collate

ZH_COLLATION = "zh-x-icu"


def zh_order(field: str, *, descending: bool = False, using: str = "default") -> OrderBy:
    """An order_by() term for a Chinese text column: pinyin order on PostgreSQL, plain order elsewhere."""
    expression = F(field)
    if connections[using].vendor == "postgresql":
        expression = Collate(expression, ZH_COLLATION)
    return OrderBy(expression, descending=descending)


class _PathOrder(OrderBy):
    def as_postgresql(self, compiler, connection, **extra):
        # The path indexes (varchar_pattern_ops) order by ~<~, not by the column's collation. Django's compiler reads
        # a term's direction off its end (ASC or DESC) to drop duplicate terms: the comment carries it.
        return self.as_sql(compiler, connection, template="%(expression)s USING ~<~ /* ASC */", **extra)


def path_order(field: str) -> OrderBy:
    """An order_by() term for a materialized path (orgs.models): the tree's order, branch after branch, in the order
    of the path's own index, so a list of a subtree is read as an index range from its first rows (issue 13).
    Paths are ASCII: the order is the same on every database."""
    return _PathOrder(F(field))
