from django.core.management.base import BaseCommand
from django.db import transaction

from members.demo import Seeder
from reports.demo import seed_roster_history, seed_season
from transfers.demo import seed_transfers


class Command(BaseCommand):
    """Each app seeds its own part (its demo.py), in the order of the layers: people, then transfers, then
    the reports' history. No app reaches into another's demo."""

    help = "Load the demo tree, people and accounts (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        seeder = Seeder()
        with transaction.atomic():
            seeder.run()
            seed_transfers()
            seed_season()
            seed_roster_history()
        seeder.after_commit()
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。登录（身份证号 / 密码）："))
        seen = set()
        for role, org, id_number, password in seeder.logins:
            if (id_number, org) in seen:
                continue
            seen.add((id_number, org))
            self.stdout.write(f"  {role:<12} {id_number}  {password:<18} {org}")
