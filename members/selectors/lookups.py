"""What the entry rules need to know about records already on file. Single entry asks the database
(`DbLookups`); an import asks sets fetched once for the whole file (`PrefetchedLookups`), so the same
rules run in both paths without a query per row."""
from ..models import NumberSegment, Person

CHUNK = 900  # stays under SQLite's bound-parameter limit


class DbLookups:
    def id_holder(self, id_number: str) -> int | None:
        return Person.objects.filter(id_number=id_number).values_list("pk", flat=True).first()

    def number_holder(self, number: str) -> int | None:
        return Person.objects.filter(development_number=number).values_list("pk", flat=True).first()

    def segments(self, ancestor_ids: list[int], year: int) -> list[tuple[str, str]]:
        return list(NumberSegment.objects.filter(year=year, org_id__in=ancestor_ids).values_list("first", "last"))


def _chunks(values):
    values = list(values)
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


class PrefetchedLookups(DbLookups):
    """Holders of the file's ID numbers and development numbers, fetched in a few queries; segments cached."""

    def __init__(self, *, id_numbers, numbers):
        self.ids: dict[str, int] = {}
        self.names: dict[str, str] = {}
        self.numbers: dict[str, int] = {}
        for chunk in _chunks({i for i in id_numbers if i}):
            for pk, ident, name in Person.objects.filter(id_number__in=chunk).values_list("pk", "id_number", "name"):
                self.ids[ident], self.names[ident] = pk, name
        for chunk in _chunks({n for n in numbers if n}):
            self.numbers.update(Person.objects.filter(development_number__in=chunk)
                                .values_list("development_number", "pk"))
        self._segments: dict[tuple, list] = {}

    def id_holder(self, id_number):
        return self.ids.get(id_number)

    def number_holder(self, number):
        return self.numbers.get(number)

    def segments(self, ancestor_ids, year):
        key = (tuple(ancestor_ids), year)
        if key not in self._segments:
            self._segments[key] = super().segments(ancestor_ids, year)
        return self._segments[key]


DEFAULT = DbLookups()
