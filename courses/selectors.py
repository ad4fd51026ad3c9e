"""Reads for the catalogue. Selectors own select/prefetch so pages stay N+1 free."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Count,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse

from .models import (
    Category,
    Course,
    Enrollment,
    Lesson,
    LessonProgress,
    Like,
    MediaAsset,
    Moderation,
    NotInterested,
    PublishStatus,
    Section,
    ShortVideo,
    Tag,
    WatchState,
)
from .visibility import course_is_visible as course_is_visible
from .visibility import course_visible_q as course_visible_q
from .visibility import is_visible as is_visible
from .visibility import lesson_visible_q as lesson_visible_q
from .visibility import visible_q as visible_q


@dataclass(frozen=True)
class ItemTitles:
    """Titles by id; an id whose row is gone is absent."""

    videos: dict[int, str]
    courses: dict[int, str]


def titles_for_ids(*, video_ids: Iterable[int] = (), course_ids: Iterable[int] = ()) -> ItemTitles:
    """The titles of videos and courses by id, whatever their state: one query per
    kind asked for (none for an empty list). Reports and reasons name items by it."""
    video_ids, course_ids = list(video_ids), list(course_ids)
    videos = ShortVideo.objects.filter(pk__in=video_ids).values_list("pk", "title")
    courses = Course.objects.filter(pk__in=course_ids).values_list("pk", "title")
    return ItemTitles(
        videos=dict(videos) if video_ids else {}, courses=dict(courses) if course_ids else {}
    )


def _visible(qs: QuerySet) -> QuerySet:
    return qs.filter(visible_q())


def video_list_published(
    *, category_slug: str | None = None, creator_id: int | None = None
) -> QuerySet[ShortVideo]:
    """Published, approved videos with what a card shows, newest first."""
    qs = (
        _visible(ShortVideo.objects.all())
        .filter(asset__status="ready")
        .select_related("creator__creator_profile", "category", "asset", "course")
        .prefetch_related("tags")
    )
    if category_slug:
        qs = qs.filter(category__slug=category_slug)
    if creator_id is not None:
        qs = qs.filter(creator_id=creator_id)
    return qs.order_by("-published_at", "-id")


def video_get_published(*, video_id: int) -> ShortVideo | None:
    """The video if anyone may watch it, else None."""
    return video_list_published().filter(pk=video_id).first()


def course_list_published(*, creator_id: int | None = None) -> QuerySet[Course]:
    """Published courses with what a course card shows, newest first."""
    qs = Course.objects.filter(course_visible_q()).select_related(
        "creator__creator_profile", "category"
    )
    if creator_id is not None:
        qs = qs.filter(creator_id=creator_id)
    return qs.order_by("-published_at", "-id")


def course_get_published(*, slug: str) -> Course | None:
    """A published course with its syllabus (approved sections → lessons) prefetched."""
    lessons = (
        Lesson.objects.filter(moderation=Moderation.APPROVED)
        .select_related("asset")
        .order_by("position", "id")
    )
    sections = (
        Section.objects.filter(moderation=Moderation.APPROVED)
        .order_by("position", "id")
        .prefetch_related(Prefetch("lessons", queryset=lessons))
    )
    return (
        course_list_published()
        .prefetch_related("tags", Prefetch("sections", queryset=sections))
        .filter(slug=slug)
        .first()
    )


def lesson_get(*, lesson_id: int) -> Lesson | None:
    """A lesson viewers may see (``lesson_visible_q``), with its course and asset."""
    return (
        Lesson.objects.select_related("course", "asset")
        .filter(lesson_visible_q(), pk=lesson_id)
        .first()
    )


def user_has_course_access(*, user_id: int | None, course: Course) -> bool:
    """The one entitlement check: every lesson and lesson-media access asks it.

    The course's creator always has access; others need an active enrollment.
    """
    if user_id is None:
        return False
    if course.creator_id == user_id:
        return True
    return Enrollment.objects.filter(user_id=user_id, course=course, is_active=True).exists()


def lesson_to_resume(*, user_id: int | None, lessons: list[Lesson]) -> tuple[int, Lesson, bool]:
    """Where a student picks up a course: (lesson number from 1, lesson, started).

    The lesson watched last, or the one after it once it is complete; the
    first lesson (not started) for a student who has watched none. ``lessons``
    is the course's lessons in syllabus order (non-empty).
    """
    last = (
        LessonProgress.objects.filter(user_id=user_id, lesson__in=lessons)
        .order_by("-updated_at")
        .only("lesson_id", "completed_at")
        .first()
        if user_id is not None
        else None
    )
    if last is None:
        return 1, lessons[0], False
    index = next(i for i, lesson in enumerate(lessons) if lesson.pk == last.lesson_id)
    if last.completed_at is not None and index + 1 < len(lessons):
        index += 1
    return index + 1, lessons[index], True


def lesson_can_play(*, user_id: int | None, lesson: Lesson) -> bool:
    """Free previews play for anyone; other lessons need course access."""
    return lesson.is_preview or user_has_course_access(user_id=user_id, course=lesson.course)


def media_asset_can_play(*, user_id: int | None, asset: MediaAsset) -> bool:
    """Whether ``user_id`` may play the asset: its owner always; lesson media as
    its visible lessons allow; a short video's while the video is visible."""
    if user_id is not None and asset.owner_id == user_id:
        return True
    if asset.is_private:
        lessons = Lesson.objects.filter(lesson_visible_q(), asset=asset).select_related("course")
        return any(lesson_can_play(user_id=user_id, lesson=lesson) for lesson in lessons)
    return _visible(ShortVideo.objects.filter(asset=asset)).exists()


