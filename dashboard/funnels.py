"""The staff dashboard's funnel builder: steps, window and scope chosen on the page.

Its controls join the page's date form (``form="kf-filters"``), under their
own ``f_`` names, so the range above bounds the funnel's entry. Reads
``analytics.selectors.custom_funnel`` (the first-of-day rollup, one query),
cached until the rollups change; names the course or creator filter in one
query. Drop-off lists show pseudonyms only, linked to the event admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.core.cache import cache
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext

from accounts.selectors import creator_public_names
from analytics import selectors as a
from analytics.selectors import Table
from courses.selectors import titles_for_ids

from . import reports
from .charts import Chart, bar_chart

EVENT_CHOICES = list(a.EventType.choices)
UNITS = [("hours", gettext_lazy("hours")), ("days", gettext_lazy("days"))]
UNIT_SECONDS = {"hours": 3600, "days": 86400}
DEFAULT_STEPS = [
    a.EventType.PLAY.value,
    a.EventType.COURSE_VIEW.value,
    a.EventType.CHECKOUT.value,
    a.EventType.PURCHASE.value,
]
STEP_FIELDS = [f"f_step{j}" for j in range(1, a.MAX_STEPS + 1)]


def bucket_labels() -> list[str]:
    """'Under 1 min', '1–10 min', …, '7 days or more' for ``CONVERT_BUCKETS``."""
    return [
        gettext("under 1 min"),
        gettext("1–10 min"),
        gettext("10–60 min"),
        gettext("1–6 h"),
        gettext("6–24 h"),
        gettext("1–3 days"),
        gettext("3–7 days"),
        gettext("7 days or more"),
    ]


class FunnelForm(forms.Form):
    """?f_step1..f_step5=<event>&f_window=<n>&f_unit=hours|days&f_course=&f_creator=&f_drop=."""

    f_window = forms.IntegerField(
        min_value=1, max_value=720, initial=7, label=gettext_lazy("Window")
    )
    f_unit = forms.ChoiceField(choices=UNITS, initial="days", label=gettext_lazy("Window unit"))
    f_course = forms.IntegerField(min_value=1, required=False, label=gettext_lazy("Course id"))
    f_creator = forms.IntegerField(min_value=1, required=False, label=gettext_lazy("Creator id"))
    f_drop = forms.IntegerField(
        min_value=2, max_value=a.MAX_STEPS, required=False, label=gettext_lazy("Drop-offs at step")
    )

    def __init__(self, data: QueryDict, *, first: date, last: date) -> None:
        super().__init__(data)
        self.first, self.last = first, last
        for j, name in enumerate(STEP_FIELDS, start=1):
            self.fields[name] = forms.ChoiceField(
                choices=[("", gettext_lazy("(none)")), *EVENT_CHOICES],
                required=False,
                label=gettext_lazy("Step %(n)s") % {"n": j},
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        steps = [cleaned[name] for name in STEP_FIELDS if cleaned.get(name)]
        if len(steps) < a.MIN_STEPS:
            raise forms.ValidationError(gettext("Pick at least two steps."))
        seconds = cleaned["f_window"] * UNIT_SECONDS[cleaned["f_unit"]]
        if not a.MIN_WINDOW_SECONDS <= seconds <= a.MAX_WINDOW_SECONDS:
            raise forms.ValidationError(gettext("The window lasts from 1 hour to 30 days."))
        course, creator = cleaned.get("f_course"), cleaned.get("f_creator")
        if course and creator:
            raise forms.ValidationError(gettext("Filter by a course or by a creator, not both."))
        drop = cleaned.get("f_drop")
        if drop is not None and drop > len(steps):
            raise forms.ValidationError(gettext("Drop-offs: pick a step of the funnel."))
        cleaned["scope_name"] = _scope_name(course, creator)
        if (course or creator) and cleaned["scope_name"] is None:
            raise forms.ValidationError(gettext("No course or creator has that id."))
        try:
            cleaned["query"] = a.funnel_query(
                steps=steps,
                window_seconds=seconds,
                first=self.first,
                last=self.last,
                course_id=course,
                creator_id=creator,
            )
        except ValueError as error:  # the range: already reported by the page's own form
            raise forms.ValidationError(str(error)) from error
        return cleaned


def _scope_name(course: int | None, creator: int | None) -> str | None:
    """The filter's course title or creator name ('' for no filter, None for an unknown id)."""
    if course:
        return titles_for_ids(course_ids=[course]).courses.get(course)
    if creator:
        return creator_public_names(user_ids=[creator]).get(creator)
    return ""


@dataclass
class FunnelSection:
    form: FunnelForm
    steps: Table | None = None
    to_convert: Table | None = None
    chart: Chart | None = None
    convert_chart: Chart | None = None
    drop_step: int | None = None
    drop_offs: list[tuple[str, str]] | None = None

    @property
    def asked(self) -> bool:
        return bool(self.form.data.get("f_step1"))

    def step_controls(self) -> list[tuple[str, int, str]]:
        """(field name, step number, chosen event) per step select; defaults before a submit."""
        chosen = (
            [self.form.data.get(name, "") for name in STEP_FIELDS]
            if self.asked
            else DEFAULT_STEPS + [""] * (len(STEP_FIELDS) - len(DEFAULT_STEPS))
        )
        return [(name, j, chosen[j - 1]) for j, name in enumerate(STEP_FIELDS, start=1)]

    def value(self, name: str) -> str:
        """A control's submitted value, or its initial one."""
        if self.asked:
            return str(self.form.data.get(name, ""))
        initial = self.form.fields[name].initial
        return "" if initial is None else str(initial)


