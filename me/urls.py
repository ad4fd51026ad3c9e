from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("feed/", views.feed, name="feed"),
    path("me/", views.me, name="me"),
    path("me/notifications/", views.me_notifications, name="me-notifications"),
    path(
        "me/notifications/<id:notification_id>/",
        views.me_notification_open,
        name="me-notification-open",
    ),
    path("me/export/", views.me_export, name="me-export"),
    path("me/delete/", views.me_delete, name="me-delete"),
]
