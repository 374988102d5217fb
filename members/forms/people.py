"""Forms of the people pages (issue 3 item 7). They check the shape of the input only; every rule
(R-ENT, R-VER, R-AUTH) is the services' (members/services), whose errors `apply_errors` puts next to
their fields."""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from access.choices import CADRE_TITLE_CHOICES, CadreKind
from config.forms import TextField
from orgs.models import Organization
from orgs.regions import REGION_CHOICES

from ..profile import (
    COMPLETENESS_ONLY,
    EDUCATION_CHOICES,
    ENTRY_REQUIRED,
    ETHNIC_CHOICES,
    OCCUPATION_CHOICES,
    PoliticalStatus,
)
from ..rules import Errors, check_entry_required
from ..selectors.people import person_by_id_number

BLANK = [("", _("请选择"))]
# R-ENT-8: an entry form marks 必填 what it refuses blank (profile.ENTRY_REQUIRED, as the import templates do), and
# marks the fields completeness needs as such; the development number is required only from 2017 (R-ENT-4), which
# its help text says. Other forms mark the identity fields.
IDENTITY_MARKED = {"name", "id_number", "joined_on"}

PROFILE_FIELDS = ["ethnicity", "political_status", "phone", "full_time_education", "highest_education", "work_unit",
                  "province", "city", "occupation", "email", "party_joined_on", "league_card_number"]


def _date(label, **kwargs):
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           **kwargs)


def _choice(label, choices, **kwargs):
    return forms.ChoiceField(label=label, required=False, choices=BLANK + list(choices), **kwargs)


def _text(label, max_length, **attrs):
    return TextField(label=label, required=False, max_length=max_length,
                     widget=forms.TextInput(attrs=attrs or None))


def _name():
    return _text(_("姓名"), 100, autocomplete="off")


ID_HELP = _("18位，最后一位 X 大小写均可；性别和出生日期从身份证号读取。")


def _id_number(label=None, help_text=None):
    field = _text(label or _("身份证号"), 40, autocomplete="off", autocapitalize="characters", spellcheck="false")
    field.help_text = help_text or ID_HELP
    return field


def _development_number():
    field = _text(_("发展团员编号"), 40, inputmode="numeric", autocomplete="off")
    field.help_text = _("12位数字，前4位为入团年份；2017年及以后入团（新疆2016年及以后）必填。")
    return field


BASIC = ["ethnicity", "political_status", "phone", "full_time_education", "highest_education", "work_unit", "province",
         "city"]
OPTIONAL = ["occupation", "email", "party_joined_on", "league_card_number"]


class PeopleForm(forms.Form):
    """Marks the required fields of R-ENT-8 and takes a service's ValidationError onto its fields."""

    groups_spec: list = []
    entry_kind: str | None = None   # "member" | "cadre": an entry form (profile.ENTRY_REQUIRED's keys)

    def groups(self) -> list[tuple[str, list]]:
        """(legend, bound fields) per fieldset, leaving out fields this form does not have."""
        out = []
        for legend, names in self.groups_spec:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                out.append((legend, fields))
        return out

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        marked = set(ENTRY_REQUIRED[self.entry_kind]) if self.entry_kind else IDENTITY_MARKED
        for name, field in self.fields.items():
            field.required_mark = name in marked
            field.complete_mark = name in COMPLETENESS_ONLY and name not in marked

    def clean(self):
        data = super().clean()
        if self.entry_kind:
            # R-ENT-8: what the import check refuses blank, with the same message.
            errors = Errors()
            present = {name: data.get(name) for name in self.fields if name not in self.errors}
            check_entry_required(present, self.entry_kind, errors,
                                 on_record=bool(data.get("id_number")) and person_by_id_number(data["id_number"]) is not None)
            for name, errs in errors.by_field.items():
                self.add_error(name, errs)
        return data

    def apply_errors(self, exc: ValidationError) -> None:
        """Each message next to its field; keys the form does not have go to the top of the form."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, errors in exc.error_dict.items():
            self.add_error(key if key in self.fields else None, errors)

    def values(self, names) -> dict:
        return {name: self.cleaned_data.get(name) for name in names if name in self.fields}


class ProfileFields(PeopleForm):
    """The profile fields of R-ENT-8 (members/profile.py), shape only: what is required is the services' business."""

    ethnicity = _choice(_("民族"), ETHNIC_CHOICES)
    political_status = _choice(_("政治面貌"), PoliticalStatus.choices)
    phone = _text(_("手机号码"), 20, type="tel", inputmode="tel", autocomplete="tel")
    full_time_education = _choice(_("全日制学历"), EDUCATION_CHOICES)
    highest_education = _choice(_("最高学历"), EDUCATION_CHOICES)
    work_unit = _text(_("学习工作单位"), 100)
    province = _choice(_("所在地区（省）"), REGION_CHOICES)
    city = _text(_("所在地区（市）"), 30)
    occupation = _choice(_("职业（可选）"), OCCUPATION_CHOICES)
    email = _text(_("电子邮箱（可选）"), 254, type="email", autocomplete="email")
    party_joined_on = _date(_("入党时间（可选）"))
    league_card_number = _text(_("团员证编号（可选）"), 30)


