from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("reset-codes/", views.reset_codes, name="reset_codes"),
    path("reset-codes/<int:pk>/", views.reset_code_issue, name="reset_code_issue"),
]
