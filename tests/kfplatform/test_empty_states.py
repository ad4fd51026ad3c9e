"""Lists that can be empty say so and offer the next step, in both languages."""

import re

import pytest
from django.test import Client

from tests.factories import CategoryFactory, CourseFactory, CreatorProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def _empty_blocks(html: str) -> list[str]:
    return re.findall(r'class="empty[^"]*">(.*?)</(?:p|td)>', html, re.S)


def _client(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_every_empty_my_space_tab_links_to_its_next_step() -> None:
    html = _client(UserFactory.create()).get("/me/").content.decode()
    blocks = _empty_blocks(html)
    assert len(blocks) == 5  # my courses, likes, favourites, history, following
    links = [re.search(r'href="([^"]+)"', block) for block in blocks]
    assert all(links), blocks
    assert [link[1] for link in links if link] == [
        "/search/?type=courses", "/feed/", "/feed/", "/feed/", "/search/?type=creators",
    ]  # fmt: skip


def test_no_notifications_suggests_following_creators() -> None:
    html = _client(UserFactory.create()).get("/me/notifications/").content.decode()
    (block,) = _empty_blocks(html)
    assert "Follow creators" in block
    assert 'href="/search/?type=creators"' in block


def test_a_search_without_results_offers_courses_and_the_feed() -> None:
    CourseFactory.create(status="published", title="Python basics")
    html = Client().get("/search/", {"q": "zzqx"}).content.decode()
    block = re.search(r'class="empty no-results">(.*?)</p>', html, re.S)
    assert block, html
    assert 'href="/search/?type=courses"' in block[1]
    assert 'href="/feed/"' in block[1]


def test_a_search_with_results_does_not_show_the_no_result_step() -> None:
    CreatorProfileFactory.create(handle="pythonista")
    html = Client().get("/search/", {"q": "pythonista"}).content.decode()
    assert "pythonista" in html
    assert "no-results" not in html


def test_empty_studio_lists_point_to_the_action_that_fills_them() -> None:
    creator = CreatorProfileFactory.create().user
    client = _client(creator)
    course = CourseFactory.create(creator=creator, category=CategoryFactory.create())
    expected = {
        "/studio/library/": 'href="/studio/videos/new/"',
        "/studio/coupons/": 'href="#new-coupon"',
        f"/studio/courses/{course.pk}/": 'href="#id_section-title"',
    }
    for url, link in expected.items():
        html = client.get(url).content.decode()
        assert any(link in block for block in _empty_blocks(html)), url
    assert 'id="new-coupon"' in client.get("/studio/coupons/").content.decode()


def test_empty_states_are_translated() -> None:
    html = _client(UserFactory.create(), "zh-hans").get("/me/").content.decode()
    blocks = " ".join(_empty_blocks(html))
    assert "Watch the feed" not in blocks
    assert "Browse courses" not in blocks
    assert re.search(r"[\u4e00-\u9fff]", blocks)
