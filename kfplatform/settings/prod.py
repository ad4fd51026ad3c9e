"""Production: PostgreSQL, Redis and real Celery workers; no defaults for secrets.

A missing or wrong variable stops start-up with one ImproperlyConfigured
that names each and what to put in it, rather than running half-configured.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env
from .required import problems_report, production_problems

# --- ops: start-up validation (issue 13) ------------------------------------
# base.py has already merged .env into os.environ (real variables win).
_problems = production_problems(os.environ)
if _problems:
    raise ImproperlyConfigured(problems_report(_problems))
# --- end ops: start-up validation ---------------------------------------------

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production needs PostgreSQL (DATABASE_URL=postgres://...).")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
KF_MODERATION_REQUIRED = env.bool("KF_MODERATION_REQUIRED", default=True)

# --- ops: cache, sessions, proxy, health and metrics (issue 13) -------------
# Page cache (REDIS_URL) and sessions (REDIS_SESSIONS_URL) live in two Redis
# databases, both fail soft (base.py); sessions are written through to
# PostgreSQL, so they outlive a Redis outage.
# Behind deploy/nginx.conf: TLS ends at nginx, which sends X-Forwarded-Proto
# and the browser's Host; CSRF_TRUSTED_ORIGINS (required) lists the origins.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Probes and Prometheus talk to gunicorn directly, over plain HTTP on a
# private address: never redirect them to https (added to any other exemptions).
SECURE_REDIRECT_EXEMPT = [
    *globals().get("SECURE_REDIRECT_EXEMPT", []),
    r"^healthz$",
    r"^readyz$",
    r"^metrics$",
]
# --- end ops: cache, sessions, proxy, health and metrics ---------------------
