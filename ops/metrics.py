"""Prometheus metrics: per-process samples added up across processes, plus platform state.

Two kinds of numbers:

* Events counted where they happen: request latency by view (django-
  prometheus middleware), Celery tasks by task and state with their
  durations (the signal handlers below, in worker processes), cache errors
  (``common.cache_backends``). Gunicorn and Celery run several processes
  each, so every process writes its samples to files (prometheus_client's
  multiprocess mode, ``PROMETHEUS_MULTIPROC_DIR``, one folder per service
  side by side: ``$(KF_METRICS_DIR)/web``, ``.../worker-media``...) and
  /metrics adds up all the folders beside its own.
* State read when Prometheus scrapes (:class:`PlatformCollector`): queue
  depth, worker heartbeats, the active model and its age, rollup lag,
  orders and webhooks by state, the media backlog. Computed once per
  scrape, so no process has to keep them.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from celery import signals
from celery.exceptions import TimeLimitExceeded, WorkerLostError
from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger(__name__)

TASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800)
TASKS = Counter(
    "kf_celery_tasks",
    "Celery tasks run, by task and final state (SUCCESS, FAILURE, RETRY, TIMEOUT, LOST).",
    ["task", "state"],
)
TASK_SECONDS = Histogram(
    "kf_celery_task_duration_seconds",
    "Wall time of Celery task runs, by task.",
    ["task"],
    buckets=TASK_BUCKETS,
)
UNKNOWN_TASKS = Counter(
    "kf_celery_unknown_tasks",
    "Messages naming a task no worker has registered (dropped).",
    ["task"],
)
_started: dict[str, float] = {}


# --- Celery signal handlers (connected when this module is imported) ------


@signals.task_prerun.connect
def _task_started(task_id: str | None = None, **_: object) -> None:
    if task_id:
        _started[task_id] = time.monotonic()


@signals.task_postrun.connect
def _task_finished(
    task_id: str | None = None, task: object = None, state: str | None = None, **_: object
) -> None:
    name = str(getattr(task, "name", "unknown"))
    started = _started.pop(task_id or "", None)
    if started is not None:
        TASK_SECONDS.labels(task=name).observe(time.monotonic() - started)
    TASKS.labels(task=name, state=state or "UNKNOWN").inc()


@signals.task_failure.connect
def _task_killed(
    sender: object = None, exception: BaseException | None = None, **_: object
) -> None:
    """Hard time limits and lost pool processes: no postrun arrives for those."""
    if isinstance(exception, TimeLimitExceeded | WorkerLostError):
        state = "TIMEOUT" if isinstance(exception, TimeLimitExceeded) else "LOST"
        TASKS.labels(task=str(getattr(sender, "name", "unknown")), state=state).inc()


@signals.task_unknown.connect
def _task_unknown(name: str | None = None, **_: object) -> None:
    UNKNOWN_TASKS.labels(task=str(name or "")[:200]).inc()


@signals.worker_init.connect
def _worker_metrics_dir_reset(**_: object) -> None:
    """A (re)started worker starts its service's samples afresh."""
    metrics_dir_reset()


@signals.worker_process_shutdown.connect
def _worker_process_gone(pid: int | None = None, **_: object) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        mark_process_dead(pid or os.getpid())


