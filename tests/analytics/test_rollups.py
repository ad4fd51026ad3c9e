"""Every metric definition against hand-computed fixtures (docs/metrics.md)."""

from datetime import date, datetime, timedelta

import pytest

from analytics import rollups, selectors
from analytics.models import (
    ActiveDay,
    CohortDay,
    CourseDaily,
    CreatorDaily,
    DailyMetric,
    FunnelDay,
    FunnelEntry,
    PurchaseAttribution,
    RecommenderDaily,
    RollingRetention,
    SubjectCohort,
    SubjectDay,
    VideoDaily,
)
from analytics.services import rollups_backfill

from .helpers import UTC, T, at, engaged_view, ev, later

D = date(2026, 3, 2)
NOW = later()
TODAY = rollups.local_today(NOW)
pytestmark = pytest.mark.django_db


def test_local_day_boundary_is_midnight_in_shanghai():
    # given one event a second before and one at 16:00 UTC (00:00 in Shanghai)
    ev(T.LIKE, datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC), "a")
    ev(T.LIKE, datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC), "b")
    # when both local days are rolled up
    rollups_backfill(first=date(2026, 3, 1), last=D, now=NOW)
    # then each falls on its own Shanghai day
    assert DailyMetric.objects.get(local_date=date(2026, 3, 1)).dau == 1
    assert DailyMetric.objects.get(local_date=D).dau == 1
    assert SubjectDay.objects.get(subject_id="b").local_date == D


def test_dau_wau_mau_count_only_qualifying_events():
    # given a is active on D-10 and D; b only gets impressions (not active); c active on D-40
    ev(T.LIKE, at(D - timedelta(days=10)), "a")
    ev(T.LIKE, at(D), "a")
    ev(T.IMPRESSION, at(D), "b", video_id=1)
    ev(T.PROGRESS, at(D), "b", video_id=1, value=0.5)  # under 1 s watched: not active
    ev(T.COMMENT, at(D - timedelta(days=5)), "d")
    ev(T.LIKE, at(D - timedelta(days=40)), "c")
    # when
    rollups_backfill(first=D - timedelta(days=40), last=D, now=NOW)
    # then
    metric = DailyMetric.objects.get(local_date=D)
    assert (metric.dau, metric.wau, metric.mau) == (1, 2, 2)
    assert DailyMetric.objects.get(local_date=D - timedelta(days=40)).dau == 1


def test_video_watch_time_takes_the_largest_cumulative_heartbeat():
    # given two heartbeats of one play (4 s then 9 s) and a short view by another subject
    ids = {"video_id": 7, "creator_id": 3}
    ev(T.PLAY, at(D, 10), "a", **ids)
    ev(T.PROGRESS, at(D, 10, 0, 4), "a", value=4, **ids)
    ev(T.PROGRESS, at(D, 10, 0, 9), "a", value=9, **ids)
    ev(T.COMPLETE, at(D, 10, 0, 9), "a", **ids)
    ev(T.PLAY, at(D, 11), "b", **ids)
    ev(T.PROGRESS, at(D, 11, 0, 2), "b", value=2, **ids)
    # when
    rollups.rollup_day(day=D, now=NOW)
    # then 9 + 2 s watched, one engaged view, completion 1 of 2 plays
    video = VideoDaily.objects.get(local_date=D, video_id=7)
    assert (video.plays, video.viewers, video.engaged_views, video.completes) == (2, 2, 1, 1)
    assert video.watch_seconds == pytest.approx(11)
    creator = CreatorDaily.objects.get(local_date=D, creator_id=3)
    assert (creator.plays, creator.viewers, creator.watch_seconds) == (2, 2, pytest.approx(11))


def _signup(subject: str, ts: datetime) -> None:
    ev(T.SIGNUP, ts, subject)


