"""The audit page (R-TR-16), under /reports/audit/."""
from django.urls import path

from . import audit_views

urlpatterns = [
    path("", audit_views.audit_view, name="audit"),
    path("export/", audit_views.audit_export, name="audit_export"),
]
