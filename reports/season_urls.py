"""Graduation season (R-TR-14) and the weekly study roster (R-TR-15), under /reports/season/."""
from django.urls import path

from . import roster_views, season_views

urlpatterns = [
    path("graduation/", season_views.graduation, name="graduation"),
    path("graduation/export/", season_views.graduation_export, name="graduation_export"),
    path("graduation/remind/", season_views.graduation_remind, name="graduation_remind"),
    path("graduation/branches/", season_views.graduation_branches, name="graduation_branches"),
    path("graduation/branches/<int:pk>/", season_views.graduation_branch, name="graduation_branch"),
    path("graduation/branches/<int:pk>/flag/", season_views.graduation_flag, name="graduation_flag"),
    path("roster/", roster_views.roster, name="roster"),
    path("roster/export/", roster_views.roster_export, name="roster_export"),
    path("roster/<int:pk>/", roster_views.roster_branch, name="roster_branch"),
]
