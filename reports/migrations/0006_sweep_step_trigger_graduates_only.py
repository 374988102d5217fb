"""Issue 13, the sweep: the approval steps' graduation triggers refresh only the graduates among the steps' members
(reports/graduation_sql.py, `_of_step`). Functions and triggers only: no table or count changes."""
from django.db import migrations

from reports import graduation_sql


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(graduation_sql.STEP)


class Migration(migrations.Migration):

    dependencies = [("reports", "0005_sweep_grad_triggers")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
