"""Everything under /api/v1/: one include per app."""

from django.urls import include, path

from .api import HealthApi, MeExportApi, NotificationListApi, NotificationReadApi

app_name = "api"

urlpatterns = [
    path("health", HealthApi.as_view(), name="health"),
    path("me/export", MeExportApi.as_view(), name="me-export"),
    path("me/notifications", NotificationListApi.as_view(), name="me-notifications"),
    path("me/notifications/read", NotificationReadApi.as_view(), name="me-notifications-read"),
    path("", include("accounts.api.urls")),
    path("", include("courses.api.urls")),
    path("", include("commerce.api.urls")),
    path("", include("analytics.api.urls")),
    path("recommendations/", include("recommendations.api.urls")),
    path("studio/", include("studio.api.urls")),
]
