"""Moderation cannot be bypassed (issue 12, item 2), under production settings.

Every studio write that changes what viewers see, and the scheduled-publish
task, is walked through the creator's own pages. After each one, everything
an anonymous visitor and a paying student can reach (course and video pages,
lesson pages and media, subtitles, search, the API) must not show the new,
unreviewed content; once a moderator approves, it must (so no row passes by
showing nothing at all). Rejected content must never come back by publishing,
by hand or on a schedule.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from courses.models import Course, Lesson, MediaAsset, ShortVideo
from courses.selectors import catalogue_courses
from courses.services import enrollment_grant
from studio import services
from studio.models import PublishSchedule
from studio.tasks import scheduled_publish_due_task
from tests.factories import (
    CourseFactory,
    CreatorProfileFactory,
    LessonFactory,
    MediaAssetFactory,
    ShortVideoFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
MARK = "UNREVIEWED-7f3a"  # the new text each row writes; viewers must not see it
QUERY = "unreviewed"  # finds it in search, without the page's echo of the query being it


@dataclass
class World:
    creator: Any
    studio: Client
    course: Course
    section: Any
    lesson: Lesson  # a paid lesson, not a preview
    video: ShortVideo
    new_lesson_asset: MediaAsset  # a lesson upload never reviewed
    new_video_asset: MediaAsset  # a short-video upload never reviewed
    anonymous: Client
    student: Client


@pytest.fixture
def world(prod_settings: Any, make_clip: Callable[..., str]) -> World:
    prod_settings()  # STUDIO_MODERATION_REQUIRED is production's default
    creator = CreatorProfileFactory.create().user
    clip = make_clip()
    course = CourseFactory.create(creator=creator, title="Approved course", moderation="approved")
    lesson = LessonFactory.create(section__course=course, section__title="Basics", title="Intro")
    MediaAsset.objects.filter(lessons=lesson).update(file=clip)
    video = ShortVideoFactory.create(
        creator=creator, title="Approved video", moderation="approved", asset__file=clip
    )
    new_lesson_asset = MediaAssetFactory.create(owner=creator, is_private=True, file=clip)
    new_video_asset = MediaAssetFactory.create(owner=creator, file=clip)
    student = UserFactory.create()
    enrollment_grant(user_id=student.pk, course=course)
    clients = []
    for user in (creator, None, student):
        client = Client(headers={"X-Forwarded-Proto": "https"})
        if user is not None:
            client.force_login(user)
        clients.append(client)
    return World(
        creator=creator,
        studio=clients[0],
        course=course,
        section=lesson.section,
        lesson=lesson,
        video=video,
        new_lesson_asset=new_lesson_asset,
        new_video_asset=new_video_asset,
        anonymous=clients[1],
        student=clients[2],
    )


@dataclass(frozen=True)
class Seen:
    """What viewers can reach: page text, and who may play which media."""

    text: str
    assets_anonymous: frozenset[int]
    assets_student: frozenset[int]


def _text(response: Any) -> str:
    if response.status_code != 200:
        return ""
    if getattr(response, "streaming", False):
        return ""
    # Without tags: search wraps the matched words in <mark>.
    return re.sub(r"<[^>]+>", "", response.content.decode(errors="replace"))


def seen(world: World) -> Seen:
    """Everything both viewers reach of the creator's content, as text and playable assets."""
    courses = Course.objects.filter(creator=world.creator)
    videos = ShortVideo.objects.filter(creator=world.creator)
    lessons = Lesson.objects.filter(course__creator=world.creator)
    assets = MediaAsset.objects.filter(owner=world.creator)
    text: list[str] = []
    playable: dict[str, set[int]] = {"anonymous": set(), "student": set()}
    for name, client in (("anonymous", world.anonymous), ("student", world.student)):
        for course in courses:
            text.append(_text(client.get(f"/c/{course.slug}/")))
            text.append(_text(client.get(f"/api/v1/courses/{course.slug}")))
        for video in videos:
            text.append(_text(client.get(f"/v/{video.pk}/")))
        for lesson in lessons:
            page = client.get(f"/lessons/{lesson.pk}/")
            media = client.get(f"/lessons/{lesson.pk}/media")
            text.append(_text(page))
            if page.status_code == 200 and media.status_code in (200, 206) and lesson.asset_id:
                playable[name].add(lesson.asset_id)
        for asset in assets:
            text.append(_text(client.get(f"/captions/{asset.pk}.vtt")))
        text.append(_text(client.get(f"/search/?q={QUERY}")))
        text.append(_text(client.get(f"/api/v1/search?q={QUERY}")))
        text.append(_text(client.get("/api/v1/videos")))
    return Seen(
        text="\n".join(text),
        assets_anonymous=frozenset(playable["anonymous"]),
        assets_student=frozenset(playable["student"]),
    )


