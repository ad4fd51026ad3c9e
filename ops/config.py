"""Setting values computed from other settings: the cache entries, the beat
schedule and the Content-Security-Policy that ``kfplatform/settings`` assign.

Plain Python (no Django, no models): settings modules import it before apps load.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF


def redis_cache_settings(
    url: str, *, name: str, socket_timeout: float, flush_after_outage: bool = False
) -> dict[str, Any]:
    """One fail-soft Redis cache entry for ``CACHES``.

    A Redis outage must cost speed, never a page: FailSoftRedisCache answers
    "miss" while Redis is unreachable and short socket timeouts bound a hung one.
    """
    return {
        "BACKEND": "common.cache_backends.FailSoftRedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "name": name,
            "socket_connect_timeout": socket_timeout,
            "socket_timeout": socket_timeout * 2,
            "retry_seconds": 5,
            "flush_after_outage": flush_after_outage,
        },
    }


def caches(redis_url: str, sessions_url: str, *, socket_timeout: float) -> dict[str, Any]:
    """``CACHES``: Redis when ``redis_url`` is set (else local memory), plus a
    ``sessions`` cache of its own when ``sessions_url`` is, emptied when Redis
    comes back (a logout during the outage must stay a logout)."""
    if redis_url:
        default = redis_cache_settings(redis_url, name="cache", socket_timeout=socket_timeout)
    else:
        default = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    entries = {"default": default}
    if sessions_url:
        entries["sessions"] = redis_cache_settings(
            sessions_url, name="sessions", socket_timeout=socket_timeout, flush_after_outage=True
        )
    return entries


def redis_database_after(url: str, offset: int) -> str:
    """The same Redis server, ``offset`` databases after the one ``url`` names (of 16)."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    return parts._replace(path=f"/{(database + offset) % 16}").geturl()


@dataclass(frozen=True)
class ObjectStore:
    """Where media lives when ``KF_MEDIA_STORAGE=s3`` (the ``KF_S3_*`` variables)."""

    bucket: str
    endpoint_url: str = ""  # empty: AWS S3 itself
    region: str = "us-east-1"
    access_key_id: str = ""  # empty: boto3's own chain (instance role, AWS_* variables)
    secret_access_key: str = ""
    addressing_style: str = "virtual"  # "path" for MinIO and SeaweedFS
    location: str = ""  # a key prefix, to share one bucket between sites
    public_url: str = ""  # the CDN in front of the bucket; empty: the store's own URL
    private_url_seconds: int = 300


def media_storage(store: ObjectStore | None) -> dict[str, Any]:
    """``STORAGES["default"]``: the local folder, or django-storages' S3 backend
    (common.storage.MediaStore) for AWS S3, Aliyun OSS, Tencent COS, MinIO, ..."""
    if store is None:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    options: dict[str, Any] = {
        "bucket_name": store.bucket,
        "region_name": store.region or None,
        "endpoint_url": store.endpoint_url or None,
        "access_key": store.access_key_id or None,
        "secret_key": store.secret_access_key or None,
        "addressing_style": store.addressing_style,
        "signature_version": "s3v4",
        "location": store.location.strip("/"),
        # Public names get plain URLs; MediaStore signs the private ones itself.
        "querystring_auth": False,
        # Two uploads of "clip.mp4" must not overwrite each other.
        "file_overwrite": False,
        "private_url_seconds": store.private_url_seconds,
    }
    if store.public_url:
        public = urlsplit(store.public_url)
        options["custom_domain"] = public.netloc + public.path.rstrip("/")
        options["url_protocol"] = f"{public.scheme}:"
    return {"BACKEND": "common.storage.MediaStore", "OPTIONS": options}


def media_store_origins(store: ObjectStore | None) -> list[str]:
    """Origins a page loads media from, for the CSP's img-src and media-src."""
    if store is None:
        return []
    origins = []
    for url in (store.public_url, store.endpoint_url):
        if url:
            parts = urlsplit(url)
            origins.append(f"{parts.scheme}://{parts.netloc}")
    if not store.endpoint_url:  # AWS: bucket.s3.region.amazonaws.com or the path style
        origins.append("https://*.amazonaws.com")
    if store.addressing_style == "virtual" and store.endpoint_url:
        parts = urlsplit(store.endpoint_url)
        origins.append(f"{parts.scheme}://{store.bucket}.{parts.netloc}")
    return list(dict.fromkeys(origins))


def content_security_policy(*, gateway: str, media_sources: list[str]) -> dict[str, Any]:
    """The policy for this deployment: Stripe's hosted checkout is a form's target
    (the buy form redirects there, and browsers check redirects against form-action)."""
    checkout = ["https://checkout.stripe.com"] if gateway == "stripe" else []
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF, NONCE],
            "style-src": [SELF, NONCE],
            "img-src": [SELF, "data:", *media_sources],
            "media-src": [SELF, "blob:", *media_sources],
            "font-src": [SELF],
            "connect-src": [SELF],
            "object-src": [NONE],
            "base-uri": [NONE],
            "form-action": [SELF, *checkout],
            "frame-ancestors": [NONE],
        }
    }


