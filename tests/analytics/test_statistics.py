"""Table statistics caught up before each rolled-up day (analytics.rollups.sql._statistics_refresh)."""

from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from analytics.models import SubjectDay
from analytics.rollups import rollup_days
from analytics.rollups.sql import STALE_ROWS, _statistics_refresh

pytestmark = pytest.mark.django_db(transaction=True)  # statistics see committed rows only


def _flush_statistics() -> None:
    """Make this backend's pending table counters visible to pg_stat_user_tables now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    connection.close()  # a new backend reads the flushed counters afresh


def _last_analyzed(table: str) -> object:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_a_table_changed_past_the_threshold_is_analyzed_once(postgres) -> None:
    table = SubjectDay._meta.db_table
    SubjectDay.objects.bulk_create(
        SubjectDay(local_date=date(2026, 11, 1), subject_id=f"s{i}") for i in range(STALE_ROWS + 1)
    )
    _flush_statistics()

    assert table in _statistics_refresh()
    assert _last_analyzed(table) is not None
    _flush_statistics()
    assert table not in _statistics_refresh()  # nothing changed since


def test_rolling_up_days_analyzes_what_changed_before_each_day(postgres, monkeypatch) -> None:
    SubjectDay.objects.bulk_create(
        SubjectDay(local_date=date(2026, 11, 1), subject_id=f"s{i}") for i in range(STALE_ROWS + 1)
    )
    _flush_statistics()
    before = _last_analyzed(SubjectDay._meta.db_table)  # an earlier test may have analyzed it
    rolled: list[object] = []
    monkeypatch.setattr(
        "analytics.rollups.rebuild.rollup_day",
        lambda **kwargs: rolled.append(_last_analyzed(SubjectDay._meta.db_table)),
    )

    rollup_days(days=[date(2026, 11, 2)], now=timezone.now())

    assert len(rolled) == 1
    assert rolled[0] is not None  # analyzed before the day was rolled up
    assert rolled[0] != before