def _post(world: World, url: str, data: dict[str, Any]) -> None:
    response = world.studio.post(url, data)
    assert response.status_code in (200, 302), (url, response.status_code)


def _vtt() -> SimpleUploadedFile:
    body = f"WEBVTT\n\n00:00.000 --> 00:01.000\n{MARK}\n".encode()
    return SimpleUploadedFile("subs.vtt", body, content_type="text/vtt")


def _course_form(world: World, **change: Any) -> dict[str, Any]:
    course = world.course
    return {
        "title": course.title,
        "summary": course.summary,
        "description": course.description,
        "category": course.category_id,
        "tags": "",
        "price": "49.00",
        "currency": course.currency,
    } | change


def _video_form(world: World, **change: Any) -> dict[str, Any]:
    video = world.video
    return {"title": video.title, "description": "", "category": video.category_id} | change


def _lesson_form(world: World, **change: Any) -> dict[str, Any]:
    lesson, prefix = world.lesson, f"l{world.lesson.pk}"
    data = {"title": lesson.title, "asset": lesson.asset_id, "is_preview": ""} | change
    return {f"{prefix}-{key}": value for key, value in data.items() if value != ""}


# --- The rows: a studio write, what it exposes if unreviewed, what review covers -------


@dataclass(frozen=True)
class Row:
    name: str
    act: Callable[[World], Any]  # the write, through the creator's pages; returns the item
    exposed: Callable[[World, Seen], bool]  # would viewers see the new content?


def _shows_mark(world: World, view: Seen) -> bool:
    return MARK in view.text


def _plays_new_lesson_asset(world: World, view: Seen) -> bool:
    return world.new_lesson_asset.pk in view.assets_anonymous | view.assets_student


def _anonymous_plays_the_paid_lesson(world: World, view: Seen) -> bool:
    return world.lesson.asset_id in view.assets_anonymous


def edit_course(world: World) -> Any:
    _post(world, f"/studio/courses/{world.course.pk}/", _course_form(world, title=MARK))
    return world.course


def add_section(world: World) -> Any:
    _post(world, f"/studio/courses/{world.course.pk}/sections", {"section-title": MARK})
    return world.course


def rename_section(world: World) -> Any:
    prefix = f"s{world.section.pk}"
    _post(world, f"/studio/sections/{world.section.pk}/rename", {f"{prefix}-title": MARK})
    return world.course


def add_preview_lesson_with_unreviewed_video(world: World) -> Any:
    prefix = f"lesson{world.section.pk}"
    data = {
        f"{prefix}-title": MARK,
        f"{prefix}-is_preview": "on",
        f"{prefix}-asset": world.new_lesson_asset.pk,
    }
    _post(world, f"/studio/sections/{world.section.pk}/lessons", data)
    return world.course


def swap_lesson_video(world: World) -> Any:
    data = _lesson_form(world, asset=world.new_lesson_asset.pk)
    _post(world, f"/studio/lessons/{world.lesson.pk}/edit", data)
    return world.course


def make_lesson_free_preview(world: World) -> Any:
    _post(world, f"/studio/lessons/{world.lesson.pk}/edit", _lesson_form(world, is_preview="on"))
    return world.course


def rename_lesson(world: World) -> Any:
    _post(world, f"/studio/lessons/{world.lesson.pk}/edit", _lesson_form(world, title=MARK))
    return world.course


def caption_lesson_video(world: World) -> Any:
    url = f"/studio/assets/{world.lesson.asset_id}/captions"
    _post(world, url, {"file": _vtt(), "language": "en"})
    return world.course


def caption_short_video(world: World) -> Any:
    _post(
        world, f"/studio/assets/{world.video.asset_id}/captions", {"file": _vtt(), "language": "en"}
    )
    return world.video


