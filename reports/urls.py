"""Reports of a superior organization's subtree (issue 6). Each report keeps its own URL module."""
from django.urls import include, path

app_name = "reports"
urlpatterns = [
    path("", include("reports.dashboard_urls")),
    path("season/", include("reports.season_urls")),
    path("audit/", include("reports.audit_urls")),
]
