"""Portable raw SQL for the rollups: statements, fast inserts, the per-day lock, touches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, models

from ..models import Event

ROLLUP_WORK_MEM = "96MB"  # per rollup transaction on PostgreSQL


@dataclass(frozen=True)
class _Sql:
    """Table names and parameter adapters for the current connection."""

    event: str = Event._meta.db_table

    @staticmethod
    def d(value: date) -> Any:
        return connection.ops.adapt_datefield_value(value)

    @staticmethod
    def ts(value: datetime) -> Any:
        return connection.ops.adapt_datetimefield_value(value)


def _run(sql: str, params: Sequence[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


# Autovacuum's rule for a table's statistics (10 % of it changed), applied before each day
# rather than at autovacuum's next round: a backfill, or a fresh database's first big day,
# otherwise plans its joins on "empty" statistics (a 14 s nested loop where a hash join
# takes milliseconds; docs/decisions.md §Statistics before each day). Below 10,000 changed
# rows any plan is quick, and the demo's and the tests' small days skip the ANALYZE.
STALE_ROWS, STALE_SHARE = 10_000, 0.1


def _statistics_refresh() -> list[str]:
    """ANALYZE each analytics table that changed past autovacuum's threshold; their names.

    PostgreSQL only. Call it between days, outside a day's transaction, so
    the table lock ANALYZE takes is released at once.
    """
    if connection.vendor != "postgresql":
        return []
    stale = [
        table
        for (table,) in _fetch(
            """SELECT relid::regclass::text FROM pg_stat_user_tables
            WHERE relname LIKE %s AND n_mod_since_analyze > GREATEST(%s, %s * n_live_tup)
            ORDER BY 1""",
            ["analytics\\_%", STALE_ROWS, STALE_SHARE],
        )
    ]
    for table in stale:
        _run(f"ANALYZE {table}", [])
    return stale


def _in(values: Sequence[str]) -> str:
    return ", ".join(["%s"] * len(values))


def _lock_day(day: date) -> None:
    """Serialise work on one local day (PostgreSQL advisory lock, released at commit).

    SQLite needs nothing: its IMMEDIATE transactions already serialise writers.
    """
    if connection.vendor == "postgresql":
        _run(
            "SELECT pg_advisory_xact_lock(hashtext('analytics'), hashtext(%s))",
            [f"day:{day.isoformat()}"],
        )
        # a day's (video, subject) hash aggregates spill to disk at the 4 MB default
        _run(f"SET LOCAL work_mem = '{ROLLUP_WORK_MEM}'", [])


def _insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows given as column → value dicts (all with the same columns), fast.

    ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere. Dicts, not model
    instances: building 100k instances costs more than the ``COPY`` itself.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows], batch_size=2000)
        return
    fields = list(rows[0])
    columns = ", ".join(connection.ops.quote_name(f) for f in fields)  # keys are column names
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[f] for f in fields])


def _delete(model: type, **filters: Any) -> None:
    model._default_manager.filter(**filters).delete()  # type: ignore[attr-defined]


Touches = dict[tuple[Any, Any], list[tuple[datetime, int, Any]]]


def _touches(sql: str, params: list[Any]) -> Touches:
    """Rows (key1, key2, ts, id, payload) grouped by (key1, key2), oldest first."""
    out: Touches = defaultdict(list)
    for a, b, ts, pk, payload in _fetch(sql, params):
        out[(a, b)].append((as_aware(ts), pk, payload))
    for items in out.values():
        items.sort()
    return out


def as_aware(value: Any) -> datetime:
    """A timestamp from raw SQL as an aware datetime (SQLite returns text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def as_date(value: Any) -> date:
    """A date from raw SQL (SQLite returns text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def ordered_sum(expr: str, order: str) -> str:
    """SQL summing a float in a fixed row order, so a rerun stores the same last bit.

    A hash or parallel aggregate adds floats in whatever order rows arrive, and
    float addition is not associative. SQLite (before 3.44 no ordered
    aggregates) sums in its single, stable scan order.
    """
    if connection.vendor == "postgresql":
        return f"SUM({expr} ORDER BY {order})"
    return f"SUM({expr})"


def seconds_between(start: str, end: str) -> str:
    """SQL for ``end - start`` in seconds as a float: cheaper than fetching two timestamps."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({end} - {start}))"
    return f"(julianday({end}) - julianday({start})) * 86400.0"
