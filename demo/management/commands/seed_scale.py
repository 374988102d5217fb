import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from demo.scale import TABLES, ScaleSeeder
from orgs.models import Organization


class Command(BaseCommand):
    help = ("Load the benchmark data set (issue 13) into an empty PostgreSQL database: a national tree, members, "
            "admins and transfers in every state. --replace empties a database that holds data first.")

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, required=True)
        parser.add_argument("--orgs", type=int, help="default: members / 10")
        parser.add_argument("--transfers", type=int, help="default: members / 10")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--replace", action="store_true", help="empty every table of the register first")

    def handle(self, *args, members, orgs, transfers, seed, replace, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale 需要 PostgreSQL（用 COPY 装载数据）：请设置 DATABASE_URL。")
        if members < 100:
            raise CommandError("--members 至少为 100。")
        if Organization.objects.exists() and not replace:
            raise CommandError("数据库中已有数据。seed_scale 会清空整个名册（含审计记录），确认请加 --replace。")
        started = time.perf_counter()
        seeder = ScaleSeeder(orgs=orgs or max(100, members // 10), members=members,
                             transfers=transfers if transfers is not None else members // 10, seed=seed,
                             out=self.stdout.write)
        with transaction.atomic():
            figures = seeder.run()
        # What autovacuum does to a live database in its first hour: the visibility map, so index-only scans
        # are index-only (benchmarks on a freshly loaded set otherwise read a heap page per row). Outside the
        # transaction: VACUUM cannot run inside one.
        with connection.cursor() as cur:
            for table in (*TABLES, "reports_graduatemark", "reports_graduationcount"):
                cur.execute(f"VACUUM {table}")  # analysed by the seeder already
        seeder._lap("vacuumed")
        self.stdout.write(self.style.SUCCESS(
            f"seed_scale: {figures} in {time.perf_counter() - started:.1f} s"))
