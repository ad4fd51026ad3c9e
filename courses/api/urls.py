from django.urls import path

from .views import CourseDetailApi, VideoListApi

urlpatterns = [
    path("videos", VideoListApi.as_view(), name="video-list"),
    path("courses/<str:slug>", CourseDetailApi.as_view(), name="course-detail"),
]

# Search (GET /api/v1/search) lives in its own module.
from .search import SearchApi  # noqa: E402

urlpatterns += [path("search", SearchApi.as_view(), name="search")]
