"""The staff analytics dashboard and the creator analytics page (read rollups only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext

from accounts.selectors import user_is_creator
from analytics.selectors import event_retention_default_range as a_range
from analytics.selectors import rollups_as_of
from recommendations.selectors import (
    experiment_report_latest,
    model_version_active,
    report_rows,
    report_statistics,
)

from . import funnels, insights, reports

PERMISSION = "analytics.view_dashboard"


def _staff_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "admin:login")
        if not (request.user.is_staff and request.user.has_perm(PERMISSION)):
            raise PermissionDenied("The analytics dashboard is for staff with access.")
        return view(request, *args, **kwargs)

    return wrapped


def _creator_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_is_creator(user_id=request.user.pk):
            raise PermissionDenied("Creator analytics are for creators.")
        return view(request, *args, **kwargs)

    return wrapped


def _range(request: HttpRequest) -> tuple[reports.RangeForm, dict[str, Any] | None]:
    form = reports.RangeForm(request.GET, today=reports.default_today())
    return form, (form.cleaned_data if form.is_valid() else None)


def active_model() -> Any:
    """The recommender's active model version (None before the first training)."""
    return model_version_active()


def _page_context(report: reports.Report, export_base: str) -> dict[str, Any]:
    """Cards, pre-rendered tables and chart sections shared by both pages."""
    html = {
        name: reports.table_html(table, heatmap=name == "retention")
        for name, table in report.tables.items()
    }
    names = {id(table): name for name, table in report.tables.items()}
    kpis = report.tables["kpis"]
    cards = []
    for row in kpis.rows:
        change = row["change"]
        cards.append(
            {
                "label": row["metric"],
                "value": reports.display(kpis, row, "value"),
                "previous": reports.display(kpis, row, "previous"),
                "change": gettext("no change data")
                if change is None
                else f"{'▲' if change >= 0 else '▼'} {abs(change) * 100:.1f}%",
                "css": "" if change is None else ("kf-up" if change >= 0 else "kf-down"),
            }
        )
    retention = report.tables.get("retention")
    mature = [r for r in retention.rows if r["d1"] is not None] if retention else []
    return {
        "report": report,
        "cards": cards,
        "html": html,
        "sections": [
            {"chart": chart, "table": html[names[id(table)]], "name": names[id(table)]}
            for chart, table in report.charts
        ],
        "headline": {
            n: gettext("in progress") if v is None else f"{v * 100:.1f}%"
            for n, v in report.headline.items()
        },
        "retention_label": gettext(
            "Retention heatmap: %(cohorts)s signup cohorts, %(mature)s with day 1 reached; "
            "the table cells give each value."
        )
        % {"cohorts": len(retention.rows) if retention else 0, "mature": len(mature)},
        "export_base": export_base,
        "satisfaction_cards": _satisfaction_cards(report),
    }


SATISFACTION_CARDS = ("average_rating", "high_share", "nps", "response_rate")


def _satisfaction_cards(report: reports.Report) -> list[dict[str, str]]:
    """The Satisfaction section's headline cards, from its summary table."""
    summary = report.tables.get("satisfaction")
    if summary is None:
        return []
    return [
        {
            "key": row["key"],
            "label": str(row["metric"]),
            "value": reports.display(summary, row, "value"),
            "previous": reports.display(summary, row, "previous"),
        }
        for row in summary.rows
        if row["key"] in SATISFACTION_CARDS
    ]


def _presets(today_: date) -> list[tuple[str, str]]:
    last = today_ - timedelta(days=1)
    return [
        (
            gettext("last %(n)s days") % {"n": n},
            f"from={(last - timedelta(days=n - 1)).isoformat()}&to={last}",
        )
        for n in (7, 30, 90)
    ]


def _options(request: HttpRequest) -> tuple[insights.DashboardForm, dict[str, Any] | None]:
    form = insights.DashboardForm(request.GET, today=reports.default_today())
    return form, (form.cleaned_data if form.is_valid() else None)


def _insights_context(period: dict[str, Any], today: date) -> dict[str, Any]:
    """The split, the event retention and their controls' choices."""
    split = None
    if period["split"]:
        split = insights.split_report(
            dimension=period["split"],
            metric=period["metric"],
            first=period["first"],
            last=period["last"],
        )
    retention = insights.retention_report(
        start_event=period["r_start"],
        return_event=period["r_return"],
        grain=period["r_grain"],
        today=today,
    )
    return {
        "options": period,
        "split": split,
        "split_html": {
            "table": reports.table_html(split.table, unit=split.unit),
            "series": reports.table_html(split.series, unit=split.unit),
        }
        if split
        else None,
        "event_retention": retention,
        "event_retention_html": reports.table_html(retention.table, heatmap=True),
        "event_retention_average": [
            "in progress" if v is None else f"{v * 100:.1f}%" for v in retention.average
        ],
        "choices": {
            "split": insights.SPLITS,
            "metric": insights.SPLIT_METRICS,
            "event": insights.EVENT_CHOICES,
            "grain": insights.RETENTION_GRAINS,
        },
    }


