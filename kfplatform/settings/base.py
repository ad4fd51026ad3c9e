"""Every setting, read through one django-environ ``env``.

Defaults run a fresh clone with no services: SQLite under ``var/``, eager
Celery, local-memory cache, media under ``var/media``. Setting
``DATABASE_URL``, ``REDIS_URL`` and ``CELERY_BROKER_URL`` switches the same
code to PostgreSQL, Redis and real workers.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from ops.config import (
    ObjectStore,
    beat_schedule,
    caches,
    content_security_policy,
    filesystem_broker_options,
    media_storage,
    media_store_origins,
)
from ops.environment import SANDBOX_DEV_WEBHOOK_SECRET
from ops.renamed_variables import environ_with_renamed_variables

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")  # real environment variables still win
# Old variable names answer to their new ones, with a warning (ops/renamed_variables.py).
env.ENVIRON = environ_with_renamed_variables(os.environ)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-not-secret")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "common",
    "analytics",
    "accounts",
    "courses",
    "commerce",
    "recommendations",
    "studio",
    "dashboard",
    "me",
    "ops",
    "demo",
    "axes",  # login throttling (Security below)
]

MIDDLEWARE = [
    # Request latency by view for /metrics (issue 13); first and last, to time everything.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (Security below)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "common.middleware.RejectNullCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "analytics.middleware.EventContextMiddleware",  # platform, channel, UTM on every event
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes requires
]

ROOT_URLCONF = "kfplatform.urls"
WSGI_APPLICATION = "kfplatform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "me.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while seeding or a task writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions (Redis in production; docs/operations.md) ----------
# Fail-soft Redis caches (ops.config.caches): an outage costs speed, never a page.
KF_CACHE_SOCKET_TIMEOUT = env.float("KF_CACHE_SOCKET_TIMEOUT", default=0.5)
REDIS_URL = env("REDIS_URL", default="")
# Sessions' own Redis database (production requires it): evicting pages never drops them.
REDIS_SESSIONS_URL = env("REDIS_SESSIONS_URL", default="")
CACHES = caches(REDIS_URL, REDIS_SESSIONS_URL, socket_timeout=KF_CACHE_SOCKET_TIMEOUT)
# Read from the cache, written through to the database: sessions survive a Redis outage.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "sessions" if REDIS_SESSIONS_URL else "default"
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Mail (password reset links): EMAIL_URL as django-environ reads it, e.g.
# smtp+tls://user:password@smtp.example.com:587; the default prints mails to the console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="kfplatform <noreply@localhost>")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "staticfiles")
# Browsers ignore a web app manifest served as the octet-stream WhiteNoise would guess.
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")
# Media: the folder above (make run's default) or an S3-compatible object store
# (AWS S3, Aliyun OSS, Tencent COS, MinIO, SeaweedFS) through django-storages, which
# every web and worker node shares (docs/operations.md, "Media on object storage").
KF_MEDIA_STORAGE = env("KF_MEDIA_STORAGE", default="filesystem")  # filesystem | s3
KF_OBJECT_STORE = (
    ObjectStore(
        bucket=env("KF_S3_BUCKET"),
        endpoint_url=env("KF_S3_ENDPOINT_URL", default=""),
        region=env("KF_S3_REGION", default="us-east-1"),
        access_key_id=env("KF_S3_ACCESS_KEY_ID", default=""),
        secret_access_key=env("KF_S3_SECRET_ACCESS_KEY", default=""),
        addressing_style=env("KF_S3_ADDRESSING_STYLE", default="virtual"),
        location=env("KF_S3_LOCATION", default=""),
        public_url=env("KF_MEDIA_PUBLIC_URL", default=""),
        private_url_seconds=env.int("KF_S3_PRIVATE_URL_SECONDS", default=300),
    )
    if KF_MEDIA_STORAGE == "s3"
    else None
)
STORAGES = {
    "default": media_storage(KF_OBJECT_STORE),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "common.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "common.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Public counters anyone can bump (courses.api.engagement.VideoShareApi).
    "DEFAULT_THROTTLE_RATES": {"share": env("COURSES_SHARE_RATE", default="60/hour")},
    # Proxies in front of Django that append to X-Forwarded-For (deploy/nginx.conf: 1).
    # 0 trusts only the socket address, so a client cannot pick its throttle key.
    "NUM_PROXIES": env.int("KF_NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "kfplatform API",
    "DESCRIPTION": "Short videos that lead to paid courses.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the sidecar package: the docs page works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery -----------------------------------------------------------------
# Broker: RabbitMQ in production (amqp://...: a dead worker's unacknowledged
# tasks go back to their queue the moment its connection drops) or Redis
# (redis://...: only after the visibility timeout below). docs/operations.md,
# "Workers and the broker".
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL  # no broker: tasks run inline
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# With acks_late alone a task whose worker process is killed is lost.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A lost broker connection sends the running tasks' messages back to the queue;
# cancelling them keeps a second copy from running beside the redelivered one.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=900)
# Redis broker only: an unacknowledged task returns to its queue after this many seconds.
# Above the longest time limit and retry countdown, or a slow task runs twice (tests/ops/
# test_celery_config.py); also how long a crashed worker's tasks wait. RabbitMQ has none.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 300}
# make run (manage.py devstack): kombu's filesystem transport, messages as files
# under this folder; nothing to install (docs/decisions.md).
KF_DEV_BROKER_DIR = Path(env("KF_DEV_BROKER_DIR", default=str(VAR_DIR / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(str(KF_DEV_BROKER_DIR))
CELERY_TASK_DEFAULT_QUEUE = "default"
# One worker pool per queue in production (deploy/systemd/kfplatform-worker@.service).
KF_WORKER_QUEUES = ("default", "media", "ml", "analytics")
CELERY_TASK_QUEUES = [Queue(name) for name in KF_WORKER_QUEUES]
CELERY_TASK_ROUTES = {
    "courses.tasks.media_*": {"queue": "media"},
    "recommendations.tasks.*": {"queue": "ml"},
    "analytics.tasks.*": {"queue": "analytics"},
}
CELERY_TIMEZONE = "Asia/Shanghai"
# django-celery-beat's scheduler behind a PostgreSQL lock: a second beat stands by.
CELERY_BEAT_SCHEDULER = "ops.beat.SingleBeatScheduler"
# Every periodic task, each with its reason: ops/config.py. Beat sends each queue a heartbeat
# task this often (readiness: KF_HEALTH_HEARTBEAT_MAX_AGE_SECONDS).
KF_WORKER_HEARTBEAT_SECONDS = env.int("KF_WORKER_HEARTBEAT_SECONDS", default=30)
CELERY_BEAT_SCHEDULE = beat_schedule(
    KF_WORKER_QUEUES, heartbeat_seconds=KF_WORKER_HEARTBEAT_SECONDS
)

# --- Platform-wide (KF_*) ---------------------------------------------------
# Each app's settings carry its name (ACCOUNTS_, COURSES_, ...); KF_ is for what no one
# app owns. Old names: one release more (ops/renamed_variables.py, docs/decisions.md).
KF_REPORT_TZ = env("KF_REPORT_TZ", default="Asia/Shanghai")
KF_DEFAULT_CURRENCY = env("KF_DEFAULT_CURRENCY", default="CNY")
KF_DATA_DIR = env.path("KF_DATA_DIR", default=BASE_DIR.parent / "shared" / "data")
KF_REQUIRE_SERVICES = env.bool("KF_REQUIRE_SERVICES", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # axes: failures and lock-outs are warnings; its per-login info lines are noise.
    "loggers": {"jieba": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- Accounts: password reset (login throttling: Security below) ------------
# Reset mails one address may receive per hour.
ACCOUNTS_PASSWORD_RESET_MAILS = env.int("ACCOUNTS_PASSWORD_RESET_MAILS", default=3)
# Reset requests one client address may make per hour (security, issue 12).
ACCOUNTS_PASSWORD_RESET_REQUESTS_PER_IP = env.int(
    "ACCOUNTS_PASSWORD_RESET_REQUESTS_PER_IP", default=20
)

# --- Analytics (issue 7) ---------------------------------------------------
# Most events one POST /api/v1/events/batch may carry.
ANALYTICS_EVENTS_MAX_BATCH = env.int("ANALYTICS_EVENTS_MAX_BATCH", default=500)
# Client clocks within this many seconds of the server are trusted as is.
ANALYTICS_CLOCK_SKEW_TOLERANCE_SECONDS = env.int(
    "ANALYTICS_CLOCK_SKEW_TOLERANCE_SECONDS", default=120
)
# Client events older than this (after the clock correction) are dropped: the
# rollup days they belong to are closed, and a forged old date would reopen them.
ANALYTICS_MAX_EVENT_AGE_DAYS = env.int("ANALYTICS_MAX_EVENT_AGE_DAYS", default=30)

# --- Courses: media limits and lesson media URLs ------------------------------
# (COURSES_SHARE_RATE, the share counter's throttle, is in REST_FRAMEWORK above.)
COURSES_SHORT_VIDEO_MAX_SECONDS = env.int("COURSES_SHORT_VIDEO_MAX_SECONDS", default=180)
COURSES_LESSON_MAX_SECONDS = env.int("COURSES_LESSON_MAX_SECONDS", default=4 * 3600)
# An asset still uploaded/processing after this is stuck (lost task, killed worker).
COURSES_MEDIA_STALE_SECONDS = env.int(
    "COURSES_MEDIA_STALE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60
)
# Lesson media: signed, user-bound URLs; nginx X-Accel-Redirect when a prefix is set.
COURSES_MEDIA_URL_KEY = env("COURSES_MEDIA_URL_KEY", default="")  # empty: from SECRET_KEY
COURSES_MEDIA_URL_TTL_SECONDS = env.int("COURSES_MEDIA_URL_TTL_SECONDS", default=4 * 3600)
COURSES_MEDIA_ACCEL_PREFIX = env("COURSES_MEDIA_ACCEL_PREFIX", default="")  # e.g. /protected/

# --- Courses: content understanding (courses.vision, issue 19) -----------------
# Analyse each video after processing (media queue): keyframes, on-screen text,
# chapters, perceptual fingerprint, unsafe-content pre-screen. Off: none of it.
COURSES_VISION_ENABLED = env.bool("COURSES_VISION_ENABLED", default=True)
COURSES_VISION_EVERY_SECONDS = env.float("COURSES_VISION_EVERY_SECONDS", default=1.0)
COURSES_VISION_THREADS = env.int("COURSES_VISION_THREADS", default=1)  # decoder, OCR, detector
COURSES_VISION_MIN_CHAPTER_SECONDS = env.float("COURSES_VISION_MIN_CHAPTER_SECONDS", default=10.0)
# A keyframe at or over this unsafe-content risk (0-1) is shown to the moderator and
# puts its video first in the queue; detections under the second are ignored. A
# moderator always decides: nothing is rejected automatically.
COURSES_VISION_FLAG_THRESHOLD = env.float("COURSES_VISION_FLAG_THRESHOLD", default=0.5)
COURSES_VISION_MIN_DETECTION_SCORE = env.float("COURSES_VISION_MIN_DETECTION_SCORE", default=0.3)
# Duplicates: shots within this many bits of 256 match; a clip is a duplicate when this
# share of the shorter clip's shots is found in the other.
COURSES_VISION_MAX_HASH_DISTANCE = env.int("COURSES_VISION_MAX_HASH_DISTANCE", default=16)
COURSES_VISION_DUPLICATE_CONTAINMENT = env.float(
    "COURSES_VISION_DUPLICATE_CONTAINMENT", default=0.6
)

# --- Studio: uploads and moderation (creator studio) --------------------------
STUDIO_UPLOAD_MAX_BYTES = env.int("STUDIO_UPLOAD_MAX_BYTES", default=2 * 1024**3)
STUDIO_UPLOAD_CHUNK_BYTES = env.int("STUDIO_UPLOAD_CHUNK_BYTES", default=8 * 1024**2)  # client
STUDIO_UPLOAD_CHUNK_MAX_BYTES = env.int("STUDIO_UPLOAD_CHUNK_MAX_BYTES", default=64 * 1024**2)
STUDIO_UPLOAD_SESSION_HOURS = env.int("STUDIO_UPLOAD_SESSION_HOURS", default=12)
# True: new and edited content waits for an admin; False: published at once.
STUDIO_MODERATION_REQUIRED = env.bool("STUDIO_MODERATION_REQUIRED", default=False)

# --- Commerce: gateways, webhooks, refunds, idempotency, earnings -----------
# Security (issue 12): prod.py names the gateway explicitly, refuses the sandbox unless
# COMMERCE_SANDBOX_ENABLED (a staging site), and then takes its secret from the environment.
COMMERCE_GATEWAY = env("COMMERCE_GATEWAY", default="sandbox")  # sandbox | stripe
# False: the sandbox gateway, its checkout page, its Pay button and its webhook are refused.
COMMERCE_SANDBOX_ENABLED = env.bool("COMMERCE_SANDBOX_ENABLED", default=True)
COMMERCE_SANDBOX_WEBHOOK_SECRET = env(
    "COMMERCE_SANDBOX_WEBHOOK_SECRET", default=SANDBOX_DEV_WEBHOOK_SECRET
)
# http: POST to our endpoint like a real provider; inprocess: same checks, no socket.
COMMERCE_SANDBOX_WEBHOOK_TRANSPORT = env("COMMERCE_SANDBOX_WEBHOOK_TRANSPORT", default="http")
COMMERCE_SANDBOX_WEBHOOK_URL = env("COMMERCE_SANDBOX_WEBHOOK_URL", default="")
COMMERCE_WEBHOOK_TOLERANCE_SECONDS = env.int("COMMERCE_WEBHOOK_TOLERANCE_SECONDS", default=300)
COMMERCE_ORDER_TTL_MINUTES = env.int("COMMERCE_ORDER_TTL_MINUTES", default=30)
COMMERCE_REFUND_DAYS = env.int("COMMERCE_REFUND_DAYS", default=7)
COMMERCE_REFUND_MAX_WATCHED_PERCENT = env.int("COMMERCE_REFUND_MAX_WATCHED_PERCENT", default=30)
COMMERCE_REFUND_AUTO_APPROVE = env.bool("COMMERCE_REFUND_AUTO_APPROVE", default=True)
COMMERCE_IDEMPOTENCY_TTL_HOURS = env.int("COMMERCE_IDEMPOTENCY_TTL_HOURS", default=24)
COMMERCE_STRIPE_SECRET_KEY = env("COMMERCE_STRIPE_SECRET_KEY", default="")
COMMERCE_STRIPE_WEBHOOK_SECRET = env("COMMERCE_STRIPE_WEBHOOK_SECRET", default="")
# Share of each sale the platform keeps; the creator earns the rest.
COMMERCE_PLATFORM_FEE_PERCENT = env.int("COMMERCE_PLATFORM_FEE_PERCENT", default=30)

# --- Recommendations ---------------------------------------------------------
RECOMMENDATIONS_TOP_N = env.int("RECOMMENDATIONS_TOP_N", default=100)
RECOMMENDATIONS_HALF_LIFE_DAYS = env.float("RECOMMENDATIONS_HALF_LIFE_DAYS", default=30.0)
# A new model is promoted unless its NDCG@10 is below the active one's by more than this.
RECOMMENDATIONS_PROMOTION_TOLERANCE = env.float("RECOMMENDATIONS_PROMOTION_TOLERANCE", default=0.01)
RECOMMENDATIONS_EXPLORATION_SHARE = env.float("RECOMMENDATIONS_EXPLORATION_SHARE", default=0.10)
RECOMMENDATIONS_THREADS = env.int("RECOMMENDATIONS_THREADS", default=2)
# Train the sequence model (SASRec, needs torch) at each retrain for "up next";
# early stopping ends it sooner, the epoch cap keeps it inside the task's time limit.
# Choose member parameters and blend weights at each retrain on a temporal carve of its data.
RECOMMENDATIONS_TUNE = env.bool("RECOMMENDATIONS_TUNE", default=True)
RECOMMENDATIONS_SEQUENCE = env.bool("RECOMMENDATIONS_SEQUENCE", default=True)
RECOMMENDATIONS_SEQUENCE_MAX_EPOCHS = env.int("RECOMMENDATIONS_SEQUENCE_MAX_EPOCHS", default=30)
# Training beyond one machine (docs/scaling.md): with a Spark master URL (spark://host:7077,
# k8s://..., local[2]) and pyspark installed (requirements-spark.txt), the ALS member of a
# retrain with at least RECOMMENDATIONS_SPARK_MIN_INTERACTIONS interactions trains on Spark
# MLlib; empty: always single-node. The checkpoint folder must be shared on a cluster.
RECOMMENDATIONS_SPARK_MASTER = env("RECOMMENDATIONS_SPARK_MASTER", default="")
RECOMMENDATIONS_SPARK_MIN_INTERACTIONS = env.int(
    "RECOMMENDATIONS_SPARK_MIN_INTERACTIONS", default=50_000_000
)
RECOMMENDATIONS_SPARK_DRIVER_MEMORY = env("RECOMMENDATIONS_SPARK_DRIVER_MEMORY", default="2g")
RECOMMENDATIONS_SPARK_EXECUTOR_MEMORY = env("RECOMMENDATIONS_SPARK_EXECUTOR_MEMORY", default="4g")
RECOMMENDATIONS_SPARK_PARTITIONS = env.int("RECOMMENDATIONS_SPARK_PARTITIONS", default=2)
RECOMMENDATIONS_SPARK_DRIVER_HOST = env("RECOMMENDATIONS_SPARK_DRIVER_HOST", default="127.0.0.1")
RECOMMENDATIONS_SPARK_CHECKPOINT_DIR = env("RECOMMENDATIONS_SPARK_CHECKPOINT_DIR", default="")
# A served feed page is reused this long unless the viewer acts (like, hide, follow).
RECOMMENDATIONS_PAGE_CACHE_SECONDS = env.int("RECOMMENDATIONS_PAGE_CACHE_SECONDS", default=60)

# --- Operations: health, metrics, worker heartbeats (issue 13) --------------
# Readiness calls a part stale past these ages (docs/operations.md, "Alerts").
KF_HEALTH_HEARTBEAT_MAX_AGE_SECONDS = env.int("KF_HEALTH_HEARTBEAT_MAX_AGE_SECONDS", default=120)
KF_HEALTH_ROLLUP_MAX_AGE_SECONDS = env.int("KF_HEALTH_ROLLUP_MAX_AGE_SECONDS", default=30 * 60)
KF_HEALTH_TRAINING_MAX_AGE_SECONDS = env.int("KF_HEALTH_TRAINING_MAX_AGE_SECONDS", default=3 * 3600)
# Prometheus: /metrics answers only "Authorization: Bearer <token>" (empty: off,
# except under DEBUG). ops/metrics.py says how processes share samples.
KF_METRICS_TOKEN = env("KF_METRICS_TOKEN", default="")

# --- Security (issue 12): login throttling with django-axes -------------------
# Failures count per account *and* client address (common.http.client_ip, KF_NUM_PROXIES);
# the limit-th locks that pair for the cool-off. How to unlock: docs/security.md.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # shared by every web node
AXES_FAILURE_LIMIT = env.int("ACCOUNTS_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ACCOUNTS_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "common.http.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"

# --- Security (issue 12): headers and Content-Security-Policy ------------------
# django-csp 4. No inline script, style attribute or event handler: scripts are static
# files fed by json_script; <style> blocks carry request.csp_nonce. prod.py adds HSTS.
# Origins that serve media from outside this site (an object store's domain), if any.
KF_CSP_MEDIA_SOURCES = env.list("KF_CSP_MEDIA_SOURCES", default=[])
KF_CSP_MEDIA_SOURCES += media_store_origins(KF_OBJECT_STORE)
CONTENT_SECURITY_POLICY = content_security_policy(
    gateway=COMMERCE_GATEWAY, media_sources=KF_CSP_MEDIA_SOURCES
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
