"""Course covers on every card and header, or the generated placeholder."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from courses.api.cards import CourseCardSerializer
from courses.models import Course
from courses.search.index import search_text_refresh
from courses.services import enrollment_grant
from tests.factories import CourseFactory, CreatorProfileFactory, LessonFactory, UserFactory

pytestmark = pytest.mark.django_db


def _with_cover(course: Course, *, field: str = "cover") -> Course:
    search_text_refresh(course_id=course.pk)
    course.refresh_from_db()
    out = io.BytesIO()
    Image.new("RGB", (1280, 720), "teal").save(out, format="JPEG")
    getattr(course, field).save(f"{course.slug}.jpg", ContentFile(out.getvalue()), save=True)
    return course


def _cover_img(html: str, course: Course) -> str:
    """The <img> tag showing ``course``'s cover in ``html`` ("" without one)."""
    found = re.search(rf'<img class="cover [^>]*src="{re.escape(course.cover.url)}"[^>]*>', html)
    return found.group(0) if found else ""


def _placeholder(html: str, course: Course) -> bool:
    tone = f"cover-placeholder tone-{course.pk % 12}"
    return (
        re.search(rf'{tone}" aria-hidden="true"><span>{course.title[0]}</span>', html) is not None
    )


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_home_cards_show_the_cover_or_the_placeholder(client: Client) -> None:
    # given: a course with a cover and one without
    covered = _with_cover(CourseFactory.create(title="Watercolour basics"))
    plain = CourseFactory.create(title="素描 入门")
    # when
    html = client.get("/").content.decode()
    # then: the cover lazy-loads in a reserved 16:9 box, with alt text
    img = _cover_img(html, covered)
    assert 'loading="lazy"' in img
    assert 'width="320" height="180"' in img
    assert 'alt="Cover of Watercolour basics"' in img
    # and the course without one gets its tone and initial, no image
    assert _placeholder(html, plain)
    assert not _placeholder(html, covered)


def test_covers_add_no_queries_to_the_lists(client: Client) -> None:
    # given
    search_text_refresh(course_id=CourseFactory.create().pk)
    home, search = _queries(client, "/"), _queries(client, "/search/?q=Course&type=courses")
    # when: more courses, with covers
    for _ in range(4):
        _with_cover(CourseFactory.create())
    # then
    assert Course.objects.exclude(cover="").count() == 4
    assert "cover-card" in client.get("/search/?q=Course&type=courses").content.decode()
    assert _queries(client, "/") == home
    assert _queries(client, "/search/?q=Course&type=courses") == search


def test_search_results_show_covers(client: Client) -> None:
    covered = _with_cover(CourseFactory.create(title="吉他 入门"))
    plain = CourseFactory.create(title="吉他 大师")
    search_text_refresh(course_id=plain.pk)
    html = client.get("/search/", {"q": "吉他", "type": "courses"}).content.decode()
    assert _cover_img(html, covered)
    assert _placeholder(html, plain)


def test_the_course_page_header_loads_its_cover_at_once(client: Client) -> None:
    course = _with_cover(LessonFactory.create().course)
    img = _cover_img(client.get(f"/c/{course.slug}/").content.decode(), course)
    assert 'class="cover cover-header"' in img
    assert 'width="640" height="360"' in img
    assert "loading=" not in img  # the first thing the page shows: not deferred


def test_my_space_lists_bought_courses_with_their_covers(client: Client) -> None:
    # given: a buyer of one covered and one plain course
    buyer = UserFactory.create()
    covered = _with_cover(LessonFactory.create().course)
    plain = LessonFactory.create().course
    for course in (covered, plain):
        enrollment_grant(user_id=buyer.pk, course=course)
    client.force_login(buyer)
    # when
    html = client.get("/me/").content.decode()
    # then
    assert 'class="cover cover-thumb"' in _cover_img(html, covered)
    assert _placeholder(html, plain)


def test_the_studio_list_shows_the_creator_their_cover_in_review(client: Client) -> None:
    # given: a creator whose course has a cover waiting for review
    creator = CreatorProfileFactory.create().user
    course = _with_cover(CourseFactory.create(creator=creator), field="pending_cover")
    client.force_login(creator)
    # when
    html = client.get("/studio/").content.decode()
    # then: the pending cover shows to them (viewers still see the approved one)
    assert f'src="{course.pending_cover.url}"' in html
    assert not course.cover


def test_the_course_card_api_carries_the_cover_url_and_the_tone() -> None:
    covered, plain = _with_cover(CourseFactory.create()), CourseFactory.create()
    assert CourseCardSerializer(covered).data["cover_url"] == covered.cover.url
    assert CourseCardSerializer(plain).data["cover_url"] is None
    assert CourseCardSerializer(plain).data["cover_tone"] == plain.pk % 12
