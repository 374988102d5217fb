from django.contrib.auth import views as auth_views
from django.urls import include, path

from members import views as member_views

urlpatterns = [
    path("", member_views.home, name="home"),
    path("login/", member_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", member_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/forgot/", member_views.forgot_password, name="forgot_password"),
    path("orgs/", include("orgs.urls")),
    path("people/", include("members.urls")),
    path("transfers/", include("transfers.urls")),
    path("imports/", include("members.import_urls")),
    path("people/", include("members.people_urls")),
    path("lifecycle/", include("members.lifecycle_urls")),
    path("reports/", include("reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
