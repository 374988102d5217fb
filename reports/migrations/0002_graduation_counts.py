"""Issue 13: each graduate's state and each graduating branch's counts per season, kept by PostgreSQL triggers
(reports/graduation_sql.py). SQLite, the development database, counts live (reports.graduation.kept_counts)."""
from django.db import migrations

from reports import graduation_sql


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in graduation_sql.INSTALL:
        schema_editor.execute(sql)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(graduation_sql.UNINSTALL)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0001_initial"),
        ("members", "0006_delete_cadrepost"),
        ("transfers", "0002_step_path_indexes"),
        ("orgs", "0003_figures"),   # tuanji_common_path
    ]

    operations = [migrations.RunPython(install, uninstall)]
