"""Whatever a person types into a URL, a search box or a form, no page answers 500."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import CourseFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db

# Text a person can type: any printable character, including Chinese and punctuation.
typed = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)

PAGES_WITH_QUERY = [
    "/?{}",
    "/feed/?tab={}",
    "/search/?q={}",
    "/search/?q=python&category={}&price_min={}",
    "/api/v1/videos?sort={}&cursor={}",
    "/api/v1/search?q={}&limit={}",
    "/api/v1/recommendations/feed?limit={}&offset={}",
    "/c/{}/",
    "/v/{}/",
    "/api/v1/courses/{}",
    "/api/v1/recommendations/similar/{}",
]


@pytest.fixture
def content() -> None:
    CourseFactory.create(slug="python-1")
    ShortVideoFactory.create()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(page=st.sampled_from(PAGES_WITH_QUERY), first=typed, second=typed)
def test_typed_input_never_gives_a_server_error(
    client: Client, content: None, page: str, first: str, second: str
) -> None:
    from urllib.parse import quote

    url = page.format(quote(first, safe=""), quote(second, safe=""))
    assert client.get(url).status_code < 500


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(username=typed, email=typed, password=typed)
def test_signup_form_with_anything_typed_answers_with_the_form(
    client: Client, username: str, email: str, password: str
) -> None:
    response = client.post(
        "/accounts/signup/",
        {"username": username, "email": email, "password1": password, "password2": password},
    )
    assert response.status_code in (200, 302, 400)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=typed, rating=typed)
def test_api_writes_with_anything_typed_answer_4xx_json(
    client: Client, content: None, body: str, rating: str
) -> None:
    client.force_login(UserFactory.create())
    video_id = ShortVideoFactory.create().pk
    for url, payload in (
        (f"/api/v1/videos/{video_id}/comments", {"body": body, "parent_id": rating}),
        ("/api/v1/courses/python-1/review", {"rating": rating, "body": body}),
        (
            f"/api/v1/videos/{video_id}/watch-state",
            {"position_seconds": rating, "playback_rate": body},
        ),
    ):
        method = client.put if "review" in url or "watch-state" in url else client.post
        response = method(url, payload, content_type="application/json")
        assert response.status_code < 500
        if response.status_code >= 400:
            assert set(response.json()) == {"code", "message", "extra"}
