"""One creator's figures per day and KPIs against the previous period."""

from __future__ import annotations

from datetime import date

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from .. import rollups
from ..models import CourseDaily, CreatorDaily, PurchaseAttribution
from .tables import Table, _kpi_table, _orders, previous_period, ratio


def creator_daily_table(*, creator_id: int, first: date, last: date) -> Table:
    """One creator's figures per local day, gaps as zeros."""
    stored = {
        row.local_date: row
        for row in CreatorDaily.objects.filter(
            creator_id=creator_id, local_date__range=(first, last)
        )
    }
    names = ("plays", "viewers", "follows", "purchases", "buyers", "gmv_minor", "refunds_minor")
    table = Table(
        "creator_daily",
        _("Your figures per day"),
        [
            ("period", _("Day")),
            ("plays", _("Plays")),
            ("viewers", _("Viewers")),
            ("watch_hours", _("Watch hours")),
            ("follows", _("New follows")),
            ("purchases", _("Purchases")),
            ("buyers", _("Buyers")),
            ("gmv_minor", _("GMV")),
            ("refunds_minor", _("Refunds")),
        ],
    )
    for day in rollups.days_between(first, last):
        row = stored.get(day)
        values = {name: getattr(row, name) if row else 0 for name in names}
        hours = row.watch_seconds / 3600 if row else 0.0
        table.rows.append({"period": day.isoformat(), **values, "watch_hours": hours})
    return table


CREATOR_KPI_LABELS = [
    ("plays", _("Plays")),
    ("watch_hours", _("Watch hours")),
    ("follows", _("New follows")),
    ("purchases", _("Purchases")),
    ("gmv_minor", _("GMV")),
    ("refunds_minor", _("Refunds")),
    ("net_minor", _("Net revenue")),
    ("attributed_orders", _("Orders attributed to your videos")),
    ("page_to_buyer", _("Course page → buyer (period ratio)")),
]


def _creator_kpis(creator_id: int, first: date, last: date) -> dict[str, float | None]:
    sums = CreatorDaily.objects.filter(
        creator_id=creator_id, local_date__range=(first, last)
    ).aggregate(
        plays=Sum("plays"),
        watch=Sum("watch_seconds"),
        follows=Sum("follows"),
        purchases=Sum("purchases"),
        gmv=Sum("gmv_minor"),
        refunds=Sum("refunds_minor"),
    )
    courses = CourseDaily.objects.filter(
        creator_id=creator_id, local_date__range=(first, last)
    ).aggregate(viewers=Sum("page_viewers"), buyers=Sum("buyers"))
    attributed = (
        _orders(first, last, creator_id).exclude(touch=PurchaseAttribution.Touch.NONE).count()
    )
    gmv, refunds = sums["gmv"] or 0, sums["refunds"] or 0
    return {
        "plays": sums["plays"] or 0,
        "watch_hours": (sums["watch"] or 0) / 3600,
        "follows": sums["follows"] or 0,
        "purchases": sums["purchases"] or 0,
        "gmv_minor": gmv,
        "refunds_minor": refunds,
        "net_minor": gmv - refunds,
        "attributed_orders": attributed,
        "page_to_buyer": ratio(courses["buyers"] or 0, courses["viewers"]),
    }


def creator_kpi_table(*, creator_id: int, first: date, last: date) -> Table:
    """One creator's KPIs for [first, last] against the previous period."""
    prev_first, prev_last = previous_period(first, last)
    return _kpi_table(
        _creator_kpis(creator_id, first, last),
        _creator_kpis(creator_id, prev_first, prev_last),
        CREATOR_KPI_LABELS,
    )
