from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("switch/", views.switch, name="switch"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/children/", views.tree_children, name="children"),
    path("<int:pk>/new/", views.create, name="create"),
]
