import multiprocessing
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from config.tasks import reap_stale
from transfers.services import auto_approve_due
from transfers.services.sweep import CHUNK, Digest, sweep_run


def _sweep(now, batch: int) -> tuple[int, Digest]:
    try:
        return sweep_run(now=now, batch=batch)
    finally:
        connections.close_all()


class Command(BaseCommand):
    help = ("R-TR-7: approve OUT and IN steps left undecided for 15 days (once, or every SECONDS with --loop). "
            "Several sweeps may run at once, here (--workers) or on other machines: each takes other chunks. "
            "Each round also returns tasks left running by a killed worker to the queue (issue 14, config/tasks.py).")

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, metavar="SECONDS", help="run again every SECONDS, until stopped")
        parser.add_argument("--workers", type=int, default=1, metavar="N",
                            help="sweep with N processes side by side (PostgreSQL; default 1)")
        parser.add_argument("--batch", type=int, default=CHUNK, metavar="STEPS", help="steps per transaction")

    def handle(self, *args, loop=None, workers=1, batch=CHUNK, **options):
        if workers < 1 or batch < 1:
            raise CommandError("--workers 和 --batch 至少为 1。")
        while True:
            started = time.perf_counter()
            reaped = reap_stale()
            if any(reaped.values()):
                self.stdout.write(f"中断的任务：重新排队 {reaped['requeued']} 个，失败 {reaped['failed']} 个")
            total = self._run(workers, batch)
            self.stdout.write(f"自动同意 {total} 个超时步骤")
            if options["verbosity"] > 1:
                self.stdout.write(f"{time.perf_counter() - started:.2f} s, {workers} worker(s), batch {batch}")
            if not loop:
                return
            time.sleep(loop)

    def _run(self, workers: int, batch: int) -> int:
        now = timezone.now()  # one clock for every worker: none decides a step another opened in this run
        if workers == 1:
            return auto_approve_due(now=now, batch=batch)
        # Processes, not threads (STYLE.md 12). A forked child must not share the parent's connection.
        connections.close_all()
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            runs = pool.starmap(_sweep, [(now, batch)] * workers)
        digest = Digest()  # one message an approver for the whole run, whichever worker decided their steps
        for _approved, part in runs:
            digest.add(part)
        digest.send(now=now)
        return sum(approved for approved, _part in runs)
