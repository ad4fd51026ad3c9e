"""Dashboard reports: analytics tables plus titles, and the charts drawn from them.

Analytics stores ids only; this top-layer module adds video, course and
creator names (one query per kind) so the page and its CSV read well.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_lazy

from accounts.selectors import creator_public_names
from analytics import selectors as a
from analytics.selectors import MAX_RANGE_DAYS, Table, local_today
from common.money import format_money, minor_to_decimal
from courses.selectors import titles_for_ids

from .charts import Chart, Previous, bar_chart, line_chart

# Before the platform existed; bounds the dates a URL can ask for, so date
# arithmetic on them (a day before, a day after) cannot leave the calendar.
EARLIEST_DAY = date(2020, 1, 1)


class RangeForm(forms.Form):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD&grain=day|week, local dates; default last 30 days."""

    from_ = forms.DateField(required=False, label=gettext_lazy("From"))
    to = forms.DateField(required=False, label=gettext_lazy("To"))
    grain = forms.ChoiceField(
        choices=[("day", gettext_lazy("Day")), ("week", gettext_lazy("ISO week"))],
        required=False,
        initial="day",
    )

    def __init__(self, data: Any, *, today: date) -> None:
        data = data.copy()
        if "from" in data:
            data["from_"] = data["from"]
        super().__init__(data)
        self.today = today

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        earliest, latest = EARLIEST_DAY, self.today + timedelta(days=366)
        for name in ("from_", "to"):
            chosen = cleaned.get(name)
            if chosen is not None and not earliest <= chosen <= latest:
                raise forms.ValidationError(
                    gettext("Choose dates between %(earliest)s and %(latest)s.")
                    % {"earliest": earliest.isoformat(), "latest": latest.isoformat()}
                )
        last = cleaned.get("to") or a.last_complete_day(self.today)
        first = cleaned.get("from_") or last - timedelta(days=29)
        if first > last:
            raise forms.ValidationError(gettext("'From' must be on or before 'To'."))
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise forms.ValidationError(
                gettext("Choose at most %(days)s days.") % {"days": MAX_RANGE_DAYS}
            )
        cleaned.update(first=first, last=last, grain=cleaned.get("grain") or "day")
        return cleaned


@dataclass
class Report:
    first: date
    last: date
    grain: str
    today: date
    tables: dict[str, Table]
    charts: list[tuple[Chart, Table]]
    headline: dict[int, float | None]
    satisfaction_chart: Chart | None = field(default=None)


def _with_titles(table: Table, key: str, titles: dict[int, str]) -> Table:
    table.columns.insert(1, ("title", gettext_lazy("Title")))
    for row in table.rows:
        row["title"] = titles.get(row[key], gettext("#%(id)s (deleted)") % {"id": row[key]})
    return table


REPORT_CACHE_SECONDS = 600


def platform_report(*, first: date, last: date, grain: str, today: date) -> Report:
    """Everything the staff dashboard shows, cached until the rollups change."""
    # The charts are rendered SVG with their words in them: one cached report per language.
    key = f"kf-dash:v3:{get_language()}:{first}:{last}:{grain}:{today}:{a.rollups_version()}"
    report = cache.get(key)
    if report is None:
        report = _platform_report(first=first, last=last, grain=grain, today=today)
        cache.set(key, report, REPORT_CACHE_SECONDS)
    return report


def _platform_report(*, first: date, last: date, grain: str, today: date) -> Report:
    """Everything the staff dashboard shows, read from rollups."""
    daily = a.daily_metrics_table(first=first, last=last, grain=grain)
    before_first, before_last = a.previous_period(first, last)
    previous_daily = a.daily_metrics_table(first=before_first, last=before_last, grain=grain)
    videos = a.top_videos_table(first=first, last=last)
    courses = a.top_courses_table(first=first, last=last)
    creators = a.top_creators_table(first=first, last=last)
    tables = {
        "kpis": a.kpi_table(first=first, last=last, today=today),
        "daily": daily,
        "funnel": a.funnel_table(first=first, last=last, today=today),
        "retention": a.retention_table(first=first, last=last, today=today),
        "rolling_retention": a.rolling_retention_table(first=first, last=last),
        "ltv": a.ltv_table(first=first, last=last, today=today),
        "videos": _with_titles(
            videos, "video_id", titles_for_ids(video_ids=videos.column("video_id")).videos
        ),
        "courses": _with_titles(
            courses, "course_id", titles_for_ids(course_ids=courses.column("course_id")).courses
        ),
        "creators": _with_titles(
            creators, "creator_id", creator_public_names(user_ids=creators.column("creator_id"))
        ),
        "recommender": a.recommender_ctr_table(first=first, last=last),
        **_satisfaction_tables(first=first, last=last, today=today, creator_id=None),
    }
    satisfaction_creators = a.satisfaction_by_creator_table(first=first, last=last, today=today)
    tables["satisfaction_creators"] = _with_titles(
        satisfaction_creators,
        "creator_id",
        creator_public_names(user_ids=satisfaction_creators.column("creator_id")),
    )
    return Report(
        first=first,
        last=last,
        grain=grain,
        today=today,
        tables=tables,
        charts=_charts(tables, daily, previous_daily),
        headline=a.retention_headline(tables["retention"]),
        satisfaction_chart=_ratings_chart(tables["rating_distribution"]),
    )


