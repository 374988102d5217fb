"""Forms of the transfer pages. They check the shape of what was typed; the rules live in the services,
whose ValidationErrors the views attach to these fields (error_dict keys: reason, note, to_org, branch,
id_number, name, member, members, from_branch, to_branch)."""
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from config.forms import TextField
from orgs.models import Organization
from orgs.selectors import find_by_full_name

from .models import Reason, SystemReason, TransferRequest

# R-TR-13: "the form explains where each reason's target should be".
REASON_GUIDANCE = {
    Reason.FURTHER_STUDY: _("转入新学校的团组织：录取学院（系）的团总支或团委；已知道班级的，可直接选新班级的团支部。"
                            "不确定时选学院团总支或学校团委，由对方为您分配团支部。"),
    Reason.EMPLOYED_WITH_ORG: _("转入工作单位的团组织：单位团委，或您所在部门的团支部。全称可向单位人事或团组织负责人询问。"),
    Reason.EMPLOYED_WITHOUT_ORG: _("单位没有团组织：转入单位所在地的乡镇、街道团（工）委，或当地的流动团员团支部。"),
    # Issue 18: the FAQ names both kinds of target; the search lists each kind apart (transfers/selectors.py).
    Reason.UNEMPLOYED: _("还没有落实就业去向：可转入户籍所在地的乡镇、街道团（工）委（或其流动团员团支部），也可随个人档案转入"
                         "人才交流中心的团组织。落实就业后，由该团组织将组织关系转到工作单位；学校团委不再负责转接。"),
    Reason.ENLISTED: _("参军入伍：转入所在部队的团组织（连队团支部或营团委）。还不清楚全称的，可向部队政治工作部门询问后再申请。"),
    Reason.ABROAD_OFFICIAL: _("因公出国（境）：一般转入派出单位的团组织，由派出单位联系和管理。"),
    Reason.ABROAD_PRIVATE: _("因私出国（境）：转入户籍所在地的乡镇、街道团（工）委或其流动团员团支部，由其联系和管理，回国后再转接。"),
    Reason.JOB_CHANGE: _("工作调动：转入新单位的团组织；新单位没有团组织的，转入单位所在地的乡镇、街道团（工）委。"),
    Reason.MOVED: _("迁居：转入新居住地的乡镇、街道团（工）委，或社区的团支部。"),
    Reason.OTHER: _("请在“说明”中写明具体原因（至少10个字），并选择将接收您组织关系的团组织。"),
}

REASON_CHOICES = [("", _("请选择转接原因"))] + list(Reason.choices)
NOTE_HELP = _("转接原因为“其他”时必填，至少10个字。")


def reason_field():
    # Not required here: the service refuses an empty or unknown reason and names the rule (R-TR-13).
    return forms.ChoiceField(label=_("转接原因"), choices=REASON_CHOICES, required=False)


def note_field():
    return TextField(label=_("说明"), required=False, max_length=500, help_text=NOTE_HELP,
                     widget=forms.Textarea(attrs={"rows": 3}))


class TargetMixin:
    """The target organization, picked from the search results (a radio named to_org) or, without
    JavaScript, typed as its exact full name (R-ORG-5)."""

    def clean(self):
        data = super().clean()
        pk, name = data.get("to_org"), (data.get("to_org_name") or "").strip()
        target = Organization.objects.filter(pk=pk).first() if pk else None
        if target is None and name:
            target = find_by_full_name(name)
        if target is None:
            if name:
                self.add_error("to_org", _("没有全称为“%(name)s”的团组织，请输入全称中的几个字，从搜索结果中选择。")
                               % {"name": name})
            else:
                self.add_error("to_org", _("请输入目标组织全称中的几个字，从搜索结果中选择。"))
        data["target"] = target
        return data


class ApplyForm(TargetMixin, forms.Form):
    to_org_name = TextField(label=_("转入哪个团组织"), max_length=200, required=False,
                            help_text=_("输入全称中的几个字，从下方结果中点选。"))
    to_org = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = reason_field()
    note = note_field()


class TransferInForm(forms.Form):
    name = TextField(label=_("姓名"), max_length=50, error_messages={"required": _("请填写姓名。")})
    id_number = TextField(label=_("身份证号"), max_length=30, error_messages={"required": _("请填写身份证号。")},
                          widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}))
    reason = reason_field()
    note = note_field()


