"""Bad input never reaches a 500 or a dashboard (issue 12, item 5)."""

from datetime import timedelta
from typing import Any

import pytest
import yaml
from django.test import Client
from django.utils import timezone

from analytics.models import Event, VideoDaily
from analytics.rollups import local_today
from analytics.services import rollups_backfill
from tests.factories import ShortVideoFactory

pytestmark = pytest.mark.django_db
BATCH = "/api/v1/events/batch"


def _event(**fields: Any) -> dict[str, Any]:
    return {
        "type": "video.progress",
        "ts": timezone.now().isoformat(),
        "client_event_id": "e-1",
        **fields,
    }


def _post(client: Client, events: list[dict[str, Any]], **body: Any) -> Any:
    return client.post(BATCH, {"events": events, **body}, content_type="application/json")


@pytest.mark.parametrize(
    "kind", [{}, [], 5, None, True], ids=["object", "list", "number", "null", "bool"]
)
def test_an_event_type_that_is_not_a_string_is_a_400(client: Client, kind: Any) -> None:
    response = _post(client, [_event(type=kind)])
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"events": [_event(ts="2026-11-28T08:00:00")]},
        {"events": [_event()], "sent_at": "2026-11-28T08:00:05"},
    ],
    ids=["event-ts", "sent_at"],
)
def test_a_timestamp_without_an_offset_is_refused(client: Client, body: dict) -> None:
    response = client.post(BATCH, body, content_type="application/json")
    assert response.status_code == 400
    assert "time zone" in str(response.json())
    assert not Event.objects.exists()


def test_a_timestamp_with_an_offset_is_taken(client: Client) -> None:
    video = ShortVideoFactory.create()
    ts = (timezone.now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    response = _post(client, [_event(ts=ts, video_id=video.pk, value=1.0)])
    assert response.status_code == 202
    assert response.json()["stored"] == 1


def test_an_anonymous_client_cannot_make_a_day_of_watch_time(client: Client) -> None:
    # given: a 3 s video
    video = ShortVideoFactory.create(duration_seconds=3.0)
    ids = {"video_id": video.pk}
    # when: a logged-out script claims 1e12 watched seconds, then a negative value, in
    # progress and completion events
    events = [
        _event(client_event_id="a", value=1e12, **ids),
        _event(client_event_id="b", type="video.completed", value=1e12, **ids),
        _event(client_event_id="c", value=-50, **ids),
    ]
    assert _post(client, events).status_code == 202
    # then: each is clamped to the video's length (and never below 0)
    stored = sorted(Event.objects.filter(video_id=video.pk).values_list("value", flat=True))
    assert stored == [0.0, 3.0, 3.0]
    # and the day's watch time is one viewing, not a trillion seconds
    today = local_today()
    rollups_backfill(first=today, last=today)
    assert VideoDaily.objects.get(video_id=video.pk).watch_seconds == 3.0


def test_watch_time_for_a_video_that_does_not_exist_counts_nothing(client: Client) -> None:
    assert _post(client, [_event(value=500.0, video_id=987654)]).status_code == 202
    assert Event.objects.get().value == 0.0


def _schema(client: Client) -> dict[str, Any]:
    return yaml.safe_load(client.get("/api/schema/").content)


def _ok_schema(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    response = doc["paths"][path][method]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]
    name = ref["$ref"].rsplit("/", 1)[1]
    return doc["components"]["schemas"][name]


@pytest.mark.parametrize("path", ["/api/v1/me/notifications", "/api/v1/videos"])
def test_paginated_lists_are_documented_as_pages(client: Client, path: str) -> None:
    page = _ok_schema(_schema(client), path, "get")
    assert page["type"] == "object"
    assert set(page["properties"]) == {"next", "previous", "results"}
    assert page["properties"]["results"]["type"] == "array"


def test_the_schema_says_what_the_answers_are(client: Client) -> None:
    doc = _schema(client)
    progress = _ok_schema(doc, "/api/v1/lessons/{lesson_id}/progress", "put")
    assert progress["properties"]["completed"]["type"] == "boolean"
    assert "completed" in progress["required"]
    card = doc["components"]["schemas"]["VideoCard"]
    assert card["properties"]["poster_url"].get("nullable") is True
