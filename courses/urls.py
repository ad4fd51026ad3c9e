from django.urls import path, re_path

from . import creator_views, views
from .search import views as search_views

app_name = "courses"

urlpatterns = [
    path("v/<id:video_id>/", views.video_detail, name="video-detail"),
    path("c/<str:slug>/", views.course_detail, name="course-detail"),
    path("c/<str:slug>/review", views.course_review, name="course-review"),
    path("c/<str:slug>/survey", views.course_survey, name="course-survey"),
    path("lessons/<id:lesson_id>/", views.lesson_watch, name="lesson-watch"),
    re_path(r"^certificates/(?P<code>[A-Za-z0-9]{12})/$", views.certificate, name="certificate"),
    path("lessons/<id:lesson_id>/media", views.lesson_media, name="lesson-media"),
    path("captions/<id:asset_id>.vtt", views.captions, name="captions"),
    path("keyframes/<id:keyframe_id>.jpg", views.keyframe_image, name="keyframe-image"),
    path("search/", search_views.search_page, name="search"),
    path("@<slug:handle>/", creator_views.creator_detail, name="creator-detail"),
]
