from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:name>.csv", views.export_csv, name="export"),
    path("creator/", views.creator, name="creator"),
    path("creator/export/<slug:name>.csv", views.creator_export_csv, name="creator-export"),
]
