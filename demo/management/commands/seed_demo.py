from django.core.management.base import BaseCommand
from django.db import transaction

from access.factors import otpauth_uri, secret_text
from members.demo import DEMO_TOTP_KEY, Seeder
from reports.demo import seed_reminders, seed_roster_history, seed_season, seed_trends
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
            seed_reminders()  # issue 14: every kind of reminder in someone's message center
            seed_trends()  # issue 15: the dashboard's trend charts with a few months behind them
        seeder.after_commit()
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。登录（身份证号 / 密码）："))
        seen = set()
        for role, org, id_number, password in seeder.logins:
            if (id_number, org) in seen:
                continue
            seen.add((id_number, org))
            self.stdout.write(f"  {role:<12} {id_number}  {password:<18} {org}")
        # R-ACC-5: admins also give a code from an authenticator app; every demo admin has this one secret.
        key = secret_text(DEMO_TOTP_KEY)
        self.stdout.write(self.style.SUCCESS(
            "管理员的两步验证：在身份验证器应用中添加以下密钥（每位演示管理员相同，基于时间，6 位，30 秒）："))
        self.stdout.write(f"  密钥 {key}")
        self.stdout.write(f"  {otpauth_uri(key_hex=DEMO_TOTP_KEY, account='演示管理员')}")