# Search selectors live in search.py, a viewer's lists in viewer.py; both read
# the selectors above, so they are imported last and re-exported from here.
from .review_signals import DuplicateOf as DuplicateOf  # noqa: E402  # content analysis
from .review_signals import FlaggedFrame as FlaggedFrame  # noqa: E402
from .review_signals import ReviewSignals as ReviewSignals  # noqa: E402
from .review_signals import asset_own_duplicates as asset_own_duplicates  # noqa: E402
from .review_signals import course_review_signals as course_review_signals  # noqa: E402
from .review_signals import courses_for_review as courses_for_review  # noqa: E402
from .review_signals import keyframe_get_for_viewer as keyframe_get_for_viewer  # noqa: E402
from .review_signals import keyframe_image_url as keyframe_image_url  # noqa: E402
from .review_signals import video_review_signals as video_review_signals  # noqa: E402
from .review_signals import videos_for_review as videos_for_review  # noqa: E402
from .search.query import search as search  # noqa: E402
from .understanding import ChapterMark as ChapterMark  # noqa: E402
from .understanding import CreatorAnalysis as CreatorAnalysis  # noqa: E402
from .understanding import asset_analysis_for_creator as asset_analysis_for_creator  # noqa: E402
from .understanding import lesson_chapters as lesson_chapters  # noqa: E402
from .viewer import ViewerMarks as ViewerMarks  # noqa: E402
from .viewer import continue_learning as continue_learning  # noqa: E402
from .viewer import course_progress as course_progress  # noqa: E402
from .viewer import favorite_videos as favorite_videos  # noqa: E402
from .viewer import liked_videos as liked_videos  # noqa: E402
from .viewer import purchased_courses as purchased_courses  # noqa: E402
from .viewer import video_list_for_tab as video_list_for_tab  # noqa: E402
from .viewer import videos_by_ids as videos_by_ids  # noqa: E402
from .viewer import viewer_marks as viewer_marks  # noqa: E402
from .viewer import watch_history as watch_history  # noqa: E402


def creator_page_url(user: Any) -> str | None:
    """The public page of ``user`` (``/@handle/``), or None without a profile or an
    active account. Reads the profile from the row's cache when lists select it."""
    if user is None or not user.is_active:
        return None
    try:
        handle = user.creator_profile.handle
    except ObjectDoesNotExist:
        return None
    return reverse("courses:creator-detail", args=[handle])


def creator_has_published_content(*, creator_id: int) -> bool:
    """True when any of the creator's videos or courses is published."""
    published = {"creator_id": creator_id, "status": PublishStatus.PUBLISHED}
    return (
        ShortVideo.objects.filter(**published).exists()
        or Course.objects.filter(**published).exists()
    )


