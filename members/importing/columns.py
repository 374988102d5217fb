"""The two templates' columns (CONTRACT.md "Excel import"). Columns are found by header text, so order
may change; `required` columns are marked by colour and a comment, never by changing the text. Which columns
are required is not written here: members.profile.ENTRY_REQUIRED says it once for the forms, the templates and the
check (R-ENT-8)."""
from dataclasses import dataclass, replace

from django.utils.translation import gettext_noop

from access.choices import CADRE_TITLES, CadreKind

from ..profile import COMPLETENESS_ONLY, EDUCATION_LEVELS, ENTRY_REQUIRED, ETHNIC_GROUPS, OCCUPATIONS, PoliticalStatus

OWN_CADRES = "own_cadres"
BRANCH_MEMBERS = "branch_members"
KINDS = {OWN_CADRES: gettext_noop("导入本级团干部"), BRANCH_MEMBERS: gettext_noop("导入下级团支部团员团干部")}
MARKER_SHEET = "tuanji"
MARKER_PREFIX = "tuanji-template:"
MISMATCH_MESSAGE = gettext_noop("您上传的excel表格错误,“导入本级团干部”和“导入下级团支部团员团干部”中所下载的模板不可混用,"
                    "请重新上传正确的表格")


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str = "text"          # text | id | date | choice | digits
    required: bool = False      # from ENTRY_REQUIRED: a blank cell is an error of its row
    complete: bool = False      # from COMPLETENESS_ONLY: may stay blank, the person is then "信息不完整"
    choices: tuple = ()
    width: int = 16
    note: str = ""


POLITICAL = tuple(str(x) for x in PoliticalStatus.labels)
KIND_LABELS = tuple(str(x) for x in CadreKind.labels)

COMMON_HEAD = [
    Column("姓名", "name", width=10),
    Column("身份证号", "id_number", kind="id", width=22, note="18位，末位X大小写均可；请保持文本格式"),
    Column("入团时间", "joined_on", kind="date", width=12, note="日期，如 2016-05-04"),
    Column("发展团员编号", "development_number", kind="digits", width=16,
           note="2017年及以后入团（新疆2016年及以后）必填，12位数字，前4位为入团年份"),
    Column("手机号码", "phone", kind="digits", width=14),
]
PROFILE_TAIL = [
    Column("民族", "ethnicity", kind="choice", choices=tuple(ETHNIC_GROUPS), width=10),
    Column("政治面貌", "political_status", kind="choice", choices=POLITICAL, width=14),
    Column("全日制学历", "full_time_education", kind="choice", choices=tuple(EDUCATION_LEVELS)),
    Column("最高学历", "highest_education", kind="choice", choices=tuple(EDUCATION_LEVELS)),
    Column("学习工作单位", "work_unit", width=24),
    Column("所在地区（省）", "province", width=14, note="如 北京市、新疆维吾尔自治区"),
    Column("所在地区（市）", "city", width=14),
    Column("职业", "occupation", kind="choice", choices=tuple(OCCUPATIONS), width=14),
    Column("电子邮箱", "email", width=22),
]
# Which path each template enters people by (profile.ENTRY_REQUIRED's keys).
ENTRY_KIND = {OWN_CADRES: "cadre", BRANCH_MEMBERS: "member"}


def _marked(kind: str, columns: list[Column]) -> list[Column]:
    required = ENTRY_REQUIRED[ENTRY_KIND[kind]]
    return [replace(c, required=c.field in required, complete=c.field in COMPLETENESS_ONLY) for c in columns]


COLUMNS = {
    OWN_CADRES: _marked(OWN_CADRES, COMMON_HEAD + [
        Column("职务", "title", kind="choice", choices=tuple(CADRE_TITLES), width=10),
        Column("团干部性质", "cadre_kind", kind="choice", choices=KIND_LABELS, width=10),
    ] + PROFILE_TAIL),
    BRANCH_MEMBERS: _marked(BRANCH_MEMBERS, COMMON_HEAD + [
        Column("所在团支部全称", "branch", width=34, note="本组织（若为团支部）或其直属团支部的全称"),
        Column("职务", "title", kind="choice", choices=tuple(CADRE_TITLES), width=10, note="普通团员留空"),
    ] + PROFILE_TAIL),
}
