"""Liveness, readiness with detail per part, and the token-protected Prometheus endpoint."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from analytics.models import MetricRun
from commerce.models import Order
from ops import health
from ops.models import WorkerHeartbeat
from ops.tasks import worker_heartbeat_task
from recommendations.models import ModelVersion
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db
TOKEN = "t" * 40


def _all_fresh(now=None) -> None:
    now = now or timezone.now()
    for queue in ("default", "media", "ml", "analytics"):
        WorkerHeartbeat.objects.create(queue=queue, seen_at=now, hostname="w1")
    MetricRun.objects.create(local_date=now.date(), finished_at=now)
    ModelVersion.objects.create(
        algorithm="hybrid_v1", status=ModelVersion.Status.ACTIVE, activated_at=now, stage="done"
    )


def test_liveness_touches_nothing(client: Client, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_is_green_when_every_part_is_fresh(client: Client) -> None:
    _all_fresh()
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok", body
    assert set(body["checks"]) >= {"database", "cache", "broker", "rollups", "model", "workers"}
    assert body["checks"]["model"]["active_version"] == ModelVersion.objects.get().pk
    assert body["checks"]["workers"]["heartbeat_age_seconds"]["ml"] < 60


def test_stale_parts_degrade_readiness_without_taking_the_node_out(client: Client) -> None:
    # given: the ml workers stopped an hour ago, rollups long ago, no model yet
    an_hour_ago = timezone.now() - timedelta(hours=1)
    for queue in ("default", "media", "analytics"):
        WorkerHeartbeat.objects.create(queue=queue, seen_at=timezone.now())
    WorkerHeartbeat.objects.create(queue="ml", seen_at=an_hour_ago)
    MetricRun.objects.create(local_date=an_hour_ago.date(), finished_at=an_hour_ago)
    # when
    response = client.get("/readyz")
    body = response.json()
    # then: 200 (serving still works) but each stale part says why
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["workers"] == {
        "ok": False,
        "detail": "no recent heartbeat: ml",
        "heartbeat_age_seconds": body["checks"]["workers"]["heartbeat_age_seconds"],
        "max_age_seconds": 120,
    }
    assert body["checks"]["rollups"]["ok"] is False
    assert body["checks"]["model"]["detail"] == "no active model: feeds serve trending"
    assert body["checks"]["database"]["ok"] is True


def test_readiness_answers_503_when_the_database_is_gone(client: Client, monkeypatch) -> None:
    def down() -> health.Check:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "_database", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"]["ok"] is False


def test_metrics_need_the_token(client: Client, settings) -> None:
    settings.KF_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_metrics_are_off_without_a_token(client: Client, settings) -> None:
    settings.KF_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_metrics_show_latency_by_view_tasks_and_platform_state(client: Client, settings) -> None:
    # given: some traffic, a task run, an order, a model and a heartbeat
    settings.KF_METRICS_TOKEN = TOKEN
    _all_fresh()
    client.get("/healthz")
    worker_heartbeat_task.apply(kwargs={"queue": "ml"})
    buyer = UserFactory.create()
    Order.objects.create(
        user=buyer,
        course=CourseFactory.create(),
        list_price_minor=100,
        amount_minor=100,
        status=Order.Status.PAID,
    )
    # when
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    text = response.content.decode()
    # then
    assert response["Content-Type"].startswith("text/plain")
    assert "django_http_requests_latency_seconds_by_view_method_bucket{" in text
    assert 'view="healthz"' in text
    assert (
        'kf_celery_tasks_total{state="SUCCESS",task="kfplatform.tasks.worker_heartbeat_task"}'
        in text
    )
    assert (
        'kf_celery_task_duration_seconds_count{task="kfplatform.tasks.worker_heartbeat_task"}'
        in text
    )
    assert 'kf_orders{status="paid"} 1.0' in text
    assert 'kf_orders{status="refunded"} 0.0' in text
    assert f"kf_recommender_active_version {float(ModelVersion.objects.get().pk)}" in text
    assert "kf_recommender_active_model_age_seconds" in text
    assert "kf_analytics_rollup_lag_seconds" in text
    assert 'kf_worker_heartbeat_age_seconds{queue="ml"}' in text
    assert 'kf_media_assets{status="ready"}' in text
    assert 'kf_sandbox_webhooks{state="pending"} 0.0' in text
    assert "kf_metrics_collect_errors" in text
    assert 'kf_metrics_collect_errors{part="' not in text


def test_task_failures_are_counted_by_task(monkeypatch) -> None:
    # given: beat's trending refresh breaks
    from courses import trending
    from courses.tasks import trending_refresh_task
    from ops.metrics import TASKS

    def broken(**kwargs: object) -> int:
        raise RuntimeError("broken")

    monkeypatch.setattr(trending, "trending_refresh", broken)
    failed = TASKS.labels(task="courses.tasks.trending_refresh_task", state="FAILURE")
    before = failed._value.get()
    # when
    result = trending_refresh_task.apply(throw=False)
    # then
    assert result.state == "FAILURE"
    assert failed._value.get() == before + 1
