"""Issue 13, the sweep: the graduation counts' deltas are folded by the first of a transaction's deferred fold
triggers, the others return at once (reports/graduation_sql.py, FOLD); the approval steps' triggers look their
requests up by key. Functions and triggers only: no table or count changes."""
from django.db import migrations

from reports import graduation_sql


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(graduation_sql.REFRESH)
        schema_editor.execute(graduation_sql.FOLD)
        schema_editor.execute(graduation_sql.STEP)


class Migration(migrations.Migration):

    dependencies = [("reports", "0004_trend_points")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
