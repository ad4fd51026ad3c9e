"""Requests a client can send that used to end in a 500 or in corrupted stats.

Each case here was found by fuzzing the running site; each now gets a 4xx
with a message (JSON under /api/) and leaves stored data as it was.
"""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import user_create
from analytics.models import Event
from common.exceptions import ApplicationError
from tests.factories import CreatorProfileFactory, LessonFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db
BATCH = "/api/v1/events/batch"


def _post_raw(client: APIClient | Client, path: str, body: str) -> Any:
    return client.post(path, data=body.encode(), content_type="application/json")


def _recent() -> str:
    return (timezone.now() - timedelta(minutes=5)).isoformat()


def _event(**fields: object) -> dict:
    return {"type": "video.played", "ts": _recent(), "client_event_id": "e-1", **fields}


def _api_error(response: Any) -> str:
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    return str(body["message"])


# --- JSON bodies ----------------------------------------------------------------------


def test_deeply_nested_json_is_a_parse_error(api_client: APIClient) -> None:
    response = _post_raw(api_client, BATCH, "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert "nested too deeply" in _api_error(response)


@pytest.mark.parametrize(
    ("text", "message"),
    [("\ud800", "unpaired surrogate"), ("a\x00b", "Null characters")],
)
def test_unstorable_text_in_json_is_refused(api_client: APIClient, text: str, message: str) -> None:
    # given a choice field and a free-text field carrying text no database can store
    video = ShortVideoFactory.create()
    share = _post_raw(api_client, f"/api/v1/videos/{video.pk}/share", json.dumps({"channel": text}))
    batch = _post_raw(api_client, BATCH, json.dumps({"events": [_event(session_id=text)]}))
    # then both are refused before any view logic, with a JSON message
    for response in (share, batch):
        assert response.status_code == 400
        assert message in _api_error(response)
    assert not Event.objects.exists()


# --- Requests refused before any view -------------------------------------------------


def test_null_characters_in_a_query_get_json_under_api_and_text_elsewhere(client: Client) -> None:
    api = client.get("/api/v1/videos?category=a%00b")
    page = client.get("/search/?q=a%00b")
    assert api.status_code == page.status_code == 400
    assert "Null characters" in _api_error(api)
    assert page["Content-Type"].startswith("text/plain")


def test_multipart_without_a_boundary_is_a_json_400(client: Client) -> None:
    response = client.post(BATCH, data=b"x", content_type="multipart/form-data")
    assert response.status_code == 400
    assert "multipart" in _api_error(response)


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing", "/api/v1/videos/abc/like", "/api/v1/videos/-1/like"]
)
def test_unknown_api_urls_answer_json_404(client: Client, path: str) -> None:
    response = client.post(path)
    assert response.status_code == 404
    assert _api_error(response)


def test_ids_too_long_for_any_row_are_404_not_500(api_client: APIClient) -> None:
    api_client.force_authenticate(UserFactory.create())
    response = api_client.delete("/api/v1/creators/99999999999999999999/follow")
    assert response.status_code == 404


def test_a_cursor_outside_the_sort_column_is_invalid(api_client: APIClient) -> None:
    ShortVideoFactory.create()
    response = api_client.get("/api/v1/videos?sort=trending&cursor=cD1hYmM=")  # "p=abc"
    assert response.status_code == 404
    assert "cursor" in _api_error(response).lower()


def test_a_share_loop_is_throttled_and_stops_counting(api_client: APIClient) -> None:
    video = ShortVideoFactory.create()
    url = f"/api/v1/videos/{video.pk}/share"
    answers = [api_client.post(url, {}, format="json").status_code for _ in range(61)]
    assert answers[:60] == [200] * 60
    assert answers[60] == 429
    video.refresh_from_db()
    assert video.share_count == 60


# --- Event batches ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"events": [_event(ts="0001-01-01T00:00:00-14:00")]},
        {"events": [_event()], "sent_at": "9999-12-31T23:59:59Z"},
        {"events": [_event(value=10**400)]},
        {"events": [_event(type="video.liked")]},  # the server records likes itself
    ],
)
def test_impossible_events_are_refused(api_client: APIClient, body: dict) -> None:
    response = _post_raw(api_client, BATCH, json.dumps(body))
    assert response.status_code == 400
    assert not Event.objects.exists()


