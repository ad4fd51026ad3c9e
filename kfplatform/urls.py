from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common.media_views import media_public

urlpatterns = [
    path("", include("ops.urls")),
    path("", include("me.urls")),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("kfplatform.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("media/<path:path>", media_public, name="media"),
    path("studio/", include("studio.urls")),
    path("shop/", include("commerce.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("", include("courses.urls")),
]

handler400 = "common.error_pages.handler400"
handler403 = "common.error_pages.handler403"
handler404 = "common.error_pages.handler404"
handler500 = "common.error_pages.handler500"
