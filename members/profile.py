"""The personal record (R-ENT-8): every field's list of values, and which fields are required — in one place.

Sources: the league's 智慧团建 entry forms as described in the source article (必填项 marked in red) and
the national standards behind the lists: GB/T 3304 (the 56 ethnic groups), GB/T 4658 (education levels),
GB/T 2260 (regions). docs/decisions.md explains the choice.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# GB/T 3304-1991, in the standard's order.
ETHNIC_GROUPS = [
    gettext_noop("汉族"), gettext_noop("蒙古族"), gettext_noop("回族"), gettext_noop("藏族"), gettext_noop("维吾尔族"),
    gettext_noop("苗族"), gettext_noop("彝族"), gettext_noop("壮族"), gettext_noop("布依族"), gettext_noop("朝鲜族"),
    gettext_noop("满族"), gettext_noop("侗族"), gettext_noop("瑶族"), gettext_noop("白族"), gettext_noop("土家族"),
    gettext_noop("哈尼族"), gettext_noop("哈萨克族"), gettext_noop("傣族"), gettext_noop("黎族"),
    gettext_noop("傈僳族"), gettext_noop("佤族"), gettext_noop("畲族"), gettext_noop("高山族"), gettext_noop("拉祜族"),
    gettext_noop("水族"), gettext_noop("东乡族"), gettext_noop("纳西族"), gettext_noop("景颇族"),
    gettext_noop("柯尔克孜族"), gettext_noop("土族"), gettext_noop("达斡尔族"), gettext_noop("仫佬族"),
    gettext_noop("羌族"), gettext_noop("布朗族"), gettext_noop("撒拉族"), gettext_noop("毛南族"),
    gettext_noop("仡佬族"), gettext_noop("锡伯族"), gettext_noop("阿昌族"), gettext_noop("普米族"),
    gettext_noop("塔吉克族"), gettext_noop("怒族"), gettext_noop("乌孜别克族"), gettext_noop("俄罗斯族"),
    gettext_noop("鄂温克族"), gettext_noop("德昂族"), gettext_noop("保安族"), gettext_noop("裕固族"),
    gettext_noop("京族"), gettext_noop("塔塔尔族"), gettext_noop("独龙族"), gettext_noop("鄂伦春族"),
    gettext_noop("赫哲族"), gettext_noop("门巴族"), gettext_noop("珞巴族"), gettext_noop("基诺族"),
]
ETHNIC_CHOICES = [(e, _(e)) for e in ETHNIC_GROUPS]


class PoliticalStatus(models.TextChoices):
    LEAGUE = "league", _("共青团员")
    PARTY = "party", _("中共党员")
    PROBATIONARY = "probationary", _("中共预备党员")


# GB/T 4658 levels, as the league's forms list them.
EDUCATION_LEVELS = [
    gettext_noop("研究生（博士）"), gettext_noop("研究生（硕士）"), gettext_noop("大学本科"), gettext_noop("大学专科"),
    gettext_noop("中等职业教育"), gettext_noop("普通高中"), gettext_noop("初中"), gettext_noop("小学及以下"),
]
EDUCATION_CHOICES = [(e, _(e)) for e in EDUCATION_LEVELS]

OCCUPATIONS = [
    gettext_noop("学生"), gettext_noop("企业职工"), gettext_noop("机关事业单位工作人员"), gettext_noop("农民"),
    gettext_noop("进城务工青年"), gettext_noop("自由职业者"), gettext_noop("社会组织从业人员"), gettext_noop("军人"),
    gettext_noop("无业"), gettext_noop("其他"),
]
OCCUPATION_CHOICES = [(o, _(o)) for o in OCCUPATIONS]


# R-ENT-8: the required fields (必填项). `development_number` only where R-ENT-4 requires it.
REQUIRED_FIELDS = [
    ("name", _("姓名")),
    ("gender", _("性别")),
    ("birth_date", _("出生日期")),
    ("ethnicity", _("民族")),
    ("political_status", _("政治面貌")),
    ("joined_on", _("入团时间")),
    ("development_number", _("发展团员编号")),
    ("phone", _("手机号码")),
    ("full_time_education", _("全日制学历")),
    ("highest_education", _("最高学历")),
    ("work_unit", _("学习工作单位")),
    ("province", _("所在地区（省）")),
    ("city", _("所在地区（市）")),
]
# R-ENT-8, issue 15: what must be filled to enter a person at all, per entry path. The entry forms and the import
# check refuse a blank one with the same message (members.rules.check_entry_required), the forms and the templates
# mark these, and only these, 必填 (the template marked 手机号码 必填 while its check let a blank through). The
# other REQUIRED_FIELDS may be filled later: a person without them is entered, and shown "信息不完整".
ENTRY_REQUIRED = {
    "member": ("branch", "name", "id_number", "joined_on", "phone"),  # 录入团员; 导入下级团支部团员团干部
    "cadre": ("name", "id_number", "title", "phone"),                 # 录入团干部; 导入本级团干部
}
# A person on record is not entered again: their record stays as it is (R-ENT-9, R-ENT-6), so these profile fields
# are not asked of them (a post for them, or the id_registered message, comes without).
NOT_ASKED_ON_RECORD = {"phone"}
ENTRY_LABELS = {"branch": _("所在团支部全称"), "name": _("姓名"), "id_number": _("身份证号"), "joined_on": _("入团时间"),
                "phone": _("手机号码"), "title": _("职务")}
# Filled later, for completeness (R-ENT-8): marked as such, never refused at entry.
COMPLETENESS_ONLY = [name for name, _label in REQUIRED_FIELDS
                     if name not in ENTRY_REQUIRED["member"] + ENTRY_REQUIRED["cadre"]
                     and name not in ("gender", "birth_date", "development_number")]
OPTIONAL_FIELDS = [
    ("occupation", _("职业")), ("email", _("电子邮箱")), ("party_joined_on", _("入党时间")),
    ("league_card_number", _("团员证编号")),
]
# What a person edits on their own record (R-AUTH-5); admins edit the rest (R-AUTH-2).
SELF_EDITABLE = {"phone", "email", "work_unit", "occupation", "full_time_education", "highest_education",
                 "province", "city"}
# Corrections only an admin makes, with a written reason, audited (issue 3).
IDENTITY_FIELDS = {"id_number", "name", "joined_on"}
