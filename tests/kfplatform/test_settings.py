"""Production settings refuse to start half-configured."""

import os
import subprocess
import sys

import pytest

PROD_ENV = {
    "DJANGO_SECRET_KEY": "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "example.com",
    "DATABASE_URL": "postgres://u@127.0.0.1:5432/db",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    # Payments (issue 12): the gateway is named, and Stripe's keys come with it.
    "COMMERCE_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
}


def _load_prod(env: dict[str, str], code: str = "") -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PROD_ENV and not k.startswith(("COMMERCE_", "STRIPE_"))
    }
    clean["DJANGO_SETTINGS_MODULE"] = "kfplatform.settings.prod"
    code = "import django; django.setup(); from django.conf import settings; " + (
        code or "print(settings.DEBUG)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_prod_starts_with_every_variable() -> None:
    result = _load_prod(PROD_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("missing", sorted(PROD_ENV))
def test_prod_refuses_to_start_without(missing: str) -> None:
    result = _load_prod({k: v for k, v in PROD_ENV.items() if k != missing})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_prod_refuses_sqlite() -> None:
    result = _load_prod({**PROD_ENV, "DATABASE_URL": "sqlite:////tmp/x.db"})
    assert "Production needs PostgreSQL" in result.stderr
