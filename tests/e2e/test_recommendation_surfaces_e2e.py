"""Recommendation surfaces in a real browser: up next, similar videos, the recommended course
CTA and "students also bought", filled from the recommendation API after a training run."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from analytics.models import Event
from courses.models import ShortVideo
from demo import seed
from recommendations import services
from recommendations.models import ModelVersion, UserRecommendation
from tests.conftest import wait_until
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SMALL = ["--users", "40", "--videos", "48", "--courses", "4", "--events", "1600", "--no-ab-tests"]


@pytest.fixture
def trained(monkeypatch) -> ModelVersion:
    monkeypatch.setattr(seed, "DISTINCT_CLIPS", 3)  # rows matter here, not pixels
    call_command("seed_demo", *SMALL)
    return services.recommender_retrain()


def _video_with_neighbours() -> tuple[ShortVideo, dict]:
    """A video linking no course whose neighbours hold videos and a course."""
    for video in ShortVideo.objects.filter(course__isnull=True).order_by("pk"):
        answer = APIClient().get(f"/api/v1/recommendations/similar/v{video.pk}?limit=20").json()
        kinds = {r["type"] for r in answer["results"]}
        if {"video", "course"} <= kinds:
            return video, answer
    raise AssertionError("the demo has no such video")


def _events(page, props: dict[str, object], **filters: object) -> list[Event]:
    """Events stored so far matching ``filters`` whose props are exactly ``props``."""
    page.evaluate("KF.flush()")
    return [e for e in Event.objects.filter(**filters) if e.props == props]


def _logged(page, props: dict[str, object], **filters: object) -> bool:
    return bool(_events(page, props, **filters))


def test_similar_videos_and_recommended_course_show_and_clicks_are_logged(
    live_server, page, trained
) -> None:
    # given a trained recommender and a video without a course of its own
    video, answer = _video_with_neighbours()
    best_course = next(r["course"] for r in answer["results"] if r["type"] == "course")
    # when a viewer opens it
    page.goto(f"{live_server.url}/v/{video.pk}/")
    cards = page.locator("#similar-videos .video-card")
    cards.first.wait_for()
    # then up to six similar videos show, not the video itself
    keys = [card.get_attribute("data-item-key") for card in cards.all()]
    assert 1 <= len(keys) <= 6
    assert f"v{video.pk}" not in keys
    assert cards.first.locator("h3 a").text_content()
    # and the best course is offered as the call-to-action
    cta = page.locator("#cta-recommended")
    assert cta.is_visible()
    assert best_course["title"] in (cta.text_content() or "")
    # and "up next" shows the sequence model's picks, none of them repeated below
    up_next = page.locator("#up-next .video-card")
    up_next.first.wait_for()
    next_keys = [card.get_attribute("data-item-key") for card in up_next.all()]
    assert 1 <= len(next_keys) <= 4
    assert not set(next_keys) & set(keys)
    page.locator("#up-next").scroll_into_view_if_needed()
    next_shown = {
        "surface": "up_next",
        "model_version": trained.pk,
        "from": f"v{video.pk}",
        "propensity": 1,
    }
    assert wait_until(
        lambda: _logged(page, next_shown, type="video.impression", video_id=int(next_keys[0][1:])),
        timeout=20,
    )
    # and the cards on screen are logged as impressions of this surface and model version,
    # with serving's propensity (1: a ranked list)
    page.locator("#similar-videos").scroll_into_view_if_needed()
    shown = {
        "surface": "similar",
        "model_version": trained.pk,
        "from": f"v{video.pk}",
        "propensity": 1,
    }
    assert wait_until(
        lambda: _logged(page, shown, type="video.impression", video_id=int(keys[0][1:])),
        timeout=20,
    )
    # when the viewer clicks the first card
    target = int(keys[0][1:])
    cards.first.locator("h3 a").click()
    page.wait_for_url(f"**/v/{target}/")
    # then the page it opens logs the click-through, the version left to the card's impression
    arrived = {"surface": "similar", "from": f"v{video.pk}", "clicked": True}
    assert wait_until(
        lambda: _logged(page, arrived, type="video.impression", video_id=target),
        timeout=20,
    )
    # when the viewer goes back and follows the recommended course
    page.go_back()
    page.locator("#cta-recommended:not([hidden])").click()
    page.wait_for_url(f"**/c/{best_course['slug']}/?from_video={video.pk}")
    # then the CTA click and the course view it opens both name the surface
    cta_props = {"surface": "cta_recommended", "model_version": trained.pk, "from": f"v{video.pk}"}
    viewed = {**cta_props, "clicked": True}
    assert wait_until(
        lambda: _logged(page, viewed, type="course.viewed", course_id=best_course["id"]),
        timeout=20,
    )
    [view] = _events(page, viewed, type="course.viewed")
    assert view.video_id == video.pk  # from_video, for attribution
    [clicked] = _events(page, cta_props, type="video.cta_clicked")
    assert (clicked.video_id, clicked.course_id) == (video.pk, best_course["id"])
    # and the course page offers other courses students bought
    also = page.locator("#also-bought .course-card")
    also.first.wait_for()
    course_keys = [card.get_attribute("data-item-key") for card in also.all()]
    assert 1 <= len(course_keys) <= 4
    assert f"c{best_course['id']}" not in course_keys


def test_home_shows_a_logged_in_viewer_their_courses_with_reasons(
    live_server, page, trained
) -> None:
    # given a viewer whose course list is not empty
    viewer, expected = None, []
    for user in User.objects.filter(
        pk__in=UserRecommendation.objects.filter(version=trained).values("user_id")
    ).order_by("pk"):
        client = APIClient()
        client.force_authenticate(user)
        answer = client.get("/api/v1/recommendations/courses?limit=4").json()
        if answer["results"]:
            viewer, expected = user, [f"c{r['course']['id']}" for r in answer["results"]]
            break
    assert viewer is not None
    viewer.set_password("tricky-Pass-9")
    viewer.save()
    # when they log in and open the home page
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", viewer.username)
    page.fill("#id_password", "tricky-Pass-9")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    cards = page.locator("#courses-for-you .course-card")
    cards.first.wait_for()
    # then their recommended courses show, in order, each with its reason
    assert [card.get_attribute("data-item-key") for card in cards.all()] == expected
    assert all((card.locator(".reason").text_content() or "").strip() for card in cards.all())
    # and the cards on screen are logged as impressions of this surface
    # with serving's propensity (1: a ranked list)
    shown = {
        "surface": "courses_for_you",
        "model_version": trained.pk,
        "from": "home",
        "propensity": 1,
    }
    assert wait_until(
        lambda: _logged(page, shown, type="video.impression", course_id=int(expected[0][1:])),
        timeout=20,
    )


def test_the_home_page_offers_courses_for_you_to_logged_in_viewers_only(client) -> None:
    assert 'id="courses-for-you"' not in client.get("/").content.decode()
    client.force_login(UserFactory.create())
    page = client.get("/").content.decode()
    assert 'id="courses-for-you"' in page
    assert "js/home.js" in page