def filesystem_broker_options(folder: str) -> dict[str, str]:
    """kombu's filesystem transport (make run: messages as files, nothing to install)."""
    return {
        "data_folder_in": f"{folder}/messages",
        "data_folder_out": f"{folder}/messages",
        "control_folder": f"{folder}/control",
    }


def _every(minutes: str, expires: int, **entry: Any) -> dict[str, Any]:
    return {"schedule": crontab(minute=minutes), "options": {"expires": expires}, **entry}


def beat_schedule(
    worker_queues: Iterable[str], *, heartbeat_seconds: int = 30
) -> dict[str, dict[str, Any]]:
    """Every periodic task, in CELERY_TIMEZONE; ``expires`` drops a run the next one replaces.

    Two tasks keep their kfplatform.tasks names from before they left kfplatform/
    (dashboard.tasks.dashboard_warm_task, ops.tasks.worker_heartbeat_task).
    """
    schedule: dict[str, dict[str, Any]] = {
        # Trending scores every ten minutes; the feed only sorts by them.
        "courses-trending-refresh": _every(
            "*/10", 9 * 60, task="courses.tasks.trending_refresh_task"
        ),
        # Queue again media a lost task or killed worker left behind.
        "media-requeue-stale": _every(
            "*/10", 9 * 60, task="courses.tasks.media_assets_requeue_stale_task"
        ),
        # Retrain the recommender every hour, on the hour.
        "recommendations-retrain-hourly": _every(
            "0", 50 * 60, task="recommendations.tasks.recommender_retrain_task"
        ),
        # Today's analytics rollups every ten minutes.
        "analytics-rollup-today": _every(
            "*/10", 9 * 60, task="analytics.tasks.rollups_refresh_recent_task", kwargs={"days": 1}
        ),
        # Yesterday plus the three days before, once late events have arrived.
        "analytics-rollup-nightly": {
            "task": "analytics.tasks.rollups_refresh_recent_task",
            "schedule": crontab(hour=0, minute=30),
            "kwargs": {"days": 5},
        },
        # Sunday 03:00: the trailing 35 days, which keeps D30 retention and funnels exact.
        "analytics-rollup-weekly": {
            "task": "analytics.tasks.rollups_refresh_recent_task",
            "schedule": crontab(hour=3, minute=0, day_of_week="sun"),
            "kwargs": {"days": 35},
        },
        # Event partitions for this month and the next three (PostgreSQL only).
        "analytics-event-partitions": {
            "task": "analytics.tasks.event_partitions_task",
            "schedule": crontab(hour=1, minute=15),
        },
        # Two minutes after each rollup run, rebuild the dashboard's preset reports.
        "dashboard-warm": {
            "task": "kfplatform.tasks.dashboard_warm_task",
            "schedule": crontab(minute="2-59/10"),
            "options": {"expires": 7 * 60, "queue": "analytics"},
        },
        # Publish scheduled courses and videos whose time has come, every minute.
        "studio-publish-due": _every("*", 50, task="studio.tasks.scheduled_publish_due_task"),
        # Delete expired upload sessions and their partial files, hourly at :15.
        "studio-uploads-expire": _every(
            "15", 50 * 60, task="studio.tasks.upload_sessions_expire_task"
        ),
        # Close pending orders whose checkout window passed.
        "commerce-orders-expire": _every("*/5", 4 * 60, task="commerce.tasks.orders_expire_task"),
        # Re-send sandbox webhooks that were not delivered.
        "commerce-sandbox-webhooks-resend": _every(
            "*", 50, task="commerce.tasks.sandbox_webhooks_resend_task"
        ),
        # Forget idempotency keys older than their TTL, daily at 03:20.
        "commerce-idempotency-prune": {
            "task": "commerce.tasks.idempotency_keys_prune_task",
            "schedule": crontab(hour=3, minute=20),
        },
    }
    # Every ``heartbeat_seconds`` (KF_WORKER_HEARTBEAT_SECONDS) each queue's workers run a
    # canary task that stamps the queue's heartbeat: a worker that is connected but no longer
    # consuming goes stale. A run still queued when the next is due expires.
    for queue in worker_queues:
        schedule[f"worker-heartbeat-{queue}"] = {
            "task": "kfplatform.tasks.worker_heartbeat_task",
            "schedule": timedelta(seconds=heartbeat_seconds),
            "kwargs": {"queue": queue},
            "options": {"queue": queue, "expires": heartbeat_seconds * 5 / 6},
        }
    return schedule
