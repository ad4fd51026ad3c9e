"""Studio reads, always scoped to the requesting creator: another creator's
object is simply not found (the views answer 404).

The catalogue's rows come from ``courses.selectors`` (``*_for_creator``,
``*_for_owner``); the studio joins its own relations on them (an asset's
upload session, an item's publish schedule) in the same query.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from courses.selectors import (
    course_list_for_creator,
    course_syllabus_for_creator,
    lesson_assets_for_owner,
    lesson_list_for_creator,
    media_asset_list_for_owner,
    media_assets_for_owner,
    section_list_for_creator,
    video_list_for_creator,
)

from .models import PublishSchedule, UploadSession

if TYPE_CHECKING:
    from courses.models import Course, Lesson, MediaAsset, Section, ShortVideo

M = TypeVar("M", bound=Model)


def _own(qs: QuerySet[M], **lookup: object) -> M:
    obj = qs.filter(**lookup).first()
    if obj is None:
        raise Http404("Not found.")
    return obj


def upload_session_get_own(*, owner_id: int, session_id: object) -> UploadSession:
    """The creator's own upload session, or 404."""
    return _own(UploadSession.objects.select_related("asset"), owner_id=owner_id, pk=session_id)


def asset_list_own(*, owner_id: int) -> QuerySet[MediaAsset]:
    """The creator's media library, newest first, with the original file names."""
    return media_asset_list_for_owner(owner_id=owner_id).select_related("upload_session")


def asset_get_own(*, owner_id: int, asset_id: int) -> MediaAsset:
    """One of the creator's assets, or 404."""
    return _own(
        media_assets_for_owner(owner_id=owner_id).select_related("upload_session"), pk=asset_id
    )


def lesson_assets_own(*, owner_id: int) -> QuerySet[MediaAsset]:
    """Lesson media a creator can attach (not refused ones); the first lesson that uses
    a video names it in the picker (see asset_picker_label)."""
    return lesson_assets_for_owner(owner_id=owner_id).select_related("upload_session")


def asset_picker_label(asset: MediaAsset) -> str:
    """How the lesson picker names a video: the title of the lesson that uses it, else the
    name of the uploaded file, then its length; the status only while it is not ready.
    Expects an asset from lesson_assets_own (its lesson title is annotated)."""
    title = getattr(asset, "lesson_title", None)
    if not title:
        try:
            title = asset.upload_session.filename
        except UploadSession.DoesNotExist:
            title = Path(asset.file.name).name if asset.file else ""
        title = Path(title).stem or _("Video #%(id)s") % {"id": asset.pk}
    parts = [title]
    if asset.duration_seconds:
        minutes, seconds = divmod(round(asset.duration_seconds), 60)
        parts.append(f"{minutes}:{seconds:02d}")
    if not asset.is_ready:
        parts.append(str(asset.get_status_display()))
    return " · ".join(parts)


def video_list_own(*, creator_id: int) -> QuerySet[ShortVideo]:
    """The creator's short videos with status, asset and schedule."""
    return video_list_for_creator(creator_id=creator_id).select_related("publish_schedule")


def video_get_own(*, creator_id: int, video_id: int) -> ShortVideo:
    """One of the creator's videos, or 404."""
    return _own(video_list_own(creator_id=creator_id).prefetch_related("tags"), pk=video_id)


def course_list_own(*, creator_id: int) -> QuerySet[Course]:
    """The creator's courses with lesson counts and schedule."""
    return course_list_for_creator(creator_id=creator_id).select_related("publish_schedule")


def course_get_own(*, creator_id: int, course_id: int) -> Course:
    """One of the creator's courses with its syllabus prefetched, or 404."""
    qs = course_syllabus_for_creator(creator_id=creator_id).select_related("publish_schedule")
    return _own(qs, pk=course_id)


def section_get_own(*, creator_id: int, section_id: int) -> Section:
    """A section of one of the creator's courses, or 404."""
    return _own(section_list_for_creator(creator_id=creator_id), pk=section_id)


def lesson_get_own(*, creator_id: int, lesson_id: int) -> Lesson:
    """A lesson of one of the creator's courses, or 404."""
    return _own(lesson_list_for_creator(creator_id=creator_id), pk=lesson_id)


def schedule_for(item: ShortVideo | Course) -> PublishSchedule | None:
    """The pending schedule of a video or course, if any (uses the selected relation)."""
    try:
        schedule = item.publish_schedule
    except PublishSchedule.DoesNotExist:
        return None
    return schedule if schedule.done_at is None else None
