"""Studio writes: becoming a creator, resumable uploads, videos, the course
builder, publishing (now or scheduled) and moderation decisions.

Every function takes objects the caller already scoped to the creator (the
selectors do that, answering 404 for anyone else's), so services only check
rules, not ownership.
"""

import io
import logging
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from accounts.services import creator_profile_create
from common.exceptions import ApplicationError
from courses.media_services import media_asset_create, media_incoming_name
from courses.models import (
    Category,
    Course,
    Lesson,
    MediaAsset,
    Moderation,
    PublishStatus,
    Report,
    Section,
    ShortVideo,
    Tag,
)
from courses.services import course_search_text, short_video_search_text

from .models import PublishSchedule, UploadSession
from .uploads import (
    SNIFF_BYTES,
    ContentRange,
    ContentRangeError,
    content_range_parse,
    looks_like_video,
)

logger = logging.getLogger(__name__)

IMAGE_MAX_BYTES = 10 * 1024**2
IMAGE_MAX_PIXELS = 40_000_000


# --- Becoming a creator ----------------------------------------------------


def image_reencode(*, data: bytes, max_side: int = 1600) -> ContentFile:
    """Open an upload as JPEG/PNG/WebP only, shrink it and re-encode it as JPEG.

    Re-encoding drops EXIF and anything smuggled after the image data.
    """
    if len(data) > IMAGE_MAX_BYTES:
        raise ApplicationError(_("Images may be at most 10 MB."), code="image_too_large")
    try:
        image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"])
        if image.width * image.height > IMAGE_MAX_PIXELS:
            raise ApplicationError(_("The image has too many pixels."), code="image_too_large")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ApplicationError(
            _("Upload a JPEG, PNG or WebP image."), code="image_invalid"
        ) from exc
    rgb = image.convert("RGB")
    rgb.thumbnail((max_side, max_side))
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=85)
    return ContentFile(out.getvalue())


@transaction.atomic
def creator_become(*, user: Any, handle: str, bio: str = "", avatar: bytes | None = None) -> Any:
    """Open the user's creator profile (handle, bio, optional avatar)."""
    if hasattr(user, "creator_profile"):
        raise ApplicationError(_("You already have a creator profile."), code="already_creator")
    avatar_file = image_reencode(data=avatar, max_side=512) if avatar else None
    profile = creator_profile_create(user=user, handle=handle, bio=bio)
    if avatar_file is not None:
        profile.avatar.save(f"{profile.handle}.jpg", avatar_file, save=True)
    return profile


# --- Resumable uploads -------------------------------------------------------


def _partial_path(session: UploadSession) -> Path:
    return Path(default_storage.path(media_incoming_name(str(session.id))))


@transaction.atomic
def upload_session_create(
    *, owner_id: int, purpose: str, filename: str, size_bytes: int, now: datetime | None = None
) -> UploadSession:
    """Open an upload of ``size_bytes`` bytes; it expires after KF_UPLOAD_SESSION_HOURS."""
    if size_bytes <= 0:
        raise ApplicationError(_("The file is empty."), code="empty_file")
    limit = settings.KF_UPLOAD_MAX_BYTES
    if size_bytes > limit:
        raise ApplicationError(
            _("The file is larger than the limit of %(size).1f GiB.") % {"size": limit / 1024**3},
            code="file_too_large",
            status=413,
            extra={"max_bytes": limit},
        )
    now = now or timezone.now()
    session = UploadSession(
        owner_id=owner_id,
        purpose=purpose,
        filename=Path(filename).name[:255] or "video",
        size_bytes=size_bytes,
        expires_at=now + timedelta(hours=settings.KF_UPLOAD_SESSION_HOURS),
    )
    session.full_clean()
    session.save()
    path = _partial_path(session)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return session


