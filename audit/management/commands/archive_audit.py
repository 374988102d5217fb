from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.archive import MINIMUM_RETENTION, MayNotDelete, archive_events, cutoff_for, default_path, due


class Command(BaseCommand):
    help = ("R-TR-16: move audit events older than AUDIT_RETENTION (default 3 years, at least 6 months) to a gzip "
            "file of JSON lines, then delete them. Run it as the database role that may delete audit events "
            "(docs/user-guide.md 4.9).")

    def add_arguments(self, parser):
        parser.add_argument("--output", help="the archive file to write (default: a new file in AUDIT_ARCHIVE_DIR)")
        parser.add_argument("--dry-run", action="store_true", help="count the events due, write and delete nothing")

    def handle(self, *args, output=None, dry_run=False, **options):
        retention = settings.AUDIT_RETENTION
        try:
            cutoff = cutoff_for(retention)
        except ValueError:
            raise CommandError(f"AUDIT_RETENTION 为 {retention.days} 天，少于最低的 {MINIMUM_RETENTION.days} 天"
                               f"（6个月），不归档。") from None
        if dry_run:
            self.stdout.write(f"{cutoff:%Y-%m-%d %H:%M} UTC 之前的审计记录 {due(cutoff).count()} 条。")
            return
        path = Path(output) if output else default_path(settings.AUDIT_ARCHIVE_DIR, cutoff)
        try:
            done = archive_events(cutoff=cutoff, path=path)
        except FileExistsError:
            raise CommandError(f"{path} 已存在，不覆盖。") from None
        except MayNotDelete as exc:
            raise CommandError(f"数据库角色 {exc} 无权删除审计记录：请用归档角色（如 tuanji_archiver）运行，"
                               f"见 docs/user-guide.md 4.9。没有写入任何文件。") from None
        if not done.rows:
            self.stdout.write(f"{cutoff:%Y-%m-%d %H:%M} UTC 之前没有审计记录，无需归档。")
            return
        self.stdout.write(self.style.SUCCESS(
            f"已归档 {done.rows} 条（{cutoff:%Y-%m-%d %H:%M} UTC 之前）到 {done.path}，删除 {done.deleted} 条。"))
