"""Retention by day, week or month cohorts of any start event, returning with any event.

Read from ``SubjectTypeDay`` (which event types each subject sent each day),
in two queries. A subject's cohort is the period of its first start event in
the range; it counts as returned in period k ≥ 1 when it sent the return
event in the k-th period after its cohort's (for days: k days after its start
day). Period 0 is the whole cohort. A cell is ``None`` ("in progress") until
its period has ended by the last complete day, so the default range, which
ends a full horizon before yesterday, shows mature cells only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Min
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .. import rollups
from ..models import Event, SubjectTypeDay
from .tables import Label, Table, last_complete_day, ratio

GRAINS = {"day": 30, "week": 8, "month": 6}  # grain -> periods shown after period 0
# Whole sentences per grain, so each language can word them (not "{grain} {k}" glued in English).
GRAIN_LABELS = {"day": _("Day {k}"), "week": _("Week {k}"), "month": _("Month {k}")}
COHORT_CAPTIONS = {
    "day": _("{start} → {end}, by day cohort"),
    "week": _("{start} → {end}, by week cohort"),
    "month": _("{start} → {end}, by month cohort"),
}
EVENT_TYPES = tuple(value for value, _ in Event.Type.choices)


def _period_start(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _shift(start: date, grain: str, k: int) -> date:
    """The start of the k-th period after the one starting on ``start``."""
    if grain == "day":
        return start + timedelta(days=k)
    if grain == "week":
        return start + timedelta(weeks=k)
    months = start.year * 12 + start.month - 1 + k
    return date(months // 12, months % 12 + 1, 1)


def _index(start: date, day: date, grain: str) -> int:
    if grain == "day":
        return (day - start).days
    if grain == "week":
        return (_period_start(day, grain) - start).days // 7
    return (day.year - start.year) * 12 + day.month - start.month


def event_retention_default_range(grain: str, today: date) -> tuple[date, date]:
    """A range whose cohorts' last shown period has ended: mature cells, not "in progress"."""
    horizon = GRAINS[grain]
    t = last_complete_day(today)
    # the latest cohort period whose period ``horizon`` has ended by t
    last_period = _period_start(t, grain)
    while _shift(_shift(last_period, grain, horizon), grain, 1) - timedelta(days=1) > t:
        last_period = _shift(last_period, grain, -1)
    last = _shift(last_period, grain, 1) - timedelta(days=1)
    first = _shift(last_period, grain, -(9 if grain != "day" else 29))
    return first, last


def _check(start_event: str, return_event: str, grain: str) -> None:
    if start_event not in EVENT_TYPES or return_event not in EVENT_TYPES:
        raise ValueError(f"Events must be among the known types: {', '.join(EVENT_TYPES)}.")
    if grain not in GRAINS:
        raise ValueError(f"Grain must be one of {', '.join(GRAINS)}.")


def event_retention_table(
    *,
    start_event: str,
    return_event: str,
    grain: str = "day",
    first: date | None = None,
    last: date | None = None,
    today: date | None = None,
) -> Table:
    """Cohorts of ``start_event`` and the share returning with ``return_event`` per period.

    Raises ``ValueError`` for an unknown event or grain, or a bad range.
    """
    _check(start_event, return_event, grain)
    today = today or rollups.local_today()
    if first is None or last is None:
        first, last = event_retention_default_range(grain, today)
    if last < first or (last - first).days + 1 > rollups.MAX_RANGE_DAYS:
        raise ValueError(
            f"The range must run forward and last at most {rollups.MAX_RANGE_DAYS} days."
        )
    horizon = GRAINS[grain]
    t = last_complete_day(today)
    starts = dict(
        SubjectTypeDay.objects.filter(type=start_event, local_date__range=(first, last))
        .values("subject_id")
        .annotate(d0=Min("local_date"))
        .values_list("subject_id", "d0")
        .order_by()
    )
    cohort_of = {s: _period_start(d0, grain) for s, d0 in starts.items()}
    until = _shift(_period_start(last, grain), grain, horizon + 1)
    returns = SubjectTypeDay.objects.filter(
        type=return_event,
        local_date__gt=first,
        local_date__lt=until,
        subject_id__in=SubjectTypeDay.objects.filter(
            type=start_event, local_date__range=(first, last)
        ).values("subject_id"),
    ).values_list("subject_id", "local_date")
    sizes: dict[date, int] = defaultdict(int)
    for cohort in cohort_of.values():
        sizes[cohort] += 1
    returned: dict[date, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for subject, day in returns.iterator(chunk_size=5000):
        if day <= starts[subject]:
            continue
        k = _index(cohort_of[subject], day, grain)
        if 1 <= k <= horizon:
            returned[cohort_of[subject]][k].add(subject)
    columns: list[tuple[str, Label]] = [("cohort", _("Cohort")), ("size", _("Size"))] + [
        (f"p{k}", format_lazy(GRAIN_LABELS[grain], k=k)) for k in range(horizon + 1)
    ]
    table = Table(
        "event_retention",
        format_lazy(COHORT_CAPTIONS[grain], start=start_event, end=return_event),
        columns,
    )
    for cohort in sorted(sizes):
        row: dict[str, object] = {"cohort": cohort.isoformat(), "size": sizes[cohort], "p0": 1.0}
        for k in range(1, horizon + 1):
            ended = _shift(cohort, grain, k + 1) - timedelta(days=1) <= t
            row[f"p{k}"] = ratio(len(returned[cohort][k]), sizes[cohort]) if ended else None
        table.rows.append(row)
    return table
