"""Hardened headers under production settings, and a clean ``check --deploy`` (issue 12, item 4)."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.kfplatform.test_settings import PROD_ENV

STRONG_SECRET = "9f" + "".join(chr(ord("a") + n % 26) + str(n % 10) for n in range(40))


def _check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    """``manage.py check --deploy`` as an operator runs it: production's variables only."""
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parents[2],
        env={
            **clean,
            **PROD_ENV,
            "DJANGO_SETTINGS_MODULE": "kfplatform.settings.prod",
            "DJANGO_SECRET_KEY": STRONG_SECRET,
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_under_production_settings_prints_no_warning() -> None:
    result = _check_deploy()
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in output
    assert "WARNING" not in output
    assert "?: (" not in output  # no check message of any level


def test_a_proxy_that_redirects_to_https_itself_silences_only_that_check() -> None:
    result = _check_deploy(DJANGO_SECURE_SSL_REDIRECT="false")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout + result.stderr


@pytest.mark.django_db
def test_every_page_carries_the_security_headers(prod_settings: Any, https_client: Client) -> None:
    prod_settings()
    response = https_client.get("/")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(
        [*part.split(" ", 1), ""][:2] for part in response["Content-Security-Policy"].split("; ")
    )
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self' https://checkout.stripe.com"  # Stripe's hosted checkout
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_staging_sandbox_site_sends_forms_nowhere_else(prod_settings: Any) -> None:
    prod_settings(
        COMMERCE_GATEWAY="sandbox",
        COMMERCE_SANDBOX_ENABLED="true",
        COMMERCE_SANDBOX_WEBHOOK_SECRET="whsec_staging_secret",
    )
    response = Client(headers={"X-Forwarded-Proto": "https"}).get("/")
    assert "form-action 'self';" in response["Content-Security-Policy"] + ";"


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_except_the_health_probe(prod_settings: Any) -> None:
    prod_settings()
    plain = Client()  # no X-Forwarded-Proto: the request did not come through TLS
    response = plain.get("/feed/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/feed/"
    assert plain.get("/api/v1/health").status_code != 301


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure_and_the_session_http_only(
    prod_settings: Any, https_client: Client
) -> None:
    prod_settings()
    user = UserFactory.create(username="ana")
    login = https_client.get("/accounts/login/")
    csrf = login.cookies["csrftoken"]
    assert csrf["secure"]
    https_client.post("/accounts/login/", {"username": "ana", "password": "pass-word-123"})
    session = https_client.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    assert user.pk
