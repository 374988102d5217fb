from django.core.management.base import BaseCommand

from reports.trends import MONTHS, WEEKS, backfill


class Command(BaseCommand):
    help = ("Issue 15: write the dashboard's trend figures for the past as far as the records tell it (reports/trends.py): "
            "transfers started and completed per week, members at each month's end; complete records only for the "
            "current month. Run once after deploying; months the scheduler already recorded are kept.")

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, default=WEEKS)
        parser.add_argument("--months", type=int, default=MONTHS)

    def handle(self, *args, weeks, months, **options):
        written = backfill(weeks=weeks, months=months)
        self.stdout.write(f"趋势：周 {written['weeks']} 行，月 {written['months']} 行")