def test_retention_cohorts_classic_with_calendar_days_and_in_progress_cells():
    # given cohort D: a signs up 23:45 and returns 00:01 (day 1), b never returns,
    # c returns on day 7; cohort D+1 is empty; cohort D+2 has one member, 0 % on day 1
    _signup("a", at(D, 23, 45))
    ev(T.LIKE, at(D + timedelta(days=1), 0, 1), "a")
    _signup("b", at(D, 9))
    _signup("c", at(D, 10))
    ev(T.LIKE, at(D + timedelta(days=7)), "c")
    _signup("e", at(D + timedelta(days=2)))
    # when rolled up with "today" = D+8, so T = D+7
    today = D + timedelta(days=8)
    now = at(today, 1)
    rollups_backfill(first=D, last=today - timedelta(days=1), now=now)
    table = selectors.retention_table(first=D, last=D + timedelta(days=2), today=today)
    # then
    cohort, empty, zero = table.rows
    assert cohort["size"] == 3
    assert cohort["d0"] == 1.0
    assert cohort["d1"] == pytest.approx(1 / 3)
    assert cohort["d7"] == pytest.approx(1 / 3)
    assert cohort["d14"] is None  # not reached yet: in progress, never 0 %
    assert empty["size"] == 0
    assert empty["d1"] is None
    assert zero["d1"] == 0.0
    assert zero["d7"] is None
    # weighted mean of mature, non-empty cohorts: (1 + 0) / (3 + 1)
    headline = selectors.retention_headline(table)
    assert headline[1] == pytest.approx(0.25)
    assert headline[7] == pytest.approx(1 / 3)
    assert headline[30] is None


def test_first_signup_decides_the_cohort():
    # given a subject that (wrongly) signs up twice
    _signup("a", at(D))
    _signup("a", at(D + timedelta(days=3)))
    # when
    rollups_backfill(first=D, last=D + timedelta(days=3), now=NOW)
    # then it belongs to the first cohort only
    assert list(SubjectCohort.objects.values_list("subject_id", "signup_date")) == [("a", D)]


def test_rolling_retention_counts_every_day_up_to_the_last_return():
    # given cohort D: a last active on day 10, b on day 2, c never
    for subject in "abc":
        _signup(subject, at(D))
    ev(T.LIKE, at(D + timedelta(days=10)), "a")
    ev(T.LIKE, at(D + timedelta(days=2)), "b")
    # when the horizon (D+30) has closed
    rollups_backfill(first=D, last=D + timedelta(days=30), now=NOW)
    # then a counts for n ≤ 10, b for n ≤ 2
    cells = dict(RollingRetention.objects.filter(cohort_date=D).values_list("n", "retained"))
    assert (cells[0], cells[1], cells[2], cells[3], cells[10], cells[11]) == (3, 2, 2, 1, 1, 0)


def _purchase(subject: str, ts: datetime, course: int = 50, creator: int = 9, amount=9900):
    ev(T.PURCHASE, ts, subject, course_id=course, creator_id=creator, value=amount)


def test_cohort_ltv_is_net_revenue_per_member_until_day_n():
    # given cohort D of two: a buys 9,900 on day 3 and gets 4,900 back on day 20
    _signup("a", at(D))
    _signup("b", at(D))
    _purchase("a", at(D + timedelta(days=3)))
    ev(T.REFUND, at(D + timedelta(days=20)), "a", course_id=50, creator_id=9, value=4900)
    # when
    rollups_backfill(first=D, last=D + timedelta(days=31), now=NOW)
    row = selectors.ltv_table(first=D, last=D, today=D + timedelta(days=32)).rows[0]
    # then LTV7 = 9900/2, LTV30 = 5000/2, LTV90 not yet reached
    assert row["ltv7"] == pytest.approx(4950)
    assert row["ltv30"] == pytest.approx(2500)
    assert row["ltv90"] is None