def _satisfaction_tables(
    *, first: date, last: date, today: date, creator_id: int | None
) -> dict[str, Table]:
    """The Satisfaction section's tables, platform-wide or for one creator."""
    stars, scores = a.satisfaction_distribution_tables(
        first=first, last=last, creator_id=creator_id
    )
    courses = a.satisfaction_by_course_table(
        first=first, last=last, today=today, creator_id=creator_id
    )
    return {
        "satisfaction": a.satisfaction_summary_table(
            first=first, last=last, today=today, creator_id=creator_id
        ),
        "rating_distribution": stars,
        "score_distribution": scores,
        "satisfaction_daily": a.satisfaction_daily_table(
            first=first, last=last, today=today, creator_id=creator_id
        ),
        "satisfaction_courses": _with_titles(
            courses, "course_id", titles_for_ids(course_ids=courses.column("course_id")).courses
        ),
    }


def _ratings_chart(stars: Table) -> Chart:
    return bar_chart(
        chart_id="chart-ratings",
        title=gettext("Ratings by stars"),
        labels=[gettext("%(n)s stars") % {"n": n} for n in stars.column("stars")],
        values=stars.column("ratings"),
    )


def creator_report(*, creator_id: int, first: date, last: date, today: date) -> Report:
    """The same numbers scoped to one creator's own videos and courses."""
    daily = a.creator_daily_table(creator_id=creator_id, first=first, last=last)
    before_first, before_last = a.previous_period(first, last)
    previous_daily = a.creator_daily_table(
        creator_id=creator_id, first=before_first, last=before_last
    )
    videos = a.top_videos_table(first=first, last=last, creator_id=creator_id)
    courses = a.top_courses_table(first=first, last=last, creator_id=creator_id)
    tables = {
        "kpis": a.creator_kpi_table(creator_id=creator_id, first=first, last=last),
        "daily": daily,
        "funnel": a.funnel_table(first=first, last=last, today=today, creator_id=creator_id),
        "videos": _with_titles(
            videos, "video_id", titles_for_ids(video_ids=videos.column("video_id")).videos
        ),
        "courses": _with_titles(
            courses, "course_id", titles_for_ids(course_ids=courses.column("course_id")).courses
        ),
        **_satisfaction_tables(first=first, last=last, today=today, creator_id=creator_id),
    }
    plays = _daily_chart(
        daily,
        previous_daily,
        chart_id="chart-creator-plays",
        title=gettext("Plays per day"),
        series=[(gettext("Plays"), "plays"), (gettext("Viewers"), "viewers")],
    )
    charts = [(plays, daily), (_funnel_chart(tables["funnel"]), tables["funnel"])]
    return Report(
        first, last, "day", today, tables, charts, {}, _ratings_chart(tables["rating_distribution"])
    )


def _previous(daily: Table, previous_daily: Table, columns: list[list[Any]]) -> Previous:
    """The previous period's columns, aligned by position with the current periods.

    A week grain can give the two ranges a different number of ISO weeks:
    extra previous periods are dropped, missing ones are gaps.
    """
    n = len(daily.rows)

    def fit(values: list[Any]) -> list[Any]:
        return (list(values) + [None] * n)[:n]

    return Previous(x=fit(previous_daily.column("period")), series=[fit(c) for c in columns])


def _daily_chart(
    daily: Table,
    previous_daily: Table,
    *,
    chart_id: str,
    title: str,
    series: list[tuple[str, str]],
) -> Chart:
    """One line per (label, column) of a daily table, over its periods."""
    lines = [(label, daily.column(column)) for label, column in series]
    before = _previous(daily, previous_daily, [previous_daily.column(c) for _, c in series])
    return line_chart(
        chart_id=chart_id, title=title, x=daily.column("period"), series=lines, previous=before
    )


