import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from analytics.models import Event, Subject
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "newbie",
    "email": "newbie@example.com",
    "password1": "tricky-Pass-9",
    "password2": "tricky-Pass-9",
}


def test_signup_creates_the_account_logs_in_and_records_the_event(client: Client) -> None:
    response = client.post("/accounts/signup/", GOOD)
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert client.session["_auth_user_id"] == str(user.pk)
    key = Subject.objects.get(user_id=user.pk).key
    assert Event.objects.filter(subject_id=key, type=Event.Type.SIGNUP).count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password2": "different-Pass-9"}, "didn’t match"),
        ({"email": "not-an-email"}, "valid email"),
        ({"username": ""}, "This field is required"),
        ({"password1": "123", "password2": "123"}, "too short"),
        ({"username": "a" * 200}, "at most 150"),
        ({"username": "bad name!"}, "Enter a valid username"),
    ],
)
def test_signup_shows_form_errors(client: Client, change: dict[str, str], message: str) -> None:
    response = client.post("/accounts/signup/", {**GOOD, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username=GOOD["username"]).exists()


def test_signup_refuses_a_taken_email_whatever_its_case(client: Client) -> None:
    UserFactory.create(email="taken@example.com")
    response = client.post("/accounts/signup/", {**GOOD, "email": "TAKEN@example.com"})
    assert "already exists" in response.content.decode()


def test_login_with_a_wrong_password_shows_an_error(client: Client) -> None:
    UserFactory.create(username="someone")
    response = client.post("/accounts/login/", {"username": "someone", "password": "wrong"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_logout_is_a_post(client: Client) -> None:
    client.force_login(UserFactory.create())
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_signup_ignores_an_offsite_next(client: Client) -> None:
    response = client.post("/accounts/signup/?next=https://evil.example/", GOOD)
    assert response["Location"] == "/"


def test_login_folds_the_browsers_anonymous_history_into_the_account(client: Client) -> None:
    # given: events recorded for an anonymous browser
    anonymous = Subject.objects.create(anonymous_id="browser-123")
    Event.objects.create(
        subject_id=anonymous.key, type=Event.Type.PLAY, ts=timezone.now(), video_id=1
    )
    UserFactory.create(username="someone")
    client.cookies["kf_anon"] = "browser-123"
    # when
    response = client.post("/accounts/login/", {"username": "someone", "password": "pass-word-123"})
    # then
    assert response.status_code == 302
    user_key = Subject.objects.get(user_id=User.objects.get(username="someone").pk).key
    assert Event.objects.filter(subject_id=user_key, type=Event.Type.PLAY).count() == 1
    assert Event.objects.filter(subject_id=user_key, type=Event.Type.LOGIN).count() == 1
    assert not Subject.objects.filter(anonymous_id="browser-123").exists()
