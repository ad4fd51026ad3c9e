"""Last-touch attribution of a day's purchases, and refunds carried back to their purchase."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ..models import Event, PurchaseAttribution
from .definitions import CLICK_WINDOW_DAYS, ENGAGED_SECONDS, VIEW_WINDOW_DAYS, T
from .sql import Touches, _delete, _fetch, _insert_rows, _run, _Sql, _touches, as_date


def _attribution(day: date, start: datetime, end: datetime) -> None:
    """Last touch per purchase: 7-day click on the course, else 1-day engaged view.

    A click touch is a ``video.cta_clicked`` or ``course.viewed`` of the same
    course that names its source ``video_id``; a view touch is an engaged
    view (progress ≥ 3 s or completion) of any video of the course's creator.
    Ties go to the higher event id. Candidate touches and refunds of the
    day's buyers are read in three set-based queries and matched in Python.
    """
    _delete(PurchaseAttribution, local_date=day)
    purchases = list(
        Event.objects.filter(type=T.PURCHASE, ts__gte=start, ts__lt=end).values_list(
            "id", "subject_id", "course_id", "creator_id", "value", "ts"
        )
    )
    if not purchases:
        return
    buyers = f"""SELECT DISTINCT subject_id, course_id, creator_id FROM {_Sql.event}
        WHERE type = %s AND ts >= %s AND ts < %s"""
    bp = [T.PURCHASE, _Sql.ts(start), _Sql.ts(end)]
    clicks = _touches(
        f"""SELECT e.subject_id, e.course_id, e.ts, e.id, e.video_id FROM {_Sql.event} e
        JOIN ({buyers}) p ON e.subject_id = p.subject_id AND e.course_id = p.course_id
        WHERE e.type IN (%s, %s) AND e.video_id IS NOT NULL AND e.ts > %s AND e.ts < %s""",
        [
            *bp,
            T.CTA_CLICK,
            T.COURSE_VIEW,
            _Sql.ts(start - timedelta(days=CLICK_WINDOW_DAYS)),
            _Sql.ts(end),
        ],
    )
    views = _touches(
        f"""SELECT e.subject_id, e.creator_id, e.ts, e.id, e.video_id FROM {_Sql.event} e
        JOIN ({buyers}) p ON e.subject_id = p.subject_id AND e.creator_id = p.creator_id
        WHERE e.video_id IS NOT NULL AND ((e.type = %s AND e.value >= %s) OR e.type = %s)
          AND e.ts > %s AND e.ts < %s""",
        [
            *bp,
            T.PROGRESS,
            ENGAGED_SECONDS,
            T.COMPLETE,
            _Sql.ts(start - timedelta(days=VIEW_WINDOW_DAYS)),
            _Sql.ts(end),
        ],
    )
    refunds = _touches(
        f"""SELECT r.subject_id, r.course_id, r.ts, r.id, r.value FROM {_Sql.event} r
        JOIN ({buyers}) p ON r.subject_id = p.subject_id AND r.course_id = p.course_id
        WHERE r.type = %s AND r.ts >= %s""",
        [*bp, T.REFUND, _Sql.ts(start)],
    )
    rows = [_attribute(day, purchase, clicks, views, refunds) for purchase in purchases]
    _insert_rows(PurchaseAttribution, rows)


def _latest(items: list[tuple[datetime, int, Any]], after: datetime, until: datetime) -> Any:
    hits = [item for item in items if after < item[0] <= until]
    return max(hits) if hits else None


def _attribute(
    day: date, purchase: tuple[Any, ...], clicks: Touches, views: Touches, refunds: Touches
) -> dict[str, Any]:
    pk, subject, course, creator, value, tp = purchase
    amount = round(value)
    click = _latest(clicks.get((subject, course), []), tp - timedelta(days=CLICK_WINDOW_DAYS), tp)
    view = _latest(views.get((subject, creator), []), tp - timedelta(days=VIEW_WINDOW_DAYS), tp)
    touch, kind = (click, "click") if click else (view, "view") if view else (None, "none")
    refunded = sum(float(v) for ts, _, v in refunds.get((subject, course), []) if ts >= tp)
    return {
        "purchase_event_id": pk,
        "local_date": day,
        "subject_id": subject,
        "course_id": course,
        "creator_id": creator,
        "amount_minor": amount,
        "refunded_minor": min(round(refunded), amount),
        "purchased_at": tp,
        "click_from": tp - timedelta(days=CLICK_WINDOW_DAYS),
        "view_from": tp - timedelta(days=VIEW_WINDOW_DAYS),
        "touch": kind,
        "video_id": touch[2] if touch else None,
        "touch_at": touch[0] if touch else None,
    }


def _refunded_amounts(where: str, params: list[Any]) -> None:
    """Set each purchase's refunded amount: refunds of the same subject and course after it.

    Capped at the purchase amount, so a double-sent refund never makes a
    negative order.
    """
    pa, ev = PurchaseAttribution._meta.db_table, _Sql.event
    total = f"""(SELECT COALESCE(SUM(r.value), 0) FROM {ev} r
        WHERE r.type = %s AND r.subject_id = {pa}.subject_id
          AND r.course_id = {pa}.course_id AND r.ts >= {pa}.purchased_at)"""
    _run(
        f"""UPDATE {pa} SET refunded_minor = CAST(ROUND(CASE WHEN {total} > amount_minor
            THEN amount_minor ELSE {total} END) AS BIGINT) WHERE {where}""",
        [T.REFUND, T.REFUND, *params],
    )


def _refunds_to_purchases(start: datetime, end: datetime) -> set[date]:
    """A refund on this day changes its (earlier) purchase's row, whatever its date.

    Returns the purchase days of the rows it may have changed (their paying users).
    """
    pa, ev = PurchaseAttribution._meta.db_table, _Sql.event
    where = f"""EXISTS (SELECT 1 FROM {ev} r WHERE r.type = %s AND r.ts >= %s AND r.ts < %s
            AND r.subject_id = {pa}.subject_id AND r.course_id = {pa}.course_id)"""
    params = [T.REFUND, _Sql.ts(start), _Sql.ts(end)]
    _refunded_amounts(where, params)
    return {
        as_date(d) for (d,) in _fetch(f"SELECT DISTINCT local_date FROM {pa} WHERE {where}", params)
    }
