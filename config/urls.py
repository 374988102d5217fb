from django.contrib.auth import views as auth_views
from django.urls import include, path

from members import urls as member_urls
from members.views import accounts, preferences

from . import views

urlpatterns = [
    path("", accounts.home, name="home"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("password/forgot/", accounts.forgot_password, name="forgot_password"),
    path("two-factor/", include(member_urls.factor_patterns)),
    path("two-factor/passkeys/", include(member_urls.passkey_patterns)),
    path("orgs/", include(member_urls.org_patterns)),
    path("people/", include(member_urls.account_patterns)),
    path("transfers/", include("transfers.urls")),
    path("imports/", include(member_urls.import_patterns)),
    path("people/", include(member_urls.people_patterns)),
    path("lifecycle/", include(member_urls.lifecycle_patterns)),
    path("identity-cases/", include(member_urls.case_patterns)),
    path("age-exceptions/", include(member_urls.age_exception_patterns)),  # R-ENT-11
    path("reports/", include("reports.urls")),
    path("recruitment/", include("recruitment.urls")),  # issue 16
    # Issue 14: the switch also sets a signed-in person's mail language (before Django's own, which it wraps).
    path("i18n/setlang/", preferences.language_switch, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("session/", views.session_keepalive, name="session_keepalive"),  # R-ACC-5: static/js/session.js
    path("csp-report/", views.csp_report, name="csp_report"),  # issue 12: Content-Security-Policy reports
]