def test_refunds_count_on_the_refund_day_and_against_their_purchase_cohort():
    # given a purchase on D and its full refund on D+4
    _purchase("a", at(D))
    _purchase("b", at(D), amount=5000)
    ev(T.REFUND, at(D + timedelta(days=4)), "a", course_id=50, creator_id=9, value=9900)
    # when
    rollups_backfill(first=D, last=D + timedelta(days=4), now=NOW)
    # then the cash view puts the refund on D+4, GMV stays on D
    paid, refunded = (
        DailyMetric.objects.get(local_date=D),
        DailyMetric.objects.get(local_date=D + timedelta(days=4)),
    )
    assert (paid.gmv_minor, paid.refunds_minor) == (14900, 0)
    assert (refunded.gmv_minor, refunded.refunds_minor, refunded.refunds) == (0, 9900, 1)
    # and the purchase cohort of D knows its order was refunded
    order = PurchaseAttribution.objects.get(subject_id="a")
    assert order.refunded_minor == 9900
    kpis = {r["key"]: r["value"] for r in selectors.kpi_table(first=D, last=D, today=TODAY).rows}
    assert kpis["refund_rate"] == pytest.approx(9900 / 14900)
    assert kpis["paying_users"] == 1  # a's order was fully refunded
    assert kpis["arppu_minor"] == pytest.approx(5000)
    assert CourseDaily.objects.get(local_date=D + timedelta(days=4)).refunds_minor == 9900


def test_refund_rate_is_in_progress_within_the_refund_policy():
    # given a purchase yesterday
    _purchase("a", at(D))
    rollups.rollup_day(day=D, now=NOW)
    # when read with T = D
    kpis = {
        r["key"]: r["value"]
        for r in selectors.kpi_table(first=D, last=D, today=D + timedelta(days=1)).rows
    }
    # then
    assert kpis["refund_rate"] is None


def test_refund_in_a_later_recompute_window_updates_the_old_purchase():
    # given D was rolled up before the refund arrived
    _purchase("a", at(D))
    rollups.rollup_day(day=D, now=NOW)
    ev(T.REFUND, at(D + timedelta(days=9)), "a", course_id=50, creator_id=9, value=3000)
    # when only the refund's day is rolled up
    rollups.rollup_day(day=D + timedelta(days=9), now=NOW)
    # then the order of D carries the partial refund
    assert PurchaseAttribution.objects.get(subject_id="a").refunded_minor == 3000


def _funnel_rows(first: date, last: date, today: date) -> list[int]:
    table = selectors.funnel_table(first=first, last=last, today=today, course_id=50)
    return [row["subjects"] for row in table.rows]


