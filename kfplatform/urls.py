from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import ops_views, views

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
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
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("kfplatform.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("media/<path:path>", views.media_public, name="media"),
    path("studio/", include("studio.urls")),
    path("shop/", include("commerce.urls")),
    path("dashboard/", include("kfplatform.dashboard.urls")),
    path("", include("courses.urls")),
]

handler400 = "common.error_pages.handler400"
handler403 = "common.error_pages.handler403"
handler404 = "common.error_pages.handler404"
handler500 = "common.error_pages.handler500"
