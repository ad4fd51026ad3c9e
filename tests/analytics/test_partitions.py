"""The events table partitioned by month on PostgreSQL, its upkeep and its migration."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from analytics.models import Event
from analytics.partitions import (
    event_partitions_ensure_ahead,
    event_partitions_split_default,
    existing_partitions,
    is_partitioned,
    months_between,
    partition_name,
)
from analytics.services import events_load_rows
from analytics.tasks import event_partitions_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _drop_partitions_made_here():
    """Partitions are DDL, which the flush after each test does not undo."""
    before = existing_partitions() if is_partitioned() else set()
    yield
    if is_partitioned():
        with connection.cursor() as cursor:
            for name in existing_partitions() - before:
                cursor.execute(f"DROP TABLE {name}")


def _partition_of(event_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM analytics_event WHERE id = %s", [event_id]
        )
        return cursor.fetchone()[0]


def _event_at(ts: datetime, cid: str) -> Event:
    """Store one event at ``ts`` through the raw loader (client batches refuse old dates)."""
    row: tuple[Any, ...] = (
        ts,
        datetime.now(UTC),
        "s",
        "",
        "video.played",
        None,
        None,
        None,
        0.0,
        {},
        "web",
        cid,
        {},
    )
    events_load_rows(rows=[row])
    return Event.objects.get(client_event_id=cid)


def test_months_between_spans_year_ends():
    months = months_between(date(2025, 11, 30), date(2026, 2, 1))
    assert months == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert partition_name(months[1]) == "analytics_event_p202512"


def test_events_land_in_their_month_and_old_ones_move_out_of_the_default(postgres):
    # given a partitioned table: this month exists, 2019 does not
    assert is_partitioned()
    now = datetime.now(UTC)
    recent = _event_at(now - timedelta(minutes=5), "recent")
    old = _event_at(datetime(2019, 3, 31, 23, 30, tzinfo=UTC), "old")
    assert _partition_of(recent.pk) == partition_name(now.date().replace(day=1))
    assert _partition_of(old.pk) == "analytics_event_default"
    # when the default is split
    created = event_partitions_split_default()
    # then March 2019 has a partition holding the row, which kept its id and values
    assert created == ["analytics_event_p201903"]
    assert _partition_of(old.pk) == "analytics_event_p201903"
    assert Event.objects.get(pk=old.pk).ts == old.ts
    assert Event.objects.count() == 2
    # and doing it again changes nothing
    assert event_partitions_split_default() == []


def test_months_ahead_are_created_once(postgres):
    # given a "now" two years out, beyond the months the migration made
    future = datetime.now(UTC) + timedelta(days=730)
    # when the daily upkeep runs twice
    first = event_partitions_ensure_ahead(now=future)
    second = event_partitions_ensure_ahead(now=future)
    # then four months (this one and three ahead) exist, made once
    assert len(first) == 4
    assert second == []
    assert set(first) <= existing_partitions()
    # and an event there lands in its month
    event = _event_at(future, "future")
    assert _partition_of(event.pk) == partition_name(future.date().replace(day=1))


def test_the_migration_keeps_every_row_both_ways(postgres):
    # given events in two months and in the default partition
    ids = [
        _event_at(datetime.now(UTC) - timedelta(days=40), "a").pk,
        _event_at(datetime.now(UTC), "b").pk,
        _event_at(datetime(2018, 1, 1, tzinfo=UTC), "c").pk,
    ]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("analytics")
    try:
        # when the table is turned back into a plain one
        executor.migrate([("analytics", "0006_subjectday_plain_index")])
        assert not is_partitioned()
        assert sorted(Event.objects.values_list("id", flat=True)) == sorted(ids)
    finally:
        # and partitioned again
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    # then every row is there with its id, in its month, and new ids continue
    assert is_partitioned()
    assert sorted(Event.objects.values_list("id", flat=True)) == sorted(ids)
    assert _partition_of(ids[2]) == "analytics_event_p201801"
    assert _event_at(datetime.now(UTC), "d").pk > max(ids)


def test_the_daily_task_gives_stray_old_rows_their_month(postgres, settings):
    # given a row from 2017 in the default partition
    stray = _event_at(datetime(2017, 6, 15, tzinfo=UTC), "stray")
    # when beat's daily upkeep runs
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-event-partitions"]
    created = event_partitions_task.delay().get()
    # then
    assert entry["task"] == "analytics.tasks.event_partitions_task"
    assert "analytics_event_p201706" in created
    assert _partition_of(stray.pk) == "analytics_event_p201706"