class MemberEntryForm(ProfileFields):
    entry_kind = "member"
    field_order = ["branch", "name", "id_number", "joined_on", "development_number", *PROFILE_FIELDS]
    groups_spec = [(_("组织关系与身份"), ["branch", "name", "id_number", "joined_on", "development_number"]),
                   (_("基本信息"), BASIC), (_("选填信息"), OPTIONAL), (_("团中央统一录入"), ["override_reason"])]

    branch = forms.ModelChoiceField(label=_("团支部"), queryset=None, empty_label=_("请选择团支部"),
                                    error_messages={"required": _("请选择团支部。"),
                                                    "invalid_choice": _("请从列表中选择团支部。")})
    name = _name()
    id_number = _id_number()
    joined_on = _date(_("入团时间"))
    development_number = _development_number()
    override_reason = TextField(
        label=_("团中央统一录入说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("仅在此人不符合入团年龄规定、由团中央统一录入时填写；说明会保存在档案和审计记录中。"))

    def __init__(self, *args, branches=None, further_branches=None, fixed_branch=None, may_override=False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_branch = fixed_branch
        if fixed_branch is None:
            self._branch_choices(branches, further_branches)
        else:
            del self.fields["branch"]
        if not may_override:
            del self.fields["override_reason"]

    def _branch_choices(self, branches, further) -> None:
        """Only what the actor may choose (issue 15): the branches they enter into (R-AUTH-2) and, for the root's
        admins, the further ones that need the R-ENT-3 explanation, in a group of their own that says so."""
        field = self.fields["branch"]
        field.required_mark = True
        further = list(further) if further is not None else []
        if not further:
            field.queryset = branches
            return
        direct = list(branches)
        field.queryset = Organization.objects.filter(pk__in=[b.pk for b in direct + further])
        groups = [(_("直接录入：本组织的直属团支部"), direct)] if direct else []
        groups.append((_("团中央统一录入：须填写说明（不符合入团年龄规定的人员）"), further))
        field.choices = [("", field.empty_label), *((label, [(b.pk, b.full_name) for b in orgs]) for label, orgs in groups)]
        field.help_text = _("录入到第二组的团支部，须在页面下方填写“团中央统一录入说明”。")


class CadreEntryForm(ProfileFields):
    entry_kind = "cadre"
    field_order = ["org", "title", "is_admin", "kind", "appointed_on", "name", "id_number", "joined_on",
                   "development_number", *PROFILE_FIELDS]
    groups_spec = [(_("任职"), ["org", "title", "kind", "appointed_on", "is_admin"]),
                   (_("身份"), ["name", "id_number"]),
                   (_("团员信息（任职组织是团支部时可选）"), ["joined_on", "development_number"]),
                   (_("基本信息"), BASIC), (_("选填信息"), OPTIONAL)]

    org = forms.ModelChoiceField(label=_("任职组织"), queryset=None, empty_label=_("请选择组织"),
                                 error_messages={"required": _("请选择任职组织。"),
                                                 "invalid_choice": _("请从列表中选择组织。")})
    name = _name()
    id_number = _id_number(help_text=_("18位，最后一位 X 大小写均可。已登记的人员须本人确认后任职才生效，姓名须与登记的一致。"))
    title = _choice(_("职务"), CADRE_TITLE_CHOICES)
    is_admin = forms.BooleanField(label=_("设为本组织管理员"), required=False,
                                  help_text=_("管理员可以录入、修改本组织及直接下级组织的人员。"))
    kind = _choice(_("团干部性质"), CadreKind.choices)
    appointed_on = _date(_("任职时间"))
    joined_on = _date(_("入团时间"), help_text=_("任职组织是团支部时，填写入团时间即同时录入为该团支部团员（须符合入团年龄规定）。"))
    development_number = _development_number()

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["org"].required_mark = True


class ProfileForm(ProfileFields):
    """Admins (R-AUTH-2) edit every profile field; the person themself (R-AUTH-5) only some."""

    field_order = ["development_number", *PROFILE_FIELDS]
    groups_spec = [(_("基本信息"), ["development_number", *BASIC]), (_("选填信息"), OPTIONAL)]
    development_number = _development_number()

    def __init__(self, *args, allowed, **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in allowed:
                del self.fields[name]


class CorrectionForm(PeopleForm):
    """姓名, 身份证号 and 入团时间: admins only, with a reason (correct_identity)."""

    groups_spec = [(_("更正身份信息"), ["name", "id_number", "joined_on", "reason"])]

    name = _name()
    id_number = _id_number(label=_("新身份证号"), help_text=_("不更正身份证号请留空。更正身份证号或姓名后，此人需重新认证。"))
    joined_on = _date(_("入团时间"))
    reason = TextField(label=_("更正原因"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                       help_text=_("写明依据（如户籍证明、入团志愿书）。原因会记入审计记录。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id_number"].required_mark = False
        self.fields["reason"].required_mark = True


class SegmentChangeForm(PeopleForm):
    """R-ENT-4a / issue 18: a segment's range changed (its organization and year stay)."""
    groups_spec = [(_("修改号段"), ["first", "last"])]
    first = TextField(label=_("起始编号"), max_length=40, error_messages={"required": _("请填写起始编号。")},
                      help_text=_("12位数字，前4位为年份。"), widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    last = TextField(label=_("结束编号"), max_length=40, error_messages={"required": _("请填写结束编号。")},
                     widget=forms.TextInput(attrs={"inputmode": "numeric"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required_mark = True


class SegmentForm(PeopleForm):
    groups_spec = [(_("分配号段"), ["org", "year", "first", "last"])]
    org = forms.ModelChoiceField(label=_("分配给"), queryset=None, empty_label=_("请选择组织"),
                                 error_messages={"required": _("请选择组织。"), "invalid_choice": _("请从列表中选择组织。")})
    year = forms.IntegerField(label=_("年份"), min_value=1949, max_value=2100,
                              error_messages={"required": _("请填写年份。"), "invalid": _("年份应为4位数字。")},
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    first = TextField(label=_("起始编号"), max_length=40, error_messages={"required": _("请填写起始编号。")},
                      help_text=_("12位数字，前4位为年份。"), widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    last = TextField(label=_("结束编号"), max_length=40, error_messages={"required": _("请填写结束编号。")},
                     widget=forms.TextInput(attrs={"inputmode": "numeric"}))

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        for field in self.fields.values():
            field.required_mark = True
