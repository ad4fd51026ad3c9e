"""The public media files in development (nginx serves them in production)."""

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse

from common.http import ranged_file_response


def media_public(request: HttpRequest, path: str) -> HttpResponse | StreamingHttpResponse:
    """Serve public media (short videos, posters, covers) with Range support.

    Lesson media lives under ``private/`` and only streams through the
    lesson view's entitlement check; nginx does this job in production.
    """
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        target = (root / path).resolve()
        found = target.is_relative_to(root) and target.is_file()
    except OSError:  # e.g. a name longer than the file system allows
        found = False
    if not found:
        raise Http404("No such file.")
    if target.relative_to(root).parts[0] == "private":
        raise Http404("No such file.")
    return ranged_file_response(request, target)
