"""Selectors of the transfer pages."""
import pytest

pytestmark = pytest.mark.django_db


def test_the_branches_below_several_organizations_come_in_one_query(tree, django_assert_num_queries):
    """The inbox's assign rows read only the subtrees they assign into (issue 13)."""
    from transfers.selectors import branches_below_any

    with django_assert_num_queries(1):
        found = set(branches_below_any([tree["school"], tree["firm"]]))
    assert found == {tree["b1"], tree["b2"], tree["fb"]}
    assert list(branches_below_any([])) == []
