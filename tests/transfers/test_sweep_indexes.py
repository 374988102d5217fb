"""Issue 13: the sweep writes fewer index entries a row (transfers 0007, members 0012, audit 0005), and every column
that lost its own index is still the head of another, so look-ups by it and the key checks of a deleted person or
organization stay index scans. The partial unique indexes behind R-TR-10 and R-ENT-7 are untouched."""
import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


@pytest.mark.parametrize(("table", "column", "lead"), [
    ("transfers_transferrequest", "member_id", "transfer_member"),
    ("transfers_transferrequest", "batch_id", "transfer_batch"),
    ("members_membership", "branch_id", "membership_branch"),
    ("audit_auditevent", "actor_id", "audit_actor"),
    ("audit_auditevent", "acting_org_id", "audit_acting_org"),
])
def test_a_column_without_its_own_index_leads_another(table, column, lead):
    indexes = _indexes(table)
    assert f"USING btree ({column}" in indexes[lead]
    own = [name for name, sql in indexes.items() if sql.endswith(f"USING btree ({column})")]
    assert own == [], own  # nothing repeats it, whole


@pytest.mark.parametrize("name", ["transfer_batch", "audit_actor", "audit_acting_org"])
def test_the_indexes_of_mostly_empty_columns_hold_the_filled_rows_only(name):
    table = "transfers_transferrequest" if name.startswith("transfer") else "audit_auditevent"
    assert "IS NOT NULL" in _indexes(table)[name]


@pytest.mark.parametrize(("table", "name"), [("transfers_transferrequest", "transfer_one_pending"),
                                             ("members_membership", "membership_one_current_branch")])
def test_the_one_current_rows_stay_unique(table, name):
    assert _indexes(table)[name].startswith("CREATE UNIQUE INDEX")


def test_the_figures_deltas_name_their_organization_without_a_key_check():
    """~1,900 delta rows a sweep chunk, each a key check and a key-share lock on an organization's row at commit."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'orgs_orgstatsdelta'::regclass")
        assert cursor.fetchone()[0] == 0