def funnel_section(data: QueryDict, *, first: date, last: date, today: date) -> FunnelSection:
    """The builder's form, and the funnel once one is asked for (``f_step1`` given)."""
    form = FunnelForm(data, first=first, last=last)
    if not data.get("f_step1") or not form.is_valid():
        return FunnelSection(form)
    query: a.FunnelQuery = form.cleaned_data["query"]
    funnel = _funnel(query, today)
    section = FunnelSection(form, *_tables(funnel, form.cleaned_data["scope_name"]))
    section.chart, section.convert_chart = _charts(section)
    drop = form.cleaned_data.get("f_drop")
    if drop:
        changelist = reverse("admin:analytics_event_changelist")
        section.drop_step = drop
        section.drop_offs = [
            (subject, f"{changelist}?q={subject}")
            for subject in a.custom_funnel_drop_offs(query=query, step=drop)
        ]
    return section


def _funnel(query: a.FunnelQuery, today: date) -> a.CustomFunnel:
    scope = f"{query.course_id or ''}:{query.creator_id or ''}"
    key = (
        f"kf-dash-funnel:v1:{','.join(query.steps)}:{query.window_seconds}:{query.first}:"
        f"{query.last}:{scope}:{today}:{a.rollups_version()}"
    )
    found = cache.get(key)
    if found is None:
        found = a.custom_funnel(query=query, today=today)
        cache.set(key, found, reports.REPORT_CACHE_SECONDS)
    return found


def _event_label(event: str) -> str:
    return str(dict(EVENT_CHOICES).get(event, event))


def _tables(funnel: a.CustomFunnel, scope_name: str) -> tuple[Table, Table]:
    query = funnel.query
    hours = query.window_seconds // 3600
    window = (
        ngettext("%(n)s day", "%(n)s days", hours // 24) % {"n": hours // 24}
        if hours % 24 == 0
        else ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    )
    caption = gettext("Custom funnel within %(window)s of step 1") % {"window": window}
    if scope_name:
        caption += " · " + scope_name
    if not funnel.closed:
        caption += " " + gettext("(in progress: windows still open)")
    steps = Table(
        "funnel_custom",
        caption,
        [
            ("step", gettext("Step")),
            ("event", gettext("Event")),
            ("subjects", gettext("Subjects")),
            ("step_rate", gettext("From previous step")),
            ("overall_rate", gettext("From step 1")),
        ],
    )
    first_count = funnel.steps[0].subjects
    for j, step in enumerate(funnel.steps, start=1):
        previous = funnel.steps[j - 2].subjects if j > 1 else None
        steps.rows.append(
            {
                "step": j,
                "event": _event_label(step.event),
                "subjects": step.subjects,
                "step_rate": step.subjects / previous if previous else None,
                "overall_rate": step.subjects / first_count if first_count else None,
                "not_applicable": ("step_rate",) if j == 1 else (),
                "in_progress": not funnel.closed,
            }
        )
    columns: list[tuple[str, Any]] = [("bucket", gettext("Time to convert"))]
    to_convert = Table(
        "funnel_convert",
        gettext("Time from step 1 to each step (subjects reaching it)"),
        columns
        + [
            (f"s{j}", gettext("Step %(n)s: %(event)s") % {"n": j, "event": _event_label(s.event)})
            for j, s in enumerate(funnel.steps[1:], start=2)
        ],
    )
    for i, label in enumerate(bucket_labels()):
        row: dict[str, Any] = {"bucket": label}
        for j, step in enumerate(funnel.steps[1:], start=2):
            row[f"s{j}"] = step.to_convert[i]
        to_convert.rows.append(row)
    return steps, to_convert


def _charts(section: FunnelSection) -> tuple[Chart, Chart]:
    assert section.steps is not None
    assert section.to_convert is not None
    rows = section.steps.rows
    steps_chart = bar_chart(
        chart_id="chart-funnel-custom",
        title=gettext("Custom funnel: subjects reaching each step"),
        labels=[f"{r['step']}. {r['event']}" for r in rows],
        values=[r["subjects"] for r in rows],
    )
    last = section.to_convert.columns[-1][0]
    convert_chart = bar_chart(
        chart_id="chart-funnel-convert",
        title=gettext("Time from step 1 to the last step"),
        labels=section.to_convert.column("bucket"),
        values=section.to_convert.column(last),
    )
    return steps_chart, convert_chart


def export_table(
    name: str, data: QueryDict, *, first: date, last: date, today: date
) -> tuple[Table, str] | None:
    """The funnel's steps or time-to-convert table with its file-name stem (None: not ours).

    Raises ``forms.ValidationError`` when the funnel asked for is invalid.
    """
    if name not in ("funnel_custom", "funnel_convert"):
        return None
    section = funnel_section(data, first=first, last=last, today=today)
    if section.steps is None or section.to_convert is None:
        raise forms.ValidationError(
            [str(e) for e in section.form.non_field_errors()]
            or [
                f"{section.form[f].label}: {e}"
                for f in section.form.errors
                for e in section.form.errors[f]
            ]
            or [gettext("Pick at least two steps.")]
        )
    return (section.steps if name == "funnel_custom" else section.to_convert), name


def page_context(section: FunnelSection) -> dict[str, Any]:
    """What ``dashboard/_funnel_builder.html`` reads besides the section itself."""
    return {
        "funnel": section,
        "funnel_events": EVENT_CHOICES,
        "funnel_units": UNITS,
        "funnel_values": {
            name: section.value(name)
            for name in ("f_window", "f_unit", "f_course", "f_creator", "f_drop")
        },
        "funnel_html": {
            "steps": reports.table_html(section.steps),
            "to_convert": reports.table_html(section.to_convert),
        }
        if section.steps is not None and section.to_convert is not None
        else None,
    }