def video_is_by_creator(*, video_id: int, creator_id: int) -> bool:
    """Whether the video exists and ``creator_id`` made it (whatever its state)."""
    return ShortVideo.objects.filter(pk=video_id, creator_id=creator_id).exists()


def creator_has_students(*, creator_id: int) -> bool:
    """True when anyone is (or was) enrolled in one of the creator's courses."""
    return Enrollment.objects.filter(course__creator_id=creator_id).exists()


def media_asset_counts_by_status() -> dict[str, int]:
    """How many media assets are in each processing state (metrics: the media backlog)."""
    counts = dict.fromkeys(MediaAsset.Status.values, 0)
    rows = MediaAsset.objects.order_by().values_list("status").annotate(n=Count("id"))
    counts.update({str(status): int(n) for status, n in rows})
    return counts


def course_watched_ratio(*, user_id: int, course_id: int, since: datetime | None = None) -> float:
    """Share of the course's paid lessons a buyer has watched since buying, 0..1 (refunds ask).

    Free previews never count: anyone may watch them before deciding to buy; nor do
    lessons held back for review, which the buyer cannot watch yet.
    Progress begun before ``since`` (the purchase; e.g. under an earlier,
    refunded order) does not count either. ``LessonProgress.watched_seconds``
    (distinct seconds seen, capped per lesson) over the paid lessons' seconds;
    0 for a course without paid length.
    """
    paid_lessons = Lesson.objects.filter(
        course_id=course_id, is_preview=False, moderation=Moderation.APPROVED
    )
    total = paid_lessons.aggregate(s=Sum("duration_seconds"))
    total_seconds = float(total["s"] or 0)
    if total_seconds <= 0:
        return 0.0
    progress = LessonProgress.objects.filter(
        user_id=user_id,
        course_id=course_id,
        lesson__is_preview=False,
        lesson__moderation=Moderation.APPROVED,
    )
    if since is not None:
        progress = progress.filter(created_at__gte=since)
    seen = progress.aggregate(s=Sum("watched_seconds"))
    return min(float(seen["s"] or 0) / total_seconds, 1.0)


# --- Reads for the recommender: ids and numbers ---------------------------------


def catalogue_videos() -> QuerySet[ShortVideo]:
    """Every visible video with its tags and ``screen_text`` (the on-screen text, "" before
    analysis), by id (the recommender's item space)."""
    screen = Coalesce(F("asset__analysis__screen_text"), Value(""), output_field=TextField())
    return (
        _visible(ShortVideo.objects.all())
        .annotate(screen_text=screen)
        .prefetch_related("tags")
        .order_by("pk")
    )


def catalogue_courses() -> QuerySet[Course]:
    """Every visible course with its tags, by id (the recommender's item space)."""
    return Course.objects.filter(course_visible_q()).prefetch_related("tags").order_by("pk")


# A course's lessons can show hours of slides; the content model needs their gist.
COURSE_SCREEN_TEXT_MAX_CHARS = 4000


def course_screen_texts(*, course_ids: list[int]) -> dict[int, str]:
    """Course id → its visible lessons' on-screen text, in lesson order, in one query."""
    rows = (
        Lesson.objects.filter(lesson_visible_q(), course_id__in=course_ids)
        .exclude(asset__analysis__screen_text="")
        .exclude(asset__analysis__isnull=True)
        .order_by("course_id", "section__position", "position", "pk")
        .values_list("course_id", "asset__analysis__screen_text")
    )
    texts: dict[int, list[str]] = {}
    for course_id, text in rows:
        texts.setdefault(course_id, []).append(text)
    return {
        course_id: "\n".join(parts)[:COURSE_SCREEN_TEXT_MAX_CHARS]
        for course_id, parts in texts.items()
    }


def video_durations() -> dict[int, float]:
    """Every video's length in seconds, by id, in one query."""
    return dict(ShortVideo.objects.values_list("pk", "duration_seconds"))


def enrollment_pairs_active() -> list[tuple[int, int]]:
    """(user_id, course_id) of every active enrollment."""
    return list(Enrollment.objects.filter(is_active=True).values_list("user_id", "course_id"))


