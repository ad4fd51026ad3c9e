"""Logins are throttled (issue 12, item 3), under production settings.

The audit: 40 wrong passwords followed by the right one logged in, on the site
and on /admin/login/. Now failures count per account and address (the address
nginx saw), and past the limit even the right password is refused with 429
until the cool-off ends, a password reset, or an admin unlocks.
"""

import re
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
RIGHT, WRONG = "right-Pass-123", "wrong-Pass-000"


@pytest.fixture
def member(prod_settings: Any) -> User:
    prod_settings()
    user: User = UserFactory.create(username="mei", email="mei@example.com")
    user.set_password(RIGHT)
    user.save()
    return user


def _browser(address: str = "203.0.113.7", forwarded_for: str | None = None) -> Client:
    """A browser reaching Django through nginx: TLS ended there, its address in the headers."""
    headers = {"X-Forwarded-Proto": "https"}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return Client(headers=headers, REMOTE_ADDR=address)


def _log_in(
    client: Client, password: str, username: str = "mei", path: str = "/accounts/login/"
) -> Any:
    return client.post(path, {"username": username, "password": password})


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_41st_wrong_password_is_refused_and_so_is_the_right_one_after_it(
    member: User,
) -> None:
    # given: the audit's attack from one address
    browser = _browser()
    answers = [_log_in(browser, WRONG).status_code for _ in range(41)]
    # when: the right password follows
    right = _log_in(browser, RIGHT)
    # then: locked after the limit (5), with a clear message and a time to come back
    assert answers[:4] == [200] * 4  # the form says "wrong password"
    assert set(answers[4:]) == {429}
    assert right.status_code == 429
    assert not _logged_in(browser)
    page = right.content.decode()
    assert "Too many failed log-ins" in page
    assert "Try again in 15 minutes" in page
    assert "/accounts/password/reset/" in page
    assert right["Retry-After"] == "900"


def test_the_lock_is_per_account_and_address(member: User) -> None:
    # given: the account locked from one address
    for _ in range(5):
        _log_in(_browser("203.0.113.7"), WRONG)
    # then: its owner elsewhere still logs in, and so does someone else from that address
    elsewhere = _browser("198.51.100.20")
    assert _log_in(elsewhere, RIGHT).status_code == 302
    assert _logged_in(elsewhere)
    neighbour_account = UserFactory.create(username="lan")
    neighbour_account.set_password(RIGHT)
    neighbour_account.save()
    neighbour = _browser("203.0.113.7")
    assert _log_in(neighbour, RIGHT, username="lan").status_code == 302
    assert _log_in(_browser("203.0.113.7"), RIGHT).status_code == 429


def test_behind_nginx_the_key_is_the_address_nginx_saw(prod_settings: Any, member: User) -> None:
    # given: production behind deploy/nginx.conf (one proxy appends X-Forwarded-For)
    prod_settings(KF_NUM_PROXIES="1")
    nginx = "127.0.0.1"
    # when: the attacker writes a new X-Forwarded-For each time; nginx appends the real one
    answers = [
        _log_in(_browser(nginx, f"10.0.0.{n}, 203.0.113.7"), WRONG).status_code for n in range(6)
    ]
    # then: all counted on 203.0.113.7, so the lock holds
    assert answers[-1] == 429
    assert _log_in(_browser(nginx, "203.0.113.7"), RIGHT).status_code == 429
    # and the real user at another address (as nginx reports it) is not locked out
    assert _log_in(_browser(nginx, "198.51.100.20"), RIGHT).status_code == 302


def test_admin_login_is_throttled_too(member: User) -> None:
    User.objects.filter(pk=member.pk).update(is_staff=True, is_superuser=True)
    browser = _browser()
    for _ in range(40):
        _log_in(browser, WRONG, path="/admin/login/")
    response = _log_in(browser, RIGHT, path="/admin/login/")
    assert response.status_code == 429
    assert browser.get("/admin/").status_code == 302  # still sent to the login page


def test_a_wrong_old_password_on_password_change_counts_and_locks(member: User) -> None:
    # given: a session someone else is using
    browser = _browser()
    browser.force_login(member)
    new = {"new_password1": "another-Pass-42", "new_password2": "another-Pass-42"}
    # when: they guess the old password
    answers = [
        browser.post("/accounts/password/change/", {"old_password": WRONG, **new}).status_code
        for _ in range(6)
    ]
    right = browser.post("/accounts/password/change/", {"old_password": RIGHT, **new})
    # then: locked like a login, and the password did not change
    assert answers[:4] == [200] * 4
    assert answers[5] == 429
    assert right.status_code == 429
    member.refresh_from_db()
    assert member.check_password(RIGHT)
    # and the same lock holds on the login page
    assert _log_in(_browser(), RIGHT).status_code == 429


def test_a_completed_password_reset_unlocks_the_account(member: User) -> None:
    # given: locked out
    browser = _browser()
    for _ in range(5):
        _log_in(browser, WRONG)
    assert _log_in(browser, RIGHT).status_code == 429
    # when: the owner resets the password through the emailed link
    browser.post("/accounts/password/reset/", {"email": "mei@example.com"})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", str(mail.outbox[-1].body))
    assert link is not None
    form = browser.get(link.group(1), follow=True)
    new = {"new_password1": "brand-New-Pass-7", "new_password2": "brand-New-Pass-7"}
    assert browser.post(form.redirect_chain[-1][0], new).status_code == 302
    # then: the new password logs in from the same address at once
    assert _log_in(browser, "brand-New-Pass-7").status_code == 302


def test_an_admin_unlocks_with_the_documented_command(member: User) -> None:
    browser = _browser()
    for _ in range(5):
        _log_in(browser, WRONG)
    assert _log_in(browser, RIGHT).status_code == 429
    call_command("axes_reset_username", "mei")
    assert _log_in(browser, RIGHT).status_code == 302
