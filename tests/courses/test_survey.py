"""The once-per-course survey: who is asked, when, once; the API's 4xx bodies; the form."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.models import DirtyDay, Event
from analytics.rollups import local_date_of
from courses.models import CourseSurvey, LessonProgress
from courses.services import (
    engagement_user_retire,
    enrollment_grant,
    survey_answer,
    survey_prompt_for,
    survey_skip,
)
from tests.factories import LessonFactory, UserFactory

pytestmark = pytest.mark.django_db


def _student(completed: bool = True):
    """A student of a one-lesson course, with the lesson completed or not."""
    lesson = LessonFactory.create()
    student = UserFactory.create()
    enrollment_grant(user_id=student.pk, course=lesson.course)
    if completed:
        LessonProgress.objects.create(
            user=student,
            lesson=lesson,
            course=lesson.course,
            watched_seconds=60,
            completed_at=timezone.now(),
        )
    return student, lesson


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _url(lesson) -> str:
    return f"/api/v1/courses/{lesson.course.slug}/survey"


# --- Who is asked, and once -----------------------------------------------------------


def test_prompt_shows_after_a_completed_lesson_and_is_counted_once():
    # given a student who completed a lesson
    student, lesson = _student()
    # when two lesson pages ask for the prompt
    first = survey_prompt_for(user_id=student.pk, course=lesson.course)
    again = survey_prompt_for(user_id=student.pk, course=lesson.course)
    # then it shows on both, from one row (one prompt shown)
    assert first is not None
    assert again is not None
    assert again.pk == first.pk
    assert CourseSurvey.objects.count() == 1


@pytest.mark.parametrize("who", ["no_lesson_done", "not_a_buyer", "creator", "anonymous"])
def test_prompt_is_not_shown_to_who_may_not_answer(who):
    student, lesson = _student(completed=who != "no_lesson_done")
    user_id = {
        "not_a_buyer": UserFactory.create().pk,
        "creator": lesson.course.creator_id,
        "anonymous": None,
    }.get(who, student.pk)
    assert survey_prompt_for(user_id=user_id, course=lesson.course) is None
    assert not CourseSurvey.objects.exists()


@pytest.mark.parametrize("close", ["answer", "skip"])
def test_answering_or_skipping_closes_the_survey_for_good(close):
    student, lesson = _student()
    survey_prompt_for(user_id=student.pk, course=lesson.course)
    # when
    if close == "answer":
        survey_answer(user_id=student.pk, course=lesson.course, score=9)
    else:
        survey_skip(user_id=student.pk, course=lesson.course)
    # then the row is closed, the prompt gone, and an event recorded
    survey = CourseSurvey.objects.get()
    assert survey.status == ("answered" if close == "answer" else "skipped")
    assert survey.score == (9 if close == "answer" else None)
    assert survey_prompt_for(user_id=student.pk, course=lesson.course) is None
    event = Event.objects.get(type__startswith="survey.")
    assert event.type == ("survey.answered" if close == "answer" else "survey.skipped")
    assert (event.course_id, event.creator_id) == (lesson.course_id, lesson.course.creator_id)
    assert event.value == (9 if close == "answer" else 0)


def test_an_answer_to_a_prompt_shown_days_ago_marks_that_day_dirty():
    student, lesson = _student()
    shown = timezone.now() - timedelta(days=2)
    survey_prompt_for(user_id=student.pk, course=lesson.course, now=shown)
    DirtyDay.objects.all().delete()
    survey_answer(user_id=student.pk, course=lesson.course, score=3)
    assert local_date_of(shown) in set(DirtyDay.objects.values_list("local_date", flat=True))


def test_a_refunded_student_is_no_longer_asked():
    from courses.services import enrollment_revoke

    student, lesson = _student()
    survey_prompt_for(user_id=student.pk, course=lesson.course)
    enrollment_revoke(user_id=student.pk, course_id=lesson.course_id)
    assert survey_prompt_for(user_id=student.pk, course=lesson.course) is None


def test_prompt_costs_few_queries(django_assert_max_num_queries):
    student, lesson = _student()
    survey_prompt_for(user_id=student.pk, course=lesson.course)
    # an open survey: its row and the enrollment check
    with django_assert_max_num_queries(2):
        survey_prompt_for(user_id=student.pk, course=lesson.course)
    survey_skip(user_id=student.pk, course=lesson.course)
    # a closed one: its row only
    with django_assert_max_num_queries(1):
        survey_prompt_for(user_id=student.pk, course=lesson.course)


def test_deleting_the_account_keeps_the_answer_without_its_user():
    student, lesson = _student()
    survey_answer(user_id=student.pk, course=lesson.course, score=10)
    counts = engagement_user_retire(user_id=student.pk)
    assert counts["surveys_anonymised"] == 1
    survey = CourseSurvey.objects.get()
    assert (survey.user_id, survey.score) == (None, 10)


# --- API -----------------------------------------------------------------------------


def test_api_answers_once_then_refuses_with_409():
    student, lesson = _student()
    first = _api(student).post(_url(lesson), {"score": 7}, format="json")
    assert first.status_code == 201
    assert first.json() == {"status": "answered", "score": 7}
    second = _api(student).post(_url(lesson), {"skip": True}, format="json")
    assert second.status_code == 409
    assert second.json() == {
        "code": "survey_closed",
        "message": "You have already answered or skipped this survey.",
        "extra": {},
    }


def test_api_skip():
    student, lesson = _student()
    response = _api(student).post(_url(lesson), {"skip": True}, format="json")
    assert response.status_code == 201
    assert response.json() == {"status": "skipped", "score": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"score": 11}, "score"),
        ({"score": -1}, "score"),
        ({"score": "high"}, "score"),
        ({}, "non_field_errors"),
        ({"score": 5, "skip": True}, "non_field_errors"),
    ],
)
def test_api_bad_input_is_400_with_the_field(body, field):
    student, lesson = _student()
    response = _api(student).post(_url(lesson), body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert field in data["extra"]["fields"]
    assert not CourseSurvey.objects.exists()


def test_api_refuses_who_is_not_a_buyer_with_403():
    _owner, lesson = _student()
    response = _api(UserFactory.create()).post(_url(lesson), {"score": 10}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_student"
    assert not CourseSurvey.objects.exists()


def test_api_refuses_a_student_with_no_completed_lesson_with_409():
    student, lesson = _student(completed=False)
    response = _api(student).post(_url(lesson), {"score": 10}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "survey_not_due"


def test_api_needs_a_login_and_a_known_course():
    student, lesson = _student()
    assert APIClient().post(_url(lesson), {"score": 1}, format="json").status_code in (401, 403)
    missing = _api(student).post("/api/v1/courses/nope/survey", {"score": 1}, format="json")
    assert missing.status_code == 404


# --- The lesson page and its form (no JavaScript needed) --------------------------------


def test_lesson_page_shows_the_prompt_and_the_form_answers_it(client):
    student, lesson = _student()
    client.force_login(student)
    page = client.get(f"/lessons/{lesson.pk}/").content.decode()
    assert 'id="survey"' in page
    assert "How likely are you to recommend this course" in page
    # when the student sends 8 from the form
    response = client.post(
        f"/c/{lesson.course.slug}/survey",
        {"score": "8", "action": "answer", "next": f"/lessons/{lesson.pk}/"},
    )
    # then back to the lesson, the answer stored, the prompt gone
    assert response.status_code == 302
    assert response["Location"] == f"/lessons/{lesson.pk}/"
    assert CourseSurvey.objects.get().score == 8
    assert 'id="survey"' not in client.get(f"/lessons/{lesson.pk}/").content.decode()


def test_form_skip_and_then_a_second_post_is_409(client):
    student, lesson = _student()
    client.force_login(student)
    url = f"/c/{lesson.course.slug}/survey"
    assert client.post(url, {"action": "skip"}).status_code == 302
    again = client.post(url, {"score": "3", "action": "answer"})
    assert again.status_code == 409
    assert "already answered or skipped" in again.content.decode()
    assert CourseSurvey.objects.get().status == "skipped"


@pytest.mark.parametrize("form", [{"score": "12", "action": "answer"}, {"action": "answer"}])
def test_form_bad_score_is_400(client, form):
    student, lesson = _student()
    client.force_login(student)
    response = client.post(f"/c/{lesson.course.slug}/survey", form)
    assert response.status_code == 400
    assert not CourseSurvey.objects.exists()


def test_form_never_redirects_off_site(client):
    student, lesson = _student()
    client.force_login(student)
    response = client.post(
        f"/c/{lesson.course.slug}/survey",
        {"score": "8", "action": "answer", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/c/{lesson.course.slug}/"


def test_form_refuses_who_is_not_a_buyer_with_403(client):
    _owner, lesson = _student()
    client.force_login(UserFactory.create())
    response = client.post(f"/c/{lesson.course.slug}/survey", {"score": "9", "action": "answer"})
    assert response.status_code == 403
