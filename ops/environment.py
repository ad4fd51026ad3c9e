"""What production needs from its environment, checked before anything starts.

``kfplatform.settings.prod`` calls :func:`production_problems` first and
refuses to start with one message that names every missing or wrong
variable and what to put in it, instead of django-environ's first
"Set the X environment variable" or, worse, a site that starts and fails
later (sessions in the broker's database, CSRF failures behind TLS,
password-reset links printed to the log, a sandbox that hands out courses).
Plain Python, no Django and no models: settings/prod.py imports it before
Django is set up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

# The sandbox gateway's webhook secret outside production (settings/base.py).
# Published in this source, so production refuses it (a forged webhook would verify).
SANDBOX_DEV_WEBHOOK_SECRET = "whsec_sandbox_dev_only"
SECRET_KEY_MIN_LENGTH = 50
METRICS_TOKEN_MIN_LENGTH = 32
REDIS_SCHEMES = ("redis", "rediss", "unix")
BROKER_SCHEMES = ("amqp", "amqps", "pyamqp", *REDIS_SCHEMES)


@dataclass(frozen=True)
class Problem:
    variable: str
    wrong: str  # what is wrong with it now
    fix: str  # what to put in it


def _get(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name, "").strip()


def _secret_key(environ: Mapping[str, str]) -> str:
    value = _get(environ, "DJANGO_SECRET_KEY")
    if not value:
        return "is missing"
    if value == "dev-only-not-secret" or value.startswith("django-insecure-"):
        return "is the development key"
    if len(value) < SECRET_KEY_MIN_LENGTH:
        return f"is {len(value)} characters long"
    return ""


def _allowed_hosts(environ: Mapping[str, str]) -> str:
    hosts = [h.strip() for h in _get(environ, "DJANGO_ALLOWED_HOSTS").split(",") if h.strip()]
    if not hosts:
        return "is missing"
    if "*" in hosts:
        return "contains *, which accepts any Host header"
    return ""


def _csrf_origins(environ: Mapping[str, str]) -> str:
    origins = [o.strip() for o in _get(environ, "DJANGO_CSRF_TRUSTED_ORIGINS").split(",")]
    origins = [o for o in origins if o]
    if not origins:
        return "is missing"
    bad = [o for o in origins if not o.startswith("https://") or o.rstrip("/") != o]
    if bad:
        return f"has {', '.join(bad)}, not https://host[:port] origins"
    return ""


def _database(environ: Mapping[str, str]) -> str:
    value = _get(environ, "DATABASE_URL")
    if not value:
        return "is missing"
    if urlsplit(value).scheme not in ("postgres", "postgresql", "pgsql"):
        return "is not PostgreSQL (Production needs PostgreSQL)"
    return ""


def _redis_location(url: str) -> tuple[str, str, int, str]:
    """(scheme family, host, port, database) of a Redis URL, to compare two."""
    parts = urlsplit(url)
    database = parts.path.strip("/") or "0"
    return ("redis", parts.hostname or "", parts.port or 6379, database)


def _url_problem(value: str, schemes: tuple[str, ...]) -> str:
    if not value:
        return "is missing"
    if urlsplit(value).scheme not in schemes:
        return f"has the scheme {urlsplit(value).scheme or '(none)'}://"
    return ""


def _redis_cache(environ: Mapping[str, str]) -> str:
    return _url_problem(_get(environ, "REDIS_URL"), REDIS_SCHEMES)


def _redis_sessions(environ: Mapping[str, str]) -> str:
    value = _get(environ, "REDIS_SESSIONS_URL")
    problem = _url_problem(value, REDIS_SCHEMES)
    if problem:
        return problem
    cache = _get(environ, "REDIS_URL")
    if cache and _redis_location(value) == _redis_location(cache):
        return "names the same Redis database as REDIS_URL"
    return ""


def _broker(environ: Mapping[str, str]) -> str:
    value = _get(environ, "CELERY_BROKER_URL")
    problem = _url_problem(value, BROKER_SCHEMES)
    if problem:
        return problem
    if urlsplit(value).scheme in REDIS_SCHEMES:
        for other in ("REDIS_URL", "REDIS_SESSIONS_URL"):
            url = _get(environ, other)
            if url and _redis_location(value) == _redis_location(url):
                return f"names the same Redis database as {other} (clearing it would drop tasks)"
    return ""


def _accel_prefix(environ: Mapping[str, str]) -> str:
    value = _get(environ, "COURSES_MEDIA_ACCEL_PREFIX")
    if not value:
        return "is missing"
    if not (value.startswith("/") and value.endswith("/")):
        return f"is {value!r}, not a /path/"
    return ""


def _metrics_token(environ: Mapping[str, str]) -> str:
    value = _get(environ, "KF_METRICS_TOKEN")
    if not value:
        return "is missing"
    if len(value) < METRICS_TOKEN_MIN_LENGTH:
        return f"is {len(value)} characters long"
    return ""


def _num_proxies(environ: Mapping[str, str]) -> str:
    value = _get(environ, "KF_NUM_PROXIES")
    if not value:
        return "is missing"
    if not value.isdigit():
        return f"is {value!r}, not a number"
    return ""


def _email(environ: Mapping[str, str]) -> str:
    value = _get(environ, "EMAIL_URL")
    if not value:
        return "is missing"
    if value.startswith("consolemail"):
        return "prints mail (password-reset links) to the log"
    return ""


def _time_limits(environ: Mapping[str, str]) -> str:
    soft, hard = (
        _get(environ, "CELERY_TASK_SOFT_TIME_LIMIT") or "600",
        _get(environ, "CELERY_TASK_TIME_LIMIT") or "900",
    )
    if not (soft.isdigit() and hard.isdigit()):
        return "is not a whole number of seconds"
    if int(soft) >= int(hard):
        return f"is {hard}, not above CELERY_TASK_SOFT_TIME_LIMIT ({soft})"
    return ""


def _gateway(environ: Mapping[str, str]) -> str:
    value = _get(environ, "COMMERCE_GATEWAY")
    if not value:
        return "is missing"
    if value not in ("stripe", "sandbox"):
        return f"is {value!r}, neither stripe nor sandbox"
    return ""


def _enabled(environ: Mapping[str, str], name: str) -> bool:
    return _get(environ, name).lower() in ("1", "true", "yes", "on")


def _sandbox_switch(environ: Mapping[str, str]) -> str:
    if _get(environ, "COMMERCE_GATEWAY") == "sandbox" and not _enabled(
        environ, "COMMERCE_SANDBOX_ENABLED"
    ):
        return "is off while COMMERCE_GATEWAY=sandbox"
    return ""


def _sandbox_secret(environ: Mapping[str, str]) -> str:
    if not _enabled(environ, "COMMERCE_SANDBOX_ENABLED"):
        return ""
    value = _get(environ, "COMMERCE_SANDBOX_WEBHOOK_SECRET")
    if not value:
        return "is missing while the sandbox is enabled"
    if value == SANDBOX_DEV_WEBHOOK_SECRET:
        return "is the development secret published in the source"
    return ""


def _stripe_key(name: str) -> Callable[[Mapping[str, str]], str]:
    """A Stripe key is needed unless the site is a sandbox staging site."""

    def check(environ: Mapping[str, str]) -> str:
        if _get(environ, "COMMERCE_GATEWAY") == "sandbox" or _get(environ, name):
            return ""
        return "is missing"

    return check


MEDIA_STORAGES = ("filesystem", "s3")
ADDRESSING_STYLES = ("virtual", "path", "auto")


def _media_storage(environ: Mapping[str, str]) -> str:
    value = _get(environ, "KF_MEDIA_STORAGE") or "filesystem"
    return "" if value in MEDIA_STORAGES else f"is {value!r}"


def _on_s3(environ: Mapping[str, str]) -> bool:
    return _get(environ, "KF_MEDIA_STORAGE") == "s3"


def _s3_bucket(environ: Mapping[str, str]) -> str:
    if _on_s3(environ) and not _get(environ, "KF_S3_BUCKET"):
        return "is missing while KF_MEDIA_STORAGE=s3"
    return ""


def _http_url(name: str) -> Callable[[Mapping[str, str]], str]:
    """Empty, or an http(s) URL with a host."""

    def check(environ: Mapping[str, str]) -> str:
        value = _get(environ, name)
        if not value or not _on_s3(environ):
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return f"is {value!r}, not an http(s) URL"
        return ""

    return check


def _addressing_style(environ: Mapping[str, str]) -> str:
    value = _get(environ, "KF_S3_ADDRESSING_STYLE")
    if not value or value in ADDRESSING_STYLES:
        return ""
    return f"is {value!r}"


RANDOM = "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
REQUIREMENTS: tuple[tuple[str, Callable[[Mapping[str, str]], str], str], ...] = (
    (
        "DJANGO_SECRET_KEY",
        _secret_key,
        f"a random string of at least {SECRET_KEY_MIN_LENGTH} characters, e.g. from {RANDOM}",
    ),
    (
        "DJANGO_ALLOWED_HOSTS",
        _allowed_hosts,
        "the comma-separated host names the site answers to, e.g. example.com,www.example.com",
    ),
    (
        "DJANGO_CSRF_TRUSTED_ORIGINS",
        _csrf_origins,
        "the https origins forms are posted from, e.g. https://example.com "
        "(add :port when it is not 443); without them form POSTs behind TLS fail CSRF",
    ),
    ("DATABASE_URL", _database, "postgres://user:password@host:5432/dbname"),
    ("REDIS_URL", _redis_cache, "the page cache's Redis database, e.g. redis://host:6379/0"),
    (
        "REDIS_SESSIONS_URL",
        _redis_sessions,
        "a Redis database of its own for sessions, e.g. redis://host:6379/1",
    ),
    (
        "CELERY_BROKER_URL",
        _broker,
        "RabbitMQ, e.g. amqp://user:password@host:5672/kfplatform (recommended: a crashed "
        "worker's tasks return at once), or a Redis database of its own, e.g. redis://host:6379/2",
    ),
    (
        "COURSES_MEDIA_ACCEL_PREFIX",
        _accel_prefix,
        "/protected/ (deploy/nginx.conf's internal location for paid lesson media)",
    ),
    (
        "KF_MEDIA_STORAGE",
        _media_storage,
        "filesystem (one web node, media in DJANGO_MEDIA_ROOT) or s3 (an S3-compatible "
        "object store that every node shares: the KF_S3_* variables)",
    ),
    (
        "KF_S3_BUCKET",
        _s3_bucket,
        "the media bucket's name (create it: manage.py media_store_prepare)",
    ),
    (
        "KF_S3_ENDPOINT_URL",
        _http_url("KF_S3_ENDPOINT_URL"),
        "the store's S3 endpoint, e.g. https://oss-cn-hangzhou.aliyuncs.com, "
        "https://cos.ap-shanghai.myqcloud.com or http://minio:9000 (empty for AWS S3)",
    ),
    (
        "KF_S3_ADDRESSING_STYLE",
        _addressing_style,
        "virtual (AWS, Aliyun OSS, Tencent COS) or path (MinIO, SeaweedFS)",
    ),
    (
        "KF_MEDIA_PUBLIC_URL",
        _http_url("KF_MEDIA_PUBLIC_URL"),
        "the CDN address in front of the bucket's public media, e.g. https://media.example.com",
    ),
    (
        "KF_METRICS_TOKEN",
        _metrics_token,
        f"a random string of at least {METRICS_TOKEN_MIN_LENGTH} characters that Prometheus "
        f"sends as 'Authorization: Bearer <token>', e.g. from {RANDOM}",
    ),
    (
        "KF_NUM_PROXIES",
        _num_proxies,
        "how many proxies append X-Forwarded-For in front of Django: 1 behind deploy/nginx.conf",
    ),
    (
        "EMAIL_URL",
        _email,
        "an SMTP server for password-reset mail, e.g. smtp+tls://user:password@smtp.example.com:587",
    ),
    (
        "CELERY_TASK_TIME_LIMIT",
        _time_limits,
        "whole seconds, above CELERY_TASK_SOFT_TIME_LIMIT (defaults: 900 and 600)",
    ),
    (
        "COMMERCE_GATEWAY",
        _gateway,
        "stripe (real payments), or sandbox on a staging site only",
    ),
    (
        "COMMERCE_SANDBOX_ENABLED",
        _sandbox_switch,
        "true only on a staging site (the sandbox hands out courses for a click), "
        "else COMMERCE_GATEWAY=stripe",
    ),
    (
        "COMMERCE_SANDBOX_WEBHOOK_SECRET",
        _sandbox_secret,
        f"a secret of this staging site, e.g. from {RANDOM}",
    ),
    (
        "COMMERCE_STRIPE_SECRET_KEY",
        _stripe_key("COMMERCE_STRIPE_SECRET_KEY"),
        "the secret key from the Stripe dashboard, sk_live_... (not needed on a sandbox staging site)",
    ),
    (
        "COMMERCE_STRIPE_WEBHOOK_SECRET",
        _stripe_key("COMMERCE_STRIPE_WEBHOOK_SECRET"),
        "the signing secret of the Stripe webhook endpoint, whsec_...",
    ),
)


def production_problems(environ: Mapping[str, str]) -> list[Problem]:
    """Every variable production needs that is missing or wrong, in a stable order."""
    problems = []
    for name, check, fix in REQUIREMENTS:
        wrong = check(environ)
        if wrong:
            problems.append(Problem(variable=name, wrong=wrong, fix=fix))
    return problems


def problems_report(problems: list[Problem]) -> str:
    """One message for ImproperlyConfigured: each variable, what is wrong, what to put."""
    lines = [
        "kfplatform.settings.prod cannot start. Set these in the environment or in .env "
        "(.env.example and docs/operations.md explain each):"
    ]
    lines += [f"  {p.variable} {p.wrong}. Put {p.fix}." for p in problems]
    return "\n".join(lines)
