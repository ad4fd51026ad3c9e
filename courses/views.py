"""Catalogue pages: a video with its player, a course with its syllabus, a lesson."""

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from common.http import ranged_file_response

from .selectors import (
    course_get_published,
    lesson_can_play,
    lesson_get,
    user_has_course_access,
    video_get_published,
    video_list_published,
)


def video_detail(request: HttpRequest, video_id: int) -> HttpResponse:
    video = video_get_published(video_id=video_id)
    if video is None:
        raise Http404("No such video.")
    more = video_list_published().filter(creator_id=video.creator_id).exclude(pk=video.pk)[:6]
    return render(request, "courses/video_detail.html", {"video": video, "more": more})


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_get_published(slug=slug)
    if course is None:
        raise Http404("No such course.")
    user_id = request.user.pk if request.user.is_authenticated else None
    lessons = [lesson for section in course.sections.all() for lesson in section.lessons.all()]
    context = {
        "course": course,
        "has_access": user_has_course_access(user_id=user_id, course=course),
        "lesson_count": len(lessons),
        "total_seconds": sum(lesson.duration_seconds for lesson in lessons),
    }
    return render(request, "courses/course_detail.html", context)


def lesson_watch(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = lesson_get(lesson_id=lesson_id)
    if lesson is None:
        raise Http404("No such lesson.")
    user_id = request.user.pk if request.user.is_authenticated else None
    if not lesson_can_play(user_id=user_id, lesson=lesson):
        return render(request, "courses/lesson_locked.html", {"lesson": lesson}, status=403)
    return render(request, "courses/lesson_watch.html", {"lesson": lesson})


def lesson_media(request: HttpRequest, lesson_id: int) -> HttpResponse | StreamingHttpResponse:
    """Stream a lesson's video to whoever may play it, with Range support."""
    lesson = lesson_get(lesson_id=lesson_id)
    user_id = request.user.pk if request.user.is_authenticated else None
    if (
        lesson is None
        or lesson.asset is None
        or not lesson_can_play(user_id=user_id, lesson=lesson)
    ):
        raise Http404("No such lesson media.")
    path = Path(settings.MEDIA_ROOT) / lesson.asset.file.name
    if not path.is_file():
        raise Http404("No such lesson media.")
    return ranged_file_response(request, path)
