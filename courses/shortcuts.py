"""Look-ups shared by the pages and the API: what anyone may see, or a 404.

Both raise Django's ``Http404``, which the pages render as the 404 page and
DRF answers as a ``{"detail": ...}`` JSON body.
"""

from django.http import Http404

from .models import Course, ShortVideo
from .selectors import course_get_published, video_get_published


def course_published_or_404(slug: str) -> Course:
    """The published course with its approved syllabus, or a 404."""
    course = course_get_published(slug=slug)
    if course is None:
        raise Http404("No such course.")
    return course


def video_published_or_404(video_id: int) -> ShortVideo:
    """The video if anyone may watch it, or a 404."""
    video = video_get_published(video_id=video_id)
    if video is None:
        raise Http404("No such video.")
    return video
