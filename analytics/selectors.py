"""Reads for analytics: ids and numbers from rollups only (higher layers add titles).

Every report returns a :class:`Table` so the page, the chart's data table and
the CSV export show the same numbers. Ratios with a zero denominator, and
cells whose window has not closed, are ``None`` (shown "in progress").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from statistics import median
from typing import Any

from django.db import connection
from django.db.models import Count, F, Max, Q, QuerySet, Sum

from . import rollups
from .models import (
    CohortDay,
    CourseDaily,
    CreatorDaily,
    DailyMetric,
    FunnelEntry,
    MetricRun,
    PurchaseAttribution,
    RecommenderDaily,
    RollingRetention,
    Subject,
    SubjectCohort,
    SubjectDay,
    VideoDaily,
)

REFUND_POLICY_DAYS = 14
RETENTION_COLUMNS = (0, 1, 3, 7, 14, 30)
LTV_DAYS = (7, 30, 90, 180)


def subject_keys_for_users(*, user_ids: list[int]) -> dict[int, str]:
    """Map user ids to their pseudonyms, in one query."""
    rows = Subject.objects.filter(user_id__in=user_ids).values_list("user_id", "key")
    return {int(user_id): key for user_id, key in rows if user_id is not None}


@dataclass
class Table:
    """Rows of plain values with their column keys and labels."""

    name: str
    caption: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def column(self, key: str) -> list[Any]:
        return [row.get(key) for row in self.rows]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def last_complete_day(today: date) -> date:
    """T: the last complete local day (yesterday)."""
    return today - timedelta(days=1)


def rollups_as_of() -> Any:
    """When the newest rollup finished (the page's "as of" stamp), or None."""
    return MetricRun.objects.aggregate(m=Max("finished_at"))["m"]


def rollups_version() -> str:
    """Changes whenever any day is rolled up again: a cache key for reports."""
    stamp = MetricRun.objects.aggregate(m=Max("finished_at"), n=Count("id"))
    return f"{stamp['m'].isoformat() if stamp['m'] else '-'}:{stamp['n']}"


# --- Time series ---------------------------------------------------------------


def daily_metrics_table(*, first: date, last: date, grain: str = "day") -> Table:
    """Platform figures per local day (or ISO week), one row per period, gaps as zeros."""
    stored = {m.local_date: m for m in DailyMetric.objects.filter(local_date__range=(first, last))}
    columns = [
        ("period", "Period"),
        ("dau", "DAU"),
        ("wau", "WAU"),
        ("mau", "MAU"),
        ("new_users", "New users"),
        ("plays", "Plays"),
        ("engaged_views", "Engaged views"),
        ("watch_seconds", "Watch seconds"),
        ("purchases", "Purchases"),
        ("gmv_minor", "GMV (fen)"),
        ("refunds_minor", "Refunds (fen)"),
        ("net_minor", "Net revenue (fen)"),
    ]
    table = Table("daily", "Platform figures per period", columns)
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
        "Your figures per day",
        [
            ("period", "Day"),
            ("plays", "Plays"),
            ("viewers", "Viewers"),
            ("watch_hours", "Watch hours"),
            ("follows", "New follows"),
            ("purchases", "Purchases"),
            ("buyers", "Buyers"),
            ("gmv_minor", "GMV (fen)"),
            ("refunds_minor", "Refunds (fen)"),
        ],
    )
    for day in rollups.days_between(first, last):
        row = stored.get(day)
        values = {name: getattr(row, name) if row else 0 for name in names}
        hours = row.watch_seconds / 3600 if row else 0.0
        table.rows.append({"period": day.isoformat(), **values, "watch_hours": hours})
    return table


# --- KPIs -------------------------------------------------------------------------


def _orders(first: date, last: date, creator_id: int | None) -> QuerySet[PurchaseAttribution]:
    qs = PurchaseAttribution.objects.filter(local_date__range=(first, last))
    return qs.filter(creator_id=creator_id) if creator_id is not None else qs


