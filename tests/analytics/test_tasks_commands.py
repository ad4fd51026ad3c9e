"""Celery task wrappers, the beat schedule and the management commands."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from analytics.models import DailyMetric, Event
from analytics.rollups import local_today
from analytics.tasks import rollups_refresh_dates_task, rollups_refresh_recent_task

from .helpers import T, at, ev

pytestmark = pytest.mark.django_db


def test_recent_task_rolls_up_today_and_the_days_before():
    today = local_today()
    ev(T.LIKE, at(today - timedelta(days=2), 9), "a")
    assert rollups_refresh_recent_task.delay(days=5).get() == 5
    assert DailyMetric.objects.get(local_date=today - timedelta(days=2)).dau == 1


def test_dates_task_accepts_iso_dates():
    day = local_today() - timedelta(days=3)
    ev(T.LIKE, at(day), "a")
    rollups_refresh_dates_task.delay(dates=[day.isoformat()])
    assert DailyMetric.objects.get(local_date=day).dau == 1


def test_beat_runs_today_nightly_and_weekly_on_the_analytics_queue():
    schedule: dict[str, dict] = settings.CELERY_BEAT_SCHEDULE
    entries = [
        e for e in schedule.values() if e["task"] == "analytics.tasks.rollups_refresh_recent_task"
    ]
    assert sorted(e["kwargs"]["days"] for e in entries) == [1, 5, 35]
    assert settings.CELERY_TASK_ROUTES["analytics.tasks.*"] == {"queue": "analytics"}


def test_backfill_command_validates_and_rolls_up():
    day = local_today() - timedelta(days=1)
    ev(T.LIKE, at(day), "a")
    with pytest.raises(CommandError):
        call_command("analytics_backfill", "--from", "2026-03-05", "--to", "2026-03-01")
    with pytest.raises(CommandError):
        call_command("analytics_backfill")
    call_command("analytics_backfill", "--from", day.isoformat(), "--to", day.isoformat())
    assert DailyMetric.objects.get(local_date=day).dau == 1


def test_generate_events_follows_the_funnel_shape():
    call_command(
        "analytics_generate_events", "--days", "3", "--events-per-day", "400", "--users", "60"
    )
    counts = {t: Event.objects.filter(type=t).count() for t in (T.PLAY, T.PURCHASE)}
    assert Event.objects.count() >= 1200
    assert counts[T.PLAY] > counts[T.PURCHASE]
    assert Event.objects.filter(type=T.SIGNUP).exists()
