from django import forms
from django.utils.translation import gettext_lazy as _

from config.forms import TextField
from orgs.models import ALLOWED_CHILDREN, OrgType
from orgs.regions import REGION_CHOICES


class OrgCreateForm(forms.Form):
    full_name = TextField(label=_("组织全称"), max_length=200,
                          help_text=_("如“北京示范大学信息学院2022级1班团支部”。全称唯一，括号全角半角视为相同。"))
    name = TextField(label=_("简称（可选）"), max_length=100, required=False)
    org_type = forms.ChoiceField(label=_("组织类型"))
    region_code = forms.ChoiceField(label=_("所在地区"), required=False,
                                    help_text=_("不选则与上级组织相同。"))

    def __init__(self, *args, parent, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = ALLOWED_CHILDREN[OrgType(parent.org_type)]
        self.fields["org_type"].choices = [(t.value, t.label) for t in OrgType if t in allowed]
        self.fields["region_code"].choices = [("", _("同上级组织"))] + [(c, f"{c} {n}") for c, n in REGION_CHOICES]


class RebuildForm(forms.Form):
    """Rebuilding an organization (改建, issue 15): the types orgs/rebuilding.py allows it to become."""
    org_type = forms.ChoiceField(label=_("改建为"), widget=forms.RadioSelect,
                                 error_messages={"required": _("请选择改建后的组织类型。"),
                                                 "invalid_choice": _("该组织不能改建为所选类型，请重新选择。")})

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_type"].choices = [(t, OrgType(t).label) for t in targets]
        if len(targets) == 1:
            self.fields["org_type"].initial = targets[0]
