"""What static/js/surfaces.js relies on: the similar-items answer and the events it sends."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.api.views import CLIENT_TYPE_VALUES
from analytics.models import Event
from recommendations.models import ItemNeighbours, ModelVersion
from tests.factories import CourseFactory, CreatorProfileFactory, ShortVideoFactory

pytestmark = pytest.mark.django_db

# The fields surfaces.js reads from each card of the answer.
VIDEO_FIELDS = {"id", "title", "duration_seconds", "poster_url", "like_count", "creator", "course"}
COURSE_FIELDS = {"id", "slug", "title", "summary", "category_name", "price_minor", "currency"}


@pytest.fixture
def neighbours():
    """An active version where video a's neighbours are video b, course c and a itself."""
    a, b = ShortVideoFactory.create_batch(2, course=None)
    c = CourseFactory.create()
    version = ModelVersion.objects.create(algorithm="test", status=ModelVersion.Status.ACTIVE)
    items = [[f"v{b.pk}", 0.9], [f"c{c.pk}", 0.8], [f"v{a.pk}", 0.1]]
    ItemNeighbours.objects.create(version=version, item_key=f"v{a.pk}", items=items)
    return version, a, b, c


def test_the_answer_has_every_field_the_cards_read(neighbours) -> None:
    # given
    version, a, b, c = neighbours
    # when
    response = APIClient().get(f"/api/v1/recommendations/similar/v{a.pk}?limit=20")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == version.pk
    kinds = [(r["type"], (r["video"] or r["course"])["id"]) for r in body["results"]]
    assert kinds[:2] == [("video", b.pk), ("course", c.pk)]
    video, course = body["results"][0]["video"], body["results"][1]["course"]
    assert video.keys() >= VIDEO_FIELDS
    assert video["creator"].keys() >= {"id", "name"}
    assert course.keys() >= COURSE_FIELDS
    assert course["creator"].keys() >= {"id", "name"}


def test_card_creators_carry_their_page_when_they_have_one(neighbours) -> None:
    # given b's creator has a public page and c's has none
    _, a, b, c = neighbours
    profile = CreatorProfileFactory.create(user=b.creator, handle="laoshi")
    # when
    results = APIClient().get(f"/api/v1/recommendations/similar/v{a.pk}").json()["results"]
    # then
    assert results[0]["video"]["creator"]["url"] == f"/@{profile.handle}/"
    assert results[1]["course"]["creator"]["id"] == c.creator_id
    assert results[1]["course"]["creator"]["url"] is None


@pytest.mark.parametrize("key", ["c1x", "x1", "v"])
def test_malformed_keys_answer_404(neighbours, key: str) -> None:
    assert APIClient().get(f"/api/v1/recommendations/similar/{key}").status_code == 404


def test_an_item_without_neighbours_answers_an_empty_list(neighbours) -> None:
    # an unknown or untrained item is no error: the page's sections just stay hidden
    body = APIClient().get("/api/v1/recommendations/similar/v999999").json()
    assert body["results"] == []


def test_no_active_version_answers_404() -> None:
    video = ShortVideoFactory.create()
    assert APIClient().get(f"/api/v1/recommendations/similar/v{video.pk}").status_code == 404


def test_the_events_the_surfaces_send_are_accepted_from_pages(neighbours) -> None:
    # given the event shapes surfaces.js, video.js and course.js send for the surfaces
    version, a, b, c = neighbours
    props = {"surface": "similar", "model_version": version.pk, "from": f"v{a.pk}"}
    cta = {"surface": "cta_recommended", "model_version": version.pk, "from": f"v{a.pk}"}
    clicked = {**cta, "clicked": True}
    arrived = {"surface": "similar", "from": f"v{a.pk}", "clicked": True}
    ts = (timezone.now() - timedelta(minutes=1)).isoformat()
    events = [
        {"type": "video.impression", "video_id": b.pk, "props": props},
        {"type": "video.impression", "course_id": c.pk, "props": cta},
        {"type": "video.cta_clicked", "video_id": a.pk, "course_id": c.pk, "props": cta},
        {"type": "course.viewed", "course_id": c.pk, "video_id": a.pk, "props": clicked},
        {"type": "video.impression", "video_id": b.pk, "props": arrived},
    ]
    assert {e["type"] for e in events} <= CLIENT_TYPE_VALUES
    body = {
        "events": [
            {**e, "ts": ts, "client_event_id": f"s-{n}", "session_id": "t"}
            for n, e in enumerate(events)
        ]
    }
    # when
    response = APIClient().post("/api/v1/events/batch", body, format="json")
    # then every one is stored, with the creator taken from the video, else the course
    assert response.status_code == 202, response.json()
    assert response.json()["stored"] == len(events)
    shown_course = Event.objects.get(client_event_id="s-1")
    assert shown_course.video_id is None
    assert shown_course.creator_id == c.creator_id
    assert shown_course.props == cta
    assert Event.objects.filter(props__surface="similar", video_id=b.pk).count() == 2
