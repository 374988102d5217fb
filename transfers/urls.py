from django.urls import path

from . import views

app_name = "transfers"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("apply/", views.apply, name="apply"),
    path("targets/", views.org_search, name="org_search"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/withdraw/", views.withdraw_view, name="withdraw"),
    path("in/", views.transfer_in_view, name="transfer_in"),
    path("out/", views.transfer_out_view, name="transfer_out"),
    path("out/members/", views.member_search, name="member_search"),  # issue 15: the picker's type-ahead
    path("inbox/", views.inbox, name="inbox"),
    path("steps/<int:step_id>/approve/", views.approve_view, name="approve"),
    path("steps/<int:step_id>/reject/", views.reject_view, name="reject"),
    path("steps/<int:step_id>/assign/", views.assign_view, name="assign"),
    path("escalations/", views.escalations_view, name="escalations"),
    path("history/", views.history_view, name="history"),
    path("history/export.xlsx", views.history_export, name="history_export"),
    path("batch/", views.batch, name="batch"),
    path("merge/<int:pk>/", views.merge, name="merge"),  # issue 15: 合并团支部, linked from the organization page
    path("messages/", views.message_center, name="messages"),
]
