"""Monthly partitions of the events table on PostgreSQL (a plain table elsewhere).

``analytics_event`` is ``PARTITION BY RANGE (ts)`` with one partition per UTC
month, named ``analytics_event_pYYYYMM``, and a default partition that catches
any row no month partition covers yet (a backfill of an old year, a clock far
off). Queries go to the parent; a day's rollup reads one or two partitions,
and retention can later drop a month with ``DETACH`` + ``DROP`` instead of a
``DELETE`` over millions of rows.

Months are created ahead of time by a daily beat task. Creating a month whose
rows already sit in the default partition moves them first, in the same
transaction, because PostgreSQL refuses to attach a range the default
partition still holds rows of.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.utils import timezone

PARENT = "analytics_event"
DEFAULT = f"{PARENT}_default"
MONTHS_AHEAD = 3


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{PARENT}_p{month:%Y%m}"


def month_bounds(month: date) -> str:
    """The partition bound clause of one UTC month."""
    return f"FROM ('{month.isoformat()} 00:00+00') TO ('{_next_month(month).isoformat()} 00:00+00')"


def months_between(first: date, last: date) -> list[date]:
    """Every month start from ``first``'s month through ``last``'s month."""
    month, end, months = _month_start(first), _month_start(last), []
    while month <= end:
        months.append(month)
        month = _next_month(month)
    return months


def is_partitioned() -> bool:
    """Whether the events table is partitioned here (PostgreSQL after migration 0007)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
            " WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [PARENT],
        )
        return cursor.fetchone() is not None


def existing_partitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_class p ON p.oid = i.inhparent"
            " WHERE p.relname = %s AND pg_table_is_visible(p.oid)",
            [PARENT],
        )
        return {name for (name,) in cursor.fetchall()}


def event_partitions_ensure(*, first: date, last: date) -> list[str]:
    """Create the month partitions covering ``first``..``last`` that do not exist yet.

    Rows of those months waiting in the default partition are moved into the
    new partition. Does nothing where the table is not partitioned.

    Returns:
        The names of the partitions created.
    """
    if not is_partitioned():
        return []
    present = existing_partitions()
    created = []
    for month in months_between(first, last):
        name = partition_name(month)
        if name not in present:
            _create_month(month, name)
            created.append(name)
    return created


def event_partitions_ensure_ahead(*, now: datetime | None = None) -> list[str]:
    """This month and the next ``MONTHS_AHEAD``: the daily beat task's job."""
    today = timezone.localdate(now or timezone.now(), UTC)
    last = today
    for _ in range(MONTHS_AHEAD):
        last = _next_month(_month_start(last))
    return event_partitions_ensure(first=today, last=last)


def event_partitions_split_default() -> list[str]:
    """Give every month found in the default partition its own partition."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(ts), max(ts) FROM {DEFAULT}")
        oldest, newest = cursor.fetchone()
    if oldest is None:
        return []
    return event_partitions_ensure(
        first=timezone.localdate(oldest, UTC), last=timezone.localdate(newest, UTC)
    )


@transaction.atomic
def _create_month(month: date, name: str) -> None:
    bounds = month_bounds(month)
    in_range = f"ts >= '{month} 00:00+00' AND ts < '{_next_month(month)} 00:00+00'"
    with connection.cursor() as cursor:
        # Lock order parent → default, as inserts take them, so no deadlock.
        cursor.execute(f"LOCK TABLE {PARENT} IN SHARE UPDATE EXCLUSIVE MODE")
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT} WHERE {in_range})")
        if not cursor.fetchone()[0]:
            cursor.execute(f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES {bounds}")
            return
        cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE {in_range} RETURNING *)"
            f" INSERT INTO {name} SELECT * FROM moved"
        )
        cursor.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES {bounds}")