def not_interested_pairs() -> list[tuple[int, int]]:
    """(user_id, video_id) of every "not interested" mark."""
    return list(NotInterested.objects.values_list("user_id", "video_id"))


@dataclass(frozen=True)
class ViewerSignals:
    """One viewer's catalogue signals, by id, for serving recommendations."""

    watched: list[tuple[int, datetime]]  # (video_id, last watched), newest first
    not_interested: list[int]  # video ids
    owned: list[int]  # course ids with active access
    liked_since: list[int]  # video ids liked since the given time


def viewer_signals(*, user_id: int, since: datetime, watched_limit: int = 500) -> ViewerSignals:
    """What ``user_id`` watched, hid, owns and liked lately, in four queries."""
    watched = (
        WatchState.objects.filter(user_id=user_id)
        .order_by("-updated_at")
        .values_list("video_id", "updated_at")[:watched_limit]
    )
    hidden = NotInterested.objects.filter(user_id=user_id).values_list("video_id", flat=True)
    owned = Enrollment.objects.filter(user_id=user_id, is_active=True).values_list(
        "course_id", flat=True
    )
    liked = Like.objects.filter(user_id=user_id, created_at__gte=since).values_list(
        "video_id", flat=True
    )
    return ViewerSignals(list(watched), list(hidden), list(owned), list(liked))


def tag_choices() -> list[tuple[str, str]]:
    """(slug, name) of every tag, for interest pickers."""
    return list(Tag.objects.values_list("slug", "name"))


def video_facts() -> dict[int, tuple[float, datetime | None]]:
    """Each video's length in seconds and publication time, in one query."""
    rows = ShortVideo.objects.values_list("pk", "duration_seconds", "published_at")
    return {pk: (float(seconds or 0), published) for pk, seconds, published in rows}


def video_courses() -> dict[int, int | None]:
    """Each video's course id (None for a free-standing video), in one query."""
    return dict(ShortVideo.objects.values_list("pk", "course_id"))


def category_names_for_ids(*, category_ids: Iterable[int]) -> dict[int, str]:
    """Category names by id in the reader's language, in one query (none for an empty list);
    reports name splits by it."""
    ids = list(category_ids)
    categories = Category.objects.filter(pk__in=ids).only("name", "name_zh") if ids else []
    return {category.pk: category.display_name for category in categories}


def item_status_rows(
    *, video_ids: Iterable[int], course_ids: Iterable[int]
) -> tuple[
    list[tuple[int, str, int, str, str, str | None]],
    list[tuple[int, str, int, str, str, datetime | None]],
]:
    """(id, title, creator id, status, moderation, media asset status) of the videos and
    (id, title, creator id, status, moderation, approved once at) of the courses; deleted
    ones are absent. One query per non-empty list."""
    video_ids, course_ids = list(video_ids), list(course_ids)
    videos = ShortVideo.objects.filter(pk__in=video_ids).values_list(
        "pk", "title", "creator_id", "status", "moderation", "asset__status"
    )
    courses = Course.objects.filter(pk__in=course_ids).values_list(
        "pk", "title", "creator_id", "status", "moderation", "approved_at"
    )
    return (list(videos) if video_ids else [], list(courses) if course_ids else [])


def tag_names(*, slugs: Iterable[str]) -> dict[str, str]:
    """Slug → name of these tags. One query."""
    return dict(Tag.objects.filter(slug__in=list(slugs)).values_list("slug", "name"))


def video_tag_rows(*, video_ids: Any) -> list[tuple[int, float | None, str, str]]:
    """(video id, duration, tag slug, tag name) per tag of these videos, in one query.
    ``video_ids`` may be a subquery, so a long history never becomes a long IN list."""
    return list(
        ShortVideo.tags.through.objects.filter(shortvideo_id__in=video_ids).values_list(
            "shortvideo_id", "shortvideo__duration_seconds", "tag__slug", "tag__name"
        )
    )


def course_tag_rows(*, course_ids: Any) -> list[tuple[int, str, str]]:
    """(course id, tag slug, tag name) per tag of these courses, in one query (a subquery
    is fine, as for video_tag_rows)."""
    return list(
        Course.tags.through.objects.filter(course_id__in=course_ids).values_list(
            "course_id", "tag__slug", "tag__name"
        )
    )


