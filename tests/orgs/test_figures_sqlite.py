"""On SQLite (development) nothing keeps per-organization figures: the pages count live, and the command says so."""
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from members.selectors.lists import member_count, member_list
from orgs.selectors import uses_figures


@pytest.mark.django_db
def test_sqlite_counts_live_and_the_figures_command_says_it_is_not_needed():
    assert uses_figures() == (connection.vendor == "postgresql")
    if connection.vendor == "postgresql":
        call_command("org_figures", "--check")  # the PostgreSQL side is tests/orgs/test_figures.py
        return
    with pytest.raises(CommandError, match="SQLite 实时计数"):
        call_command("org_figures", "--compact")


@pytest.mark.django_db
def test_sqlite_counts_the_member_list_itself(tree):
    expected = member_list(tree["uni"]).count() if connection.vendor == "postgresql" else None
    assert member_count(tree["uni"]) == expected
