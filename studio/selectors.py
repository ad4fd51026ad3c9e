"""Studio reads, always scoped to the requesting creator: another creator's
object is simply not found (the views answer 404)."""

from pathlib import Path
from typing import Any, TypeVar

from django.db.models import Count, Model, OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from courses.models import Course, Lesson, MediaAsset, Moderation, Section, ShortVideo

from .models import PublishSchedule, UploadSession

M = TypeVar("M", bound=Model)


def _own(qs: "QuerySet[M]", **lookup: object) -> M:
    obj = qs.filter(**lookup).first()
    if obj is None:
        raise Http404("Not found.")
    return obj


def upload_session_get_own(*, owner_id: int, session_id: object) -> UploadSession:
    """The creator's own upload session, or 404."""
    return _own(UploadSession.objects.select_related("asset"), owner_id=owner_id, pk=session_id)


def asset_list_own(*, owner_id: int) -> QuerySet[MediaAsset]:
    """The creator's media library, newest first, with the original file names."""
    return (
        MediaAsset.objects.filter(owner_id=owner_id, kind=MediaAsset.Kind.VIDEO)
        .select_related("upload_session")
        .annotate(use_count=Count("short_videos", distinct=True) + Count("lessons", distinct=True))
        .order_by("-created_at", "-id")
    )


def asset_get_own(*, owner_id: int, asset_id: int) -> MediaAsset:
    """One of the creator's assets, or 404."""
    return _own(MediaAsset.objects.select_related("upload_session"), owner_id=owner_id, pk=asset_id)


def lesson_assets_own(*, owner_id: int) -> QuerySet[MediaAsset]:
    """Lesson media a creator can attach (not refused ones)."""
    return (
        MediaAsset.objects.filter(owner_id=owner_id, is_private=True, kind=MediaAsset.Kind.VIDEO)
        .exclude(status=MediaAsset.Status.FAILED)
        .select_related("upload_session")
        # The first lesson that uses a video names it in the picker (see asset_picker_label).
        .annotate(
            lesson_title=Subquery(
                Lesson.objects.filter(asset_id=OuterRef("pk")).order_by("pk").values("title")[:1]
            )
        )
        .order_by("-created_at")
    )


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
    if asset.status != MediaAsset.Status.READY:
        parts.append(str(asset.get_status_display()))
    return " · ".join(parts)


def video_list_own(*, creator_id: int) -> QuerySet[ShortVideo]:
    """The creator's short videos with status, asset and schedule."""
    return (
        ShortVideo.objects.filter(creator_id=creator_id)
        .select_related("asset", "course", "category", "publish_schedule")
        .order_by("-created_at", "-id")
    )


def video_get_own(*, creator_id: int, video_id: int) -> ShortVideo:
    """One of the creator's videos, or 404."""
    return _own(video_list_own(creator_id=creator_id).prefetch_related("tags"), pk=video_id)


def course_list_own(*, creator_id: int) -> QuerySet[Course]:
    """The creator's courses with lesson counts and schedule."""
    return (
        Course.objects.filter(creator_id=creator_id)
        .select_related("category", "publish_schedule")
        .annotate(lesson_total=Count("lessons"))
        .order_by("-created_at", "-id")
    )


def course_get_own(*, creator_id: int, course_id: int) -> Course:
    """One of the creator's courses with its syllabus prefetched, or 404."""
    lessons = Lesson.objects.select_related("asset").order_by("position", "id")
    sections = Section.objects.order_by("position", "id").prefetch_related(
        Prefetch("lessons", queryset=lessons)
    )
    qs = (
        Course.objects.filter(creator_id=creator_id)
        .select_related("category", "publish_schedule")
        .prefetch_related("tags", Prefetch("sections", queryset=sections))
    )
    return _own(qs, pk=course_id)


def section_get_own(*, creator_id: int, section_id: int) -> Section:
    """A section of one of the creator's courses, or 404."""
    return _own(
        Section.objects.select_related("course"), course__creator_id=creator_id, pk=section_id
    )


def lesson_get_own(*, creator_id: int, lesson_id: int) -> Lesson:
    """A lesson of one of the creator's courses, or 404."""
    return _own(
        Lesson.objects.select_related("course", "section"),
        course__creator_id=creator_id,
        pk=lesson_id,
    )


def schedule_for(item: ShortVideo | Course) -> PublishSchedule | None:
    """The pending schedule of a video or course, if any (uses the selected relation)."""
    try:
        schedule = item.publish_schedule
    except PublishSchedule.DoesNotExist:
        return None
    return schedule if schedule.done_at is None else None


def course_draft(course: Course) -> dict[str, Any]:
    """What the creator last wrote of a course's reviewed details (its price is not
    moderators' to judge): the held-back change if any, else the live values."""
    if course.pending:
        return dict(course.pending)
    tag_rows = sorted(course.tags.values_list("name", "pk")) if course.pk else []
    return {
        "title": course.title,
        "summary": course.summary,
        "description": course.description,
        "category_id": course.category_id,
        "tags": [name for name, _ in tag_rows],
        "tag_ids": sorted(pk for _, pk in tag_rows),
    }


def course_changes_in_review(course: Course) -> list[str]:
    """What a moderator is asked to approve of a course, one line per change, in
    three queries (the review queue shows it): changed details, new or renamed
    sections, new or changed lessons. Empty for a course with nothing held back."""
    lines: list[str] = []
    pending = course.pending
    if pending:
        current = {
            "title": course.title,
            "summary": course.summary,
            "description": course.description,
            "category_id": course.category_id,
            "tags": sorted(course.tags.values_list("name", flat=True)),
        }
        for key, before in current.items():
            after = pending.get(key)
            if after != before:
                lines.append(f"{key}: {before!r} → {after!r}")
    if course.pending_cover:
        lines.append(f"cover: {course.cover.name or '-'} → {course.pending_cover.name}")
    sections = Section.objects.filter(course=course).exclude(
        moderation=Moderation.APPROVED, pending_title=""
    )
    for section in sections.order_by("position", "id"):
        if section.moderation != Moderation.APPROVED:
            lines.append(f"new section: {section.title!r}")
        else:
            lines.append(f"section renamed: {section.title!r} → {section.pending_title!r}")
    lessons = (
        Lesson.objects.filter(course=course)
        .exclude(moderation=Moderation.APPROVED)
        .select_related("asset")
        .order_by("section__position", "position", "id")
    )
    for lesson in lessons:
        preview = ", free preview" if lesson.is_preview else ""
        lines.append(
            f"new or changed lesson: {lesson.title!r} (video #{lesson.asset_id or '-'}{preview})"
        )
    return lines
