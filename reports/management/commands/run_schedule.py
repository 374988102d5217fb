import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from members.services.cases import purge_case_photos
from reports.reminders import run_reminders
from reports.trends import is_due, record_trends


class Command(BaseCommand):
    help = ("The one scheduler (issue 14; django-tasks has none): every round the R-TR-7 sweep and the return of "
            "killed workers' tasks (auto_approve_transfers), and every REMINDER_EVERY (10 minutes) the reminders and "
            "the day's digests (reports/reminders.py), and every TREND_EVERY (an hour) the dashboard's trend figures "
            "(reports/trends.py), and with the reminders the deletion of closed identity cases' photos (R-VER-5). "
            "Once, or every SECONDS with --loop. Safe to run on several "
            "machines at once: each reminder goes once a period, each digest once a day.")

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, metavar="SECONDS", help="run again every SECONDS, until stopped")

    def handle(self, *args, loop=None, **options):
        last = None
        while True:
            call_command("auto_approve_transfers", stdout=self.stdout, verbosity=options["verbosity"])
            now = timezone.now()
            if last is None or now - last >= settings.REMINDER_EVERY:
                sent = run_reminders(now=now)
                last = now
                self.stdout.write("提醒：" + "，".join(f"{kind} {n}" for kind, n in sent.items()))
                # R-VER-5: identity card photos of cases closed 30 days ago (members/services/cases.py)
                self.stdout.write(f"认证问题照片删除：{purge_case_photos(now=now)}")
            if is_due(now=now, every=settings.TREND_EVERY):
                written = record_trends(now=now)
                self.stdout.write(f"趋势：周 {written['weeks']}，月 {written['months']}")
            if not loop:
                return
            time.sleep(loop)
