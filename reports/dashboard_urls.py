"""The dashboard, its drill-down lists and the transfer statistics (issue 6 items 1 and 4)."""
from django.urls import path

from . import dashboard_views as views

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("orgs/", views.flagged_orgs_view, name="dashboard_orgs"),
    path("steps/", views.steps_view, name="dashboard_steps"),
    path("transfers/", views.transfer_stats_view, name="transfer_stats"),
]
