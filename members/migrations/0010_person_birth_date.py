# The turning-28 reminder (reports/reminders.py) and list (members/selectors/lifecycle.py) read people by birth date
# across the country: without this index, a scan of every person (issue 14, docs/performance.md).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0009_export_jobs"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["birth_date"], name="person_birth_date"),
        ),
    ]
