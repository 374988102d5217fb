from django.core.management.base import BaseCommand

from members.services.cases import purge_case_photos


class Command(BaseCommand):
    help = ("R-VER-5 (issue 18): delete the identity card photos of cases closed 30 days ago or longer. "
            "run_schedule runs it every REMINDER_EVERY; this is the one-off.")

    def handle(self, *args, **options):
        self.stdout.write(f"已删除照片：{purge_case_photos()}")
