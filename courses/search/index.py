"""Keep the segmented ``search_text`` of videos and courses current.

Creator tools call ``search_text_refresh`` after they create or edit a video
or a course (title, description, summary or tags), so search sees the change;
the video analysis calls it once a video's on-screen text is known.
"""

from ..models import Course, ShortVideo, VideoAnalysis
from .text import course_search_text, short_video_search_text


def search_text_refresh(*, video_id: int | None = None, course_id: int | None = None) -> None:
    """Recompute and store ``search_text`` for one video and/or one course.

    Writes with ``update()`` (only that column, no ``save()`` side effects);
    a missing id is ignored, since the row may have been deleted meanwhile.
    """
    if video_id is not None:
        video = ShortVideo.objects.filter(pk=video_id).first()
        if video is not None:
            tags = [tag.name for tag in video.tags.all()]
            text = short_video_search_text(video, tags, asset_screen_text(asset_id=video.asset_id))
            ShortVideo.objects.filter(pk=video_id).update(search_text=text)
    if course_id is not None:
        course = Course.objects.filter(pk=course_id).first()
        if course is not None:
            tags = [tag.name for tag in course.tags.all()]
            text = course_search_text(course, tags)
            Course.objects.filter(pk=course_id).update(search_text=text)


def asset_screen_text(*, asset_id: int) -> str:
    """The on-screen text of a video asset ("" before or without an analysis)."""
    found = VideoAnalysis.objects.filter(asset_id=asset_id, status=VideoAnalysis.Status.DONE)
    return found.values_list("screen_text", flat=True).first() or ""
