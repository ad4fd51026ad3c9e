"""Production settings refuse to start half-configured, naming each variable and its fix."""

import os
import subprocess
import sys

import pytest

from ops.environment import REQUIREMENTS, production_problems
from ops.renamed_variables import RENAMED_VARIABLES

PROD_ENV = {
    "DJANGO_SECRET_KEY": "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://example.com",
    "DATABASE_URL": "postgres://u@127.0.0.1:5432/db",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "REDIS_SESSIONS_URL": "redis://127.0.0.1:6379/1",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "COURSES_MEDIA_ACCEL_PREFIX": "/protected/",
    "KF_METRICS_TOKEN": "m" * 32,
    "KF_NUM_PROXIES": "1",
    "EMAIL_URL": "smtp+tls://user:secret@smtp.example.com:587",
    # Payments (issue 12): the gateway is named, and Stripe's keys come with it.
    "COMMERCE_GATEWAY": "stripe",
    "COMMERCE_STRIPE_SECRET_KEY": "sk_test_x",
    "COMMERCE_STRIPE_WEBHOOK_SECRET": "whsec_x",
}
REQUIRED = [name for name, _, _ in REQUIREMENTS if name in PROD_ENV]


def _load_prod(env: dict[str, str], code: str = "") -> subprocess.CompletedProcess[str]:
    names = {name for name, _, _ in REQUIREMENTS} | set(PROD_ENV) | set(RENAMED_VARIABLES)
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in names and not k.startswith(("COMMERCE_", "STRIPE_"))
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


def test_prod_names_every_missing_variable_and_what_to_put_in_it_at_once() -> None:
    # when: nothing is set
    result = _load_prod({})
    # then: one error, every variable on its own line with its fix
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for name in REQUIRED:
        line = next(line for line in result.stderr.splitlines() if line.strip().startswith(name))
        assert " is missing. Put " in line, line


def test_prod_refuses_sqlite() -> None:
    result = _load_prod({**PROD_ENV, "DATABASE_URL": "sqlite:////tmp/x.db"})
    assert "Production needs PostgreSQL" in result.stderr


@pytest.mark.parametrize("missing", REQUIRED)
def test_each_variable_is_required(missing: str) -> None:
    problems = production_problems({k: v for k, v in PROD_ENV.items() if k != missing})
    assert [(p.variable, p.wrong) for p in problems] == [(missing, "is missing")]


@pytest.mark.parametrize(
    ("variable", "value", "wrong"),
    [
        ("DJANGO_SECRET_KEY", "short", "is 5 characters long"),
        ("DJANGO_SECRET_KEY", "dev-only-not-secret", "is the development key"),
        ("DJANGO_ALLOWED_HOSTS", "example.com,*", "contains *, which accepts any Host header"),
        (
            "DJANGO_CSRF_TRUSTED_ORIGINS",
            "http://example.com",
            "has http://example.com, not https://host[:port] origins",
        ),
        (
            "REDIS_SESSIONS_URL",
            "redis://127.0.0.1:6379",
            "names the same Redis database as REDIS_URL",
        ),
        (
            "CELERY_BROKER_URL",
            "redis://127.0.0.1:6379/1",
            "names the same Redis database as REDIS_SESSIONS_URL (clearing it would drop tasks)",
        ),
        ("CELERY_BROKER_URL", "kafka://x", "has the scheme kafka://"),
        ("COURSES_MEDIA_ACCEL_PREFIX", "protected", "is 'protected', not a /path/"),
        ("KF_METRICS_TOKEN", "abc", "is 3 characters long"),
        ("EMAIL_URL", "consolemail://", "prints mail (password-reset links) to the log"),
        ("CELERY_TASK_TIME_LIMIT", "600", "is 600, not above CELERY_TASK_SOFT_TIME_LIMIT (600)"),
        ("KF_MEDIA_STORAGE", "gcs", "is 'gcs'"),
        ("KF_S3_ADDRESSING_STYLE", "dns", "is 'dns'"),
    ],
)
def test_wrong_values_are_named_with_what_is_wrong(variable: str, value: str, wrong: str) -> None:
    problems = production_problems({**PROD_ENV, variable: value})
    assert [(p.variable, p.wrong) for p in problems] == [(variable, wrong)]
    assert problems[0].fix


def test_probes_and_prometheus_are_never_redirected_to_https() -> None:
    # They call gunicorn directly over plain HTTP on a private address.
    result = _load_prod(PROD_ENV, code="print(settings.SECURE_REDIRECT_EXEMPT)")
    assert result.returncode == 0, result.stderr
    for path in ("^healthz$", "^readyz$", "^metrics$"):
        assert repr(path) in result.stdout


def test_settings_helpers_load_without_django_apps_or_models() -> None:
    # settings/prod.py and base.py import them before django.setup(): they must not
    # need the app registry, nor pull in the ORM.
    code = (
        "import sys, ops.environment, ops.config; "
        "print(sorted(m for m in sys.modules if m.startswith(('django.db', 'django.apps'))))"
    )
    clean = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_media_on_s3_needs_a_bucket_and_http_addresses() -> None:
    on_s3 = {**PROD_ENV, "KF_MEDIA_STORAGE": "s3", "KF_S3_BUCKET": "kf-media"}
    assert production_problems(on_s3) == []
    problems = production_problems(
        {
            **on_s3,
            "KF_S3_BUCKET": "",
            "KF_S3_ENDPOINT_URL": "oss-cn-hangzhou.aliyuncs.com",
            "KF_MEDIA_PUBLIC_URL": "ftp://cdn.example.com",
        }
    )
    assert [(p.variable, p.wrong) for p in problems] == [
        ("KF_S3_BUCKET", "is missing while KF_MEDIA_STORAGE=s3"),
        ("KF_S3_ENDPOINT_URL", "is 'oss-cn-hangzhou.aliyuncs.com', not an http(s) URL"),
        ("KF_MEDIA_PUBLIC_URL", "is 'ftp://cdn.example.com', not an http(s) URL"),
    ]