def _funnel_chart(funnel: Table) -> Chart:
    steps = funnel.rows[:5]
    return bar_chart(
        chart_id="chart-funnel",
        title=gettext("Funnel: subjects reaching each step"),
        labels=[str(r["step"]) for r in steps],
        values=[r["subjects"] for r in steps],
    )


def _charts(
    tables: dict[str, Table], daily: Table, previous_daily: Table
) -> list[tuple[Chart, Table]]:
    x = daily.column("period")
    active = _daily_chart(
        daily,
        previous_daily,
        chart_id="chart-active",
        title=gettext("Active users"),
        series=[(gettext("DAU"), "dau"), (gettext("WAU"), "wau"), (gettext("MAU"), "mau")],
    )
    currency = settings.KF_DEFAULT_CURRENCY

    def units(key: str, table: Table = daily) -> list[float]:  # the axis in yuan, not fen
        return [float(minor_to_decimal(v or 0, currency)) for v in table.column(key)]

    money_keys = ("gmv_minor", "net_minor", "refunds_minor")
    money = line_chart(
        chart_id="chart-revenue",
        title=gettext("GMV, refunds and net revenue (%(currency)s)") % {"currency": currency},
        x=x,
        series=[
            (gettext("GMV"), units("gmv_minor")),
            (gettext("Net"), units("net_minor")),
            (gettext("Refunds"), units("refunds_minor")),
        ],
        previous=_previous(daily, previous_daily, [units(k, previous_daily) for k in money_keys]),
    )
    watch = _daily_chart(
        daily,
        previous_daily,
        chart_id="chart-watch",
        title=gettext("Plays and engaged views"),
        series=[(gettext("Plays"), "plays"), (gettext("Engaged"), "engaged_views")],
    )
    videos = tables["videos"]
    top = bar_chart(
        chart_id="chart-top-videos",
        title=gettext("Top videos by plays"),
        labels=[str(t)[:28] for t in videos.column("title")],
        values=videos.column("plays"),
    )
    ctr = tables["recommender"]
    rec = bar_chart(
        chart_id="chart-ctr",
        title=gettext("CTR per model version"),
        labels=[str(v) for v in ctr.column("model_version")],
        values=ctr.column("ctr"),
    )
    return [
        (active, daily),
        (money, daily),
        (watch, daily),
        (_funnel_chart(tables["funnel"]), tables["funnel"]),
        (top, videos),
        (rec, ctr),
    ]


def default_today() -> date:
    return local_today()


# --- CSV -------------------------------------------------------------------------------

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    text = str(value)
    if isinstance(value, str) and text.startswith(_DANGEROUS):
        return "'" + text  # OWASP CSV injection
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(table: Table) -> Iterator[str]:
    """UTF-8 with BOM, header row, empty cell for null plus an ``in_progress`` column."""
    writer = csv.writer(_Echo())
    keys = [k for k, _ in table.columns]
    yield "\ufeff" + writer.writerow([*keys, "in_progress"])
    for row in table.rows:
        cells = [row.get(k) for k in keys]
        in_progress = row_in_progress(table, row)
        yield writer.writerow([_cell(c) for c in cells] + ["1" if in_progress else "0"])


def csv_filename(name: str, first: date, last: date) -> str:
    tz = settings.KF_REPORT_TZ.replace("/", "-")
    return f"kf-{name}-{first.isoformat()}_{last.isoformat()}-{tz}-v1.csv"


# --- HTML tables ---------------------------------------------------------------------

_PERCENT_KEYS = ("rate", "ratio", "stickiness", "ctr", "change", "page_to_buyer", "share")
# tables of (metric, value, previous, change) rows: a row's ``key`` says its unit
_KEYED_TABLES = ("kpis", "satisfaction")
_IN_PROGRESS_TABLES = {"retention", "rolling_retention", "ltv", "funnel", "kpis", "event_retention"}


def row_in_progress(table: Table, row: dict[str, Any]) -> bool:
    """Whether a row's figures can still change: its own ``in_progress`` flag when it
    has one, else an empty cell of a table whose empty cells mean "window still open".

    An empty cell elsewhere (a ratio over zero, a step with no previous step) is
    final, not in progress.
    """
    if "in_progress" in row:
        return bool(row["in_progress"])
    if table.name not in _IN_PROGRESS_TABLES:
        return False
    not_applicable = row.get("not_applicable", ())
    return any(row.get(k) is None for k, _ in table.columns[1:] if k not in not_applicable)


