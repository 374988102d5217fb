"""Identity cases (R-VER-5): the filing form and the operators' decision forms. Shape only; the services judge."""
from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.forms import TextField

from ..case_photos import MAX_PHOTO_BYTES
from ..models import IdentityCase
from .people import PeopleForm, _id_number, _name


class CaseForm(PeopleForm):
    kind = forms.ChoiceField(label=_("问题类型"), choices=IdentityCase.Kind.choices, widget=forms.RadioSelect)
    id_number = _id_number(label=_("此人应为的身份证号"),
                           help_text=_("“两条记录身份信息混淆”时填写：系统提示已被他人登记的那个号码。"))
    name = _name()
    note = TextField(label=_("情况说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
                     help_text=_("写明发现的经过和依据，省级团委据此处理。"))
    photo = forms.FileField(label=_("身份证照片"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("此人应为的姓名（选填）")
        for name in ("id_number", "name"):
            self.fields[name].required = self.fields[name].required_mark = False
        self.fields["note"].required_mark = self.fields["photo"].required_mark = True
        self.fields["kind"].required_mark = True
        self.fields["photo"].help_text = gettext("JPG 或 PNG，不超过 %(mb)d MB。照片只给处理此事的管理员和本人看，结案30天后删除。") % {
            "mb": MAX_PHOTO_BYTES // (1024 * 1024)}  # in the page's language: formatted when the form is made


class DecisionForm(PeopleForm):
    reason = TextField(label=_("处理理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                       help_text=_("会告知提交人和本人，并记入审计记录。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required_mark = True


class UntangleForm(DecisionForm):
    decision = forms.ChoiceField(label=_("处理方式"), widget=forms.RadioSelect, choices=[
        ("swap", _("两条记录互换身份证号")),
        ("assign", _("另一条记录改用其持有人本人的身份证号")),
    ])
    other_id_number = _id_number(label=_("另一条记录持有人本人的身份证号"),
                                 help_text=_("选择“改用其持有人本人的身份证号”时填写。"))
    name = _name()
    other_name = _name()
    by_hand = forms.BooleanField(label=_("已核对身份证照片，两条记录直接标记为已认证"), required=False)

    field_order = ["decision", "other_id_number", "name", "other_name", "by_hand", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("当事人记录的姓名（不改请留空）")
        self.fields["other_name"].label = _("另一条记录的姓名（不改请留空）")
        self.fields["decision"].required_mark = True
        for name in ("other_id_number", "name", "other_name"):
            self.fields[name].required_mark = False
