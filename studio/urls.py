from django.urls import path, re_path

from . import views

app_name = "studio"

urlpatterns = [
    path("", views.home, name="home"),
    path("become/", views.become, name="become"),
    path("library/", views.library, name="library"),
    path("assets/<id:asset_id>/retry", views.asset_retry, name="asset-retry"),
    path("assets/<id:asset_id>/delete", views.asset_delete, name="asset-delete"),
    path("assets/<id:asset_id>/captions", views.asset_captions, name="asset-captions"),
    path("videos/new/", views.video_create, name="video-create"),
    path("videos/<id:video_id>/", views.video_edit, name="video-edit"),
    path("videos/<id:video_id>/poster", views.video_poster, name="video-poster"),
    path("videos/<id:video_id>/suggestions", views.video_suggestion, name="video-suggestion"),
    re_path(
        r"^videos/(?P<video_id>[0-9]{1,18})/(?P<action>publish|unpublish)$",
        views.video_publish,
        name="video-publish",
    ),
    path("courses/new/", views.course_create, name="course-create"),
    path("courses/<id:course_id>/", views.course_edit, name="course-edit"),
    path("courses/<id:course_id>/sections", views.section_create, name="section-create"),
    path("courses/<id:course_id>/refund-rule", views.course_refund_rule, name="course-refund-rule"),
    re_path(
        r"^courses/(?P<course_id>[0-9]{1,18})/(?P<action>publish|unpublish)$",
        views.course_publish,
        name="course-publish",
    ),
    path("sections/<id:section_id>/lessons", views.lesson_create, name="lesson-create"),
    path("coupons/", views.coupons, name="coupons"),
    re_path(
        r"^coupons/(?P<coupon_id>[0-9]{1,18})/(?P<action>pause|resume)$",
        views.coupon_toggle,
        name="coupon-toggle",
    ),
    re_path(
        r"^sections/(?P<section_id>[0-9]{1,18})/(?P<action>up|down|rename|delete)$",
        views.section_action,
        name="section-action",
    ),
    re_path(
        r"^lessons/(?P<lesson_id>[0-9]{1,18})/(?P<action>up|down|edit|delete)$",
        views.lesson_action,
        name="lesson-action",
    ),
]