def upload_chunk_append(
    *, session: UploadSession, rng: ContentRange, body: IO[bytes], now: datetime | None = None
) -> UploadSession:
    """Write one chunk at the acknowledged offset; the last one creates the asset.

    The chunk body is already fully received (``body``, ``rng.length`` bytes),
    so the row lock is held only for the disk write. A refused first chunk
    (not a video) ends the session and deletes its file.
    """
    now = now or timezone.now()
    problem: ApplicationError | None = None
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().get(pk=session.pk)
        _upload_check(session, rng, now=now)
        head = body.read(SNIFF_BYTES) if rng.start == 0 else b""
        if rng.start == 0 and not looks_like_video(head):
            _upload_end(session, status=UploadSession.Status.FAILED, reason="Not a video file.")
            problem = ApplicationError(
                _("This is not a video file (MP4, MOV or WebM)."),
                code="unsupported_type",
                status=415,
            )
        else:
            body.seek(0)
            _write_at(_partial_path(session), rng.start, body)
            session.offset = rng.end + 1
            session.save(update_fields=["offset", "updated_at"])
            if session.offset == session.size_bytes:
                _upload_finish(session)
    if problem is not None:
        raise problem
    if session.asset is not None:
        session.asset.refresh_from_db()  # eager processing may have finished already
    return session


def _upload_check(session: UploadSession, rng: ContentRange, *, now: datetime) -> None:
    if session.status == UploadSession.Status.ACTIVE and session.expires_at <= now:
        raise ApplicationError(
            _("This upload expired; start it again."), code="upload_expired", status=410
        )
    if session.status != UploadSession.Status.ACTIVE:
        raise ApplicationError(
            _("This upload is %(status)s; no more chunks.")
            % {"status": str(session.get_status_display()).lower()},
            code="upload_closed",
            status=409,
            extra={"status": session.status},
        )
    if rng.total != session.size_bytes:
        raise ApplicationError(
            _("The total size must be %(size)s bytes, as announced.")
            % {"size": session.size_bytes},
            code="size_mismatch",
            extra={"size_bytes": session.size_bytes},
        )
    if rng.start != session.offset:
        raise ApplicationError(
            _("Send the chunk that starts at byte %(offset)s.") % {"offset": session.offset},
            code="offset_mismatch",
            status=409,
            extra={"offset": session.offset},
        )
    if rng.length > settings.KF_UPLOAD_CHUNK_MAX_BYTES:
        raise ApplicationError(
            _("The chunk is too large."),
            code="chunk_too_large",
            status=413,
            extra={"max_chunk_bytes": settings.KF_UPLOAD_CHUNK_MAX_BYTES},
        )


def _write_at(path: Path, offset: int, body: IO[bytes]) -> None:
    """Write at ``offset``, drop anything after it, and make it durable before acking."""
    with path.open("r+b") as handle:
        handle.seek(offset)
        while block := body.read(1024 * 1024):
            handle.write(block)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def _upload_finish(session: UploadSession) -> None:
    asset = media_asset_create(
        owner_id=session.owner_id,
        stored_name=media_incoming_name(str(session.id)),
        is_private=session.purpose == UploadSession.Purpose.LESSON,
    )
    session.asset = asset
    session.status = UploadSession.Status.COMPLETE
    session.save(update_fields=["asset", "status", "updated_at"])


def _upload_end(session: UploadSession, *, status: str, reason: str = "") -> None:
    """Close a session that will not complete and delete its partial file."""
    path = _partial_path(session)
    session.status = status
    session.failure_reason = reason
    session.save(update_fields=["status", "failure_reason", "updated_at"])
    transaction.on_commit(lambda: path.unlink(missing_ok=True))


@transaction.atomic
def upload_session_cancel(*, session: UploadSession) -> UploadSession:
    """Stop an upload and delete what arrived; a finished one stays."""
    session = UploadSession.objects.select_for_update().get(pk=session.pk)
    if session.status == UploadSession.Status.ACTIVE:
        _upload_end(session, status=UploadSession.Status.CANCELLED)
    return session


@transaction.atomic
def upload_sessions_expire(*, now: datetime | None = None) -> int:
    """End active uploads past their expiry and delete their partial files."""
    now = now or timezone.now()
    expired = list(
        UploadSession.objects.select_for_update(skip_locked=True).filter(
            status=UploadSession.Status.ACTIVE, expires_at__lte=now
        )[:1000]
    )
    for session in expired:
        _upload_end(session, status=UploadSession.Status.EXPIRED, reason="Expired.")
    return len(expired)


# --- Short videos -------------------------------------------------------------


def _tags_from_text(text: str) -> list[Tag]:
    tags = []
    for name in dict.fromkeys(part.strip().lstrip("#") for part in text.split(",")):
        slug = slugify(name, allow_unicode=True)[:60]
        if slug:
            tags.append(Tag.objects.get_or_create(slug=slug, defaults={"name": name[:60]})[0])
    return tags[:10]


