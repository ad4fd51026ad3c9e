"""Cohort retention (classic and rolling) and realised LTV."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db.models import Count
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .. import rollups
from ..models import CohortDay, RollingRetention, SubjectCohort
from .tables import Label, Table, last_complete_day, ratio

RETENTION_COLUMNS = (0, 1, 3, 7, 14, 30)


LTV_DAYS = (7, 30, 90, 180)


def _cohort_sizes(first: date, last: date) -> dict[date, int]:
    return dict(
        SubjectCohort.objects.filter(signup_date__range=(first, last))
        .values("signup_date")
        .annotate(n=Count("id"))
        .values_list("signup_date", "n")
    )


def retention_table(*, first: date, last: date, today: date) -> Table:
    """Classic N-day retention by signup cohort; unreached cells are None ("in progress")."""
    t = last_complete_day(today)
    sizes = _cohort_sizes(first, last)
    active = {
        (c, d): a
        for c, d, a in CohortDay.objects.filter(cohort_date__range=(first, last)).values_list(
            "cohort_date", "local_date", "active"
        )
    }
    columns: list[tuple[str, Label]] = [("cohort", _("Signup day")), ("size", _("Cohort size"))]
    columns += [(f"d{n}", format_lazy(_("Day {k}"), k=n)) for n in RETENTION_COLUMNS]
    table = Table("retention", _("Share of each signup cohort active on day N"), columns)
    for cohort in rollups.days_between(first, last):
        size = sizes.get(cohort, 0)
        row: dict[str, Any] = {"cohort": cohort.isoformat(), "size": size}
        for n in RETENTION_COLUMNS:
            day = cohort + timedelta(days=n)
            reached = day <= t
            row[f"d{n}"] = ratio(active.get((cohort, day), 0), size) if reached else None
            row[f"d{n}_retained"] = active.get((cohort, day), 0) if reached else None
        table.rows.append(row)
    return table


def retention_headline(table: Table) -> dict[int, float | None]:
    """Weighted D1/D7/D30 over the mature, non-empty cohorts of a ``retention_table``."""
    out: dict[int, float | None] = {}
    for n in (1, 7, 30):
        mature = [r for r in table.rows if r[f"d{n}_retained"] is not None and r["size"]]
        out[n] = ratio(sum(r[f"d{n}_retained"] for r in mature), sum(r["size"] for r in mature))
    return out


def rolling_retention_table(*, first: date, last: date) -> Table:
    """Rolling ("on or after", horizon 30) retention of matured cohorts."""
    columns: list[tuple[str, Label]] = [("cohort", _("Signup day")), ("size", _("Cohort size"))]
    columns += [(f"d{n}", format_lazy(_("Day {k}+"), k=n)) for n in RETENTION_COLUMNS]
    table = Table("rolling_retention", _("Share active on day N or later (up to 30)"), columns)
    cells: dict[date, dict[int, tuple[int, int]]] = defaultdict(dict)
    for c, n, size, kept in RollingRetention.objects.filter(
        cohort_date__range=(first, last), n__in=RETENTION_COLUMNS
    ).values_list("cohort_date", "n", "cohort_size", "retained"):
        cells[c][n] = (size, kept)
    for cohort in rollups.days_between(first, last):
        row: dict[str, Any] = {"cohort": cohort.isoformat(), "size": None}
        for n in RETENTION_COLUMNS:
            cell = cells[cohort].get(n)
            row["size"] = cell[0] if cell else row["size"]
            row[f"d{n}"] = ratio(cell[1], cell[0]) if cell else None
        table.rows.append(row)
    return table


def ltv_table(*, first: date, last: date, today: date) -> Table:
    """Realised cohort LTV (net fen per cohort member) at 7/30/90/180 days."""
    t = last_complete_day(today)
    sizes = _cohort_sizes(first, last)
    net: dict[date, list[tuple[int, int]]] = defaultdict(list)
    for c, d, value in CohortDay.objects.filter(cohort_date__range=(first, last)).values_list(
        "cohort_date", "local_date", "net_minor"
    ):
        net[c].append(((d - c).days, value))
    columns: list[tuple[str, Label]] = [("cohort", _("Signup day")), ("size", _("Cohort size"))]
    columns += [(f"ltv{n}", format_lazy(_("LTV {k} d"), k=n)) for n in LTV_DAYS]
    table = Table("ltv", _("Realised net revenue per cohort member"), columns)
    for cohort in rollups.days_between(first, last):
        size = sizes.get(cohort, 0)
        row: dict[str, Any] = {"cohort": cohort.isoformat(), "size": size}
        for n in LTV_DAYS:
            total = sum(v for offset, v in net[cohort] if offset <= n)
            row[f"ltv{n}"] = ratio(total, size) if cohort + timedelta(days=n) <= t else None
        table.rows.append(row)
    return table