def edit_video(world: World) -> Any:
    _post(world, f"/studio/videos/{world.video.pk}/", _video_form(world, title=MARK))
    return world.video


def publish_new_video(world: World) -> Any:
    data = _video_form(world, title=MARK) | {"asset": world.new_video_asset.pk}
    _post(world, "/studio/videos/new/", data)
    video = ShortVideo.objects.get(title=MARK)
    _post(world, f"/studio/videos/{video.pk}/publish", {})
    return video


def publish_new_course(world: World) -> Any:
    form = _course_form(world, title=MARK)
    _post(world, "/studio/courses/new/", form)
    course = Course.objects.get(title=MARK)
    _post(world, f"/studio/courses/{course.pk}/sections", {"section-title": "One"})
    section = course.sections.get()
    prefix = f"lesson{section.pk}"
    lesson = {f"{prefix}-title": "First", f"{prefix}-asset": world.new_lesson_asset.pk}
    _post(world, f"/studio/sections/{section.pk}/lessons", lesson)
    _post(world, f"/studio/courses/{course.pk}/publish", {})
    return course


def unpublish_edit_republish(world: World) -> Any:
    _post(world, f"/studio/courses/{world.course.pk}/unpublish", {})
    _post(world, f"/studio/courses/{world.course.pk}/", _course_form(world, title=MARK))
    _post(world, f"/studio/courses/{world.course.pk}/publish", {})
    return world.course


def _schedule(world: World, url: str) -> None:
    at = timezone.now() + timedelta(minutes=5)
    _post(world, url, {"publish_at": at.strftime("%Y-%m-%dT%H:%M")})


def _beat_runs_after_the_scheduled_time() -> None:
    """Time passes (the schedule falls due), then beat's task runs, as a worker runs it."""
    PublishSchedule.objects.update(publish_at=timezone.now() - timedelta(seconds=1))
    scheduled_publish_due_task.apply()


def schedule_never_reviewed_video(world: World) -> Any:
    data = _video_form(world, title=MARK) | {"asset": world.new_video_asset.pk}
    _post(world, "/studio/videos/new/", data)
    video = ShortVideo.objects.get(title=MARK)
    _schedule(world, f"/studio/videos/{video.pk}/publish")
    _beat_runs_after_the_scheduled_time()
    return video


