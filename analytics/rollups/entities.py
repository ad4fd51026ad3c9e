"""Per-video, per-course and per-creator figures of a day."""

from __future__ import annotations

from datetime import date, datetime

from ..models import CourseDaily, CreatorDaily, VideoDaily
from .definitions import ENGAGED_SECONDS, T
from .sql import _delete, _in, _run, _Sql, ordered_sum


def _video_daily(day: date, start: datetime, end: datetime) -> None:
    """Plays, viewers and engagement per video, in one scan of the day.

    Watch time of one viewer on one video on one day is the largest
    cumulative ``video.progress`` value they sent (duplicated or lost
    heartbeats do not change it); the view is *engaged* when that reaches
    3 s or the video was completed. Viewers are counted from a (video,
    subject) pre-aggregate, cheaper than ``COUNT(DISTINCT …)``.
    """
    _delete(VideoDaily, local_date=day)
    _run(
        f"""
        INSERT INTO {VideoDaily._meta.db_table}
            (local_date, video_id, creator_id, plays, viewers, engaged_views, completes,
             watch_seconds, likes, shares, cta_clicks)
        SELECT %s, video_id, MAX(creator_id), SUM(plays),
            SUM(CASE WHEN plays > 0 THEN 1 ELSE 0 END),
            SUM(CASE WHEN w >= %s OR completes > 0 THEN 1 ELSE 0 END),
            SUM(completes), {ordered_sum("w", "subject_id")}, SUM(likes), SUM(shares), SUM(cta)
        FROM (
            SELECT video_id, subject_id, MAX(creator_id) AS creator_id,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS plays,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS completes,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS likes,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS shares,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS cta,
                MAX(CASE WHEN type = %s THEN value ELSE 0 END) AS w
            FROM {_Sql.event} WHERE ts >= %s AND ts < %s AND video_id IS NOT NULL
            GROUP BY video_id, subject_id
        ) g GROUP BY video_id
        """,
        [
            _Sql.d(day),
            ENGAGED_SECONDS,
            T.PLAY,
            T.COMPLETE,
            T.LIKE,
            T.SHARE,
            T.CTA_CLICK,
            T.PROGRESS,
            _Sql.ts(start),
            _Sql.ts(end),
        ],
    )


def _course_daily(day: date, start: datetime, end: datetime) -> None:
    _delete(CourseDaily, local_date=day)
    types = [T.COURSE_VIEW, T.PREVIEW_PLAY, T.CHECKOUT, T.PURCHASE, T.REFUND]
    _run(
        f"""
        INSERT INTO {CourseDaily._meta.db_table}
            (local_date, course_id, creator_id, page_views, page_viewers, previewers,
             checkouts, buyers, purchases, gmv_minor, refunds_minor)
        SELECT %s, course_id, MAX(creator_id), SUM(views),
            SUM(CASE WHEN views > 0 THEN 1 ELSE 0 END),
            SUM(CASE WHEN previews > 0 THEN 1 ELSE 0 END),
            SUM(checkouts), SUM(CASE WHEN purchases > 0 THEN 1 ELSE 0 END), SUM(purchases),
            CAST(ROUND(SUM(gmv)) AS BIGINT), CAST(ROUND(SUM(refunds)) AS BIGINT)
        FROM (
            SELECT course_id, subject_id, MAX(creator_id) AS creator_id,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS views,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS previews,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS checkouts,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS purchases,
                SUM(CASE WHEN type = %s THEN value ELSE 0 END) AS gmv,
                SUM(CASE WHEN type = %s THEN value ELSE 0 END) AS refunds
            FROM {_Sql.event}
            WHERE ts >= %s AND ts < %s AND course_id IS NOT NULL AND type IN ({_in(types)})
            GROUP BY course_id, subject_id
        ) g GROUP BY course_id
        """,
        [
            _Sql.d(day),
            T.COURSE_VIEW,
            T.PREVIEW_PLAY,
            T.CHECKOUT,
            T.PURCHASE,
            T.PURCHASE,
            T.REFUND,
            _Sql.ts(start),
            _Sql.ts(end),
            *types,
        ],
    )


def _creator_daily(day: date, start: datetime, end: datetime) -> None:
    _delete(CreatorDaily, local_date=day)
    _run(
        f"""
        INSERT INTO {CreatorDaily._meta.db_table}
            (local_date, creator_id, plays, viewers, watch_seconds, follows, purchases,
             buyers, gmv_minor, refunds_minor)
        SELECT %s, a.creator_id, a.plays, a.viewers, COALESCE(v.watch, 0), a.follows,
            a.purchases, a.buyers, a.gmv, a.refunds
        FROM (
            SELECT creator_id, SUM(plays) AS plays,
                SUM(CASE WHEN plays > 0 THEN 1 ELSE 0 END) AS viewers,
                SUM(follows) AS follows, SUM(purchases) AS purchases,
                SUM(CASE WHEN purchases > 0 THEN 1 ELSE 0 END) AS buyers,
                CAST(ROUND(SUM(gmv)) AS BIGINT) AS gmv,
                CAST(ROUND(SUM(refunds)) AS BIGINT) AS refunds
            FROM (
                SELECT creator_id, subject_id,
                    SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS plays,
                    SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS follows,
                    SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS purchases,
                    SUM(CASE WHEN type = %s THEN value ELSE 0 END) AS gmv,
                    SUM(CASE WHEN type = %s THEN value ELSE 0 END) AS refunds
                FROM {_Sql.event} WHERE ts >= %s AND ts < %s AND creator_id IS NOT NULL
                GROUP BY creator_id, subject_id
            ) g GROUP BY creator_id
        ) a LEFT JOIN (
            SELECT creator_id, {ordered_sum("watch_seconds", "video_id")} AS watch
            FROM {VideoDaily._meta.db_table}
            WHERE local_date = %s GROUP BY creator_id
        ) v ON v.creator_id = a.creator_id
        """,
        [
            _Sql.d(day),
            T.PLAY,
            T.FOLLOW,
            T.PURCHASE,
            T.PURCHASE,
            T.REFUND,
            _Sql.ts(start),
            _Sql.ts(end),
            _Sql.d(day),
        ],
    )