def test_events_older_than_the_window_are_dropped_not_stored(api_client: APIClient) -> None:
    old = (timezone.now() - timedelta(days=45)).isoformat()
    body = {"events": [_event(ts=old), _event(client_event_id="e-2")]}
    response = api_client.post(BATCH, body, format="json")
    assert response.status_code == 202
    assert (response.json()["stored"], response.json()["too_old"]) == (1, 1)
    assert list(Event.objects.values_list("client_event_id", flat=True)) == ["e-2"]


def test_an_event_belongs_to_the_owner_of_its_video_whatever_the_client_says(
    api_client: APIClient,
) -> None:
    video = ShortVideoFactory.create()
    other = UserFactory.create()
    body = {
        "events": [
            _event(video_id=video.pk, creator_id=other.pk),
            _event(client_event_id="e-2", video_id=10**12, creator_id=other.pk),
        ]
    }
    api_client.post(BATCH, body, format="json")
    owners = dict(Event.objects.values_list("client_event_id", "creator_id"))
    assert owners == {"e-1": video.creator_id, "e-2": None}


# --- Dashboard dates --------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["?to=0001-01-01", "?from=9999-12-31&to=9999-12-31", "?from=0001-01-01"]
)
def test_dashboard_dates_off_the_calendar_are_a_form_error(client: Client, query: str) -> None:
    creator = CreatorProfileFactory.create().user
    client.force_login(creator)
    for path in ("/dashboard/creator/", "/dashboard/creator/export/funnel.csv"):
        response = client.get(path + query)
        assert response.status_code in (200, 400), path
    page = client.get("/dashboard/creator/" + query).content.decode()
    assert "Choose dates between" in page


# --- Found on PostgreSQL -----------------------------------------------------------------


def test_event_times_with_offsets_postgresql_refuses_are_stored_in_utc(
    api_client: APIClient,
) -> None:
    moment = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    east = moment.astimezone(timezone.get_fixed_timezone(16 * 60)).isoformat()  # +16:00
    response = api_client.post(BATCH, {"events": [_event(ts=east)]}, format="json")
    assert response.status_code == 202
    assert Event.objects.get().ts == moment


def test_a_forged_forwarded_for_header_does_not_reset_the_share_throttle(
    api_client: APIClient,
) -> None:
    video = ShortVideoFactory.create()
    url = f"/api/v1/videos/{video.pk}/share"
    answers = [
        api_client.post(url, {}, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(61)
    ]
    assert answers.count(429) == 1


def test_a_signup_that_loses_the_race_for_its_username_is_a_form_error(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a twin request that saved the same username after this one's checks passed
    UserFactory.create(username="twin")
    monkeypatch.setattr("accounts.models.User.full_clean", lambda user, **kwargs: None)
    # then the service names the problem instead of failing on the unique index
    with pytest.raises(ApplicationError, match="just taken"):
        user_create(username="twin", email="t@example.com", password="Xk3!pq9zLm")
    # and the page shows it as a form error
    monkeypatch.setattr(
        "accounts.views.user_create",
        lambda **kwargs: user_create(username="twin", email="t@example.com", password="x"),
    )
    password = "Xk3!pq9zLm-long"
    body = {
        "username": "other",
        "email": "o@example.com",
        "password1": password,
        "password2": password,
    }
    response = client.post("/accounts/signup/", body)
    assert response.status_code == 200
    assert "just taken" in response.content.decode()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/lessons/{lesson}/media?u=%C2%B2&e=1&s=x", 403),  # "²" passes str.isdigit()
        ("/lessons/{lesson}/media?u=1&e=1&s=%C3%A9", 403),
        ("/media/" + "a" * 300, 404),
        ("/studio/videos/" + "9" * 30 + "/publish", 404),
    ],
)
def test_odd_page_urls_are_4xx(client: Client, path: str, status: int) -> None:
    client.force_login(ShortVideoFactory.create().creator)
    lesson = LessonFactory.create()
    assert client.get(path.format(lesson=lesson.pk)).status_code == status


def test_a_range_header_of_thousands_of_digits_gets_the_whole_file(
    client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "clip.mp4").write_bytes(b"0123456789")
    response = client.get("/media/clip.mp4", HTTP_RANGE="bytes=" + "9" * 5000 + "-")
    assert response.status_code == 200
