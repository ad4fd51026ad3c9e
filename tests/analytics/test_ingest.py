"""POST /api/v1/events/batch, clock skew, dedupe, anonymous subjects and merging."""

from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from analytics.models import Event, EventKey, Subject
from analytics.services import (
    clock_offset,
    events_ingest_batch,
    subject_key_for_anonymous,
    subject_key_for_user,
    subject_merge_anonymous,
)
from tests.factories import ShortVideoFactory, UserFactory

from .helpers import UTC

URL = "/api/v1/events/batch"
pytestmark = pytest.mark.django_db


def _event(n: int, **fields) -> dict:
    return {
        "type": "video.played",
        "ts": (timezone.now() - timedelta(hours=1)).isoformat(),
        "client_event_id": f"e-{n}",
        "video_id": 12,
        **fields,
    }


def test_anonymous_batch_is_stored_under_a_cookie_subject(api_client):
    # given a logged-out page with no cookie, watching a 10 s video
    video = ShortVideoFactory.create(duration_seconds=10.0)
    body = {
        "events": [
            _event(1, video_id=video.pk),
            _event(2, type="video.progress", value=4.5, video_id=video.pk),
        ]
    }
    # when
    response = api_client.post(URL, body, format="json")
    # then
    assert response.status_code == 202
    assert response.json()["stored"] == 2
    anon = response.cookies["kf_anon"].value
    subject = Subject.objects.get(anonymous_id=anon)
    assert set(Event.objects.values_list("subject_id", flat=True)) == {subject.key}
    assert Event.objects.get(client_event_id="e-2").value == 4.5


def test_retried_batch_is_not_counted_twice(api_client):
    # given a batch already sent once
    api_client.cookies["kf_anon"] = "browser-0001"
    body = {"events": [_event(1), _event(1), _event(2)]}
    api_client.post(URL, body, format="json")
    # when the page resends it
    response = api_client.post(URL, body, format="json")
    # then nothing new is stored
    assert response.json() == {
        "received": 3,
        "stored": 0,
        "duplicates": 3,
        "too_old": 0,
        "skew_seconds": 0.0,
    }
    assert Event.objects.count() == 2


def test_logged_in_viewer_events_use_the_user_pseudonym(api_client):
    user = UserFactory.create()
    api_client.force_authenticate(user)
    api_client.post(URL, {"events": [_event(1)]}, format="json")
    assert Event.objects.get().subject_id == subject_key_for_user(user_id=user.pk)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": []}, "events"),
        ({"events": [_event(1, type="order.paid", value=100)]}, "events"),
        ({"events": [_event(1, type="nope")]}, "events"),
        ({"events": [_event(1, ts="yesterday")]}, "events"),
        ({"events": [_event(1, client_event_id="")]}, "events"),
        ({"events": [_event(1, video_id=-3)]}, "events"),
        ({"events": [_event(1, props={"x": "y" * 3000})]}, "events"),
        ({"events": "x"}, "events"),
        ({"events": [_event(1)], "sent_at": "soon"}, "sent_at"),
        ({"events": [_event(1)], "anonymous_id": "<script>"}, "anonymous_id"),
    ],
)
def test_invalid_batches_get_a_clear_400(api_client, body, field):
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["extra"]["fields"]
    assert Event.objects.count() == 0


@override_settings(ANALYTICS_EVENTS_MAX_BATCH=3)
def test_batch_over_the_limit_is_refused(api_client):
    response = api_client.post(URL, {"events": [_event(n) for n in range(4)]}, format="json")
    assert response.status_code == 400
    assert "At most 3" in str(response.json()["extra"])


def test_clock_skew_is_corrected_beyond_the_tolerance():
    # given a client whose clock runs 2 hours behind
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    sent_at = now - timedelta(hours=2)
    events = [
        {"type": "video.played", "ts": sent_at - timedelta(seconds=30), "client_event_id": "a"}
    ]
    # when
    result = events_ingest_batch(events=events, subject_id="s", sent_at=sent_at, now=now)
    # then the event is shifted by the offset
    assert result.skew_seconds == 7200
    assert Event.objects.get().ts == now - timedelta(seconds=30)
    # and small differences are trusted
    assert clock_offset(sent_at=now - timedelta(seconds=30), now=now) == timedelta(0)


