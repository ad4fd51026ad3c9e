"""A lesson opens at the speed last chosen in the course, at the place the student left."""

import pytest

from courses.models import LessonProgress
from courses.services import enrollment_grant
from tests.conftest import wait_until
from tests.factories import LessonFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_lesson_resumes_at_its_place_and_the_remembered_speed(
    live_server, page, make_clip
) -> None:
    # given a student who left the lesson at 6 s, watching at 1.5x
    lesson = LessonFactory.create(
        duration_seconds=10, asset__file=make_clip(seconds=10.0), asset__duration_seconds=10.0
    )
    student = UserFactory.create(username="stu")
    enrollment_grant(user_id=student.pk, course=lesson.course)
    LessonProgress.objects.create(
        user=student,
        lesson=lesson,
        course=lesson.course,
        position_seconds=6,
        watched_seconds=6,
        playback_rate=1.5,
    )
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "stu")
    page.fill("input[name=password]", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    # when they open it again
    page.goto(f"{live_server.url}/lessons/{lesson.pk}/")
    # then it is back at 6 s, at 1.5x, and the saved place stays
    assert wait_until(
        lambda: page.evaluate("document.querySelector('#player').playbackRate") == 1.5, timeout=10
    )
    assert page.evaluate("document.querySelector('#player').currentTime") >= 5.9
    page.goto(live_server.url + "/")
    progress = LessonProgress.objects.get()
    assert progress.position_seconds >= 5.9
    assert progress.playback_rate == 1.5
