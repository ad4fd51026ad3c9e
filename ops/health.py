"""Readiness: can this web node serve, and is everything behind it keeping up?

Each check answers ``ok`` with a detail and numbers. Only the database is
critical: without it nothing works, so readiness answers 503 and a load
balancer takes the node out. Cache, broker, rollups, the model and the
workers degrade the site without stopping it (pages fall back, tasks wait
in the queue), so they report "degraded" with 200: taking every web node
out because Redis is down would turn a slowdown into an outage. Alerts on
these come from /metrics (docs/operations.md, "Alerts").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.utils import timezone
from kombu.exceptions import ChannelError

from analytics.selectors import rollups_as_of
from recommendations.selectors import model_version_active, model_version_last_trained_at

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)
    critical: bool = False


@dataclass(frozen=True)
class Readiness:
    status: str  # "ok", "degraded" (200) or "unavailable" (503)
    checks: dict[str, Check]

    @property
    def http_status(self) -> int:
        return 503 if self.status == "unavailable" else 200


def worker_heartbeat_record(*, queue: str, hostname: str, now: datetime | None = None) -> None:
    """Stamp ``queue`` as consumed now (the canary task's whole job)."""
    WorkerHeartbeat.objects.update_or_create(
        queue=queue, defaults={"seen_at": now or timezone.now(), "hostname": hostname[:255]}
    )


def infrastructure_checks() -> dict[str, Check]:
    """The services this node talks to: database, cache, sessions cache, broker."""
    runs: dict[str, Callable[[], Check]] = {
        "database": _database,
        "cache": lambda: _cache("default"),
        "broker": _broker,
    }
    if settings.SESSION_CACHE_ALIAS != "default":
        runs["sessions"] = lambda: _cache(settings.SESSION_CACHE_ALIAS)
    return {name: _run(name, check) for name, check in runs.items()}


def readiness(*, now: datetime | None = None) -> Readiness:
    """Run every check; one failing never stops the others."""
    now = now or timezone.now()
    checks = infrastructure_checks()
    runs: dict[str, Callable[[], Check]] = {
        "rollups": lambda: _rollups(now),
        "model": lambda: _model(now),
        "workers": lambda: _workers(now),
    }
    checks |= {name: _run(name, check) for name, check in runs.items()}
    if any(c.critical and not c.ok for c in checks.values()):
        status = "unavailable"
    elif all(c.ok for c in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    return Readiness(status=status, checks=checks)


def _run(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Exception as exc:
        logger.warning("readiness check %s failed", name, exc_info=True)
        return Check(
            ok=False, detail=f"{type(exc).__name__}: {exc}"[:300], critical=name == "database"
        )


def _database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check(ok=True, detail=connection.vendor, critical=True)


def _cache(alias: str) -> Check:
    cache = caches[alias]
    ping = getattr(cache, "ping", None)
    if ping is None:
        return Check(ok=True, detail=f"{type(cache).__name__} (in process)")
    ping()
    return Check(ok=True, detail="redis answers")


def queue_depths() -> dict[str, int | None]:
    """Messages waiting in each worker queue; None for a queue no worker declared yet.

    Raises when the broker cannot be reached (readiness and metrics report it).
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {}
    depths: dict[str, int | None] = {}
    # The project's Celery app (kfplatform.celery), current once Django's settings load.
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
        for queue in settings.KF_WORKER_QUEUES:
            channel: Any = conn.channel()  # kombu types it as the abstract StdChannel
            try:
                depths[queue] = int(channel.queue_declare(queue=queue, passive=True).message_count)
            except ChannelError:  # RabbitMQ: the queue does not exist yet
                depths[queue] = None
            finally:
                channel.close()
    return depths


def _broker() -> Check:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return Check(ok=True, detail="no broker: tasks run inline")
    depths = queue_depths()
    return Check(ok=True, detail="broker answers", data={"queue_depth": depths})


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else round((now - then).total_seconds(), 1)


def _rollups(now: datetime) -> Check:
    age = _age(now, rollups_as_of())
    limit = settings.KF_HEALTH_ROLLUP_MAX_AGE_SECONDS
    if age is None:
        return Check(ok=False, detail="no rollup has run yet", data={"max_age_seconds": limit})
    ok = age <= limit
    detail = "fresh" if ok else f"last rollup {age:.0f} s ago (limit {limit} s)"
    return Check(ok=ok, detail=detail, data={"age_seconds": age, "max_age_seconds": limit})


def _model(now: datetime) -> Check:
    active = model_version_active()
    trained = _age(now, model_version_last_trained_at())
    limit = settings.KF_HEALTH_TRAINING_MAX_AGE_SECONDS
    data: dict[str, Any] = {
        "active_version": active.pk if active else None,
        "active_age_seconds": _age(now, active.activated_at) if active else None,
        "last_training_age_seconds": trained,
        "max_training_age_seconds": limit,
    }
    if active is None:
        return Check(ok=False, detail="no active model: feeds serve trending", data=data)
    if trained is None or trained > limit:
        return Check(ok=False, detail=f"no finished training in {limit} s", data=data)
    return Check(ok=True, detail=f"v{active.pk} serving", data=data)


def _workers(now: datetime) -> Check:
    limit = settings.KF_HEALTH_HEARTBEAT_MAX_AGE_SECONDS
    seen = dict(WorkerHeartbeat.objects.values_list("queue", "seen_at"))
    ages = {queue: _age(now, seen.get(queue)) for queue in settings.KF_WORKER_QUEUES}
    stale = [queue for queue, age in ages.items() if age is None or age > limit]
    detail = "every queue is consumed" if not stale else f"no recent heartbeat: {', '.join(stale)}"
    return Check(
        ok=not stale, detail=detail, data={"heartbeat_age_seconds": ages, "max_age_seconds": limit}
    )
