"""R-ENT-4 / issue 3: the dev_number_taken message names the holder's organization only to an admin
allowed to see it; anyone else is told to ask the superior organization."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from members.services import enter_member
from tests.factories import make_id_number

NUMBER = "201900000042"


def _enter(tree, actor_key, branch_key, born):
    return enter_member(actor=tree[actor_key], branch=tree[branch_key], id_number=make_id_number(born),
                        name="王小二", joined_on=dt.date(2019, 9, 1), development_number=NUMBER)


def _message(err) -> str:
    return " ".join(err.value.message_dict["development_number"])


def test_an_admin_who_may_read_the_holder_is_told_where_the_number_is(tree):
    _enter(tree, "b1_admin", "b1", dt.date(2004, 1, 1))
    with pytest.raises(ValidationError) as err:
        _enter(tree, "school_admin", "b2", dt.date(2004, 1, 2))  # the school holds b1 too
    assert tree["b1"].full_name in _message(err)


def test_an_admin_of_a_sibling_is_told_to_ask_the_superior(tree):
    _enter(tree, "b1_admin", "b1", dt.date(2004, 1, 1))
    with pytest.raises(ValidationError) as err:
        _enter(tree, "b2_admin", "b2", dt.date(2004, 1, 2))
    assert "上级组织" in _message(err) and tree["b1"].full_name not in _message(err)
