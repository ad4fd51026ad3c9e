from django.urls import path

from .api import MeExportApi, NotificationListApi, NotificationReadApi

urlpatterns = [
    path("me/export", MeExportApi.as_view(), name="me-export"),
    path("me/notifications", NotificationListApi.as_view(), name="me-notifications"),
    path("me/notifications/read", NotificationReadApi.as_view(), name="me-notifications-read"),
]
