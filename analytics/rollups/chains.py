"""Rows that point at their key's previous day, so "distinct in any range" needs no scan.

A key (a subject; a subject and a course) has at most one row per local day.
Each row stores the key's previous day, NULL when there is none within
``MAX_RANGE_DAYS`` (no report range is longer, so an older one is "none" for
every range). A row on day E in ``[a, b]`` is its key's first in that range
exactly when its previous day is before ``a``. Counting each day's rows by
previous day (``ActiveDay``, ``FunnelDay``) then gives the distinct keys of any
range from a few hundred rows per day (docs/metrics.md).

Rebuilding day D can change which keys have a row on D (late events, an
erasure, days built out of order); the rows after D that pointed at D or
earlier are then re-pointed, and their days recounted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models

from .definitions import MAX_RANGE_DAYS
from .sql import _delete, _fetch, _lock_day, _run, _Sql, as_date


@dataclass(frozen=True)
class Chain:
    """One table's rows chained by key: which columns, and which rows take part."""

    model: type[models.Model]
    keys: tuple[str, ...]
    day: str
    prev: str
    # Rows that take part, as a condition on table alias {t}: "{t}.qualifying > 0".
    where: str = "1 = 1"

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def _where(self, alias: str | None = None) -> str:
        return self.where.format(t=alias or self.table)

    def keys_on(self, day: date) -> dict[tuple[object, ...], date | None]:
        """The keys with a taking-part row on ``day``, with their previous day."""
        rows = _fetch(
            f"SELECT {', '.join(self.keys)}, {self.prev} FROM {self.table}"
            f" WHERE {self.day} = %s AND {self._where()}",
            [_Sql.d(day)],
        )
        return {row[:-1]: (as_date(row[-1]) if row[-1] else None) for row in rows}

    def _previous(self, outer: str | None = None, before: str | None = None) -> str:
        """SQL of the key's latest taking-part day before ``before`` (default: the row's day).

        Parameter: the oldest day to look at.
        """
        outer = outer or self.table
        same_key = " AND ".join(f"g.{k} = {outer}.{k}" for k in self.keys)
        return f"""(SELECT MAX(g.{self.day}) FROM {self.table} g WHERE {same_key}
            AND g.{self.day} < {before or f"{outer}.{self.day}"} AND g.{self.day} >= %s
            AND {self._where("g")})"""

    def previous_of(self, outer: str, day: date) -> tuple[str, list[object]]:
        """SQL (and parameters) of the previous day of a key of ``outer`` about to get a row on ``day``.

        For an INSERT … SELECT that writes the day's rows with their previous
        day at once, instead of rewriting every row in an UPDATE.
        """
        return self._previous(outer, before="%s"), [
            _Sql.d(day),
            _Sql.d(day - timedelta(days=MAX_RANGE_DAYS)),
        ]

    def point(self, day: date) -> None:
        """Set the previous day of every taking-part row on ``day``."""
        lookback = _Sql.d(day - timedelta(days=MAX_RANGE_DAYS))
        _run(
            f"UPDATE {self.table} SET {self.prev} = {self._previous()}"
            f" WHERE {self.day} = %s AND {self._where()}",
            [lookback, _Sql.d(day)],
        )

    def repoint_after(self, day: date) -> list[date]:
        """Re-point rows after ``day`` whose previous day may have changed; return their days.

        Only rows whose previous day was ``day`` or earlier (or none) can be
        affected. Each later day is locked first, ascending like every
        rebuild, so a concurrent rebuild of that day never reads a half-update.
        """
        horizon = (day, day + timedelta(days=MAX_RANGE_DAYS))
        later = _fetch(
            f"SELECT DISTINCT {self.day} FROM {self.table}"
            f" WHERE {self.day} > %s AND {self.day} <= %s ORDER BY 1",
            [_Sql.d(d) for d in horizon],
        )
        for (later_day,) in later:
            _lock_day(as_date(later_day))
        lookback = _Sql.d(day - timedelta(days=MAX_RANGE_DAYS))
        changed = _fetch(
            f"""UPDATE {self.table} SET {self.prev} = c.new_prev FROM (
                SELECT r.id, {self._previous("r")} AS new_prev FROM {self.table} r
                WHERE r.{self.day} > %s AND r.{self.day} <= %s AND {self._where("r")}
                    AND (r.{self.prev} IS NULL OR r.{self.prev} <= %s)
            ) c
            WHERE {self.table}.id = c.id AND {self.table}.{self.prev} IS DISTINCT FROM c.new_prev
            RETURNING {self.day}""",
            [lookback, *[_Sql.d(d) for d in horizon], _Sql.d(day)],
        )
        return sorted({as_date(d) for (d,) in changed})

    def count(self, day: date, *, into: type[models.Model], by: tuple[str, ...] = ()) -> None:
        """Rebuild ``into``'s rows of ``day``: taking-part rows counted by previous day and ``by``.

        ``into`` has the same day and previous-day columns, the ``by``
        columns, and the count in its last column.
        """
        _delete(into, **{self.day: day})
        columns = [f.column for f in into._meta.concrete_fields if not f.primary_key]
        oldest = _Sql.d(day - timedelta(days=MAX_RANGE_DAYS - 1))
        grouped = ", ".join(str(i) for i in range(1, len(by) + 3))
        _run(
            f"""INSERT INTO {into._meta.db_table} ({", ".join(columns)})
            SELECT {self.day}, CASE WHEN {self.prev} < %s THEN NULL ELSE {self.prev} END,
                {"".join(f"{c}, " for c in by)}COUNT(*)
            FROM {self.table} WHERE {self.day} = %s AND {self._where()} GROUP BY {grouped}""",
            [oldest, _Sql.d(day)],
        )


def first_in_range(prev: str, first: date) -> tuple[str, list[object]]:
    """SQL condition (and its parameter) for "the key's first row in a range from ``first``"."""
    return f"({prev} IS NULL OR {prev} < %s)", [_Sql.d(first)]