def test_funnel_is_ordered_within_seven_days_and_holds_the_course_constant():
    c, k, v = 9, 50, 70
    # a: full path in order within the window
    engaged_view(at(D, 10), "a", v, c, k)
    ev(T.COURSE_VIEW, at(D, 11), "a", course_id=k, creator_id=c, video_id=v)
    ev(T.PREVIEW_PLAY, at(D, 12), "a", course_id=k, creator_id=c)
    ev(T.CHECKOUT, at(D + timedelta(days=2)), "a", course_id=k, creator_id=c)
    _purchase("a", at(D + timedelta(days=2), 13), course=k, creator=c)
    # b: skips the preview (drops at S3 of 5 steps, completes the 4-step variant)
    engaged_view(at(D, 10), "b", v, c, k)
    ev(T.COURSE_VIEW, at(D, 11), "b", course_id=k, creator_id=c)
    ev(T.CHECKOUT, at(D, 12), "b", course_id=k, creator_id=c)
    _purchase("b", at(D, 13), course=k, creator=c)
    # e: checkout before the page: out of order, reaches S2 only
    engaged_view(at(D, 10), "e", v, c, k)
    ev(T.CHECKOUT, at(D, 10, 30), "e", course_id=k, creator_id=c)
    ev(T.COURSE_VIEW, at(D, 11), "e", course_id=k, creator_id=c)
    # f: page view 8 days later: outside the window
    engaged_view(at(D, 10), "f", v, c, k)
    ev(T.COURSE_VIEW, at(D + timedelta(days=7), 10, 1), "f", course_id=k, creator_id=c)
    # g: page of another course: course held constant, stays at S1
    engaged_view(at(D, 10), "g", v, c, k)
    ev(T.COURSE_VIEW, at(D, 11), "g", course_id=51, creator_id=c)
    # h: a view under 3 s is not an entry
    ev(T.PROGRESS, at(D, 10), "h", video_id=v, creator_id=c, course_id=k, value=2)
    # when
    rollups_backfill(first=D, last=D + timedelta(days=9), now=NOW)
    # then
    steps = _funnel_rows(D, D, TODAY)
    assert steps[:5] == [5, 3, 1, 1, 1]
    assert steps[5:] == [5, 3, 2, 2]  # 4-step variant: a and b buy
    entry = FunnelEntry.objects.get(subject_id="a")
    assert entry.reached == 5
    assert entry.t5 is not None
    # and a, the one 5-step buyer, took 51 h less the 5 s to the engaged view
    for scope in ({"course_id": k}, {}):  # one course's rows, and the platform's counts
        table = selectors.funnel_table(first=D, last=D, today=TODAY, **scope)
        assert [row["subjects"] for row in table.rows[:5]] == [5, 3, 1, 1, 1]
        assert table.rows[4]["median_hours_to_purchase"] == pytest.approx(51 - 5 / 3600)


def test_funnel_counts_the_first_entry_in_range_and_conversions_after_the_range_end():
    c, k, v = 9, 50, 70
    # a enters on D, views the page on D+3 (after the range end, inside the window),
    # and has another engaged view on D+1 that must not restart the window
    engaged_view(at(D, 10), "a", v, c, k)
    engaged_view(at(D + timedelta(days=1), 10), "a", v, c, k)
    ev(T.COURSE_VIEW, at(D + timedelta(days=3)), "a", course_id=k, creator_id=c)
    # when the range is D..D+1
    rollups_backfill(first=D, last=D + timedelta(days=4), now=NOW)
    steps = _funnel_rows(D, D + timedelta(days=1), TODAY)
    # then a is one entrant who reached the page
    assert steps[:2] == [1, 1]
    in_progress = selectors.funnel_table(
        first=D, last=D + timedelta(days=1), today=D + timedelta(days=5), course_id=k
    ).rows[0]["in_progress"]
    assert in_progress is True


def test_attribution_click_beats_view_and_old_views_are_ignored():
    c, k = 9, 50
    # a: viewed creator's video 1 h before buying, but clicked a course CTA 3 days before
    ev(T.CTA_CLICK, at(D - timedelta(days=3)), "a", video_id=70, course_id=k, creator_id=c)
    engaged_view(at(D, 11), "a", 71, c)
    _purchase("a", at(D, 12), course=k, creator=c)
    # b: only an engaged view 2 h before
    engaged_view(at(D, 10), "b", 72, c)
    _purchase("b", at(D, 12), course=k, creator=c)
    # d: engaged view 25 h before (outside 1 day), click 8 days before (outside 7 days)
    engaged_view(at(D - timedelta(days=1), 11), "d", 73, c)
    ev(T.CTA_CLICK, at(D - timedelta(days=8)), "d", video_id=74, course_id=k, creator_id=c)
    _purchase("d", at(D, 12), course=k, creator=c)
    # e: a short (non-engaged) view of another creator's video
    engaged_view(at(D, 11), "e", 75, 99)
    _purchase("e", at(D, 12), course=k, creator=c)
    # when
    rollups.rollup_day(day=D, now=NOW)
    # then
    got = {
        p.subject_id: (p.touch, p.video_id)
        for p in PurchaseAttribution.objects.filter(local_date=D)
    }
    assert got == {
        "a": ("click", 70),
        "b": ("view", 72),
        "d": ("none", None),
        "e": ("none", None),
    }


