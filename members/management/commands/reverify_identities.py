from django.core.management.base import BaseCommand

from members.models import Person
from members.verification import verify_people


class Command(BaseCommand):
    help = "R-VER-3: verify everyone pending or failed again, in batches (safe to rerun)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args, batch, **options):
        todo = Person.objects.filter(verification_status__in=["pending", "failed"]).order_by("pk")
        total = todo.count()
        last_pk, seen, verified = 0, 0, 0
        while True:
            ids = list(todo.filter(pk__gt=last_pk).values_list("pk", flat=True)[:batch])
            if not ids:
                break
            verified += verify_people(ids)
            seen += len(ids)
            last_pk = ids[-1]
            self.stdout.write(f"已核验 {seen}/{total}，通过 {verified}")
        self.stdout.write(self.style.SUCCESS(f"完成：核验 {seen} 人，通过 {verified} 人。"))
