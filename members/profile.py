"""The personal record (R-ENT-8): every field's list of values, and which fields are required — in one place.

Sources: the league's 智慧团建 entry forms as described in the source article (必填项 marked in red) and
the national standards behind the lists: GB/T 3304 (the 56 ethnic groups), GB/T 4658 (education levels),
GB/T 2260 (regions). docs/decisions.md explains the choice.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

# GB/T 3304-1991, in the standard's order.
ETHNIC_GROUPS = [
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族", "瑶族",
    "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族",
    "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族",
    "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族",
    "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
]
ETHNIC_CHOICES = [(e, e) for e in ETHNIC_GROUPS]


class PoliticalStatus(models.TextChoices):
    LEAGUE = "league", _("共青团员")
    PARTY = "party", _("中共党员")
    PROBATIONARY = "probationary", _("中共预备党员")


# GB/T 4658 levels, as the league's forms list them.
EDUCATION_LEVELS = ["研究生（博士）", "研究生（硕士）", "大学本科", "大学专科", "中等职业教育", "普通高中", "初中", "小学及以下"]
EDUCATION_CHOICES = [(e, e) for e in EDUCATION_LEVELS]

OCCUPATIONS = ["学生", "企业职工", "机关事业单位工作人员", "农民", "进城务工青年", "自由职业者", "社会组织从业人员",
               "军人", "无业", "其他"]
OCCUPATION_CHOICES = [(o, o) for o in OCCUPATIONS]


class CadreKind(models.TextChoices):
    FULL_TIME = "full_time", _("专职")
    PART_TIME = "part_time", _("兼职")
    SECONDED = "seconded", _("挂职")


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
OPTIONAL_FIELDS = [
    ("occupation", _("职业")), ("email", _("电子邮箱")), ("party_joined_on", _("入党时间")),
    ("league_card_number", _("团员证编号")),
]
# What a person edits on their own record (R-AUTH-5); admins edit the rest (R-AUTH-2).
SELF_EDITABLE = {"phone", "email", "work_unit", "occupation", "full_time_education", "highest_education",
                 "province", "city"}
# Corrections only an admin makes, with a written reason, audited (issue 3).
IDENTITY_FIELDS = {"id_number", "name", "joined_on"}
