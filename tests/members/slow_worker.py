"""A real `manage.py db_worker` process for tests/members/test_import_tasks.py, with one change: once an import has
written its rows (inside its transaction, not yet committed) it writes FLAG and waits SECONDS, so that the test can
kill the process (SIGKILL) or its database connection (pg_terminate_backend) in the middle of the import.

    python tests/members/slow_worker.py FLAG SECONDS   (DATABASE_URL: the test database; PYTHONPATH: the project)"""
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")  # the database task backend

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

import members.importing as importing  # noqa: E402

flag, seconds = sys.argv[1], float(sys.argv[2])
write_rows = importing.write_rows


def slow_write_rows(**kwargs):
    write_rows(**kwargs)
    with open(flag, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(seconds)


importing.write_rows = slow_write_rows
call_command("db_worker", "--no-reload", "--interval", "0.2", "--no-startup-delay", "--worker-id", f"slow-{os.getpid()}")
