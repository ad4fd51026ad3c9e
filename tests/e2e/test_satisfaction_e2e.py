"""The Satisfaction section and the lesson page's survey fit a phone and pass axe-core."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from analytics.rollups import local_today
from analytics.services import rollups_backfill
from courses.models import CourseSurvey, LessonProgress, Review
from courses.services import enrollment_grant
from tests.analytics.helpers import at
from tests.conftest import require
from tests.e2e.test_layout_sizes_e2e import AXE, SIZES, Site, _check, _log_in
from tests.factories import CreatorProfileFactory, LessonFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_satisfaction_section_and_survey_fit_and_pass_axe(live_server, browser, size) -> None:
    require(AXE.exists(), "axe-core is not installed: run `npm ci` in the checkout")
    # given a course with a long title, rated and surveyed yesterday, rolled up
    yesterday = local_today() - timedelta(days=1)
    lesson = LessonFactory.create(
        section__course__title="一门很长的课程标题 A very long course title for narrow screens"
    )
    course = lesson.course
    CreatorProfileFactory.create(user=course.creator)
    for n, stars in enumerate([5, 4, 4, 2, 5]):
        review = Review.objects.create(course=course, author=UserFactory.create(), rating=stars)
        Review.objects.filter(pk=review.pk).update(created_at=at(yesterday, 9 + n))
        CourseSurvey.objects.create(
            user=UserFactory.create(),
            course=course,
            status="answered",
            score=6 + n,
            shown_at=at(yesterday, 9 + n),
        )
    rollups_backfill(first=yesterday - timedelta(days=1), last=yesterday)
    # and a student who just completed the lesson
    student = UserFactory.create(username="learner")
    enrollment_grant(user_id=student.pk, course=course)
    LessonProgress.objects.create(
        user=student, lesson=lesson, course=course, watched_seconds=60, completed_at=timezone.now()
    )
    staff = UserFactory.create(username="ops", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 1024, bypass_csp=True
    )
    site = Site(live_server.url, student, course.creator, staff, course, lesson, None)  # type: ignore[arg-type]
    page = context.new_page()
    problems: list[str] = []
    # when the staff and the creator dashboards are shown
    for name, user, path in (
        ("staff", staff, "/dashboard/"),
        ("creator", course.creator, "/dashboard/creator/"),
    ):
        _log_in(context, site, user)
        page.goto(f"{live_server.url}{path}#satisfaction")
        _check(page, width, f"satisfaction-{name}", problems)
        assert page.locator("#satisfaction-cards .kf-card").count() == 4
        assert "4.00" in page.locator("#satisfaction-cards").inner_text()
    # and the student answers the survey on the lesson page, without scripts' help
    _log_in(context, site, student)
    page.goto(f"{live_server.url}/lessons/{lesson.pk}/")
    _check(page, width, "lesson-survey", problems)
    page.locator("#survey label", has_text="9").first.click()
    page.locator("#survey button[value=answer]").click()
    page.wait_for_load_state("load")
    page.goto("about:blank")
    context.close()
    # then nothing overflows, axe finds no serious violation, and the answer is stored
    assert not problems, "\n".join(problems)
    survey = CourseSurvey.objects.get(user=student)
    assert (survey.status, survey.score) == ("answered", 9)
