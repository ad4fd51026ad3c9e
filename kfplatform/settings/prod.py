"""Production: PostgreSQL, Redis and real Celery workers; no defaults for secrets.

A missing or wrong variable stops start-up with one ImproperlyConfigured
that names each and what to put in it, rather than running half-configured.
"""

from django.core.exceptions import ImproperlyConfigured

from ops.environment import problems_report, production_problems

from .base import *  # noqa: F403
from .base import env

# --- ops: start-up validation (issue 13) ------------------------------------
# base.py has already merged .env into os.environ (real variables win) and read
# renamed variables under their new names into env.ENVIRON: validate that.
_problems = production_problems(env.ENVIRON)
if _problems:
    raise ImproperlyConfigured(problems_report(_problems))

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
    "default": STORAGES["default"],  # noqa: F405 (the folder or the object store: base.py)
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
STUDIO_MODERATION_REQUIRED = env.bool("STUDIO_MODERATION_REQUIRED", default=True)

# --- ops: cache, sessions, proxy, health and metrics (issue 13) -------------
# Page cache (REDIS_URL) and sessions (REDIS_SESSIONS_URL) live in two Redis
# databases, both fail soft (base.py); sessions are written through to
# PostgreSQL, so they outlive a Redis outage.
# Behind deploy/nginx.conf: TLS ends at nginx, which sends X-Forwarded-Proto
# and the browser's Host; CSRF_TRUSTED_ORIGINS (required) lists the origins.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Probes and Prometheus talk to gunicorn directly, over plain HTTP on a
# private address: never redirect them to https.
SECURE_REDIRECT_EXEMPT = [
    r"^healthz$",
    r"^readyz$",
    r"^metrics$",
    r"^api/v1/health$",
    *env.list("DJANGO_SECURE_REDIRECT_EXEMPT", default=[]),
]
# --- end ops: cache, sessions, proxy, health and metrics ---------------------

# --- Security (issue 12): payment gateways ------------------------------------
# Production names its gateway (no default). The sandbox hands out courses for a
# click, so it runs only where COMMERCE_SANDBOX_ENABLED says so (a staging site),
# and then only with a secret from the environment: the default one is in the
# source. ops/environment.py has refused every other combination before this line.
COMMERCE_GATEWAY = env("COMMERCE_GATEWAY")
COMMERCE_SANDBOX_ENABLED = env.bool("COMMERCE_SANDBOX_ENABLED", default=False)
COMMERCE_SANDBOX_WEBHOOK_SECRET = (
    env("COMMERCE_SANDBOX_WEBHOOK_SECRET") if COMMERCE_SANDBOX_ENABLED else ""
)
if COMMERCE_GATEWAY == "stripe":
    COMMERCE_STRIPE_SECRET_KEY = env("COMMERCE_STRIPE_SECRET_KEY")
    COMMERCE_STRIPE_WEBHOOK_SECRET = env("COMMERCE_STRIPE_WEBHOOK_SECRET")

# --- Security (issue 12): HTTPS, HSTS and the policy for the named gateway -----
# TLS ends at nginx (or a load balancer in front of it), which sends
# X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER above). Django redirects http to
# https itself unless the proxy already does: then set
# DJANGO_SECURE_SSL_REDIRECT=false, and check --deploy's W008 (which would say
# the redirect is off) is silenced for that reason only.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
if not SECURE_SSL_REDIRECT:
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
CONTENT_SECURITY_POLICY = content_security_policy(  # noqa: F405
    gateway=COMMERCE_GATEWAY,
    media_sources=KF_CSP_MEDIA_SOURCES,  # noqa: F405
)
