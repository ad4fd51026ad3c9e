"""The staff dashboard's "why" sections: KPI splits, event retention curves, A/B statistics.

Reads analytics rollups only (``kpi_breakdown*`` from ``BreakdownDaily``,
``event_retention_table`` from ``SubjectTypeDay``), cached until the rollups
change, and names split values (courses, creators, categories) in one query
per kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext, gettext_lazy

from accounts.selectors import creator_public_names
from analytics import selectors as a
from analytics.selectors import Table
from common.money import minor_to_decimal
from courses.selectors import category_names_for_ids, titles_for_ids

from . import reports
from .charts import Chart, line_chart

SPLITS = [
    ("platform", gettext_lazy("Platform")),
    ("channel", gettext_lazy("Channel")),
    ("visitor", gettext_lazy("New vs returning")),
    ("category", gettext_lazy("Category")),
    ("creator", gettext_lazy("Creator")),
    ("course", gettext_lazy("Course")),
]
# The breakdown metrics a person may pick, labelled without storage units (money shows in yuan).
SPLIT_METRICS = [
    ("avg_dau", gettext_lazy("Average daily active users")),
    ("plays", gettext_lazy("Plays")),
    ("engaged_views", gettext_lazy("Engaged views")),
    ("watch_seconds", gettext_lazy("Watch seconds")),
    ("watch_per_active", gettext_lazy("Watch seconds per active user-day")),
    ("signups", gettext_lazy("Signups")),
    ("course_views", gettext_lazy("Course page views")),
    ("checkouts", gettext_lazy("Checkouts started")),
    ("purchases", gettext_lazy("Purchases")),
    ("gmv_minor", gettext_lazy("GMV")),
    ("net_minor", gettext_lazy("Net revenue")),
    ("refunds_minor", gettext_lazy("Refunds")),
    ("paid_conversion", gettext_lazy("Paying share of active user-days")),
    ("arpu_minor", gettext_lazy("Net revenue per active user-day")),
]
RETENTION_GRAINS = [
    ("day", gettext_lazy("Day")),
    ("week", gettext_lazy("Week")),
    ("month", gettext_lazy("Month")),
]
EVENT_CHOICES = list(a.EventType.choices)
DEFAULTS = {
    "metric": "avg_dau",
    "r_start": a.EventType.SIGNUP.value,
    "r_return": a.EventType.PLAY.value,
    "r_grain": "week",
}
CARDS_SHOWN = 8
CURVE_COHORTS = 3  # latest cohorts drawn beside the average


class DashboardForm(reports.RangeForm):
    """The range plus ?split=&metric= (KPI split) and ?r_start=&r_return=&r_grain= (retention)."""

    split = forms.ChoiceField(
        choices=[("", gettext_lazy("No split")), *SPLITS],
        required=False,
        label=gettext_lazy("Split by"),
    )
    metric = forms.ChoiceField(
        choices=SPLIT_METRICS, required=False, label=gettext_lazy("Split metric")
    )
    r_start = forms.ChoiceField(
        choices=EVENT_CHOICES, required=False, label=gettext_lazy("Start event")
    )
    r_return = forms.ChoiceField(
        choices=EVENT_CHOICES, required=False, label=gettext_lazy("Return event")
    )
    r_grain = forms.ChoiceField(
        choices=RETENTION_GRAINS, required=False, label=gettext_lazy("Cohort period")
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name, default in DEFAULTS.items():
            cleaned[name] = cleaned.get(name) or default
        return cleaned


def unit_of(metric: str) -> str | None:
    """How a breakdown metric's values read: money (stored in fen), a percentage, a whole
    count, or (None) a mean with decimals."""
    if metric.endswith("_minor"):
        return "money"
    if metric == "paid_conversion":
        return "percent"
    return None if metric in ("avg_dau", "watch_per_active") else "count"


def _label(choices: list[tuple[str, Any]], key: str) -> str:
    return str(dict(choices)[key])


def _names(dimension: str, values: list[str]) -> dict[str, str]:
    """Readable names of split values; ids for courses, creators and categories."""
    ids = [int(v) for v in values if v.isdigit()]
    if dimension == "course":
        found: dict[int, str] = titles_for_ids(course_ids=ids).courses
    elif dimension == "creator":
        found = creator_public_names(user_ids=ids)
    elif dimension == "category":
        found = category_names_for_ids(category_ids=ids)
    else:
        visitor = {"new": gettext("New"), "returning": gettext("Returning")}
        return {v: visitor.get(v, v) for v in values}
    return {v: found.get(int(v), f"#{v}") if v.isdigit() else v for v in values}


@dataclass
class Split:
    dimension: str
    metric: str
    title: str
    unit: str | None
    table: Table
    series: Table
    chart: Chart
    cards: list[dict[str, str]] = field(default_factory=list)


def split_report(*, dimension: str, metric: str, first: date, last: date) -> Split:
    """The metric per value of the dimension (cards, daily chart, tables), cached."""
    key = f"kf-dash-split:v1:{dimension}:{metric}:{first}:{last}:{a.rollups_version()}"
    found = cache.get(key)
    if found is None:
        found = _split_report(dimension=dimension, metric=metric, first=first, last=last)
        cache.set(key, found, reports.REPORT_CACHE_SECONDS)
    # labels are translated per request, not cached in one language
    return _labelled(found)


def _split_report(*, dimension: str, metric: str, first: date, last: date) -> Split:
    table = a.kpi_breakdown(metric=metric, dimension=dimension, first=first, last=last)
    series = a.kpi_breakdown_series(metric=metric, dimension=dimension, first=first, last=last)
    values = sorted({*table.column("value"), *[k for k, _ in series.columns[1:]]})
    names = _names(dimension, values)
    table.columns.insert(1, ("name", "Name"))
    for row in table.rows:
        row["name"] = names.get(row["value"], row["value"])
    series.columns = [series.columns[0], *[(k, names.get(k, k)) for k, _ in series.columns[1:]]]
    return Split(dimension, metric, "", unit_of(metric), table, series, _empty_chart())


def _empty_chart() -> Chart:
    return line_chart(chart_id="chart-split", title="", x=[], series=[])


def _labelled(split: Split) -> Split:
    metric_label = _label(SPLIT_METRICS, split.metric)
    title = gettext("%(metric)s by %(split)s") % {
        "metric": metric_label,
        "split": _label(SPLITS, split.dimension).lower(),
    }
    table = Table(split.table.name, title, list(split.table.columns), split.table.rows)
    table.columns[0] = ("value", _label(SPLITS, split.dimension))
    table.columns[2:] = [
        ("current", metric_label),
        ("previous", gettext("Previous period")),
        ("change", gettext("Change")),
        ("share", gettext("Share")),
    ]
    series = Table(
        split.series.name,
        gettext("%(title)s, per day") % {"title": title},
        [("day", gettext("Day")), *split.series.columns[1:]],
        split.series.rows,
    )
    top = [row["value"] for row in table.rows[:4]]
    labels = dict(split.series.columns[1:])

    def points(value: str) -> list[float | None]:
        column = series.column(value)
        if split.unit == "money":  # the axis in yuan, not fen
            currency = settings.KF_DEFAULT_CURRENCY
            return [float(minor_to_decimal(round(v or 0), currency)) for v in column]
        if split.unit == "percent":
            return [None if v is None else v * 100 for v in column]
        return column

    chart = line_chart(
        chart_id="chart-split",
        title=gettext("%(title)s, daily (largest four)") % {"title": title},
        x=series.column("day"),
        series=[(labels.get(v, v), points(v)) for v in top],
    )
    cards = []
    for row in table.rows[:CARDS_SHOWN]:
        change = row["change"]
        cards.append(
            {
                "label": str(row["name"]),
                "value": reports.display(table, row, "current", split.unit),
                "previous": reports.display(table, row, "previous", split.unit),
                "share": "" if row["share"] is None else f"{row['share'] * 100:.1f}%",
                "change": gettext("no change data")
                if change is None
                else f"{'▲' if change >= 0 else '▼'} {abs(change) * 100:.1f}%",
                "css": "" if change is None else ("kf-up" if change >= 0 else "kf-down"),
            }
        )
    return Split(split.dimension, split.metric, title, split.unit, table, series, chart, cards)


@dataclass
class Retention:
    start_event: str
    return_event: str
    grain: str
    first: date
    last: date
    table: Table
    chart: Chart
    average: list[float | None]


def retention_report(*, start_event: str, return_event: str, grain: str, today: date) -> Retention:
    """Cohorts of the start event over the default (mature) range, with curves; cached."""
    first, last = a.event_retention_default_range(grain, today)
    key = (
        f"kf-dash-ret:v1:{start_event}:{return_event}:{grain}:{first}:{last}:{today}:"
        f"{a.rollups_version()}"
    )
    table = cache.get(key)
    if table is None:
        table = a.event_retention_table(
            start_event=start_event,
            return_event=return_event,
            grain=grain,
            first=first,
            last=last,
            today=today,
        )
        cache.set(key, table, reports.REPORT_CACHE_SECONDS)
    periods = [k for k, _ in table.columns if reports.is_period_key(k)]
    start_label, return_label = (
        _label(EVENT_CHOICES, start_event),
        _label(EVENT_CHOICES, return_event),
    )
    average = [_weighted(table, k) for k in periods]
    grain_label = _label(RETENTION_GRAINS, grain)
    x = [f"{grain_label} {k[1:]}" for k in periods]
    table = Table(
        table.name,
        gettext("%(start)s → %(back)s, by %(grain)s cohort")
        % {"start": start_label, "back": return_label, "grain": grain_label.lower()},
        [*table.columns[:2], *[(k, f"{grain_label} {k[1:]}") for k in periods]],
        table.rows,
    )
    # the latest cohorts whose first return period has ended, so each curve has points
    recent = [row for row in table.rows if row.get("p1") is not None][-CURVE_COHORTS:]
    chart = line_chart(
        chart_id="chart-event-retention",
        title=gettext("Retention curves: %(start)s → %(back)s, by %(grain)s cohort")
        % {
            "start": start_label,
            "back": return_label,
            "grain": grain_label.lower(),
        },
        x=x,
        series=[
            (gettext("Average"), [None if v is None else v * 100 for v in average]),
            *[
                (
                    str(row["cohort"]),
                    [None if row.get(k) is None else row[k] * 100 for k in periods],
                )
                for row in reversed(recent)
            ],
        ],
    )
    return Retention(start_event, return_event, grain, first, last, table, chart, average)


def _weighted(table: Table, key: str) -> float | None:
    """The period's share over cohorts whose cell has matured, weighted by cohort size."""
    cells = [(row[key], row["size"]) for row in table.rows if row.get(key) is not None]
    size = sum(n for _, n in cells)
    return sum(v * n for v, n in cells) / size if size else None


AB_COLUMNS = [
    gettext_lazy("Metric"),
    gettext_lazy("Control rate"),
    gettext_lazy("Treatment rate (95% CI)"),
    gettext_lazy("Lift (95% CI)"),
    gettext_lazy("p-value (fixed horizon)"),
    gettext_lazy("Always-valid p-value"),
    gettext_lazy("Sample size needed per variant"),
    gettext_lazy("Verdict"),
]


def export_table(name: str, data: dict[str, Any], today: date) -> tuple[Table, str] | None:
    """One CSV-exportable table of these sections with its file-name stem (None: not ours)."""
    if name == "event_retention":
        retention = retention_report(
            start_event=data["r_start"],
            return_event=data["r_return"],
            grain=data["r_grain"],
            today=today,
        )
        return retention.table, f"event_retention-{retention.grain}"
    if name in ("breakdown", "breakdown_series") and data.get("split"):
        split = split_report(
            dimension=data["split"], metric=data["metric"], first=data["first"], last=data["last"]
        )
        table = split.table if name == "breakdown" else split.series
        return table, f"{name}-{split.dimension}-{split.metric}"
    return None