def _period_actives(first: date, last: date, end: DailyMetric | None) -> int:
    """Distinct active subjects of [first, last].

    A 1-, 7- or 30-day period is exactly the stored DAU, WAU or MAU of its
    last day (no scan); other lengths count distinct subjects in SubjectDay.
    """
    length = (last - first).days + 1
    stored = {1: "dau", 7: "wau", 30: "mau"}.get(length)
    if stored and end is not None:
        return int(getattr(end, stored))
    return (
        SubjectDay.objects.filter(local_date__range=(first, last), qualifying__gt=0)
        .values("subject_id")
        .distinct()
        .count()
    )


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
    actives = _period_actives(first, last, end)
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
        "arpu_minor": ratio(net, actives),
        "arppu_minor": ratio(kept, orders["paying"]),
        "refund_rate": ratio(orders["refunded"] or 0, orders["amount"]) if cohort_final else None,
    }


KPI_LABELS = [
    ("dau", "DAU (mean)"),
    ("wau", "WAU (end)"),
    ("mau", "MAU (end)"),
    ("stickiness", "Stickiness"),
    ("new_users", "New users"),
    ("plays", "Plays"),
    ("watch_hours", "Watch hours"),
    ("gmv_minor", "GMV (fen)"),
    ("refunds_minor", "Refunds (fen)"),
    ("net_minor", "Net revenue (fen)"),
    ("paying_users", "Paying users"),
    ("arpu_minor", "ARPU (fen)"),
    ("arppu_minor", "ARPPU (fen)"),
    ("refund_rate", "Refund rate (by purchase date)"),
]


def _kpi_table(
    current: dict[str, float | None], previous: dict[str, float | None], labels: list
) -> Table:
    table = Table(
        "kpis",
        "Key figures against the previous period of the same length",
        [("metric", "Metric"), ("value", "Value"), ("previous", "Previous"), ("change", "Change")],
    )
    for key, label in labels:
        now_value, before = current.get(key), previous.get(key)
        change = None
        if now_value is not None and before:
            change = (now_value - before) / before
        table.rows.append(
            {"key": key, "metric": label, "value": now_value, "previous": before, "change": change}
        )
    return table


def kpi_table(*, first: date, last: date, today: date) -> Table:
    """Platform KPIs for [first, last] with the previous period of equal length."""
    length = (last - first).days + 1
    prev_last = first - timedelta(days=1)
    prev_first = prev_last - timedelta(days=length - 1)
    return _kpi_table(
        _period_kpis(first, last, today), _period_kpis(prev_first, prev_last, today), KPI_LABELS
    )


