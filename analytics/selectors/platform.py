"""Platform figures: per period, KPIs against the previous period, recommender CTR."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from .. import rollups
from ..models import DailyMetric, RecommenderDaily
from .tables import Label, Table, _kpi_table, _orders, last_complete_day, previous_period, ratio


def daily_metrics_table(*, first: date, last: date, grain: str = "day") -> Table:
    """Platform figures per local day (or ISO week), one row per period, gaps as zeros."""
    stored = {m.local_date: m for m in DailyMetric.objects.filter(local_date__range=(first, last))}
    columns: list[tuple[str, Label]] = [
        ("period", _("Period")),
        ("dau", _("DAU")),
        ("wau", _("WAU")),
        ("mau", _("MAU")),
        ("new_users", _("New users")),
        ("plays", _("Plays")),
        ("engaged_views", _("Engaged views")),
        ("watch_seconds", _("Watch seconds")),
        ("purchases", _("Purchases")),
        ("gmv_minor", _("GMV")),
        ("refunds_minor", _("Refunds")),
        ("net_minor", _("Net revenue")),
    ]
    table = Table("daily", _("Platform figures per period"), columns)
    days = rollups.days_between(first, last)
    groups: dict[date, list[date]] = defaultdict(list)
    for day in days:
        key = day - timedelta(days=day.weekday()) if grain == "week" else day
        groups[key].append(day)
    for key, members in groups.items():
        metrics = [stored[d] for d in members if d in stored]
        total = {
            name: sum(getattr(m, name) for m in metrics)
            for name in (
                "new_users",
                "plays",
                "engaged_views",
                "purchases",
                "gmv_minor",
                "refunds_minor",
            )
        }
        end = stored.get(members[-1])
        table.rows.append(
            {
                "period": key.isoformat()
                if grain == "day"
                else f"{key.isocalendar()[0]}-W{key.isocalendar()[1]:02d}",
                # a week shows its mean DAU and the WAU/MAU of its last day
                "dau": round(sum(m.dau for m in metrics) / len(members), 1)
                if grain == "week"
                else (metrics[0].dau if metrics else 0),
                "wau": end.wau if end else 0,
                "mau": end.mau if end else 0,
                **total,
                "watch_seconds": float(sum(m.watch_seconds for m in metrics)),
                "net_minor": total["gmv_minor"] - total["refunds_minor"],
            }
        )
    return table


def _period_kpis(first: date, last: date, today: date) -> dict[str, float | None]:
    t = last_complete_day(today)
    days = DailyMetric.objects.filter(local_date__range=(first, last))
    sums = days.aggregate(
        dau=Sum("dau"),
        new_users=Sum("new_users"),
        plays=Sum("plays"),
        watch=Sum("watch_seconds"),
        gmv=Sum("gmv_minor"),
        refunds=Sum("refunds_minor"),
    )
    n_days = (last - first).days + 1
    end = DailyMetric.objects.filter(local_date=last).first()
    window = DailyMetric.objects.filter(local_date__range=(last - timedelta(days=29), last))
    mean_dau_30 = (window.aggregate(s=Sum("dau"))["s"] or 0) / 30
    actives = rollups.distinct_active(first, last)
    orders = _orders(first, last, None).aggregate(
        amount=Sum("amount_minor"),
        refunded=Sum("refunded_minor"),
        paying=Count("subject_id", distinct=True, filter=Q(refunded_minor__lt=F("amount_minor"))),
        any_refund=Count("id", filter=Q(refunded_minor__gt=0)),
        n=Count("id"),
    )
    gmv, refunds = sums["gmv"] or 0, sums["refunds"] or 0
    net = gmv - refunds
    cohort_final = last + timedelta(days=REFUND_POLICY_DAYS) <= t
    kept = (orders["amount"] or 0) - (orders["refunded"] or 0)
    return {
        "dau": ratio(sums["dau"] or 0, n_days),
        "wau": end.wau if end else 0,
        "mau": end.mau if end else 0,
        "stickiness": ratio(mean_dau_30, end.mau if end else 0),
        "new_users": sums["new_users"] or 0,
        "plays": sums["plays"] or 0,
        "watch_hours": (sums["watch"] or 0) / 3600,
        "gmv_minor": gmv,
        "refunds_minor": refunds,
        "net_minor": net,
        "paying_users": orders["paying"],
        # paying users over distinct active users of the same range (docs/metrics.md)
        "paid_conversion_rate": ratio(orders["paying"], actives),
        "arpu_minor": ratio(net, actives),
        "arppu_minor": ratio(kept, orders["paying"]),
        "refund_rate": ratio(orders["refunded"] or 0, orders["amount"]) if cohort_final else None,
    }


REFUND_POLICY_DAYS = 14


KPI_LABELS = [
    ("dau", _("DAU (mean)")),
    ("wau", _("WAU (end)")),
    ("mau", _("MAU (end)")),
    ("stickiness", _("Stickiness")),
    ("new_users", _("New users")),
    ("plays", _("Plays")),
    ("watch_hours", _("Watch hours")),
    ("gmv_minor", _("GMV")),
    ("refunds_minor", _("Refunds")),
    ("net_minor", _("Net revenue")),
    ("paying_users", _("Paying users")),
    ("paid_conversion_rate", _("Paid conversion (paying / active users)")),
    ("arpu_minor", _("ARPU")),
    ("arppu_minor", _("ARPPU")),
    ("refund_rate", _("Refund rate (by purchase date)")),
]


def kpi_table(*, first: date, last: date, today: date) -> Table:
    """Platform KPIs for [first, last] with the previous period of equal length."""
    prev_first, prev_last = previous_period(first, last)
    return _kpi_table(
        _period_kpis(first, last, today), _period_kpis(prev_first, prev_last, today), KPI_LABELS
    )


def recommender_ctr_table(*, first: date, last: date) -> Table:
    """Impressions, plays and CTR per recommender model version (from event props)."""
    rows = (
        RecommenderDaily.objects.filter(local_date__range=(first, last))
        .values("model_version")
        .annotate(impressions=Sum("impressions"), plays=Sum("plays"))
        .order_by("model_version")
    )
    table = Table(
        "recommender",
        _("Click-through per model version (plays / impressions)"),
        [
            ("model_version", _("Model version")),
            ("impressions", _("Impressions")),
            ("plays", _("Plays")),
            ("ctr", _("CTR")),
        ],
    )
    for r in rows:
        table.rows.append({**r, "ctr": ratio(r["plays"], r["impressions"])})
    return table