# --- The creator's own catalogue (what the studio reads and edits) ------------------
# Each returns rows of one creator in any state; the studio joins its own relations
# (publish_schedule, upload_session) on top and answers 404 for the rest.


def category_list() -> QuerySet[Category]:
    """Every category, in the catalogue's order (the pickers' choices)."""
    return Category.objects.all()


def course_choices_for_creator(*, creator_id: int) -> QuerySet[Course]:
    """The creator's courses in any state, plain rows (a form's choices)."""
    return Course.objects.filter(creator_id=creator_id)


def course_list_for_creator(*, creator_id: int) -> QuerySet[Course]:
    """The creator's courses with category and ``lesson_total``, newest first."""
    return (
        Course.objects.filter(creator_id=creator_id)
        .select_related("category")
        .annotate(lesson_total=Count("lessons"))
        .order_by("-created_at", "-id")
    )


def course_syllabus_for_creator(*, creator_id: int) -> QuerySet[Course]:
    """The creator's courses with category, tags and the syllabus (sections, their
    lessons and those lessons' media) prefetched, in order."""
    lessons = Lesson.objects.select_related("asset").order_by("position", "id")
    sections = Section.objects.order_by("position", "id").prefetch_related(
        Prefetch("lessons", queryset=lessons)
    )
    return (
        Course.objects.filter(creator_id=creator_id)
        .select_related("category")
        .prefetch_related("tags", Prefetch("sections", queryset=sections))
    )


def section_list_for_creator(*, creator_id: int) -> QuerySet[Section]:
    """Sections of the creator's courses, with their course."""
    return Section.objects.select_related("course").filter(course__creator_id=creator_id)


def lesson_list_for_creator(*, creator_id: int) -> QuerySet[Lesson]:
    """Lessons of the creator's courses, with their course and section."""
    return Lesson.objects.select_related("course", "section").filter(course__creator_id=creator_id)


def video_list_for_creator(*, creator_id: int) -> QuerySet[ShortVideo]:
    """The creator's short videos in any state, with asset, course and category,
    newest first."""
    return (
        ShortVideo.objects.filter(creator_id=creator_id)
        .select_related("asset", "course", "category")
        .order_by("-created_at", "-id")
    )


def media_asset_list_for_owner(*, owner_id: int) -> QuerySet[MediaAsset]:
    """The owner's video library with ``use_count`` (videos and lessons showing
    each), newest first."""
    return (
        MediaAsset.objects.filter(owner_id=owner_id, kind=MediaAsset.Kind.VIDEO)
        .annotate(use_count=Count("short_videos", distinct=True) + Count("lessons", distinct=True))
        .order_by("-created_at", "-id")
    )


def media_assets_for_owner(*, owner_id: int) -> QuerySet[MediaAsset]:
    """Every asset the owner uploaded, any kind or state."""
    return MediaAsset.objects.filter(owner_id=owner_id)


def short_video_assets_for_owner(*, owner_id: int) -> QuerySet[MediaAsset]:
    """The owner's public uploads, the ones a short video may show."""
    return MediaAsset.objects.filter(owner_id=owner_id, is_private=False)


def lesson_assets_for_owner(*, owner_id: int) -> QuerySet[MediaAsset]:
    """Lesson media the owner can attach (not refused ones), newest first, each with
    ``lesson_title``: the title of the first lesson that uses it."""
    first_lesson = Lesson.objects.filter(asset_id=OuterRef("pk")).order_by("pk")
    return (
        MediaAsset.objects.filter(owner_id=owner_id, is_private=True, kind=MediaAsset.Kind.VIDEO)
        .exclude(status=MediaAsset.Status.FAILED)
        .annotate(lesson_title=Subquery(first_lesson.values("title")[:1]))
        .order_by("-created_at")
    )


def item_is_published(item: ShortVideo | Course) -> bool:
    """Whether a video or course is published (visible or not: see ``is_visible``)."""
    return item.status == PublishStatus.PUBLISHED


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
