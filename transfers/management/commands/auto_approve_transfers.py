import time

from django.core.management.base import BaseCommand

from transfers.services import auto_approve_due


class Command(BaseCommand):
    help = "R-TR-7: approve OUT and IN steps left undecided for 15 days (once, or every SECONDS with --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, metavar="SECONDS", help="run again every SECONDS, until stopped")

    def handle(self, *args, loop=None, **options):
        while True:
            total = 0
            while True:  # drain: each call handles a bounded batch
                n = auto_approve_due()
                total += n
                if n == 0:
                    break
            self.stdout.write(f"自动同意 {total} 个超时步骤")
            if not loop:
                return
            time.sleep(loop)
