"""Every page of this app, one list per area; config/urls.py mounts each under its prefix and namespace.
The organization pages live here because they list people (docs/architecture.md: orgs holds the tree only)."""
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from .views import (
    accounts,
    age_exceptions,
    cases,
    completion,
    editing,
    exports,
    factors,
    imports,
    lifecycle,
    orgs,
    passkeys,
    people,
    posts,
    preferences,
    prompts,
    reshape,
    upkeep,
)

# /people/, namespace "people" (issue 3 item 7)
people_patterns = ([
    path("", people.members, name="members"),
    path("cadres/", people.cadres, name="cadres"),
    path("me/", people.me, name="me"),
    path("me/edit/", editing.edit_me, name="edit_me"),
    path("me/number-prompt/close/", prompts.dismiss_dev_prompt, name="dev_prompt_dismiss"),  # R-ENT-5, issue 18
    path("me/reminders/", preferences.reminders, name="reminders"),  # issue 14: only the person's own
    path("new/member/", editing.enter_member_view, name="enter_member"),
    path("new/cadre/", editing.enter_cadre_view, name="enter_cadre"),
    path("<int:pk>/", people.detail, name="detail"),
    path("<int:pk>/edit/", editing.edit, name="edit"),
    path("<int:pk>/correct/", editing.correct, name="correct"),
    path("<int:pk>/identity-case/", cases.file_case_view, name="file_case"),  # R-VER-5
    path("posts/<int:pk>/end/", editing.end_post_view, name="end_post"),
    path("posts/<int:pk>/answer/", posts.answer_post, name="answer_post"),  # R-ENT-9
    # The overview of the acting organization, or of one organization of its subtree (drill-down).
    path("completion/", completion.completion, name="completion"),
    path("completion/<int:pk>/", completion.completion, name="completion"),
    path("completion/org/<int:pk>/", completion.completion_org, name="completion_org"),
    path("segments/", completion.segments, name="segments"),
    path("segments/<int:pk>/change/", completion.segment_change, name="segment_change"),  # issue 18
], "people")

# /identity-cases/, namespace "cases": R-VER-5, the province's inbox and each case
case_patterns = ([
    path("", cases.inbox_view, name="inbox"),
    path("<int:pk>/", cases.case_detail, name="detail"),
    path("<int:pk>/photo/", cases.case_photo, name="photo"),
    path("<int:pk>/untangle/", cases.untangle_view, name="untangle"),
    path("<int:pk>/verify/", cases.verify_view, name="verify"),
    path("<int:pk>/reject/", cases.reject_view, name="reject"),
], "cases")

# /people/, namespace "members": reset codes (R-ACC-2)
account_patterns = ([
    path("reset-codes/", accounts.reset_codes, name="reset_codes"),
    path("reset-codes/<int:pk>/", accounts.reset_code_issue, name="reset_code_issue"),
], "members")

# /two-factor/, namespace "two_factor": an admin's second factor (R-ACC-5)
factor_patterns = ([
    path("", factors.verify, name="verify"),
    path("enrol/", factors.enrol, name="enrol"),
    path("reset/<int:pk>/", factors.reset, name="reset"),  # a custodian's (R-AUTH-7)
    path("passkey-added/", factors.passkey_added, name="passkey_added"),
], "two_factor")

# /two-factor/passkeys/, namespace "otp_webauthn": django-otp-webauthn's ceremonies (its template tags name these
# URLs), through members/views/passkeys.py
passkey_patterns = ([
    path("registration/begin/", passkeys.BeginRegistration.as_view(), name="credential-registration-begin"),
    path("registration/complete/", passkeys.CompleteRegistration.as_view(), name="credential-registration-complete"),
    path("authentication/begin/", passkeys.BeginAuthentication.as_view(), name="credential-authentication-begin"),
    path("authentication/complete/", passkeys.CompleteAuthentication.as_view(),
         name="credential-authentication-complete"),
    # Its scripts' words: the library's catalogue, plus ours (LOCALE_PATHS: locale/zh_Hans/…/djangojs.po).
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]), name="js-i18n-catalog"),
], "otp_webauthn")

