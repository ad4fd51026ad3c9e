"""A viewer's journeys in a real browser: the feed, interactions, a course preview."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import Event
from courses.models import Comment, Like
from tests.conftest import wait_until
from tests.e2e.conftest import wait_for_js
from tests.factories import CourseFactory, LessonFactory, ShortVideoFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue(make_clip):
    clip = make_clip(seconds=3.0)
    course = CourseFactory.create(title="Python编程从零到一", price_minor=4900)
    LessonFactory.create(
        section__course=course,
        is_preview=True,
        title="先导课",
        asset__file=make_clip("private/videos/test/p.mp4"),
    )
    videos = [
        ShortVideoFactory.create(
            title=title,
            asset__file=clip,
            course=course if i == 0 else None,
            published_at=timezone.now() - timedelta(minutes=i),
            search_text=search,
        )
        for i, (title, search) in enumerate(
            [
                ("Python编程入门", "python 编程 入门"),
                ("水彩画基础", "水彩 水彩画 基础"),
                ("Home Cooking", "home cooking"),
            ]
        )
    ]
    return course, videos


def test_logged_out_viewer_scrolls_the_feed_and_events_arrive(live_server, page, catalogue) -> None:
    # given
    page.goto(live_server.url + "/feed/?tab=trending")
    first = page.locator(".feed-item").first
    first.wait_for()
    # when: the first video plays, then the viewer swipes to the next
    wait_for_js(page, "document.querySelector('.feed-item video')?.currentTime > 1.2", timeout=15)
    page.keyboard.press("ArrowDown")
    wait_for_js(
        page, "document.querySelectorAll('.feed-item video')[1].currentTime > 0.3", timeout=15
    )
    page.evaluate("KF.flush()")
    # then
    assert wait_until(
        lambda: Event.objects.filter(type="video.progress", value__gt=0.5).exists(), timeout=20
    )
    assert Event.objects.filter(type="video.impression").count() >= 2
    assert Event.objects.filter(type="video.played").exists()


def test_a_new_viewer_signs_up_likes_comments_follows_searches_and_previews(
    live_server, page, catalogue
) -> None:
    course, videos = catalogue
    # signs up
    page.goto(live_server.url + "/accounts/signup/")
    page.fill("#id_username", "learner")
    page.fill("#id_email", "learner@example.com")
    page.fill("#id_password1", "tricky-Pass-9")
    page.fill("#id_password2", "tricky-Pass-9")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    # likes, follows and comments (with a script payload) on a video page
    page.goto(f"{live_server.url}/v/{videos[0].pk}/")
    page.click("[data-action=like]")
    page.wait_for_selector("[data-action=like][aria-pressed=true]")
    assert wait_until(lambda: Like.objects.filter(video=videos[0]).exists(), timeout=20)
    page.click("[data-action=follow]")
    page.wait_for_selector("[data-action=follow][aria-pressed=true]")
    page.click("[data-action=comments]")
    page.fill("#comment-body", "<script>window.pwned=1</script>好课")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector(".comment-body")
    assert (
        page.locator(".comment-body").first.text_content() == "<script>window.pwned=1</script>好课"
    )
    assert page.evaluate("window.pwned") is None
    assert Comment.objects.filter(video=videos[0]).count() == 1
    # searches in Chinese
    page.goto(live_server.url + "/search/?q=编程")
    assert page.get_by_role("link", name=re.compile("Python编程入门")).count() >= 1
    # opens the course and plays the free preview
    page.goto(f"{live_server.url}/c/{course.slug}/")
    page.get_by_role("link", name="先导课").click()
    page.wait_for_selector("#player")
    page.evaluate("document.querySelector('#player').play()")
    wait_for_js(page, "document.querySelector('#player').currentTime > 0.5", timeout=15)


def test_switching_to_chinese_shows_chinese_strings(live_server, page, catalogue) -> None:
    page.goto(live_server.url + "/")
    with page.expect_navigation():
        page.select_option("#lang-select", "zh-hans")
    assert "短视频" in page.content()
    assert page.locator("html").get_attribute("lang") == "zh-hans"


def test_phone_screen_shows_one_video_per_screen(live_server, browser, catalogue) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(live_server.url + "/feed/?tab=trending")
    page.locator(".feed-item").first.wait_for()
    box = page.locator(".feed-item").first.bounding_box()
    assert box is not None
    assert box["width"] <= 375
    assert box["height"] > 500
    context.close()
