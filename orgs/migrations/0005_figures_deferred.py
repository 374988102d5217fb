"""Issue 13, the sweep: the figures' refreshes may be deferred to one flush per transaction (orgs/figures_sql.py,
DEFER). Replaces the two refresh functions and adds tuanji_stats_defer / tuanji_stats_flush; no data changes."""
from django.db import migrations

from orgs import figures_sql


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in (figures_sql.REFRESH, figures_sql.REFRESH_REQUESTS, figures_sql.DEFER):
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0004_figure_flags'),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