def test_a_resend_from_a_skewed_clock_is_still_a_duplicate():
    # given a batch from a client 2 hours behind, stored once
    first = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    client_clock = first - timedelta(hours=2)
    event = {"type": "video.played", "ts": client_clock, "client_event_id": "a"}
    events_ingest_batch(events=[event], subject_id="s", sent_at=client_clock, now=first)
    # when the page resends it a minute later: the corrected ts differs by a minute
    later = first + timedelta(minutes=1)
    result = events_ingest_batch(events=[event], subject_id="s", sent_at=client_clock, now=later)
    # then it is recognised by its client id
    assert (result.stored, result.duplicates) == (0, 1)
    assert Event.objects.count() == 1


def test_future_events_are_clamped_to_the_receive_time():
    now = timezone.now()
    events = [{"type": "video.liked", "ts": now + timedelta(days=3), "client_event_id": "f"}]
    events_ingest_batch(events=events, subject_id="s", now=now)
    assert Event.objects.get().ts == now


def test_merge_moves_anonymous_history_into_the_account(django_capture_on_commit_callbacks):
    # given an anonymous browser with two events, one of them also sent while logged in
    user = UserFactory.create()
    anon_key = subject_key_for_anonymous(anonymous_id="browser-42")
    user_key = subject_key_for_user(user_id=user.pk)
    now = timezone.now()
    for cid, key in (("x", anon_key), ("y", anon_key), ("y", user_key)):
        events = [{"type": "video.liked", "ts": now, "client_event_id": cid}]
        events_ingest_batch(events=events, subject_id=key, now=now)
    # when the user logs in
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        moved = subject_merge_anonymous(anonymous_id="browser-42", user_id=user.pk)
    # then the history belongs to the account, once, and rollups are refreshed
    assert moved == 1
    assert set(Event.objects.values_list("subject_id", flat=True)) == {user_key}
    assert Event.objects.count() == 2
    assert not Subject.objects.filter(anonymous_id="browser-42").exists()
    # and the moved ids still dedupe a late resend from the browser
    assert set(EventKey.objects.values_list("subject_id", "client_event_id")) == {
        (user_key, "x"),
        (user_key, "y"),
    }
    assert len(callbacks) == 1
    # and a second call has nothing to do
    assert subject_merge_anonymous(anonymous_id="browser-42", user_id=user.pk) == 0


def test_schema_documents_the_batch_request(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})
    schema = response.json()
    schemas = schema["components"]["schemas"]
    event = schemas["AnalyticsEventInRequest"]
    enum = schemas[event["properties"]["type"]["$ref"].rsplit("/", 1)[-1]]["enum"]
    assert "video.progress" in enum
    assert "order.paid" not in enum
    assert {"type", "ts", "client_event_id"} <= set(event["required"])


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"ts": "2026-11-28T08:00:00Z", "client_event_id": "a"}, "type"),
        ({"type": "video.played", "ts": 5, "client_event_id": "a"}, "ts"),
        ({"type": "video.played", "ts": "2026-11-28T08:00:00Z"}, "client_event_id"),
        (_event(1, value="many"), "value"),
        (_event(1, value=True), "value"),
        (_event(1, value=1e13), "value"),
        (_event(1, course_id=1.5), "course_id"),
        (_event(1, session_id="s" * 65), "session_id"),
        (_event(1, props=[1]), "props"),
        (_event(1, extra=1), "non_field_errors"),
        ("not an object", "non_field_errors"),
    ],
)
def test_each_bad_event_is_reported_by_index_and_field(api_client, event, field):
    response = api_client.post(URL, {"events": [_event(0), event]}, format="json")
    assert response.status_code == 400
    errors = response.json()["extra"]["fields"]["events"]
    assert errors[0] == {}
    assert field in errors[1]
    assert Event.objects.count() == 0


def test_naive_timestamps_are_refused(api_client):
    an_hour_ago = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    naive = an_hour_ago.astimezone(UTC).replace(tzinfo=None).isoformat()
    response = api_client.post(URL, {"events": [_event(1, ts=naive)]}, format="json")
    assert response.status_code == 400
    assert not Event.objects.exists()
