"""The choices of a cadre post: its standard titles (团内职务) and its kind (团干部性质)."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# The standard titles of league cadres (团内职务).
CADRE_TITLES = [
    gettext_noop("书记"), gettext_noop("副书记"), gettext_noop("常委"), gettext_noop("委员"), gettext_noop("组织委员"),
    gettext_noop("宣传委员"), gettext_noop("文体委员"), gettext_noop("学习委员"), gettext_noop("生活委员"),
    gettext_noop("青年委员"),
]
CADRE_TITLE_CHOICES = [(t, _(t)) for t in CADRE_TITLES]


class CadreKind(models.TextChoices):
    FULL_TIME = "full_time", _("专职")
    PART_TIME = "part_time", _("兼职")
    SECONDED = "seconded", _("挂职")
