"""The review queue ordered by the pre-screen's risk, with the frames that scored and
other creators' uploads the video duplicates (issue 19). A moderator still decides."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from courses.models import DuplicateMatch, ShortVideo
from tests.factories import (
    KeyframeFactory,
    LessonFactory,
    ShortVideoFactory,
    UserFactory,
    VideoAnalysisFactory,
)

QUEUE = "/admin/studio/videoreview/"


def _pending_video(title: str, *, risk: float | None) -> ShortVideo:
    video = ShortVideoFactory.create(title=title, moderation="pending")
    if risk is not None:
        analysis = VideoAnalysisFactory.create(asset=video.asset, risk=risk, needs_review=True)
        KeyframeFactory.create(
            analysis=analysis,
            risk=risk,
            timestamp=2.5,
            detections=[{"label": "FEMALE_BREAST_EXPOSED", "score": risk, "box": [0, 0, 1, 1]}],
        )
        KeyframeFactory.create(analysis=analysis, risk=0.01)  # scored nothing: not shown
    return video


@pytest.mark.django_db
def test_the_queue_puts_the_flagged_video_first_and_shows_its_frame(admin_client: Client) -> None:
    # given
    _pending_video("calm lesson", risk=0.02)
    _pending_video("never analysed", risk=None)
    flagged = _pending_video("flagged lesson", risk=0.91)
    # when
    page = admin_client.get(QUEUE).content.decode()
    # then
    assert page.index("flagged lesson") < page.index("calm lesson")
    assert page.index("flagged lesson") < page.index("never analysed")
    frame = flagged.asset.analysis.keyframes.get(risk=0.91)
    assert f"/keyframes/{frame.pk}.jpg" in page
    assert "FEMALE_BREAST_EXPOSED" in page
    assert page.count('<img src="/keyframes/') == 1  # the unflagged frames are not shown


@pytest.mark.django_db
def test_another_creators_duplicate_is_shown_with_the_match_and_similarity(
    admin_client: Client,
) -> None:
    # given
    original = ShortVideoFactory.create(title="the original")
    copy = _pending_video("the copy", risk=0.0)
    DuplicateMatch.objects.create(
        asset=copy.asset,
        matched=original.asset,
        similarity=0.875,
        containment=1.0,
        is_same_owner=False,
    )
    # when
    page = admin_client.get(QUEUE).content.decode()
    # then
    assert f'href="/v/{original.pk}/">the original</a>' in page
    assert "88%" in page


@pytest.mark.django_db
def test_the_queue_costs_the_same_queries_for_more_videos(
    admin_client: Client, django_assert_max_num_queries
) -> None:
    for n in range(3):
        _pending_video(f"video {n}", risk=0.7)
    with django_assert_max_num_queries(16) as few:
        admin_client.get(QUEUE)
    for n in range(3, 12):
        video = _pending_video(f"video {n}", risk=0.7)
        DuplicateMatch.objects.create(
            asset=video.asset,
            matched=ShortVideoFactory.create().asset,
            similarity=0.9,
            containment=0.9,
            is_same_owner=False,
        )
    with django_assert_max_num_queries(len(few.captured_queries) + 2):
        admin_client.get(QUEUE)


@pytest.mark.django_db
def test_the_course_queue_orders_by_the_riskiest_lesson(admin_client: Client) -> None:
    calm = LessonFactory.create(section__course__title="calm course").course
    risky_lesson = LessonFactory.create(section__course__title="risky course")
    for course in (calm, risky_lesson.course):
        course.moderation = "pending"
        course.save(update_fields=["moderation"])
    VideoAnalysisFactory.create(asset=risky_lesson.asset, risk=0.8)
    page = admin_client.get("/admin/studio/coursereview/").content.decode()
    assert page.index("risky course") < page.index("calm course")


@pytest.mark.django_db
def test_a_keyframe_is_shown_to_its_creator_and_staff_only(client: Client) -> None:
    # given
    frame = KeyframeFactory.create()
    path = Path(settings.MEDIA_ROOT) / frame.image.name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    url = f"/keyframes/{frame.pk}.jpg"
    # then
    assert client.get(url).status_code == 404
    client.force_login(UserFactory.create())
    assert client.get(url).status_code == 404
    client.force_login(frame.analysis.asset.owner)
    assert client.get(url).status_code == 200
    client.force_login(UserFactory.create(is_staff=True))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


@pytest.mark.django_db
def test_a_courses_review_page_shows_its_lessons_flagged_frames(admin_client: Client) -> None:
    lesson = LessonFactory.create()
    analysis = VideoAnalysisFactory.create(asset=lesson.asset, risk=0.8)
    frame = KeyframeFactory.create(analysis=analysis, risk=0.8)
    page = admin_client.get(f"/admin/studio/coursereview/{lesson.course_id}/change/")
    assert page.status_code == 200
    assert f"/keyframes/{frame.pk}.jpg" in page.content.decode()