def _range_context(form: reports.RangeForm) -> dict[str, Any]:
    """What both dashboards show above their reports: the range form, its presets and
    how fresh the rollups are, in the reporting time zone."""
    return {
        "form": form,
        "as_of": rollups_as_of(),
        "tz": settings.KF_REPORT_TZ,
        "presets": _presets(form.today),
    }


@_staff_only
def dashboard(request: HttpRequest) -> HttpResponse:
    form, period = _options(request)
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": gettext("Analytics"),
        **_range_context(form),
    }
    if period is None:
        return render(request, "dashboard/dashboard.html", context, status=400)
    report = reports.platform_report(
        first=period["first"], last=period["last"], grain=period["grain"], today=form.today
    )
    model = active_model()
    ab_test = experiment_report_latest()
    funnel = funnels.funnel_section(
        request.GET, first=period["first"], last=period["last"], today=form.today
    )
    context.update(
        _page_context(report, reverse("dashboard:dashboard") + "export/"),
        **funnels.page_context(funnel),
        **_insights_context(period, form.today),
        query=request.GET.urlencode(),
        model=model,
        model_metrics=sorted((getattr(model, "metrics", None) or {}).items()),
        ab_test=ab_test,
        ab_rows=report_rows(ab_test) if ab_test else [],
        ab_statistics=report_statistics(ab_test) if ab_test and ab_test.since else [],
        ab_columns=insights.AB_COLUMNS,
        today=reports.today_so_far(form.today),
    )
    status = 400 if funnel.asked and funnel.form.errors else 200
    return render(request, "dashboard/dashboard.html", context, status=status)


@_staff_only
def export_csv(request: HttpRequest, name: str) -> HttpResponseBase:
    form, period = _options(request)
    if period is None:
        return HttpResponse(_errors_text(form), status=400, content_type="text/plain")
    try:
        funnel = funnels.export_table(
            name, request.GET, first=period["first"], last=period["last"], today=form.today
        )
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain")
    if funnel is not None:
        return _stream_table(
            funnel[0], reports.csv_filename(funnel[1], period["first"], period["last"])
        )
    extra = insights.export_table(name, period, form.today)
    if extra is not None:
        table, stem = extra
        first, last = (
            (period["first"], period["last"])
            if name != "event_retention"
            else a_range(period["r_grain"], form.today)
        )
        return _stream_table(table, reports.csv_filename(stem, first, last))
    report = reports.platform_report(
        first=period["first"], last=period["last"], grain=period["grain"], today=form.today
    )
    return _stream(report, name)


@_creator_only
def creator(request: HttpRequest) -> HttpResponse:
    form, period = _range(request)
    context: dict[str, Any] = _range_context(form)
    if period is None:
        return render(request, "dashboard/creator.html", context, status=400)
    report = reports.creator_report(
        creator_id=int(request.user.pk or 0),
        first=period["first"],
        last=period["last"],
        today=form.today,
    )
    context.update(
        _page_context(report, reverse("dashboard:creator") + "export/"),
        query=request.GET.urlencode(),
    )
    return render(request, "dashboard/creator.html", context)


@_creator_only
def creator_export_csv(request: HttpRequest, name: str) -> HttpResponseBase:
    form, period = _range(request)
    if period is None:
        return HttpResponse(
            " ".join(str(e) for e in form.non_field_errors()) or "Invalid dates.", status=400
        )
    report = reports.creator_report(
        creator_id=int(request.user.pk or 0),
        first=period["first"],
        last=period["last"],
        today=form.today,
    )
    return _stream(report, name)


def _errors_text(form: reports.RangeForm) -> str:
    """Every error of the form as one line: 'Split by: Select a valid choice…'."""
    errors = [str(e) for e in form.non_field_errors()]
    errors += [
        f"{form[name].label}: {e}"
        for name in form.errors
        if name != "__all__"
        for e in form.errors[name]
    ]
    return " ".join(errors) or gettext("Invalid dates.")


def _stream(report: reports.Report, name: str) -> StreamingHttpResponse:
    table = report.tables.get(name)
    if table is None:
        raise Http404("No such table.")
    return _stream_table(table, reports.csv_filename(name, report.first, report.last))


def _stream_table(table: Any, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(reports.csv_rows(table), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
