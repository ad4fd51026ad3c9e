"""Production: PostgreSQL, Redis and real Celery workers; no defaults for secrets.

A missing variable stops start-up with ImproperlyConfigured, rather than
running half-configured.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")  # noqa: F405
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")  # noqa: F405
DATABASES = {"default": env.db("DATABASE_URL")}  # noqa: F405
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production needs PostgreSQL (DATABASE_URL=postgres://...).")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)  # noqa: F405
REDIS_URL = env("REDIS_URL")  # noqa: F405
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}
CELERY_BROKER_URL = env("CELERY_BROKER_URL")  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)  # noqa: F405
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
KF_MODERATION_REQUIRED = env.bool("KF_MODERATION_REQUIRED", default=True)  # noqa: F405

# --- Security (issue 12): payment gateways ------------------------------------
# Production names its gateway (no default). The sandbox hands out courses for a
# click, so it runs only where COMMERCE_SANDBOX_ENABLED says so (a staging site),
# and then only with a secret from the environment: the default one is in the source.
COMMERCE_GATEWAY = env("COMMERCE_GATEWAY")  # noqa: F405
if COMMERCE_GATEWAY not in ("stripe", "sandbox"):
    raise ImproperlyConfigured("COMMERCE_GATEWAY must be stripe or sandbox.")
COMMERCE_SANDBOX_ENABLED = env.bool("COMMERCE_SANDBOX_ENABLED", default=False)  # noqa: F405
if COMMERCE_SANDBOX_ENABLED:
    COMMERCE_SANDBOX_WEBHOOK_SECRET = env("COMMERCE_SANDBOX_WEBHOOK_SECRET")  # noqa: F405
    if COMMERCE_SANDBOX_WEBHOOK_SECRET in ("", SANDBOX_DEV_WEBHOOK_SECRET):  # noqa: F405
        raise ImproperlyConfigured(
            "COMMERCE_SANDBOX_WEBHOOK_SECRET must be a secret of this site, not the default."
        )
else:
    COMMERCE_SANDBOX_WEBHOOK_SECRET = ""
    if COMMERCE_GATEWAY == "sandbox":
        raise ImproperlyConfigured(
            "COMMERCE_GATEWAY=sandbox needs COMMERCE_SANDBOX_ENABLED=true (staging sites only)."
        )
if COMMERCE_GATEWAY == "stripe":
    STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")  # noqa: F405
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")  # noqa: F405
    if not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
        raise ImproperlyConfigured("STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must not be empty.")

# --- Security (issue 12): HTTPS, HSTS and the policy for the named gateway ------------
# TLS ends at nginx (or a load balancer in front of it), which sends X-Forwarded-Proto
# (SECURE_PROXY_SSL_HEADER above). Django redirects http to https itself unless the
# proxy already does: then set DJANGO_SECURE_SSL_REDIRECT=false, and check --deploy's
# W008 (which would say the redirect is off) is silenced for that reason only.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)  # noqa: F405
if not SECURE_SSL_REDIRECT:
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
# Probes that call gunicorn directly, over plain http on the host (health checks).
SECURE_REDIRECT_EXEMPT = [
    r"^api/v1/health$",
    *env.list("DJANGO_SECURE_REDIRECT_EXEMPT", default=[]),  # noqa: F405
]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)  # noqa: F405
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
CONTENT_SECURITY_POLICY = content_security_policy(  # noqa: F405
    gateway=COMMERCE_GATEWAY,
    media_sources=KF_CSP_MEDIA_SOURCES,  # noqa: F405
)