class TransferOutForm(TargetMixin, forms.Form):
    """The member is picked from the search results (radios named member, transfers/_member_field.html): a long
    branch is never one drop-down of every member. Without JavaScript, a name typed into member_query and sent
    with the form comes back as the matching members to pick from."""
    member = forms.ModelChoiceField(label=_("转出的团员"), queryset=None, required=False,
                                    error_messages={"invalid_choice": _("此人不是该团支部的团员，请从列表中选择。")})
    member_query = TextField(label=_("转出的团员"), max_length=50, required=False,
                             help_text=_("输入姓名中的字，或身份证号的前6位或完整号码，从下方结果中点选。"))
    to_org_name = TextField(label=_("转入哪个团组织"), max_length=200, required=False,
                            help_text=_("输入全称中的几个字，从下方结果中点选。"))
    to_org = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = reason_field()
    note = note_field()

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members

    def clean(self):
        data = super().clean()
        if data.get("member") is None and "member" not in self.errors:
            if data.get("member_query"):
                self.add_error("member", _("请从“%(q)s”的查找结果中点选要转出的团员。") % {"q": data["member_query"]})
            else:
                self.add_error("member", _("请选择要转出的团员：输入姓名查找后点选。"))
        return data


class RejectForm(forms.Form):
    reason = TextField(label=_("退回原因"), required=False, max_length=500,
                       help_text=_("必填。申请人会看到它，请写明如何补正。"),
                       widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(forms.Form):
    branch = forms.ModelChoiceField(label=_("分配到团支部"), queryset=None, empty_label=_("请选择团支部"),
                                    error_messages={"required": _("请选择一个团支部。"),
                                                    "invalid_choice": _("只能分配到本组织下属的团支部。")})

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["branch"].label_from_instance = lambda o: o.full_name


class BatchForm(forms.Form):
    members = forms.ModelMultipleChoiceField(
        label=_("选择团员"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("所选的人中有人已不在该团支部，请重新选择。"),
                        "invalid_pk_value": _("所选的人中有人已不在该团支部，请重新选择。")})
    to_branch = forms.ModelChoiceField(label=_("转入团支部"), queryset=None, empty_label=_("请选择团支部"),
                                       error_messages={"required": _("请选择转入的团支部。"),
                                                       "invalid_choice": _("只能在本组织下属的团支部之间批量接转。")})
    reason = reason_field()
    note = note_field()

    def __init__(self, *args, members, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members
        self.fields["members"].label_from_instance = lambda p: f"{p.name}（{p.masked_id_number}）"
        self.fields["to_branch"].queryset = targets
        self.fields["to_branch"].label_from_instance = lambda o: o.full_name

    def clean_members(self):
        chosen = self.cleaned_data["members"]
        limit = settings.TRANSFER_BATCH_LIMIT
        if not chosen:
            raise forms.ValidationError(_("请至少选择一名团员。"), code="required")
        if len(chosen) > limit:  # R-TR-9, said before the pre-check rather than after it
            raise forms.ValidationError(_("批量接转一次最多%(n)d人，您选了%(k)d人。") % {"n": limit, "k": len(chosen)},
                                        code="batch_too_large")
        return chosen


class HistoryFilter(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部状态"))] + list(TransferRequest.Status.choices))
    # A filter, not an entry form: the system's own reason (a merge's 组织调整) can be looked for here.
    reason = forms.ChoiceField(label=_("原因"), required=False,
                               choices=[("", _("全部原因")), *Reason.choices, *SystemReason.choices])
    q = TextField(label=_("姓名"), required=False, max_length=50)


class MergeForm(forms.Form):
    """Merging a branch (合并团支部, issue 15): which sibling branch takes its members."""
    into = forms.ModelChoiceField(label=_("合并到"), queryset=None, empty_label=_("请选择同一上级下的团支部"),
                                  error_messages={"required": _("请选择要合并到的团支部。"),
                                                  "invalid_choice": _("只能合并到同一上级组织下的有效团支部，请重新选择。")})

    def __init__(self, *args, siblings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = siblings
        self.fields["into"].label_from_instance = lambda o: o.full_name
