"""Pagination shared by the apps' list pages."""
from django.core.paginator import Paginator


class KnownCount(Paginator):
    """A paginator told its count (a kept figure, or one counted on an index) instead of counting its rows."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached_property: this is its cached value
