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
