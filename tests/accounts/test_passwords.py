"""Changing a password, and resetting a forgotten one by email."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client, override_settings

from accounts.models import User
from tests.conftest import password_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OLD, NEW = "tricky-Pass-9", "another-Pass-42"


@pytest.fixture
def member() -> User:
    cache.clear()  # the reset limit lives in the cache
    user: User = UserFactory.create(username="mei", email="mei@example.com")
    user.set_password(OLD)
    user.save()
    return user


def _logs_in(password: str) -> bool:
    return password_login(Client(), "mei", password)


def test_a_logged_in_member_changes_their_password(client: Client, member: User) -> None:
    client.force_login(member)
    assert "/accounts/password/change/" in client.get("/me/").content.decode()
    wrong = client.post(
        "/accounts/password/change/",
        {"old_password": "guess", "new_password1": NEW, "new_password2": NEW},
    )
    assert wrong.status_code == 200
    assert "has-error" in wrong.content.decode()
    response = client.post(
        "/accounts/password/change/",
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/done/"
    assert client.get("/me/").status_code == 200  # still logged in here
    assert _logs_in(NEW)
    assert not _logs_in(OLD)


def test_changing_a_password_needs_a_login(client: Client) -> None:
    response = client.get("/accounts/password/change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_forgotten_password_is_reset_through_a_one_time_emailed_link(
    client: Client, member: User
) -> None:
    assert "/accounts/password/reset/" in client.get("/accounts/login/").content.decode()
    # when the member asks for a link
    response = client.post("/accounts/password/reset/", {"email": "MEI@example.com"})
    # then one mail carries it
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mei@example.com"]
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", str(mail.outbox[0].body))
    assert link is not None
    # and it opens a form that sets the new password
    form_page = client.get(link[1], follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link[1]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done["Location"] == "/accounts/password/reset/done/"
    assert _logs_in(NEW)
    # and the link does not work twice
    again = client.get(link[1], follow=True)
    assert "not valid any more" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client: Client, member: User) -> None:
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


@override_settings(ACCOUNTS_PASSWORD_RESET_MAILS=2)
def test_reset_mails_to_one_address_are_limited_per_hour(client: Client, member: User) -> None:
    for _ in range(4):
        response = client.post("/accounts/password/reset/", {"email": "mei@example.com"})
        assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 2


def test_a_broken_reset_link_is_a_clear_page_not_an_error(client: Client) -> None:
    response = client.get("/accounts/password/reset/MQ/bad-token/", follow=True)
    assert response.status_code == 200
    assert "not valid any more" in response.content.decode()


def test_the_reset_pages_and_mail_speak_chinese(client: Client, member: User) -> None:
    page = client.get("/accounts/password/reset/", headers={"accept-language": "zh-hans"})
    assert "重置密码" in page.content.decode()
    client.post(
        "/accounts/password/reset/",
        {"email": "mei@example.com"},
        headers={"accept-language": "zh-hans"},
    )
    assert mail.outbox[0].subject == "重置你的 kfplatform 密码"
    assert "mei，你好" in mail.outbox[0].body
