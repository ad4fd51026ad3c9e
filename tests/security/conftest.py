"""Security tests run under ``kfplatform.settings.prod``, as production runs.

``prod_settings`` evaluates ``kfplatform/settings/prod.py`` (and the base it
imports) afresh under a production environment, as a new gunicorn process
would, and applies every setting it produces to the test, except the
connections to services (database, cache, broker, file storage, nginx), which stay
the test's own, and the password hasher, which stays fast so that brute-force
tests can make dozens of attempts. So the gateways, moderation, login
throttling, headers and middleware a test sees are production's.
"""

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.kfplatform.test_settings import PROD_ENV as REQUIRED_ENV

# What an operator sets (every variable production requires: a Stripe site
# with its keys), answering to the test client's host names.
PROD_ENV = {
    **REQUIRED_ENV,
    "DJANGO_SECRET_KEY": "prod-test-" + "k" * 50,
    "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "COMMERCE_STRIPE_SECRET_KEY": "sk_test_prod",
    "COMMERCE_STRIPE_WEBHOOK_SECRET": "whsec_prod_stripe",
}
# Variables a developer's shell may carry that production would not have (STRIPE_ and
# most KF_ ones are the old names of renamed variables, still read).
CLEARED = (
    "ACCOUNTS_",
    "COURSES_",
    "STUDIO_",
    "COMMERCE_",
    "STRIPE_",
    "DJANGO_",
    "KF_",
    "AXES_",
    "REDIS_SESSIONS_URL",
    "EMAIL_URL",
)
# The test's own plumbing: which services, where files, mails and tasks go (CELERY_* and
# EMAIL_* too), how fast hashing is.
KEPT = {
    "DATABASES",
    "CACHES",
    "STORAGES",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "PASSWORD_HASHERS",
    "REDIS_URL",
    "TEST_REDIS_URL",
    "LOGGING",
    "INSTALLED_APPS",
    "SESSION_CACHE_ALIAS",
    # No nginx stands in front of the test server to answer X-Accel-Redirect, so paid
    # media streams from Django as without a prefix (tests/deploy/ covers nginx).
    "COURSES_MEDIA_ACCEL_PREFIX",
}


def prod_settings_values(env: dict[str, str]) -> dict[str, Any]:
    """Every upper-case setting ``kfplatform.settings.prod`` defines under ``env``."""
    names = ("kfplatform.settings.prod", "kfplatform.settings.base")
    saved_modules = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    saved_env = dict(os.environ)
    try:
        for key in list(os.environ):
            if key.startswith(CLEARED):
                del os.environ[key]
        os.environ.update(env)
        module = importlib.import_module("kfplatform.settings.prod")
        return {name: getattr(module, name) for name in dir(module) if name.isupper()}
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved_modules)


@pytest.fixture
def prod_settings(settings: Any) -> Callable[..., Any]:
    """Apply production's settings; call with extra variables, e.g. ``COMMERCE_GATEWAY="sandbox"``."""

    def apply(**env: str) -> Any:
        for name, value in prod_settings_values({**PROD_ENV, **env}).items():
            if name not in KEPT and not name.startswith(("EMAIL_", "CELERY_")):
                setattr(settings, name, value)
        return settings

    return apply


@pytest.fixture
def https_client() -> Client:
    """A browser behind deploy/nginx.conf: TLS ended at the proxy, which says so."""
    return Client(headers={"X-Forwarded-Proto": "https"}, REMOTE_ADDR="127.0.0.1")
