from django.urls import path

from .views import lists, steps

app_name = "recruitment"

urlpatterns = [
    path("", lists.application_list, name="list"),
    path("new/", lists.application_new, name="new"),
    path("<int:pk>/", steps.application_detail, name="detail"),
    path("<int:pk>/<slug:action>/", steps.application_step, name="step"),
]