def _moderation_start() -> str:
    return Moderation.PENDING if settings.KF_MODERATION_REQUIRED else Moderation.APPROVED


@transaction.atomic
def short_video_create(
    *,
    creator_id: int,
    asset: MediaAsset,
    title: str,
    category: Category,
    description: str = "",
    tags: str = "",
    course: Course | None = None,
) -> ShortVideo:
    """Make a draft short video from one of the creator's public uploads."""
    if asset.owner_id != creator_id or asset.is_private:
        raise ApplicationError(_("Choose one of your short-video uploads."), code="asset_invalid")
    if course is not None and course.creator_id != creator_id:
        raise ApplicationError(_("Choose one of your courses."), code="course_invalid")
    video = ShortVideo(
        creator_id=creator_id,
        asset=asset,
        title=title,
        description=description,
        category=category,
        course=course,
        moderation=_moderation_start(),
        duration_seconds=asset.duration_seconds,
    )
    video.full_clean()
    video.save()
    tag_list = _tags_from_text(tags)
    video.tags.set(tag_list)
    video.search_text = short_video_search_text(video, [t.name for t in tag_list])
    video.save(update_fields=["search_text", "updated_at"])
    return video


@transaction.atomic
def short_video_update(
    *,
    video: ShortVideo,
    title: str,
    category: Category,
    description: str = "",
    tags: str = "",
    course: Course | None = None,
) -> ShortVideo:
    """Edit a video's details; a published one goes back to review when required."""
    if course is not None and course.creator_id != video.creator_id:
        raise ApplicationError(_("Choose one of your courses."), code="course_invalid")
    video.title, video.description = title, description
    video.category, video.course = category, course
    _review_again_if_required(video)
    video.full_clean()
    tag_list = _tags_from_text(tags)
    video.search_text = short_video_search_text(video, [t.name for t in tag_list])
    video.save()
    video.tags.set(tag_list)
    return video


def _review_again_if_required(item: ShortVideo | Course) -> None:
    if settings.KF_MODERATION_REQUIRED and item.status == PublishStatus.PUBLISHED:
        item.moderation = Moderation.PENDING
        item.moderation_reason = ""


# --- Course builder -------------------------------------------------------------


def _unique_slug(title: str) -> str:
    base = slugify(title, allow_unicode=True)[:120] or "course"
    slug, n = base, 1
    while Course.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def course_create(*, creator_id: int, title: str, category: Category, **fields: Any) -> Course:
    """Start a draft course; details as in course_update."""
    course = Course(
        creator_id=creator_id,
        title=title,
        category=category,
        slug=_unique_slug(title),
        moderation=_moderation_start(),
    )
    return _course_fill(course, **fields)


@transaction.atomic
def course_update(*, course: Course, title: str, category: Category, **fields: Any) -> Course:
    """Edit a course; a published one goes back to review when moderation is required."""
    course.title, course.category = title, category
    _review_again_if_required(course)
    return _course_fill(course, **fields)


def _course_fill(
    course: Course,
    *,
    summary: str = "",
    description: str = "",
    tags: str = "",
    price_minor: int = 0,
    currency: str = "CNY",
    cover: bytes | None = None,
) -> Course:
    course.summary, course.description = summary, description
    course.price_minor, course.currency = price_minor, currency.upper()
    if cover:
        course.cover.save(f"{course.slug}.jpg", image_reencode(data=cover), save=False)
    course.full_clean()
    tag_list = _tags_from_text(tags)
    course.search_text = course_search_text(course, [t.name for t in tag_list])
    course.save()
    course.tags.set(tag_list)
    return course


def _next_position(qs: Any) -> int:
    return (qs.aggregate(top=Max("position"))["top"] or 0) + 1


@transaction.atomic
def section_create(*, course: Course, title: str) -> Section:
    """Add a section at the end of the course."""
    section = Section(course=course, title=title, position=_next_position(course.sections))
    section.full_clean()
    section.save()
    return section


@transaction.atomic
def section_update(*, section: Section, title: str) -> Section:
    """Rename a section."""
    section.title = title
    section.full_clean()
    section.save(update_fields=["title"])
    return section


@transaction.atomic
def section_delete(*, section: Section) -> None:
    """Delete a section with its lessons (their media stays in the library)."""
    section.delete()


def _lesson_asset_check(course: Course, asset: MediaAsset | None) -> None:
    if asset is not None and (asset.owner_id != course.creator_id or not asset.is_private):
        raise ApplicationError(_("Choose one of your lesson uploads."), code="asset_invalid")