def _snapshot() -> dict[str, list]:
    tables = [
        SubjectDay,
        SubjectCohort,
        CohortDay,
        DailyMetric,
        VideoDaily,
        CourseDaily,
        CreatorDaily,
        FunnelEntry,
        FunnelDay,
        ActiveDay,
        PurchaseAttribution,
        RollingRetention,
    ]
    return {
        model.__name__: sorted(
            tuple(sorted((k, str(v)) for k, v in row.items() if k != "id"))
            for row in model._default_manager.values()
        )
        for model in tables
    }


def test_rerunning_days_changes_nothing():
    # given a little of everything, rolled up once
    _signup("a", at(D))
    engaged_view(at(D, 10), "a", 70, 9, 50)
    ev(T.COURSE_VIEW, at(D, 11), "a", course_id=50, creator_id=9, video_id=70)
    _purchase("a", at(D, 12))
    ev(T.REFUND, at(D + timedelta(days=1)), "a", course_id=50, creator_id=9, value=100)
    ev(T.LIKE, at(D + timedelta(days=30)), "a")
    rollups_backfill(first=D, last=D + timedelta(days=31), now=NOW)
    before = _snapshot()
    # when the same days are rolled up again
    rollups_backfill(first=D, last=D + timedelta(days=31), now=NOW)
    # then every rollup row is identical
    assert _snapshot() == before
    assert before["PurchaseAttribution"]
    assert before["ActiveDay"]
    assert before["FunnelDay"]
    assert before["RollingRetention"]


def test_late_events_are_picked_up_by_the_next_recent_refresh():
    from analytics.services import event_record, rollups_refresh_recent

    # given today's refresh ran once
    now = at(D + timedelta(days=20), 12)
    rollups_refresh_recent(days=1, now=now)
    # when an event for ten days ago arrives afterwards (it marks its day dirty)
    event_record(type=T.LIKE, subject_id="late", ts=at(D + timedelta(days=10)))
    rollups_refresh_recent(days=1, now=now + timedelta(minutes=10))
    # then that old day was recomputed
    assert DailyMetric.objects.get(local_date=D + timedelta(days=10)).dau == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_rolling_up_the_same_day_leave_one_copy(postgres):
    import threading

    from django.db import connection

    # given a day with activity
    for n in range(20):
        engaged_view(at(D, 10), f"u{n}", 70, 9, 50)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            rollups.rollup_day(day=D, now=NOW)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    # when two threads rebuild it at once (the advisory lock serialises them)
    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert errors == []
    assert SubjectDay.objects.filter(local_date=D).count() == 20
    assert VideoDaily.objects.get(local_date=D).engaged_views == 20


def test_recommender_ctr_counts_feed_events_per_version_only():
    # given version 5's feed: 3 impressions and 1 play; a page's similar list under version 5;
    # a trending page (version null) and an untagged impression
    feed = {"model_version": 5, "tab": "for_you"}
    for minute in range(3):
        ev(T.IMPRESSION, at(D, 10, minute), "a", video_id=1, props=feed)
    ev(T.PLAY, at(D, 10, 5), "a", video_id=1, props=feed)
    similar = {"model_version": 5, "surface": "similar", "from": "v9"}
    ev(T.IMPRESSION, at(D, 11), "a", video_id=2, props=similar)
    ev(T.PLAY, at(D, 11, 1), "a", video_id=2, props={**similar, "clicked": True})
    ev(T.IMPRESSION, at(D, 12), "b", video_id=3, props={"model_version": None})
    ev(T.IMPRESSION, at(D, 12), "b", video_id=3)
    # when
    rollups.rollup_day(day=D, now=NOW)
    # then
    rows = RecommenderDaily.objects.filter(local_date=D)
    assert [(r.model_version, r.impressions, r.plays) for r in rows] == [("5", 3, 1)]
