"""Pages that combine apps, and the public media files."""

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from common.http import ranged_file_response
from courses.selectors import course_list_published, video_list_published


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "videos": video_list_published()[:24],
        "courses": course_list_published()[:12],
    }
    return render(request, "home.html", context)


def media_public(request: HttpRequest, path: str) -> HttpResponse | StreamingHttpResponse:
    """Serve public media (short videos, posters, covers) with Range support.

    Lesson media lives under ``private/`` and only streams through the
    lesson view's entitlement check; nginx does this job in production.
    """
    root = Path(settings.MEDIA_ROOT).resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise Http404("No such file.")
    if target.relative_to(root).parts[0] == "private":
        raise Http404("No such file.")
    return ranged_file_response(request, target)