def is_period_key(key: str) -> bool:
    """Retention columns: ``d1``, ``d30`` (signup cohorts) or ``p0``, ``p8`` (event cohorts)."""
    return key[:1] in ("d", "p") and key[1:].isdigit()


def _is_percent(table: Table, row: dict[str, Any], key: str) -> bool:
    if table.name in ("retention", "rolling_retention", "event_retention") and is_period_key(key):
        return True
    if table.name in _KEYED_TABLES and key in ("value", "previous"):
        return str(row.get("key", "")).endswith(_PERCENT_KEYS)
    return key.endswith(_PERCENT_KEYS)


def _is_money(table: Table, row: dict[str, Any], key: str) -> bool:
    """Amounts are stored in minor units (fen): ``*_minor`` keys and the LTV columns."""
    if table.name in _KEYED_TABLES and key in ("value", "previous"):
        return str(row.get("key", "")).endswith("_minor")
    return key.endswith("_minor") or (table.name == "ltv" and key.startswith("ltv"))


def display(table: Table, row: dict[str, Any], key: str, unit: str | None = None) -> str:
    """One cell as text: money, percentages, thousands separators, 'in progress' for nulls.

    ``unit`` ("money" in minor units, "percent" or "count") applies to a table whose
    columns do not say it themselves (a breakdown of one metric); ``change``
    and ``share`` stay percentages.
    """
    value = row.get(key)
    if value is None:
        if key in row.get("not_applicable", ()) or not row_in_progress(table, row):
            return "—"
        return gettext("in progress")
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if unit and isinstance(value, int | float) and key not in ("change", "share"):
        if unit == "count":
            return f"{round(value):,}"
        return money_display(value) if unit == "money" else f"{value * 100:.1f}%"
    if isinstance(value, int | float) and _is_money(table, row, key):
        return money_display(value)
    if isinstance(value, int | float) and _is_percent(table, row, key):
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table_html(table: Table, *, heatmap: bool = False, unit: str | None = None) -> SafeString:
    """An accessible data table: caption, column and row headers."""
    head = "".join(format_html('<th scope="col">{}</th>', label) for _, label in table.columns)
    body: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        for i, (key, _) in enumerate(table.columns):
            text = display(table, row, key, unit)
            if i == 0:
                cells.append(format_html('<th scope="row">{}</th>', text))
                continue
            style = ""
            value = row.get(key)
            if heatmap and isinstance(value, float) and is_period_key(key):
                style = f' style="background: rgba(31, 95, 168, {min(value, 1) * 0.85:.2f});'
                style += f' color: {"#fff" if value > 0.5 else "#111"}"'
            elif value is None:
                style = ' class="kf-null"'
            cells.append(f"<td{style}>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return mark_safe(
        # tabindex: a table wider than the screen scrolls in its own box, reachable by keyboard
        f'<table class="kf-table" id="table-{escape(table.name)}" tabindex="0">'
        f"<caption>{escape(table.caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def money_display(amount_minor: float) -> str:
    """Minor units (fen) as the page's language shows money: ``¥1,234.50`` / ``1,234.50 元``."""
    currency = settings.KF_DEFAULT_CURRENCY
    return _money_text(round(amount_minor), currency, get_language() or "en")


@lru_cache(maxsize=8192)
def _money_text(amount_minor: int, currency: str, language: str) -> str:
    # A split's data table by creator or course over 90 days has ~20k money cells, mostly
    # repeating amounts; formatting each anew cost about a second of a cold page.
    return format_money(amount_minor, currency, language=language)


def today_so_far(today: date) -> dict[str, Any]:
    """Today's purchases and GMV from today's rollup (beat refreshes it every few minutes)."""
    row = a.daily_metrics_table(first=today, last=today).rows[0]
    return {"purchases": row["purchases"], "gmv": money_display(row["gmv_minor"])}


PRESET_DAYS = (7, 30, 90)


def platform_reports_warm(*, today: date) -> int:
    """Build the preset ranges' reports ahead of the first visitor; returns how many.

    The cache key carries the rollups' version, so every rollup run makes the
    next dashboard load cold (0.8 s for 30 days, 5.5 s for 90 on a 10M-event
    bench); beat calls this right after the rollups instead, in every language.
    """
    last = a.last_complete_day(today)
    for language, _name in settings.LANGUAGES:  # one cached report per language
        with translation.override(language):
            for days in PRESET_DAYS:
                first = last - timedelta(days=days - 1)
                platform_report(first=first, last=last, grain="day", today=today)
    return len(PRESET_DAYS) * len(settings.LANGUAGES)