ROWS = [
    Row("edit the course's details", edit_course, _shows_mark),
    Row("add a section", add_section, _shows_mark),
    Row("rename a section", rename_section, _shows_mark),
    Row(
        "add a free-preview lesson with a never-reviewed video",
        add_preview_lesson_with_unreviewed_video,
        lambda w, v: _shows_mark(w, v) or _plays_new_lesson_asset(w, v),
    ),
    Row("swap a paid lesson's video", swap_lesson_video, _plays_new_lesson_asset),
    Row(
        "make a paid lesson a free preview",
        make_lesson_free_preview,
        _anonymous_plays_the_paid_lesson,
    ),
    Row("rename a lesson", rename_lesson, _shows_mark),
    Row("attach subtitles to a lesson video", caption_lesson_video, _shows_mark),
    Row("attach subtitles to a short video", caption_short_video, _shows_mark),
    Row("edit a short video", edit_video, _shows_mark),
    Row("publish a new short video", publish_new_video, _shows_mark),
    Row("publish a new course", publish_new_course, _shows_mark),
    Row("unpublish, edit, publish again", unpublish_edit_republish, _shows_mark),
    Row(
        "scheduled publishing of a never-reviewed video", schedule_never_reviewed_video, _shows_mark
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_unreviewed_content_is_never_visible_until_a_moderator_approves(
    world: World, row: Row
) -> None:
    # given: nothing new is visible yet
    assert not row.exposed(world, seen(world))
    # when: the creator makes the change through the studio
    item = row.act(world)
    # then: viewers still cannot see it...
    assert not row.exposed(world, seen(world)), f"{row.name}: visible before review"
    # ...until a moderator approves the item as it now is
    services.moderation_decide(item=type(item).objects.get(pk=item.pk), approve=True)
    assert row.exposed(world, seen(world)), f"{row.name}: not visible even after approval"


# --- Rejected content never comes back by publishing ---------------------------------


def _new_draft_video(world: World) -> ShortVideo:
    data = _video_form(world, title=MARK) | {"asset": world.new_video_asset.pk}
    _post(world, "/studio/videos/new/", data)
    return ShortVideo.objects.get(title=MARK)


def _edited_unpublished_course(world: World) -> Course:
    _post(world, f"/studio/courses/{world.course.pk}/", _course_form(world, title=MARK))
    _post(world, f"/studio/courses/{world.course.pk}/unpublish", {})
    return world.course


def _reject(item: ShortVideo | Course) -> None:
    services.moderation_decide(
        item=type(item).objects.get(pk=item.pk), approve=False, reason="Not allowed."
    )


def rejected_video_published_by_hand(world: World) -> None:
    video = _new_draft_video(world)
    _reject(video)
    _post(world, f"/studio/videos/{video.pk}/publish", {})


def video_rejected_while_scheduled(world: World) -> None:
    video = _new_draft_video(world)
    _schedule(world, f"/studio/videos/{video.pk}/publish")
    _reject(video)
    _beat_runs_after_the_scheduled_time()


def rejected_course_published_by_hand(world: World) -> None:
    course = _edited_unpublished_course(world)
    _reject(course)
    _post(world, f"/studio/courses/{course.pk}/publish", {})


def course_rejected_while_scheduled(world: World) -> None:
    course = _edited_unpublished_course(world)
    _schedule(world, f"/studio/courses/{course.pk}/publish")
    _reject(course)
    _beat_runs_after_the_scheduled_time()


REJECTED = [
    rejected_video_published_by_hand,
    video_rejected_while_scheduled,
    rejected_course_published_by_hand,
    course_rejected_while_scheduled,
]


@pytest.mark.parametrize("act", REJECTED, ids=[act.__name__ for act in REJECTED])
def test_rejected_content_is_never_published_again(world: World, act: Callable) -> None:
    act(world)
    view = seen(world)
    assert MARK not in view.text
    # A course that was live keeps its approved title; the rejected one waits in `pending`.
    rejected = [
        *ShortVideo.objects.filter(title=MARK).values_list("moderation", flat=True),
        *Course.objects.filter(pending__title=MARK).values_list("moderation", flat=True),
    ]
    assert rejected == ["rejected"]  # the moderator's decision stands


def test_reordering_and_deleting_change_nothing_a_moderator_must_see(world: World) -> None:
    """Writes that add nothing new for viewers keep the course on the site."""
    second = LessonFactory.create(section=world.section, title="Second")
    _post(world, f"/studio/lessons/{second.pk}/up", {})
    _post(world, f"/studio/lessons/{second.pk}/delete", {})
    world.course.refresh_from_db()
    assert world.course.moderation == "approved"
    assert world.anonymous.get(f"/c/{world.course.slug}/").status_code == 200


def test_without_moderation_required_a_rejection_still_stands(world: World, settings: Any) -> None:
    settings.STUDIO_MODERATION_REQUIRED = False
    video = _new_draft_video(world)
    _reject(video)
    _post(world, f"/studio/videos/{video.pk}/", _video_form(world, title=MARK + " fixed"))
    _post(world, f"/studio/videos/{video.pk}/publish", {})
    video.refresh_from_db()
    assert video.moderation == "pending"  # back to a moderator, not approved by the edit
    assert MARK not in seen(world).text


def test_test_only_publish_path_is_gone() -> None:
    import courses.services

    assert not hasattr(courses.services, "short_video_publish")


# --- An approved course stays live while a change is reviewed ------------------------


def _plays(client: Client, lesson_id: int) -> bool:
    page = client.get(f"/lessons/{lesson_id}/")
    return page.status_code == 200 and client.get(f"/lessons/{lesson_id}/media").status_code in (
        200,
        206,
    )


def _add_paid_lesson(world: World) -> Lesson:
    prefix = f"lesson{world.section.pk}"
    data = {f"{prefix}-title": MARK, f"{prefix}-asset": world.new_lesson_asset.pk}
    _post(world, f"/studio/sections/{world.section.pk}/lessons", data)
    return Lesson.objects.get(title=MARK)


def _approve(world: World) -> None:
    services.moderation_decide(item=Course.objects.get(pk=world.course.pk), approve=True)


def test_a_buyer_keeps_playing_the_approved_course_while_an_edit_is_in_review(
    world: World,
) -> None:
    edit_course(world)
    rename_lesson(world)
    world.course.refresh_from_db()
    assert world.course.moderation == "pending"  # in the queue...
    page = world.student.get(f"/c/{world.course.slug}/")
    assert page.status_code == 200  # ...and still on the site, with its approved title
    assert "Approved course" in _text(page)
    assert MARK not in _text(page)
    handle = world.creator.creator_profile.handle
    assert "Approved course" in _text(world.anonymous.get(f"/@{handle}/"))  # in the catalogue
    assert world.course.pk in {c.pk for c in catalogue_courses()}  # and recommendations
    # the renamed lesson waits for review; the buyer's other lessons play on
    other = LessonFactory.create(section=world.section, title="Second")
    MediaAsset.objects.filter(lessons=other).update(file=world.new_lesson_asset.file.name)
    assert _plays(world.student, other.pk)
    assert not _plays(world.student, world.lesson.pk)
    _approve(world)
    page = world.student.get(f"/c/{world.course.slug}/")
    assert MARK in _text(page)
    assert "Approved course" not in _text(page)
    assert _plays(world.student, world.lesson.pk)
    assert _plays(world.student, other.pk)


def test_a_new_lesson_is_neither_listed_nor_playable_until_approved(world: World) -> None:
    new = _add_paid_lesson(world)
    syllabus = _text(world.student.get(f"/api/v1/courses/{world.course.slug}"))
    assert MARK not in syllabus
    assert "Intro" in syllabus
    assert MARK not in _text(world.student.get(f"/c/{world.course.slug}/"))
    assert not _plays(world.student, new.pk)
    assert world.student.get(f"/lessons/{new.pk}/").status_code == 404
    assert _plays(world.student, world.lesson.pk)  # the approved lesson plays meanwhile
    _approve(world)
    assert MARK in _text(world.student.get(f"/api/v1/courses/{world.course.slug}"))
    assert _plays(world.student, new.pk)
    assert not _plays(world.anonymous, new.pk)  # a paid lesson, still for buyers only


def test_a_rejected_edit_leaves_the_approved_version_live_and_tells_the_creator(
    world: World,
) -> None:
    from accounts.models import Notification

    edit_course(world)
    new = _add_paid_lesson(world)
    _reject(world.course)
    course = Course.objects.get(pk=world.course.pk)
    assert course.moderation == "rejected"
    assert course.title == "Approved course"
    assert course.pending["title"] == MARK  # kept for the creator to fix
    page = world.student.get(f"/c/{world.course.slug}/")
    assert page.status_code == 200
    assert MARK not in _text(page)
    assert _plays(world.student, world.lesson.pk)
    assert not _plays(world.student, new.pk)
    told = Notification.objects.get(recipient=world.creator, course_id=course.pk)
    assert told.kind == "moderation_rejected"
    assert told.reason == "Not allowed."
    # the creator's form shows the change as written, to fix it
    assert MARK in world.studio.get(f"/studio/courses/{course.pk}/").content.decode()


def test_rejecting_a_live_course_with_nothing_in_review_takes_it_down(world: World) -> None:
    _reject(world.course)
    assert world.anonymous.get(f"/c/{world.course.slug}/").status_code == 404
    assert not _plays(world.student, world.lesson.pk)


def test_the_review_queue_shows_what_changed(world: World) -> None:
    from courses.selectors import course_changes_in_review

    edit_course(world)
    rename_section(world)
    _add_paid_lesson(world)
    course = Course.objects.get(pk=world.course.pk)
    changes = course_changes_in_review(course)
    assert f"title: 'Approved course' → '{MARK}'" in changes
    assert f"section renamed: 'Basics' → '{MARK}'" in changes
    assert any(line.startswith(f"new or changed lesson: '{MARK}'") for line in changes)
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    admin = Client(headers={"X-Forwarded-Proto": "https"})
    admin.force_login(staff)
    page = admin.get(f"/admin/studio/coursereview/{course.pk}/change/")
    assert page.status_code == 200
    assert "section renamed" in page.content.decode()
    _approve(world)
    assert course_changes_in_review(Course.objects.get(pk=world.course.pk)) == []
