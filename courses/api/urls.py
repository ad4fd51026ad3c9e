from django.urls import path

from . import engagement as e
from .views import CourseDetailApi, VideoListApi

urlpatterns = [
    path("videos", VideoListApi.as_view(), name="video-list"),
    path("courses/<str:slug>", CourseDetailApi.as_view(), name="course-detail"),
    path("courses/<str:slug>/review", e.CourseReviewApi.as_view(), name="course-review"),
    path("courses/<str:slug>/survey", e.CourseSurveyApi.as_view(), name="course-survey"),
    path("videos/<id:video_id>/like", e.VideoLikeApi.as_view(), name="video-like"),
    path("videos/<id:video_id>/favorite", e.VideoFavoriteApi.as_view(), name="video-favorite"),
    path("videos/<id:video_id>/share", e.VideoShareApi.as_view(), name="video-share"),
    path("videos/<id:video_id>/comments", e.VideoCommentsApi.as_view(), name="video-comments"),
    path("videos/<id:video_id>/report", e.VideoReportApi.as_view(), name="video-report"),
    path(
        "videos/<id:video_id>/not-interested",
        e.VideoNotInterestedApi.as_view(),
        name="video-not-interested",
    ),
    path("videos/<id:video_id>/watch-state", e.WatchStateApi.as_view(), name="video-watch-state"),
    path("comments/<id:comment_id>", e.CommentDetailApi.as_view(), name="comment-detail"),
    path("comments/<id:comment_id>/report", e.CommentReportApi.as_view(), name="comment-report"),
    path("lessons/<id:lesson_id>/progress", e.LessonProgressApi.as_view(), name="lesson-progress"),
]

# Search (GET /api/v1/search) lives in its own module.
from .search import SearchApi  # noqa: E402

urlpatterns += [path("search", SearchApi.as_view(), name="search")]