@transaction.atomic
def lesson_create(
    *, section: Section, title: str, is_preview: bool = False, asset: MediaAsset | None = None
) -> Lesson:
    """Add a lesson at the end of a section."""
    _lesson_asset_check(section.course, asset)
    lesson = Lesson(
        section=section,
        course=section.course,
        title=title,
        is_preview=is_preview,
        asset=asset,
        position=_next_position(section.lessons),
        duration_seconds=round(asset.duration_seconds) if asset else 0,
    )
    lesson.full_clean()
    lesson.save()
    return lesson


@transaction.atomic
def lesson_update(
    *, lesson: Lesson, title: str, is_preview: bool, asset: MediaAsset | None
) -> Lesson:
    """Edit a lesson's title, free-preview flag and video."""
    _lesson_asset_check(lesson.course, asset)
    lesson.title, lesson.is_preview, lesson.asset = title, is_preview, asset
    lesson.duration_seconds = round(asset.duration_seconds) if asset else 0
    lesson.full_clean()
    lesson.save()
    return lesson


@transaction.atomic
def lesson_delete(*, lesson: Lesson) -> None:
    """Delete a lesson (its media stays in the library)."""
    lesson.delete()


@transaction.atomic
def item_move(*, item: Section | Lesson, direction: str) -> None:
    """Swap a section or lesson with its neighbour ("up" or "down"), renumbering 1..n."""
    siblings: list[Any]
    if isinstance(item, Section):
        siblings = list(Section.objects.select_for_update().filter(course_id=item.course_id))
    else:
        siblings = list(Lesson.objects.select_for_update().filter(section_id=item.section_id))
    siblings.sort(key=lambda s: (s.position, s.pk))
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])


# --- Publishing -----------------------------------------------------------------


def _course_publish_problems(course: Course) -> list[str]:
    lessons = list(Lesson.objects.filter(course=course).select_related("asset"))
    if not lessons:
        return [_("Add at least one lesson.")]
    missing = [lesson.title for lesson in lessons if lesson.asset is None]
    not_ready = [
        lesson.title
        for lesson in lessons
        if lesson.asset is not None and lesson.asset.status != MediaAsset.Status.READY
    ]
    problems = []
    if missing:
        problems.append(_("These lessons have no video: ") + ", ".join(missing[:5]))
    if not_ready:
        problems.append(_("These lessons' videos are not ready: ") + ", ".join(not_ready[:5]))
    return problems


def _publish_now(item: ShortVideo | Course, *, now: datetime) -> None:
    if isinstance(item, Course):
        problems = _course_publish_problems(item)
    else:
        ready = item.asset.status == MediaAsset.Status.READY
        problems = [] if ready else [_("The video is not ready yet.")]
        item.duration_seconds = item.asset.duration_seconds
    if problems:
        raise ApplicationError(" ".join(problems), code="not_publishable", status=409)
    item.status = PublishStatus.PUBLISHED
    item.published_at = item.published_at or now
    if settings.KF_MODERATION_REQUIRED and item.moderation != Moderation.APPROVED:
        item.moderation, item.moderation_reason = Moderation.PENDING, ""
    elif not settings.KF_MODERATION_REQUIRED:
        item.moderation, item.moderation_reason = Moderation.APPROVED, ""
    item.save()


def _schedule_target(item: ShortVideo | Course) -> dict[str, Any]:
    return {"course": item} if isinstance(item, Course) else {"video": item}


def _locked(item: ShortVideo | Course) -> ShortVideo | Course:
    if isinstance(item, Course):
        return Course.objects.select_for_update().get(pk=item.pk)
    return ShortVideo.objects.select_for_update().select_related("asset").get(pk=item.pk)


@transaction.atomic
def publish(
    *, item: ShortVideo | Course, at: datetime | None = None, now: datetime | None = None
) -> ShortVideo | Course:
    """Publish now, or at ``at`` (a PublishSchedule the beat task runs).

    With KF_MODERATION_REQUIRED the item waits in the review queue
    (moderation pending) until an admin approves it.
    """
    now = now or timezone.now()
    item = _locked(item)
    if at is not None and at > now:
        if item.status == PublishStatus.PUBLISHED:
            raise ApplicationError(_("It is already published."), code="already_published")
        PublishSchedule.objects.update_or_create(
            **_schedule_target(item),
            defaults={"publish_at": at, "done_at": None, "failure_reason": ""},
        )
        return item
    _publish_now(item, now=now)
    PublishSchedule.objects.filter(**_schedule_target(item), done_at__isnull=True).delete()
    return item


