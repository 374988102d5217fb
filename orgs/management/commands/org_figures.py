import time

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError

from orgs.selectors import uses_figures
from orgs.services import compact_figures, figures_differing, rebuild_figures


class Command(BaseCommand):
    help = ("The figures kept per organization (PostgreSQL): --compact folds the appended changes (run it every "
            "minute or so), --check compares them with a count from scratch, --rebuild counts them again.")

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--compact", action="store_true")
        group.add_argument("--check", action="store_true")
        group.add_argument("--rebuild", action="store_true")
        parser.add_argument("--loop", type=int, metavar="SECONDS", help="with --compact: again every SECONDS, until stopped")

    def handle(self, *args, compact, check, rebuild, loop=None, **options):
        if not uses_figures():
            raise CommandError("只有 PostgreSQL 保存各组织的统计数；SQLite 实时计数，无需此命令。")
        if compact:
            while True:
                try:
                    self.stdout.write(f"org_figures: {compact_figures()} 个组织的变动已合并")
                except OperationalError as exc:  # an ancestor's row was held past the lock timeout: next round
                    self.stderr.write(f"org_figures: 本轮未合并（{exc.__class__.__name__}），下轮再试")
                if not loop:
                    return
                time.sleep(loop)
        elif rebuild:
            rebuild_figures()
            self.stdout.write("org_figures: 已从头重新统计")
        else:
            differing = figures_differing()
            for org_id, diff in sorted(differing.items())[:20]:
                self.stdout.write(f"  组织 {org_id}: {diff}")
            if differing:
                raise CommandError(f"{len(differing)} 个组织的统计数与重新统计不一致")
            self.stdout.write("org_figures: 一致")
