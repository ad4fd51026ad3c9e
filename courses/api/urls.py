from django.urls import path

from .views import CourseDetailApi, VideoListApi

urlpatterns = [
    path("videos", VideoListApi.as_view(), name="video-list"),
    path("courses/<str:slug>", CourseDetailApi.as_view(), name="course-detail"),
]
