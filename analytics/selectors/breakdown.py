"""Any KPI split by one dimension, from ``BreakdownDaily`` only (no raw scan at request time)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .. import rollups
from ..models import BreakdownDaily
from ..rollups.breakdowns import DIMENSIONS
from .tables import Label, Table, previous_period, ratio

# Summable columns; "active" summed over days is active subject-days.
SUMMED = (
    "active",
    "plays",
    "engaged_views",
    "watch_seconds",
    "signups",
    "course_views",
    "checkouts",
    "purchases",
    "buyers",
    "gmv_minor",
    "refunds_minor",
)
# metric key -> (label, numerator columns minus subtracted columns, denominator, per day?)
METRICS: dict[str, tuple[Label, tuple[str, ...], tuple[str, ...], str | None, bool]] = {
    "avg_dau": (_("Average daily active users"), ("active",), (), None, True),
    "plays": (_("Plays"), ("plays",), (), None, False),
    "engaged_views": (_("Engaged views"), ("engaged_views",), (), None, False),
    "watch_seconds": (_("Watch seconds"), ("watch_seconds",), (), None, False),
    "watch_per_active": (
        "Watch seconds per active user-day",
        ("watch_seconds",),
        (),
        "active",
        False,
    ),
    "signups": (_("Signups"), ("signups",), (), None, False),
    "course_views": (_("Course page views"), ("course_views",), (), None, False),
    "checkouts": (_("Checkouts started"), ("checkouts",), (), None, False),
    "purchases": (_("Purchases"), ("purchases",), (), None, False),
    "gmv_minor": (_("GMV (fen)"), ("gmv_minor",), (), None, False),
    "net_minor": (_("Net revenue (fen)"), ("gmv_minor",), ("refunds_minor",), None, False),
    "refunds_minor": (_("Refunds (fen)"), ("refunds_minor",), (), None, False),
    "paid_conversion": (_("Paying share of active user-days"), ("buyers",), (), "active", False),
    "arpu_minor": (
        "Net revenue per active user-day (fen)",
        ("gmv_minor",),
        ("refunds_minor",),
        "active",
        False,
    ),
}


def kpi_breakdown(*, metric: str, dimension: str, first: date, last: date) -> Table:
    """``metric`` over ``first..last`` per value of ``dimension``, against the previous period.

    Two queries (this period and the one before), whatever the number of
    values. Rows are sorted by value, largest first; ``share`` is the value's
    part of the column total (None for ratios). Raises ``ValueError`` for an
    unknown metric or dimension, or a range longer than ``MAX_RANGE_DAYS``.
    """
    _check(metric, dimension, first, last)
    length = (last - first).days + 1
    before = previous_period(first, last)
    current = _sums(dimension, first, last)
    previous = _sums(dimension, *before)
    label = METRICS[metric][0]
    table = Table(
        "breakdown",
        format_lazy(_("{metric} by {dimension}"), metric=label, dimension=dimension),
        [
            ("value", dimension.capitalize()),
            ("current", label),
            ("previous", _("Previous period")),
            ("change", _("Change")),
            ("share", _("Share")),
        ],
    )
    values = {v: _measure(metric, sums, length) for v, sums in current.items()}
    summed = METRICS[metric][3] is None
    total = sum(v or 0 for v in values.values()) if summed else None
    for value, now_value in sorted(values.items(), key=lambda kv: (-(kv[1] or 0), kv[0])):
        old = _measure(metric, previous[value], length) if value in previous else None
        table.rows.append(
            {
                "value": value,
                "current": now_value,
                "previous": old,
                "change": ratio(None if now_value is None or old is None else now_value - old, old),
                "share": ratio(now_value, total) if total else None,
            }
        )
    return table


def kpi_breakdown_series(*, metric: str, dimension: str, first: date, last: date) -> Table:
    """``metric`` per local day and value (the chart beside ``kpi_breakdown``); one query."""
    _check(metric, dimension, first, last)
    # only the metric's own columns: a creator or course split over 90 days is ~20k rows
    _label, plus, minus, denominator, _per_day = METRICS[metric]
    needed = tuple(dict.fromkeys([*plus, *minus, *([denominator] if denominator else [])]))
    rows = BreakdownDaily.objects.filter(
        dimension=dimension, local_date__range=(first, last)
    ).values_list("local_date", "value", *needed)
    by_day: dict[date, dict[str, dict[str, float]]] = defaultdict(dict)
    for day, value, *sums in rows:
        by_day[day][value] = dict(zip(needed, sums, strict=True))
    values = sorted({v for day in by_day.values() for v in day})
    table = Table(
        "breakdown_series",
        format_lazy(
            _("{metric} by {dimension}, per day"), metric=METRICS[metric][0], dimension=dimension
        ),
        [("day", _("Day")), *[(v, v) for v in values]],
    )
    for day in rollups.days_between(first, last):
        stored = by_day.get(day, {})
        table.rows.append(
            {
                "day": day.isoformat(),
                **{v: _measure(metric, stored[v], 1) if v in stored else 0 for v in values},
            }
        )
    return table


def _check(metric: str, dimension: str, first: date, last: date) -> None:
    if metric not in METRICS:
        raise ValueError(f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}.")
    if dimension not in DIMENSIONS:
        raise ValueError(f"Unknown dimension {dimension!r}; choose one of {', '.join(DIMENSIONS)}.")
    if last < first or (last - first).days + 1 > rollups.MAX_RANGE_DAYS:
        raise ValueError(
            f"The range must run forward and last at most {rollups.MAX_RANGE_DAYS} days."
        )


def _sums(dimension: str, first: date, last: date) -> dict[str, dict[str, float]]:
    rows = (
        BreakdownDaily.objects.filter(dimension=dimension, local_date__range=(first, last))
        .values("value")
        .annotate(**{c: Sum(c) for c in SUMMED})
        .order_by()
    )
    return {row["value"]: row for row in rows}


def _measure(metric: str, sums: dict[str, float], days: int) -> float | None:
    _label, plus, minus, denominator, per_day = METRICS[metric]
    value = float(sum(sums.get(c) or 0 for c in plus) - sum(sums.get(c) or 0 for c in minus))
    if per_day:
        return value / days
    if denominator is not None:
        return ratio(value, sums.get(denominator) or 0)
    return value
