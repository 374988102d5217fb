"""The materialized path answers subtree and ancestry in one query at any depth (R-ORG, issue 2)."""
import pytest

from orgs.models import OrgType
from orgs.selectors import ancestors, is_within, subtree
from tests.factories import OrganizationFactory


def _chain(depth):
    org = OrganizationFactory(org_type=OrgType.LEADING)
    top = org
    for _ in range(depth - 1):
        org = OrganizationFactory(parent=org, org_type=OrgType.LEADING)
    return top, org


@pytest.mark.parametrize("depth", [2, 8])
def test_subtree_is_one_query_at_any_depth(db, depth, django_assert_num_queries):
    top, leaf = _chain(depth)
    with django_assert_num_queries(1):
        assert len(list(subtree(top))) == depth


@pytest.mark.parametrize("depth", [2, 8])
def test_ancestry_is_one_query_at_any_depth(db, depth, django_assert_num_queries):
    top, leaf = _chain(depth)
    with django_assert_num_queries(1):
        assert [o.pk for o in ancestors(leaf)][0] == top.pk


@pytest.mark.parametrize("depth", [2, 8])
def test_is_within_needs_no_query(db, depth, django_assert_num_queries):
    top, leaf = _chain(depth)
    with django_assert_num_queries(0):
        assert is_within(leaf, top)
        assert not is_within(top, leaf)
