"""Excel import and export pages (issue 5), mounted at /imports/."""
from django.urls import path

from . import export_views, import_views

app_name = "imports"
urlpatterns = [
    path("", import_views.start, name="start"),
    path("templates/<str:kind>.xlsx", import_views.template, name="template"),
    path("jobs/<int:pk>/", import_views.job_page, name="job"),
    path("jobs/<int:pk>/confirm/", import_views.confirm, name="confirm"),
    path("jobs/<int:pk>/marked.xlsx", import_views.marked, name="marked"),
    path("export/", export_views.export_page, name="export"),
    path("export/members.xlsx", export_views.export_members, name="export_members"),
    path("export/cadres.xlsx", export_views.export_cadres, name="export_cadres"),
]