CREATOR_KPI_LABELS = [
    ("plays", "Plays"),
    ("watch_hours", "Watch hours"),
    ("follows", "New follows"),
    ("purchases", "Purchases"),
    ("gmv_minor", "GMV (fen)"),
    ("refunds_minor", "Refunds (fen)"),
    ("net_minor", "Net revenue (fen)"),
    ("attributed_orders", "Orders attributed to your videos"),
    ("page_to_buyer", "Course page → buyer (period ratio)"),
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
    length = (last - first).days + 1
    prev_last = first - timedelta(days=1)
    prev_first = prev_last - timedelta(days=length - 1)
    return _kpi_table(
        _creator_kpis(creator_id, first, last),
        _creator_kpis(creator_id, prev_first, prev_last),
        CREATOR_KPI_LABELS,
    )


# --- Retention and LTV ----------------------------------------------------------


def retention_table(*, first: date, last: date, today: date) -> Table:
    """Classic N-day retention by signup cohort; unreached cells are None ("in progress")."""
    t = last_complete_day(today)
    sizes = dict(
        SubjectCohort.objects.filter(signup_date__range=(first, last))
        .values("signup_date")
        .annotate(n=Count("id"))
        .values_list("signup_date", "n")
    )
    active = {
        (c, d): a
        for c, d, a in CohortDay.objects.filter(cohort_date__range=(first, last)).values_list(
            "cohort_date", "local_date", "active"
        )
    }
    columns = [("cohort", "Signup day"), ("size", "Cohort size")]
    columns += [(f"d{n}", f"Day {n}") for n in RETENTION_COLUMNS]
    table = Table("retention", "Share of each signup cohort active on day N", columns)
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


def retention_headline(*, first: date, last: date, today: date) -> dict[int, float | None]:
    """Weighted D1/D7/D30 over mature, non-empty cohorts of [first, last]."""
    table = retention_table(first=first, last=last, today=today)
    out: dict[int, float | None] = {}
    for n in (1, 7, 30):
        mature = [r for r in table.rows if r[f"d{n}_retained"] is not None and r["size"]]
        out[n] = ratio(sum(r[f"d{n}_retained"] for r in mature), sum(r["size"] for r in mature))
    return out


def rolling_retention_table(*, first: date, last: date) -> Table:
    """Rolling ("on or after", horizon 30) retention of matured cohorts."""
    columns = [("cohort", "Signup day"), ("size", "Cohort size")]
    columns += [(f"d{n}", f"Day {n}+") for n in RETENTION_COLUMNS]
    table = Table("rolling_retention", "Share active on day N or later (up to 30)", columns)
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
    sizes = dict(
        SubjectCohort.objects.filter(signup_date__range=(first, last))
        .values("signup_date")
        .annotate(n=Count("id"))
        .values_list("signup_date", "n")
    )
    net: dict[date, list[tuple[int, int]]] = defaultdict(list)
    for c, d, value in CohortDay.objects.filter(cohort_date__range=(first, last)).values_list(
        "cohort_date", "local_date", "net_minor"
    ):
        net[c].append(((d - c).days, value))
    columns = [("cohort", "Signup day"), ("size", "Cohort size")]
    columns += [(f"ltv{n}", f"LTV {n} d (fen)") for n in LTV_DAYS]
    table = Table("ltv", "Realised net revenue per cohort member", columns)
    for cohort in rollups.days_between(first, last):
        size = sizes.get(cohort, 0)
        row: dict[str, Any] = {"cohort": cohort.isoformat(), "size": size}
        for n in LTV_DAYS:
            total = sum(v for offset, v in net[cohort] if offset <= n)
            row[f"ltv{n}"] = ratio(total, size) if cohort + timedelta(days=n) <= t else None
        table.rows.append(row)
    return table


# --- Funnel -------------------------------------------------------------------------

FUNNEL_STEPS = ["Engaged view", "Course page", "Preview", "Checkout", "Purchase"]
FUNNEL_4_STEPS = ["Engaged view", "Course page", "Checkout", "Purchase"]


def funnel_entries(
    *,
    first: date,
    last: date,
    course_id: int | None = None,
    creator_id: int | None = None,
) -> tuple[dict[tuple[int, int], int], list[float]]:
    """Counts by (reached, reached_4) of each subject's first entry per course in the range.

    An entry is a (subject, course) whose first engaged view in [first, last]
    starts the window; later entries of the same pair in the range are
    ignored. Also returns the seconds from entry to purchase of converters.
    One SQL statement each (window function), so the cost stays in the database.
    """
    where = ["entry_date >= %s", "entry_date <= %s"]
    params: list[Any] = [
        connection.ops.adapt_datefield_value(first),
        connection.ops.adapt_datefield_value(last),
    ]
    if course_id is not None:
        where.append("course_id = %s")
        params.append(course_id)
    if creator_id is not None:
        where.append("creator_id = %s")
        params.append(creator_id)
    firsts = f"""SELECT reached, reached_4, entered_at, t5, ROW_NUMBER() OVER (
            PARTITION BY course_id, subject_id ORDER BY entry_date) AS rn
        FROM {FunnelEntry._meta.db_table} WHERE {" AND ".join(where)}"""
    # one pass: non-converters collapse into few groups, converters keep their times
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT reached, reached_4, CASE WHEN t5 IS NULL THEN NULL ELSE entered_at END,
                t5, COUNT(*) FROM ({firsts}) x WHERE rn = 1 GROUP BY reached, reached_4,
                CASE WHEN t5 IS NULL THEN NULL ELSE entered_at END, t5""",
            params,
        )
        counts: dict[tuple[int, int], int] = defaultdict(int)
        times: list[float] = []
        for reached, reached_4, entered, t5, n in cursor.fetchall():
            counts[(int(reached), int(reached_4))] += int(n)
            if t5 is not None:
                seconds = (_aware(t5) - _aware(entered)).total_seconds()
                times.extend([seconds] * int(n))
    return counts, times


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite returns text from raw SQL
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def funnel_table(
    *,
    first: date,
    last: date,
    today: date,
    course_id: int | None = None,
    creator_id: int | None = None,
) -> Table:
    """Ordered 5-step funnel, 7-day window, with step and overall conversion."""
    counts_by, times = funnel_entries(
        first=first, last=last, course_id=course_id, creator_id=creator_id
    )
    closed = last + timedelta(days=rollups.FUNNEL_WINDOW_DAYS) <= last_complete_day(today)
    table = Table(
        "funnel",
        "Viewer to buyer within 7 days of the first engaged view"
        + ("" if closed else " (in progress: windows still open)"),
        [
            ("step", "Step"),
            ("subjects", "Subjects"),
            ("step_rate", "From previous step"),
            ("overall_rate", "From step 1"),
        ],
    )
    counts = [sum(n for (r, _), n in counts_by.items() if r >= j) for j in range(1, 6)]
    for j, label in enumerate(FUNNEL_STEPS):
        table.rows.append(
            {
                "step": label,
                "subjects": counts[j],
                "step_rate": ratio(counts[j], counts[j - 1]) if j else None,
                "overall_rate": ratio(counts[j], counts[0]),
            }
        )
    for row in table.rows:
        row["in_progress"] = not closed
    table.rows[-1]["median_hours_to_purchase"] = median(times) / 3600 if times else None
    counts_4 = [sum(n for (_, r4), n in counts_by.items() if r4 >= j) for j in range(1, 5)]
    for j, label in enumerate(FUNNEL_4_STEPS):
        table.rows.append(
            {
                "step": f"4-step: {label}",
                "subjects": counts_4[j],
                "step_rate": ratio(counts_4[j], counts_4[j - 1]) if j else None,
                "overall_rate": ratio(counts_4[j], counts_4[0]),
                "in_progress": not closed,
            }
        )
    return table


# --- Top lists -----------------------------------------------------------------------


def top_videos_table(
    *, first: date, last: date, creator_id: int | None = None, limit: int = 10
) -> Table:
    """Videos by plays, with watch time, completion and attributed orders."""
    qs = VideoDaily.objects.filter(local_date__range=(first, last))
    if creator_id is not None:
        qs = qs.filter(creator_id=creator_id)
    rows = list(
        qs.values("video_id")
        .annotate(
            creator_id=Max("creator_id"),
            plays=Sum("plays"),
            engaged=Sum("engaged_views"),
            completes=Sum("completes"),
            watch=Sum("watch_seconds"),
            likes=Sum("likes"),
        )
        .order_by("-plays", "video_id")[:limit]
    )
    attributed = dict(
        _orders(first, last, creator_id)
        .filter(video_id__in=[r["video_id"] for r in rows])
        .values("video_id")
        .annotate(n=Count("id"))
        .values_list("video_id", "n")
    )
    table = Table(
        "videos",
        "Top videos by plays",
        [
            ("video_id", "Video"),
            ("plays", "Plays"),
            ("engaged", "Engaged views"),
            ("watch_hours", "Watch hours"),
            ("avg_view_seconds", "Avg view (s)"),
            ("completion_rate", "Completion rate"),
            ("likes", "Likes"),
            ("attributed_orders", "Attributed orders"),
        ],
    )
    for r in rows:
        table.rows.append(
            {
                "video_id": r["video_id"],
                "creator_id": r["creator_id"],
                "plays": r["plays"],
                "engaged": r["engaged"],
                "watch_hours": r["watch"] / 3600,
                "avg_view_seconds": ratio(r["watch"], r["plays"]),
                "completion_rate": ratio(r["completes"], r["plays"]),
                "likes": r["likes"],
                "attributed_orders": attributed.get(r["video_id"], 0),
            }
        )
    return table


def top_courses_table(
    *, first: date, last: date, creator_id: int | None = None, limit: int = 10
) -> Table:
    """Courses by GMV, with the page → buyer period ratio."""
    qs = CourseDaily.objects.filter(local_date__range=(first, last))
    if creator_id is not None:
        qs = qs.filter(creator_id=creator_id)
    rows = (
        qs.values("course_id")
        .annotate(
            creator_id=Max("creator_id"),
            page_viewers=Sum("page_viewers"),
            previewers=Sum("previewers"),
            checkouts=Sum("checkouts"),
            buyers=Sum("buyers"),
            gmv=Sum("gmv_minor"),
            refunds=Sum("refunds_minor"),
        )
        .order_by("-gmv", "-page_viewers", "course_id")[:limit]
    )
    table = Table(
        "courses",
        "Top courses by GMV",
        [
            ("course_id", "Course"),
            ("page_viewers", "Page viewer-days"),
            ("previewers", "Previewer-days"),
            ("checkouts", "Checkouts"),
            ("buyers", "Buyers"),
            ("period_ratio", "Buyers / page viewers (period ratio)"),
            ("gmv_minor", "GMV (fen)"),
            ("refunds_minor", "Refunds (fen)"),
        ],
    )
    for r in rows:
        table.rows.append(
            {
                "course_id": r["course_id"],
                "creator_id": r["creator_id"],
                "page_viewers": r["page_viewers"],
                "previewers": r["previewers"],
                "checkouts": r["checkouts"],
                "buyers": r["buyers"],
                "period_ratio": ratio(r["buyers"], r["page_viewers"]),
                "gmv_minor": r["gmv"],
                "refunds_minor": r["refunds"],
            }
        )
    return table


def top_creators_table(*, first: date, last: date, limit: int = 10) -> Table:
    """Creators by GMV, with watch time and attributed GMV."""
    rows = list(
        CreatorDaily.objects.filter(local_date__range=(first, last))
        .values("creator_id")
        .annotate(
            plays=Sum("plays"),
            watch=Sum("watch_seconds"),
            follows=Sum("follows"),
            gmv=Sum("gmv_minor"),
            refunds=Sum("refunds_minor"),
        )
        .order_by("-gmv", "-plays", "creator_id")[:limit]
    )
    attributed = dict(
        _orders(first, last, None)
        .filter(creator_id__in=[r["creator_id"] for r in rows])
        .exclude(touch=PurchaseAttribution.Touch.NONE)
        .values("creator_id")
        .annotate(n=Sum("amount_minor"))
        .values_list("creator_id", "n")
    )
    table = Table(
        "creators",
        "Top creators by GMV",
        [
            ("creator_id", "Creator"),
            ("plays", "Plays"),
            ("watch_hours", "Watch hours"),
            ("follows", "New follows"),
            ("gmv_minor", "GMV (fen)"),
            ("net_minor", "Net (fen)"),
            ("attributed_gmv_minor", "GMV attributed to videos (fen)"),
        ],
    )
    for r in rows:
        table.rows.append(
            {
                "creator_id": r["creator_id"],
                "plays": r["plays"],
                "watch_hours": r["watch"] / 3600,
                "follows": r["follows"],
                "gmv_minor": r["gmv"],
                "net_minor": r["gmv"] - r["refunds"],
                "attributed_gmv_minor": attributed.get(r["creator_id"], 0),
            }
        )
    return table


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
        "Click-through per model version (plays / impressions)",
        [
            ("model_version", "Model version"),
            ("impressions", "Impressions"),
            ("plays", "Plays"),
            ("ctr", "CTR"),
        ],
    )
    for r in rows:
        table.rows.append({**r, "ctr": ratio(r["plays"], r["impressions"])})
    return table