# /imports/, namespace "imports": Excel import and export (issue 5)
import_patterns = ([
    path("", imports.start, name="start"),
    path("templates/<str:kind>.xlsx", imports.template, name="template"),
    path("jobs/<int:pk>/", imports.job_page, name="job"),
    path("jobs/<int:pk>/confirm/", imports.confirm, name="confirm"),
    path("jobs/<int:pk>/retry/", imports.retry, name="retry"),
    path("jobs/<int:pk>/marked.xlsx", imports.marked, name="marked"),
    path("jobs/<int:pk>/transfer-in/", imports.transfer_in_row, name="transfer_in"),  # R-ENT-6, issue 15
    path("jobs/<int:pk>/age-exception/", imports.age_exception_row, name="age_exception"),  # R-ENT-11
    path("export/", exports.export_page, name="export"),
    path("export/members.xlsx", exports.export_members, name="export_members"),
    path("export/cadres.xlsx", exports.export_cadres, name="export_cadres"),
    path("export/jobs/<int:pk>/", exports.export_job, name="export_job"),  # issue 14: large exports, owner only
    path("export/jobs/<int:pk>/file.xlsx", exports.export_download, name="export_download"),
], "imports")

# /age-exceptions/, namespace "age_exceptions": the age-exception request (R-ENT-11 → R-ENT-3)
age_exception_patterns = ([
    path("", age_exceptions.request_list, name="list"),
    path("new/", age_exceptions.file_request, name="file"),
    path("<int:pk>/", age_exceptions.detail, name="detail"),
    path("<int:pk>/edit/", age_exceptions.edit, name="edit"),
    path("<int:pk>/withdraw/", age_exceptions.withdraw, name="withdraw"),
    path("<int:pk>/return/", age_exceptions.return_request, name="return"),
    path("<int:pk>/enter/", age_exceptions.enter, name="enter"),
    path("province/", age_exceptions.province, name="province"),
    path("province/forward/", age_exceptions.forward, name="forward"),
    path("batches/<int:pk>/list.xlsx", age_exceptions.batch_export, name="export"),
    path("inbox/", age_exceptions.inbox, name="inbox"),
], "age_exceptions")

# /lifecycle/, namespace "lifecycle": the league life cycle (issue 6 item 5)
lifecycle_patterns = ([
    path("", lifecycle.aged, name="aged"),
    path("aged/leave/", lifecycle.aged_leave, name="aged_leave"),
    path("turning/", lifecycle.turning, name="turning"),
    path("left/", lifecycle.left, name="left"),
    path("approvals/", lifecycle.approvals, name="approvals"),
    path("approvals/<int:pk>/approve/", lifecycle.approve, name="approve"),
    path("approvals/<int:pk>/reject/", lifecycle.reject, name="reject"),
    path("people/<int:pk>/", lifecycle.person, name="person"),
    path("people/<int:pk>/restore/", lifecycle.restore, name="restore"),
], "lifecycle")

# /orgs/, namespace "orgs": the organization tree's pages
org_patterns = ([
    path("", orgs.tree, name="tree"),
    path("switch/", orgs.switch, name="switch"),
    path("<int:pk>/", orgs.detail, name="detail"),
    path("<int:pk>/children/", orgs.tree_children, name="children"),
    path("<int:pk>/new/", orgs.create, name="create"),
    # issue 15: 改建 (merging branches is transfers:merge, which writes transfers)
    path("<int:pk>/rebuild/", reshape.rebuild, name="rebuild"),
    # issue 15: the upkeep of an organization (members/views/upkeep.py)
    path("<int:pk>/rename/", upkeep.rename, name="rename"),
    path("<int:pk>/move/", upkeep.move, name="move"),
    path("<int:pk>/dissolve/", upkeep.dissolve, name="dissolve"),
    path("<int:pk>/term/", upkeep.term, name="term"),
    path("terms/", upkeep.terms, name="terms_due"),
], "orgs")