def metrics_dir_reset() -> None:
    """Empty this service's PROMETHEUS_MULTIPROC_DIR (at start, before any sample)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    shutil.rmtree(folder, ignore_errors=True)
    Path(folder).mkdir(parents=True, exist_ok=True)


# --- State read at scrape time ----------------------------------------------


def _gauge(name: str, doc: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


class PlatformCollector(Collector):
    """Platform state from the database and the broker, read at each scrape.

    A part that cannot be read is skipped and counted in
    ``kf_metrics_collect_errors`` (so a dead broker never hides the rest).
    """

    def collect(self) -> Iterator[Metric]:
        errors = _gauge(
            "kf_metrics_collect_errors", "Parts of this scrape that could not be read.", ["part"]
        )
        for part, read in self._parts():
            try:
                yield from read()
            except Exception:
                logger.warning("metrics: cannot read %s", part, exc_info=True)
                errors.add_metric([part], 1)
        yield errors

    def _parts(self) -> list[tuple[str, Callable[[], Iterable[Metric]]]]:
        return [
            ("cache", _cache_metrics),
            ("broker", _broker_metrics),
            ("workers", _worker_metrics),
            ("recommender", _recommender_metrics),
            ("rollups", _rollup_metrics),
            ("commerce", _commerce_metrics),
            ("media", _media_metrics),
        ]


def _cache_metrics() -> Iterable[Metric]:
    up = _gauge("kf_cache_up", "1 when the cache answers a ping.", ["alias"])
    for alias in settings.CACHES:
        ping = getattr(caches[alias], "ping", None)
        if ping is None:
            continue
        try:
            ping()
            up.add_metric([alias], 1)
        except Exception:
            up.add_metric([alias], 0)
    return [up]


def _broker_metrics() -> Iterable[Metric]:
    from .health import queue_depths

    up = _gauge("kf_broker_up", "1 when the Celery broker answers.")
    depth = _gauge("kf_celery_queue_depth", "Messages waiting in each worker queue.", ["queue"])
    try:
        depths = queue_depths()
    except Exception:
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    for queue, count in depths.items():
        if count is not None:
            depth.add_metric([queue], count)
    return [up, depth]


def _age(then: object) -> float | None:
    return None if then is None else (timezone.now() - then).total_seconds()  # type: ignore[operator]


def _worker_metrics() -> Iterable[Metric]:
    from .models import WorkerHeartbeat

    age = _gauge(
        "kf_worker_heartbeat_age_seconds",
        "Seconds since a worker last ran the canary task on each queue.",
        ["queue"],
    )
    for queue, seen_at in WorkerHeartbeat.objects.values_list("queue", "seen_at"):
        age.add_metric([queue], _age(seen_at) or 0.0)
    return [age]


def _recommender_metrics() -> Iterable[Metric]:
    from recommendations.selectors import model_version_active, model_version_last_trained_at

    active = model_version_active()
    version = _gauge("kf_recommender_active_version", "Id of the model version serving now.")
    age = _gauge("kf_recommender_active_model_age_seconds", "Seconds since it was activated.")
    trained = _gauge(
        "kf_recommender_last_training_age_seconds",
        "Seconds since the newest finished production training started.",
    )
    if active is not None:
        version.add_metric([], active.pk)
        age.add_metric([], _age(active.activated_at) or 0.0)
    last = _age(model_version_last_trained_at())
    if last is not None:
        trained.add_metric([], last)
    return [version, age, trained]


def _rollup_metrics() -> Iterable[Metric]:
    from analytics.selectors import rollups_as_of

    lag = _gauge("kf_analytics_rollup_lag_seconds", "Seconds since the newest rollup finished.")
    last = _age(rollups_as_of())
    if last is not None:
        lag.add_metric([], last)
    return [lag]


def _commerce_metrics() -> Iterable[Metric]:
    from commerce.selectors import (
        order_counts_by_status,
        sandbox_webhook_counts,
        webhook_event_counts,
    )

    orders = _gauge("kf_orders", "Orders in each state.", ["status"])
    for status, count in order_counts_by_status().items():
        orders.add_metric([status], count)
    events = _gauge(
        "kf_webhook_events", "Provider events accepted, by provider and type.", ["provider", "type"]
    )
    for (provider, type_), count in webhook_event_counts().items():
        events.add_metric([provider, type_], count)
    outgoing = _gauge(
        "kf_sandbox_webhooks", "Sandbox provider webhooks: delivered or pending.", ["state"]
    )
    for state, count in sandbox_webhook_counts().items():
        outgoing.add_metric([state], count)
    return [orders, events, outgoing]


def _media_metrics() -> Iterable[Metric]:
    from courses.selectors import media_asset_counts_by_status

    assets = _gauge("kf_media_assets", "Media assets in each processing state.", ["status"])
    for status, count in media_asset_counts_by_status().items():
        assets.add_metric([status], count)
    return [assets]


# --- Exposition -------------------------------------------------------------


class _FolderCollector(Collector):
    """Every process's samples from every service folder on this host, added up."""

    def __init__(self, folders: list[Path]) -> None:
        self._folders = folders

    def collect(self) -> Iterable[Metric]:
        files = sorted(str(path) for folder in self._folders for path in folder.glob("*.db"))
        return MultiProcessCollector.merge(files, accumulate=True)


class _ThisProcessCollector(Collector):
    """Without multiprocess mode (runserver, tests): this process's own samples."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def metric_folders() -> list[Path]:
    """This service's folder and its siblings: every service on this host.

    make prod-* and deploy/systemd/ give each service ``<KF_METRICS_DIR>/<service>``.
    """
    own = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    return sorted({own, *(path for path in own.parent.glob("*") if path.is_dir())})


def metrics_exposition() -> bytes:
    """The text Prometheus scrapes: process samples plus platform state."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry.register(_FolderCollector(metric_folders()))
    else:
        registry.register(_ThisProcessCollector())
    registry.register(PlatformCollector())
    return generate_latest(registry)