@transaction.atomic
def unpublish(*, item: ShortVideo | Course) -> ShortVideo | Course:
    """Take an item off the site (and cancel a pending schedule)."""
    item = _locked(item)
    PublishSchedule.objects.filter(**_schedule_target(item), done_at__isnull=True).delete()
    if item.status == PublishStatus.PUBLISHED:
        item.status = PublishStatus.UNPUBLISHED
        item.save(update_fields=["status", "updated_at"])
    return item


def scheduled_publish_due(*, now: datetime | None = None) -> int:
    """Publish what is due; a refusal is recorded on the schedule. Safe to re-run."""
    now = now or timezone.now()
    due = PublishSchedule.objects.filter(done_at__isnull=True, publish_at__lte=now)
    done = 0
    for schedule_id in list(due.values_list("pk", flat=True)[:200]):
        with transaction.atomic():
            schedule = (
                PublishSchedule.objects.select_for_update(skip_locked=True)
                .filter(pk=schedule_id, done_at__isnull=True)
                .first()
            )
            if schedule is None:
                continue
            target: ShortVideo | Course | None = schedule.course or schedule.video
            if target is None:
                continue
            item = _locked(target)
            try:
                with transaction.atomic():
                    _publish_now(item, now=now)
                done += 1
            except ApplicationError as exc:
                schedule.failure_reason = exc.message[:300]
            schedule.done_at = now
            schedule.save(update_fields=["done_at", "failure_reason", "updated_at"])
    return done


# --- Moderation -----------------------------------------------------------------


@transaction.atomic
def moderation_decide(*, item: ShortVideo | Course, approve: bool, reason: str = "") -> None:
    """Approve, or reject with a reason the creator sees in the studio."""
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Say why, so the creator can fix it.")})
    item = _locked(item)
    item.moderation = Moderation.APPROVED if approve else Moderation.REJECTED
    item.moderation_reason = "" if approve else reason.strip()[:300]
    item.save(update_fields=["moderation", "moderation_reason", "updated_at"])


@transaction.atomic
def report_resolve(*, report: Report, uphold: bool, reason: str = "") -> int:
    """Uphold (hide the video or comment) or dismiss a report, with every open
    report on the same target. Returns how many reports were closed."""
    target: dict[str, Any] = {"video_id": report.video_id, "comment_id": report.comment_id}
    same = Report.objects.select_for_update().filter(**target, status=Report.Status.OPEN)
    if uphold and report.video is not None:
        moderation_decide(
            item=report.video, approve=False, reason=reason or "Removed after viewers' reports."
        )
    elif uphold and report.comment is not None:
        report.comment.is_removed = True
        report.comment.save(update_fields=["is_removed", "updated_at"])
    status = Report.Status.UPHELD if uphold else Report.Status.DISMISSED
    return same.update(status=status, updated_at=timezone.now())


def upload_chunk_receive(
    *,
    session: UploadSession,
    content_range: str | None,
    content_length: int | None,
    stream: IO[bytes],
    now: datetime | None = None,
) -> UploadSession:
    """Check a chunk's headers, receive its body in full, then append it.

    Cheap checks (range syntax, announced size, offset, chunk size) run
    before a byte is read, so a wrong chunk costs the client nothing but the
    answer; a body shorter than announced (a dropped connection) is refused
    and nothing is written.
    """
    try:
        rng = content_range_parse(content_range)
    except ContentRangeError as exc:
        raise ApplicationError(str(exc), code="bad_content_range") from exc
    if content_length is not None and content_length != rng.length:
        raise ApplicationError(
            _("Content-Length must equal the Content-Range length."), code="length_mismatch"
        )
    _upload_check(session, rng, now=now or timezone.now())
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as body:
        remaining = rng.length
        while remaining > 0 and (block := stream.read(min(remaining, 1024 * 1024))):
            body.write(block)
            remaining -= len(block)
        if remaining:
            raise ApplicationError(
                _("The chunk arrived incomplete; send it again."),
                code="incomplete_chunk",
                extra={"offset": session.offset},
            )
        body.seek(0)
        return upload_chunk_append(session=session, rng=rng, body=body, now=now)
