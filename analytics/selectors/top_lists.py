"""Top videos, courses and creators of a period."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Max, Sum
from django.utils.translation import gettext_lazy as _

from ..models import CourseDaily, CreatorDaily, PurchaseAttribution, VideoDaily
from .tables import Table, _orders, ratio


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
        _("Top videos by plays"),
        [
            ("video_id", _("Video")),
            ("plays", _("Plays")),
            ("engaged", _("Engaged views")),
            ("watch_hours", _("Watch hours")),
            ("avg_view_seconds", _("Avg view (s)")),
            ("completion_rate", _("Completion rate")),
            ("likes", _("Likes")),
            ("attributed_orders", _("Attributed orders")),
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
        _("Top courses by GMV"),
        [
            ("course_id", _("Course")),
            ("page_viewers", _("Page viewer-days")),
            ("previewers", _("Previewer-days")),
            ("checkouts", _("Checkouts")),
            ("buyers", _("Buyers")),
            ("period_ratio", _("Buyers / page viewers (period ratio)")),
            ("gmv_minor", _("GMV")),
            ("refunds_minor", _("Refunds")),
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
        _("Top creators by GMV"),
        [
            ("creator_id", _("Creator")),
            ("plays", _("Plays")),
            ("watch_hours", _("Watch hours")),
            ("follows", _("New follows")),
            ("gmv_minor", _("GMV")),
            ("net_minor", _("Net")),
            ("attributed_gmv_minor", _("GMV attributed to videos")),
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


def popular_items(*, first: date, last: date, limit: int) -> list[tuple[str, int]]:
    """The most popular items of local days [first, last], best first.

    Read from the daily rollups the dashboard reads (a few rows per item
    and day, never the raw events). Videos count *viewer-days* (VideoDaily
    ``viewers``) and courses *page-viewer-days* (CourseDaily
    ``page_viewers``): people, not plays or heartbeats, so a replay loop
    does not make an item popular, and one unit for both kinds of the one
    item space. 30 days is the personal models' half-life. Two queries;
    ties go to the smaller key.
    """
    videos = (
        VideoDaily.objects.filter(local_date__range=(first, last))
        .values("video_id")
        .annotate(n=Sum("viewers"))
        .filter(n__gt=0)
        .order_by("-n", "video_id")
        .values_list("video_id", "n")[:limit]
    )
    courses = (
        CourseDaily.objects.filter(local_date__range=(first, last))
        .values("course_id")
        .annotate(n=Sum("page_viewers"))
        .filter(n__gt=0)
        .order_by("-n", "course_id")
        .values_list("course_id", "n")[:limit]
    )
    ranked = [(f"v{i}", int(n)) for i, n in videos] + [(f"c{i}", int(n)) for i, n in courses]
    ranked.sort(key=lambda pair: (-pair[1], pair[0]))
    return ranked[:limit]
