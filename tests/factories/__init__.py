"""factory-boy factories. People and organizations are made through the services where rules matter;
these factories make plain rows fast for list and query-count tests."""
import datetime as dt
import itertools

import factory
from django.utils import timezone

from members.idnumber import check_char
from members.models import CadrePost, Membership, Person
from orgs.models import Organization, OrgType, path_segment
from orgs.naming import normalize_full_name

_serial = itertools.count(1)


def make_id_number(born: dt.date = dt.date(2004, 3, 1), area: str = "110101") -> str:
    body = f"{area}{born:%Y%m%d}{next(_serial) % 1000:03d}"
    return body + check_char(body)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        skip_postgeneration_save = True

    full_name = factory.Sequence(lambda n: f"测试组织{n}团支部")
    name_key = factory.LazyAttribute(lambda o: normalize_full_name(o.full_name))
    org_type = OrgType.BRANCH
    region_code = factory.LazyAttribute(lambda o: o.parent.region_code if o.parent else "11")
    depth = factory.LazyAttribute(lambda o: o.parent.depth + 1 if o.parent else 0)
    parent = None

    @factory.post_generation
    def set_path(obj, create, extracted, **kwargs):
        obj.path = (obj.parent.path if obj.parent else "") + path_segment(obj.pk)
        obj.save(update_fields=["path"])


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    id_number = factory.LazyFunction(make_id_number)
    name = factory.Sequence(lambda n: f"测试{n}")
    birth_date = dt.date(2004, 3, 1)
    joined_on = dt.date(2016, 5, 4)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    branch = factory.SubFactory(OrganizationFactory)
    org_path = factory.LazyAttribute(lambda m: m.branch.path)


class CadrePostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CadrePost

    person = factory.SubFactory(PersonFactory)
    org = factory.SubFactory(OrganizationFactory)
    org_path = factory.LazyAttribute(lambda p: p.org.path)
    title = "书记"
    is_admin = False
    confirmed_at = factory.LazyFunction(timezone.now)  # R-ENT-9: a pending post is asked for explicitly
