"""Course builder, short videos, publishing (now, scheduled) and moderation."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from common.exceptions import ApplicationError
from courses.models import Comment, Course, Lesson, Report, Section
from courses.selectors import course_get_published, video_get_published
from studio import services
from studio.models import PublishSchedule
from tests.factories import CourseFactory, MediaAssetFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def studio(creator) -> Client:
    client = Client()
    client.force_login(creator)
    return client


def _lesson_asset(owner, **fields):
    return MediaAssetFactory.create(owner=owner, is_private=True, duration_seconds=61.4, **fields)


def test_creator_builds_and_publishes_a_course_through_the_pages(studio, creator, category) -> None:
    # given: a new course from the form
    response = studio.post(
        "/studio/courses/new/",
        {"title": "Python 入门", "summary": "Start here", "description": "**Hi**",
         "category": category.pk, "tags": "python, 编程", "price": "49.90", "currency": "CNY"},
    )  # fmt: skip
    course = Course.objects.get()
    assert response["Location"] == f"/studio/courses/{course.pk}/"
    assert (course.price_minor, course.status, course.slug) == (4990, "draft", "python-入门")
    assert sorted(t.slug for t in course.tags.all()) == ["python", "编程"]
    # when: two sections, three lessons, one preview
    asset = _lesson_asset(creator)
    for title in ("Basics", "Next steps"):
        studio.post(f"/studio/courses/{course.pk}/sections", {"section-title": title})
    first, second = Section.objects.order_by("position")
    for section, title, preview in [
        (first, "Hello", "on"),
        (first, "Types", ""),
        (second, "Loops", ""),
    ]:
        data = {f"lesson{section.pk}-title": title, f"lesson{section.pk}-asset": asset.pk}
        if preview:
            data[f"lesson{section.pk}-is_preview"] = preview
        studio.post(f"/studio/sections/{section.pk}/lessons", data)
    published = studio.post(f"/studio/courses/{course.pk}/publish", {"publish_at": ""})
    # then
    assert published.status_code == 302
    shown = course_get_published(slug=course.slug)
    assert shown is not None
    titles = [[lesson.title for lesson in s.lessons.all()] for s in shown.sections.all()]
    assert titles == [["Hello", "Types"], ["Loops"]]
    assert list(Lesson.objects.filter(is_preview=True).values_list("title", flat=True)) == ["Hello"]
    assert Lesson.objects.get(title="Loops").duration_seconds == 61
    page = Client().get(f"/c/{course.slug}/")
    assert page.status_code == 200
    assert "Free preview" in page.content.decode()


def test_reordering_swaps_neighbours_and_renumbers(creator, category) -> None:
    course = services.course_create(creator_id=creator.pk, title="C", category=category)
    a, _, c = (services.section_create(course=course, title=t) for t in "abc")
    services.item_move(item=c, direction="up")
    services.item_move(item=a, direction="up")  # already first: no change
    order = list(Section.objects.order_by("position").values_list("title", flat=True))
    assert order == ["a", "c", "b"]
    assert list(Section.objects.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
    ]


def test_a_course_without_ready_lesson_videos_cannot_be_published(creator, category) -> None:
    course = services.course_create(creator_id=creator.pk, title="C", category=category)
    with pytest.raises(ApplicationError, match="Add at least one lesson"):
        services.publish(item=course)
    section = services.section_create(course=course, title="S")
    services.lesson_create(section=section, title="No video")
    services.lesson_create(
        section=section, title="Busy", asset=_lesson_asset(creator, status="processing")
    )
    with pytest.raises(ApplicationError) as error:
        services.publish(item=course)
    assert "No video" in error.value.message
    assert "Busy" in error.value.message
    course.refresh_from_db()
    assert course.status == "draft"


def test_lessons_cannot_use_another_creators_media(creator, other_creator, category) -> None:
    course = services.course_create(creator_id=creator.pk, title="C", category=category)
    section = services.section_create(course=course, title="S")
    with pytest.raises(ApplicationError):
        services.lesson_create(section=section, title="L", asset=_lesson_asset(other_creator))


def test_a_teaser_video_points_to_the_creators_own_course_only(
    creator, other_creator, category
) -> None:
    asset = MediaAssetFactory.create(owner=creator)
    theirs = CourseFactory.create(creator=other_creator)
    with pytest.raises(ApplicationError):
        services.short_video_create(
            creator_id=creator.pk, asset=asset, title="T", category=category, course=theirs
        )
    mine = CourseFactory.create(creator=creator)
    video = services.short_video_create(
        creator_id=creator.pk, asset=asset, title="T", category=category, course=mine, tags="#ai"
    )
    services.publish(item=video)
    shown = video_get_published(video_id=video.pk)
    assert shown is not None
    assert shown.course == mine


def test_a_video_is_published_only_when_its_media_is_ready(creator, category) -> None:
    asset = MediaAssetFactory.create(owner=creator, status="processing")
    video = services.short_video_create(
        creator_id=creator.pk, asset=asset, title="T", category=category
    )
    with pytest.raises(ApplicationError, match="not ready"):
        services.publish(item=video)


def test_scheduled_publishing_waits_for_its_time(creator, category) -> None:
    # given
    asset = MediaAssetFactory.create(owner=creator)
    video = services.short_video_create(
        creator_id=creator.pk, asset=asset, title="T", category=category
    )
    now = timezone.now()
    services.publish(item=video, at=now + timedelta(hours=1), now=now)
    # when: the beat task runs before, then after the time
    early = services.scheduled_publish_due(now=now + timedelta(minutes=59))
    video.refresh_from_db()
    status_before = video.status
    late = services.scheduled_publish_due(now=now + timedelta(hours=1, minutes=1))
    again = services.scheduled_publish_due(now=now + timedelta(hours=1, minutes=2))
    # then
    video.refresh_from_db()
    assert (early, status_before) == (0, "draft")
    assert (late, again, video.status) == (1, 0, "published")
    assert PublishSchedule.objects.get().done_at is not None


def test_a_scheduled_course_that_is_not_ready_records_why(creator, category) -> None:
    course = services.course_create(creator_id=creator.pk, title="C", category=category)
    now = timezone.now()
    services.publish(item=course, at=now + timedelta(minutes=5), now=now)
    assert services.scheduled_publish_due(now=now + timedelta(minutes=6)) == 0
    assert "Add at least one lesson" in PublishSchedule.objects.get().failure_reason


def test_unpublish_takes_it_off_the_site(creator, category) -> None:
    video = ShortVideoFactory.create(creator=creator)
    assert video_get_published(video_id=video.pk) is not None
    services.unpublish(item=video)
    assert video_get_published(video_id=video.pk) is None


def test_with_moderation_required_new_content_waits_for_review(creator, category, settings) -> None:
    # given
    settings.STUDIO_MODERATION_REQUIRED = True
    asset = MediaAssetFactory.create(owner=creator)
    video = services.short_video_create(
        creator_id=creator.pk, asset=asset, title="T", category=category
    )
    # when
    services.publish(item=video)
    # then: published but pending, so not on the site
    video.refresh_from_db()
    assert (video.status, video.moderation) == ("published", "pending")
    assert video_get_published(video_id=video.pk) is None
    services.moderation_decide(item=video, approve=True)
    assert video_get_published(video_id=video.pk) is not None


def test_a_rejection_reason_is_shown_to_the_creator(studio, creator, category, settings) -> None:
    settings.STUDIO_MODERATION_REQUIRED = True
    asset = MediaAssetFactory.create(owner=creator)
    video = services.short_video_create(
        creator_id=creator.pk, asset=asset, title="T", category=category
    )
    services.publish(item=video)
    with pytest.raises(ValidationError, match="Say why") as refused:
        services.moderation_decide(item=video, approve=False, reason=" ")
    assert list(refused.value.message_dict) == ["reason"]
    services.moderation_decide(item=video, approve=False, reason="Audio is copyrighted music.")
    page = studio.get(f"/studio/videos/{video.pk}/").content.decode()
    assert "Rejected" in page
    assert "Audio is copyrighted music." in page


def test_without_moderation_content_is_approved_at_once(creator, category) -> None:
    asset = MediaAssetFactory.create(owner=creator)
    video = services.short_video_create(
        creator_id=creator.pk, asset=asset, title="T", category=category
    )
    services.publish(item=video)
    video.refresh_from_db()
    assert video.moderation == "approved"


def test_editing_an_approved_video_sends_it_back_to_review(creator, category, settings) -> None:
    settings.STUDIO_MODERATION_REQUIRED = True
    video = ShortVideoFactory.create(creator=creator, moderation="approved")
    services.short_video_update(video=video, title="New title", category=category)
    video.refresh_from_db()
    assert video.moderation == "pending"


def test_upholding_a_report_hides_the_video_and_closes_its_reports(creator) -> None:
    video = ShortVideoFactory.create(creator=creator)
    reports = [
        Report.objects.create(reporter=UserFactory.create(), video=video, reason="spam")
        for _ in range(2)
    ]
    closed = services.report_resolve(report=reports[0], uphold=True, reason="Spam links.")
    video.refresh_from_db()
    assert closed == 2
    assert (video.moderation, video.moderation_reason) == ("rejected", "Spam links.")
    assert video_get_published(video_id=video.pk) is None


def test_upholding_a_comment_report_removes_the_comment(creator) -> None:
    comment = Comment.objects.create(
        video=ShortVideoFactory.create(), author=UserFactory.create(), body="buy pills"
    )
    report = Report.objects.create(reporter=creator, comment=comment, reason="spam")
    services.report_resolve(report=report, uphold=True)
    comment.refresh_from_db()
    report.refresh_from_db()
    assert comment.is_removed
    assert report.status == "upheld"


def test_the_description_is_rendered_sanitised(studio, creator, category) -> None:
    course = services.course_create(
        creator_id=creator.pk,
        title="C",
        category=category,
        description="**bold** <script>alert(1)</script> [x](javascript:alert(1))",
    )
    page = studio.get(f"/studio/courses/{course.pk}/").content.decode()
    assert "<strong>bold</strong>" in page
    assert "<script>alert(1)" not in page
    assert 'href="javascript:' not in page


def test_a_viewer_becomes_a_creator_with_an_avatar(tmp_path) -> None:
    # given
    from PIL import Image

    viewer = UserFactory.create()
    client = Client()
    client.force_login(viewer)
    image = tmp_path / "me.png"
    Image.new("RGB", (800, 600), "orange").save(image)
    # when
    with image.open("rb") as avatar:
        response = client.post(
            "/studio/become/", {"handle": "mei-codes", "bio": "Hi", "avatar": avatar}
        )
    # then
    assert response["Location"] == "/studio/"
    profile = viewer.creator_profile
    assert profile.handle == "mei-codes"
    assert profile.avatar.name.endswith(".jpg")
    assert client.get("/studio/").status_code == 200


def test_a_fake_avatar_gets_a_form_error(tmp_path) -> None:
    client = Client()
    client.force_login(UserFactory.create())
    fake = tmp_path / "x.png"
    fake.write_bytes(b"<script>alert(1)</script>")
    with fake.open("rb") as avatar:
        response = client.post("/studio/become/", {"handle": "h", "avatar": avatar})
    assert response.status_code == 200
    assert "Upload a JPEG, PNG or WebP image." in response.content.decode()


def test_a_taken_handle_gets_a_form_error(creator) -> None:
    client = Client()
    client.force_login(UserFactory.create())
    response = client.post("/studio/become/", {"handle": creator.creator_profile.handle})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


@pytest.mark.parametrize("count", [1, 4])
def test_studio_lists_use_a_fixed_number_of_queries(
    studio, creator, count, django_assert_max_num_queries
) -> None:
    for _ in range(count):
        ShortVideoFactory.create(creator=creator)
        CourseFactory.create(creator=creator)
        MediaAssetFactory.create(owner=creator)
    with django_assert_max_num_queries(8):
        assert studio.get("/studio/").status_code == 200
    with django_assert_max_num_queries(6):
        assert studio.get("/studio/library/").status_code == 200


def test_a_twin_new_course_whose_slug_was_just_taken_gets_another(
    creator, category, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a course saved by a twin request after this one picked the same slug
    CourseFactory.create(slug="python-basics")
    monkeypatch.setattr("courses.authoring._unique_slug", lambda title: "python-basics")
    monkeypatch.setattr(Course, "validate_unique", lambda self, exclude=None: None)
    # when
    course = services.course_create(creator_id=creator.pk, title="Python basics", category=category)
    # then the unique index's refusal became a fresh suffix, not a 500
    assert course.slug.startswith("python-basics-")
    assert Course.objects.filter(slug__startswith="python-basics").count() == 2


def test_publishing_waits_for_ready_media(creator) -> None:
    video = ShortVideoFactory.create(
        creator=creator, status="draft", published_at=None, asset__status="processing"
    )
    with pytest.raises(ApplicationError) as error:
        services.publish(item=video)
    assert error.value.code == "not_publishable"
    video.refresh_from_db()
    assert video.status == "draft"


def test_publishing_a_ready_video_sets_its_time(creator) -> None:
    video = ShortVideoFactory.create(creator=creator, status="draft", published_at=None)
    published = services.publish(item=video)
    assert published.status == "published"
    assert published.published_at is not None
