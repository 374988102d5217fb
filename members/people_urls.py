"""The people pages (issue 3 item 7), included at people/ by config/urls.py."""
from django.urls import path

from . import people_edit_views as edit_views
from . import people_views as views
from . import post_views

app_name = "people"
urlpatterns = [
    path("", views.members, name="members"),
    path("cadres/", views.cadres, name="cadres"),
    path("me/", views.me, name="me"),
    path("me/edit/", edit_views.edit_me, name="edit_me"),
    path("new/member/", edit_views.enter_member_view, name="enter_member"),
    path("new/cadre/", edit_views.enter_cadre_view, name="enter_cadre"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", edit_views.edit, name="edit"),
    path("<int:pk>/correct/", edit_views.correct, name="correct"),
    path("posts/<int:pk>/end/", edit_views.end_post_view, name="end_post"),
    path("posts/<int:pk>/answer/", post_views.answer_post, name="answer_post"),  # R-ENT-9
    # The overview of the acting organization, or of one organization of its subtree (drill-down).
    path("completion/", views.completion, name="completion"),
    path("completion/<int:pk>/", views.completion, name="completion"),
    path("completion/org/<int:pk>/", views.completion_org, name="completion_org"),
    path("segments/", views.segments, name="segments"),
]
