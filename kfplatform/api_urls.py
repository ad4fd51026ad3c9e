"""Everything under /api/v1/: one include per app."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("ops.api_urls")),
    path("", include("me.api_urls")),
    path("", include("accounts.api.urls")),
    path("", include("courses.api.urls")),
    path("", include("commerce.api.urls")),
    path("", include("analytics.api.urls")),
    path("recommendations/", include("recommendations.api.urls")),
    path("studio/", include("studio.api.urls")),
]
