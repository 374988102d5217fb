"""The names of audit actions written outside one app's own services, and what the audit page calls every
family of actions. An action is `family.verb` (`transfer.out.approved` has the family `transfer`)."""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Sign-in (audit/signin.py, from Django's and django-axes' signals).
LOGIN = "auth.login"
LOGOUT = "auth.logout"
LOGIN_FAILED = "auth.login_failed"
LOCKED_OUT = "auth.locked_out"

# The second factor (R-ACC-5), written by access/services.py.
OTP_ENROL = "account.otp_enrol"          # an authenticator app (and new backup codes) added
OTP_FAIL = "account.otp_fail"            # a wrong code, at sign-in or at enrolment
OTP_RESET = "account.otp_reset"          # an admin cleared someone's factors (a lost phone)
OTP_VERIFY = "account.otp_verify"        # a session showed its second factor
OTP_THROTTLED = "account.otp_throttled"  # too many wrong codes: refused unchecked

# Exports: `export.<what>`, with the row count and the filters in the detail (`record_export`).
EXPORT = "export"

# An action's name on the audit page, in a context of its own: an English "Exported …" never takes a button's words.
LABELS = {
    LOGIN: pgettext_lazy("audit action", "登录"),
    LOGOUT: pgettext_lazy("audit action", "退出登录"),
    LOGIN_FAILED: pgettext_lazy("audit action", "登录失败"),
    LOCKED_OUT: pgettext_lazy("audit action", "登录被锁定"),
    OTP_ENROL: pgettext_lazy("audit action", "绑定两步验证"),
    OTP_FAIL: pgettext_lazy("audit action", "两步验证码错误"),
    OTP_RESET: pgettext_lazy("audit action", "重置他人的两步验证"),
    OTP_VERIFY: pgettext_lazy("audit action", "完成两步验证"),
    OTP_THROTTLED: pgettext_lazy("audit action", "两步验证错误过多"),
    "export.members": pgettext_lazy("audit action", "导出团员名单"),
    "export.cadres": pgettext_lazy("audit action", "导出团干部名单"),
    "export.roster": pgettext_lazy("audit action", "导出青年大学习名单"),
    "export.graduates": pgettext_lazy("audit action", "导出毕业生名单"),
    "export.transfers": pgettext_lazy("audit action", "导出转接记录"),
    "export.audit": pgettext_lazy("audit action", "导出审计记录"),
    "person.view_id_number": pgettext_lazy("audit action", "查看完整身份证号"),
    "account.reset_code": pgettext_lazy("audit action", "生成密码重置码"),
    "account.reset_password": pgettext_lazy("audit action", "用重置码重设密码"),
    "account.reset_code_miss": pgettext_lazy("audit action", "重置码错误"),
    # issue 15: the organization upkeep pages
    "org.rename": pgettext_lazy("audit action", "组织改名"),
    "org.move": pgettext_lazy("audit action", "调整隶属关系"),
    "org.dissolve": pgettext_lazy("audit action", "撤销组织"),
    "org.term": pgettext_lazy("audit action", "设置届满日期"),
    "org.merge": pgettext_lazy("audit action", "合并团支部"),
    "org.rebuild": pgettext_lazy("audit action", "改建组织"),
    # issue 18: identity cases (R-VER-5, members/services/cases.py)
    "identity_case.file": pgettext_lazy("audit action", "提交认证问题"),
    "identity_case.untangle": pgettext_lazy("audit action", "理清混淆的身份记录"),
    "identity_case.verify": pgettext_lazy("audit action", "人工认证"),
    "identity_case.reject": pgettext_lazy("audit action", "驳回认证问题"),
    "identity_case.view_photo": pgettext_lazy("audit action", "查看身份证照片"),
    "identity_case.photos_purged": pgettext_lazy("audit action", "删除结案认证问题的照片"),
    "identity_case.inbox": pgettext_lazy("audit action", "打开认证问题列表"),
    # R-ENT-11: the age-exception request (members/services/age_exceptions.py)
    "age_exception.file": pgettext_lazy("audit action", "提出年龄例外录入申请"),
    "age_exception.refile": pgettext_lazy("audit action", "重新提交年龄例外录入申请"),
    "age_exception.withdraw": pgettext_lazy("audit action", "撤回年龄例外录入申请"),
    "age_exception.forward": pgettext_lazy("audit action", "报送年龄例外录入申请"),
    "age_exception.enter": pgettext_lazy("audit action", "统一录入（年龄例外）"),
    "age_exception.return": pgettext_lazy("audit action", "退回年龄例外录入申请"),
    "export.age_exceptions": pgettext_lazy("audit action", "下载年龄例外录入汇总表"),
}

# The action filter of the audit page: each choice is a prefix of the actions it stands for.
FAMILIES = [
    ("auth.", _("登录与退出")),
    ("account.otp_", _("两步验证：绑定、验证与重置")),
    ("export.", _("导出")),
    ("person.view_id_number", _("查看完整身份证号")),
    ("account.", _("账号、密码与重置码")),
    ("member.", _("录入团员")),
    ("cadre.", _("团干部与职务")),
    ("person.", _("修改人员信息")),
    ("import", _("Excel 导入")),
    ("transfer.", _("组织关系接转")),
    ("league.", _("团籍变动")),
    ("org.", _("组织")),
    ("segment.", _("发展团员编号号段")),
    ("graduation.", _("毕业季")),
    ("identity_case.", _("认证问题")),
    ("recruitment.", _("发展团员")),  # issue 16
    ("age_exception.", _("年龄例外录入申请")),
]


def label(action: str) -> str:
    return str(LABELS.get(action, ""))
