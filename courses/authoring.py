"""Drafting what a creator makes: short videos, and the course builder
(courses, sections, lessons and their order).

The creator studio calls these through ``courses.services``, with the item
it already scoped to the creator (``courses.selectors`` ``*_for_creator``);
they check only what the item links to (a video or course picked must be the
creator's own). Every change viewers would see goes through
``courses.moderation.review_after_change`` in the same transaction.
"""

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from common.images import cover_reencode

from .engagement import certificates_issue_for_course
from .media.services import media_asset_captions_set
from .models import (
    Captions,
    Category,
    Course,
    Lesson,
    MediaAsset,
    Moderation,
    Section,
    ShortVideo,
    Tag,
)
from .moderation import (
    asset_review_after_change,
    change_held_back,
    course_review_after_change,
    review_after_change,
)
from .search.index import asset_screen_text
from .search.text import course_search_text, short_video_search_text
from .selectors import course_draft

# --- Short videos -------------------------------------------------------------


def _tags_from_text(text: str) -> list[Tag]:
    tags = []
    for name in dict.fromkeys(part.strip().lstrip("#") for part in text.split(",")):
        slug = slugify(name, allow_unicode=True)[:60]
        if slug:
            tags.append(Tag.objects.get_or_create(slug=slug, defaults={"name": name[:60]})[0])
    return tags[:10]


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
        duration_seconds=asset.duration_seconds,
    )
    review_after_change(video)
    video.full_clean()
    video.save()
    tag_list = _tags_from_text(tags)
    video.tags.set(tag_list)
    video.search_text = short_video_search_text(
        video, [t.name for t in tag_list], asset_screen_text(asset_id=video.asset_id)
    )
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
    """Edit a video's details; changed text goes back to review (``review_after_change``)."""
    if course is not None and course.creator_id != video.creator_id:
        raise ApplicationError(_("Choose one of your courses."), code="course_invalid")
    before = (video.title, video.description, video.category_id, _tag_names(video))
    video.title, video.description = title, description
    video.category, video.course = category, course
    tag_list = _tags_from_text(tags)
    if before != (title, description, category.pk, sorted(t.name for t in tag_list)):
        review_after_change(video)
    video.full_clean()
    video.search_text = short_video_search_text(
        video, [t.name for t in tag_list], asset_screen_text(asset_id=video.asset_id)
    )
    video.save()
    video.tags.set(tag_list)
    return video


def _tag_names(item: ShortVideo | Course) -> list[str]:
    return sorted(item.tags.values_list("name", flat=True)) if item.pk else []


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
    course = Course(creator_id=creator_id, title=title, category=category, slug=_unique_slug(title))
    review_after_change(course)
    return _course_fill(course, title=title, category=category, **fields)


@transaction.atomic
def course_update(*, course: Course, title: str, category: Category, **fields: Any) -> Course:
    """Edit a course; changed text or cover goes back to review (``review_after_change``).

    A course with a live, approved version keeps it on the site: the change
    waits in ``Course.pending`` until a moderator approves it.
    """
    return _course_fill(
        course, before=course_draft(course), title=title, category=category, **fields
    )


def _course_fill(
    course: Course,
    *,
    title: str,
    category: Category,
    before: dict[str, Any] | None = None,
    summary: str = "",
    description: str = "",
    tags: str = "",
    price_minor: int = 0,
    currency: str = "CNY",
    cover: bytes | None = None,
) -> Course:
    course.price_minor, course.currency = price_minor, currency.upper()
    tag_list = _tags_from_text(tags)
    draft = {
        "title": title,
        "summary": summary,
        "description": description,
        "category_id": category.pk,
        "tags": sorted(t.name for t in tag_list),
        "tag_ids": sorted(t.pk for t in tag_list),
    }
    changed = before is not None and bool(cover or _reviewed(before) != _reviewed(draft))
    held = changed and change_held_back(course)
    if changed:
        review_after_change(course)
    if held:
        _course_hold(course, draft=draft, cover=cover)
        course.full_clean()
        course.save()
        return course
    course.title, course.category = title, category
    course.summary, course.description = summary, description
    course.pending = {}
    if cover:
        course.cover.save(f"{course.slug}.jpg", cover_reencode(data=cover), save=False)
    course.full_clean()
    course.search_text = course_search_text(course, [t.name for t in tag_list])
    _save_with_free_slug(course)
    course.tags.set(tag_list)
    return course


