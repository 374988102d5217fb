"""Posts (团干部职务) people hold in organizations, and the admin rights they carry (R-ORG-3, R-ORG-8, R-ENT-9)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import CADRE_TITLE_CHOICES, CadreKind


class CadrePostQuerySet(models.QuerySet):
    def held(self):
        """Posts that count (R-ENT-9): current and confirmed. A pending post grants nothing."""
        return self.filter(ended_at__isnull=True, confirmed_at__isnull=False)

    def pending(self):
        """Posts added to someone already on record, waiting for them (or a custodian) to confirm (R-ENT-9)."""
        return self.filter(ended_at__isnull=True, confirmed_at__isnull=True)



class CadrePost(models.Model):
    """A post (团干部) in any organization (R-ORG-3); admins (管理员) are posts marked so (R-ORG-8).
    A post added by an admin to a person already on record waits for confirmation (R-ENT-9)."""
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts")
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="posts")
    org_path = models.CharField(max_length=255)
    ORG_PATH_FROM = "org"  # org_path copies org.path (orgs.services.move_org keeps it in step)
    title = models.CharField(_("职务"), max_length=20, choices=CADRE_TITLE_CHOICES)
    is_admin = models.BooleanField(_("管理员"), default=False)
    kind = models.CharField(_("团干部性质"), max_length=10, choices=CadreKind.choices, blank=True)
    appointed_on = models.DateField(_("任职时间"), null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # R-ENT-9: None while the post waits for the person (or a custodian, R-AUTH-7); declined posts end unconfirmed.
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = CadrePostQuerySet.as_manager()

    class Meta:
        db_table = "members_cadrepost"  # the table it had when members held it (migration access/0001)
        constraints = [
            models.UniqueConstraint(fields=["person", "org"], condition=Q(ended_at__isnull=True),
                                    name="post_one_current_per_org"),
        ]
        indexes = [
            models.Index(fields=["org_path"], name="post_path", opclasses=["varchar_pattern_ops"],
                         condition=Q(ended_at__isnull=True)),
            models.Index(fields=["person", "ended_at"], name="post_person"),
        ]

    def __str__(self):
        return f"{self.org_id} {self.title}"

    @property
    def is_pending(self) -> bool:
        return self.ended_at is None and self.confirmed_at is None
