"""The league life-cycle pages (issue 6 item 5), included at lifecycle/ by config/urls.py."""
from django.urls import path

from . import lifecycle_views as views

app_name = "lifecycle"
urlpatterns = [
    path("", views.aged, name="aged"),
    path("aged/leave/", views.aged_leave, name="aged_leave"),
    path("turning/", views.turning, name="turning"),
    path("left/", views.left, name="left"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/approve/", views.approve, name="approve"),
    path("approvals/<int:pk>/reject/", views.reject, name="reject"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/restore/", views.restore, name="restore"),
]