def _reviewed(content: dict[str, Any]) -> tuple:
    return tuple(content[key] for key in ("title", "summary", "description", "category_id", "tags"))


def _course_hold(course: Course, *, draft: dict[str, Any], cover: bytes | None) -> None:
    """Keep the live details; the change waits in ``pending`` (checked as the live
    fields would be) until a moderator approves it."""
    probe = Course(
        creator_id=course.creator_id,
        slug=course.slug,
        title=draft["title"],
        summary=draft["summary"],
        description=draft["description"],
        category_id=draft["category_id"],
        price_minor=course.price_minor,
        currency=course.currency,
    )
    probe.clean_fields(exclude=["creator", "slug", "category", "cover", "pending_cover"])
    course.pending = draft
    if cover:
        course.pending_cover.save(f"{course.slug}.jpg", cover_reencode(data=cover), save=False)


def _save_with_free_slug(course: Course) -> None:
    """Save; a new course whose slug a twin request took a moment ago gets a suffixed one."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                course.save()
            return
        except IntegrityError:
            if not course._state.adding or attempt == 2:
                raise
            course.slug = f"{_unique_slug(course.title)[:130]}-{secrets.token_hex(3)}"


def _next_position(qs: Any) -> int:
    return (qs.aggregate(top=Max("position"))["top"] or 0) + 1


@transaction.atomic
def section_create(*, course: Course, title: str) -> Section:
    """Add a section at the end of the course."""
    section = Section(course=course, title=title, position=_next_position(course.sections))
    section.full_clean()
    section.moderation = course_review_after_change(course_id=course.pk)
    section.save()
    return section


@transaction.atomic
def section_update(*, section: Section, title: str) -> Section:
    """Rename a section; a new title goes back to review with its course (an approved
    section keeps its approved title live meanwhile, the new one in ``pending_title``)."""
    if title == (section.pending_title or section.title):
        return section
    Section(course_id=section.course_id, title=title).clean_fields(exclude=["course"])
    state = course_review_after_change(course_id=section.course_id)
    if section.moderation == Moderation.APPROVED and state == Moderation.PENDING:
        section.pending_title = "" if title == section.title else title
    else:
        section.title, section.pending_title = title, ""
    section.save(update_fields=["title", "pending_title"])
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
    lesson.moderation = course_review_after_change(course_id=lesson.course_id)
    lesson.save()
    return lesson


@transaction.atomic
def lesson_update(
    *, lesson: Lesson, title: str, is_preview: bool, asset: MediaAsset | None
) -> Lesson:
    """Edit a lesson's title, free-preview flag and video; a change goes back to review
    with its course (a free preview shows the lesson to everyone), the lesson held
    back from viewers until approved."""
    _lesson_asset_check(lesson.course, asset)
    before = (lesson.title, lesson.is_preview, lesson.asset_id)
    lesson.title, lesson.is_preview, lesson.asset = title, is_preview, asset
    lesson.duration_seconds = round(asset.duration_seconds) if asset else 0
    lesson.full_clean()
    if before != (title, is_preview, asset.pk if asset else None):
        lesson.moderation = course_review_after_change(course_id=lesson.course_id)
    lesson.save()
    return lesson


@transaction.atomic
def asset_captions_set(
    *, asset: MediaAsset, vtt: bytes | None, language: str = Captions.Language.ZH_HANS
) -> Captions | None:
    """Attach (or with ``None`` remove) a video's subtitles; new subtitles go back to
    review with every video and course that shows the asset."""
    captions = media_asset_captions_set(asset=asset, vtt=vtt, language=language)
    if captions is not None:
        asset_review_after_change(asset=asset)
    return captions


@transaction.atomic
def lesson_delete(*, lesson: Lesson) -> None:
    """Delete a lesson (its media stays in the library); students who had
    completed every other lesson now have finished the course."""
    course_id = lesson.course_id
    lesson.delete()
    certificates_issue_for_course(course_id=course_id)


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
