"""Late data corrects every stored figure it touches (issue 17, item 5).

Events arrive through the services (which mark their past days dirty); the
scheduled refresh then rebuilds the dirty days and what depends on them. The
property: after random late arrivals, every rollup table equals a rebuild from
scratch over the same raw events, and DAU/WAU/MAU equal a brute-force count.
"""

import uuid
from datetime import date, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import rollups
from analytics.models import (
    ActiveDay,
    BreakdownDaily,
    CohortDay,
    CourseDaily,
    CreatorDaily,
    DailyMetric,
    DirtyDay,
    Event,
    FunnelDay,
    FunnelEntry,
    PurchaseAttribution,
    RecommenderDaily,
    RollingRetention,
    SubjectCohort,
    SubjectDay,
    SubjectEventFirst,
    SubjectTypeDay,
    VideoDaily,
)
from analytics.rollups.definitions import QUALIFYING_TYPES
from analytics.services import (
    event_record,
    events_load_rows,
    rollups_backfill,
    rollups_refresh_recent,
)

from .helpers import T, at

pytestmark = pytest.mark.django_db

BASE = date(2026, 3, 2)
SPAN = 36  # long enough for a cohort's day-30 to close inside it
NOW = at(BASE + timedelta(days=SPAN), 12)
LATER = NOW + timedelta(minutes=10)
TODAY = rollups.local_date_of(NOW)
ROLLUPS = [
    SubjectTypeDay,
    SubjectEventFirst,
    BreakdownDaily,
    SubjectDay,
    ActiveDay,
    SubjectCohort,
    CohortDay,
    RollingRetention,
    DailyMetric,
    VideoDaily,
    CourseDaily,
    CreatorDaily,
    FunnelEntry,
    FunnelDay,
    PurchaseAttribution,
    RecommenderDaily,
]

# What a viewer can do, as the events the server or a page stores for it.
KINDS: dict[str, list[tuple[str, dict]]] = {
    "signup": [(T.SIGNUP, {})],
    "like": [(T.LIKE, {"video_id": 70, "creator_id": 9})],
    "watch": [
        (T.PLAY, {"video_id": 70, "creator_id": 9, "course_id": 50}),
        (T.PROGRESS, {"video_id": 70, "creator_id": 9, "course_id": 50, "value": 5.3}),
    ],
    "glance": [(T.PROGRESS, {"video_id": 71, "creator_id": 9, "value": 0.7})],
    "click": [(T.CTA_CLICK, {"video_id": 70, "creator_id": 9, "course_id": 50})],
    "page": [(T.COURSE_VIEW, {"video_id": 70, "creator_id": 9, "course_id": 50})],
    "checkout": [(T.CHECKOUT, {"course_id": 50, "creator_id": 9})],
    "purchase": [(T.PURCHASE, {"course_id": 50, "creator_id": 9, "value": 9900})],
    "refund": [(T.REFUND, {"course_id": 50, "creator_id": 9, "value": 9900})],
}

PLATFORM = {"a": "app", "b": "web", "c": "mobile_web"}
actions = st.tuples(
    st.integers(0, SPAN - 1),  # day
    st.integers(0, 23),  # hour
    st.sampled_from(["a", "b", "c"]),  # subject
    st.sampled_from(sorted(KINDS)),
)


def _load(items: list[tuple[int, int, str, str]]) -> None:
    rows: list[tuple] = []
    for day, hour, subject, kind in items:
        for i, (type_, fields) in enumerate(KINDS[kind]):
            ts = at(BASE + timedelta(days=day), hour, i)
            rows.append(
                (
                    ts,
                    ts,
                    subject,
                    "",
                    type_,
                    fields.get("video_id"),
                    fields.get("course_id"),
                    fields.get("creator_id"),
                    float(fields.get("value", 0)),
                    {},
                    Event.Source.SEED,
                    uuid.uuid4().hex,
                    {"platform": PLATFORM[subject], "channel": "social" if hour % 2 else "direct"},
                )
            )
    events_load_rows(rows=rows)


def _snapshot() -> dict[str, list]:
    return {
        model.__name__: sorted(
            tuple(sorted((k, repr(v)) for k, v in row.items() if k != "id"))
            for row in model._default_manager.values()
        )
        for model in ROLLUPS
    }


def _brute_active(day: date, days: int) -> int:
    first = day - timedelta(days=days - 1)
    subjects = set()
    for event in Event.objects.all():
        local = rollups.local_date_of(event.ts)
        qualifies = event.type in QUALIFYING_TYPES or (
            event.type == T.PROGRESS and event.value >= 1
        )
        if qualifies and first <= local <= day:
            subjects.add(event.subject_id)
    return len(subjects)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    base=st.lists(actions, max_size=20),
    late=st.lists(actions, min_size=1, max_size=8),
)
def test_incremental_rollups_after_late_events_equal_a_rebuild_from_scratch(base, late):
    with transaction.atomic():
        # given every day rolled up once, as the schedule leaves them
        _load(base)
        rollups_backfill(first=BASE, last=TODAY, now=NOW)
        DirtyDay.objects.all().delete()
        # when late events arrive and the next ten-minute refresh runs
        _load(late)
        rollups_refresh_recent(days=1, now=LATER)
        incremental = _snapshot()
        # then every rollup equals a rebuild from scratch over the same events
        for model in ROLLUPS:
            model._default_manager.all().delete()
        rollups_backfill(first=BASE, last=TODAY, now=LATER)
        assert incremental == _snapshot()
        # and the activity figures equal a brute-force count over raw events
        for day in {BASE + timedelta(days=d) for d, *_ in late}:
            metric = DailyMetric.objects.get(local_date=day)
            assert (metric.dau, metric.wau, metric.mau) == (
                _brute_active(day, 1),
                _brute_active(day, 7),
                _brute_active(day, 30),
            )
        transaction.set_rollback(True)


def test_a_late_event_marks_only_its_past_day_and_the_refresh_claims_it():
    # given an event for three days ago and one for today, recorded by the server
    now = datetime.now(tz=rollups.report_tz())
    event_record(type=T.LIKE, subject_id="a", ts=now - timedelta(days=3))
    event_record(type=T.LIKE, subject_id="a", ts=now)
    # then only the past day waits for the refresh
    assert list(DirtyDay.objects.values_list("local_date", flat=True)) == [
        (now - timedelta(days=3)).date()
    ]
    # and the refresh rebuilds it and leaves no mark behind
    done = rollups_refresh_recent(days=1)
    assert (now - timedelta(days=3)).date() in done
    assert not DirtyDay.objects.exists()
    assert DailyMetric.objects.get(local_date=(now - timedelta(days=3)).date()).dau == 1


def test_a_late_like_updates_the_stored_mau_of_the_days_after_it():
    # given a quiet month, rolled up
    rollups_backfill(first=BASE, last=TODAY, now=NOW)
    assert DailyMetric.objects.get(local_date=BASE + timedelta(days=20)).mau == 0
    # when a like for day 0 arrives late
    event_record(type=T.LIKE, subject_id="late", ts=at(BASE))
    rollups_refresh_recent(days=1, now=LATER)
    # then MAU counts it for the 30 days it covers, and WAU for 7
    mau = dict(DailyMetric.objects.values_list("local_date", "mau"))
    wau = dict(DailyMetric.objects.values_list("local_date", "wau"))
    assert [mau[BASE + timedelta(days=d)] for d in (0, 29, 30)] == [1, 1, 0]
    assert [wau[BASE + timedelta(days=d)] for d in (0, 6, 7)] == [1, 1, 0]


def test_a_late_signup_moves_the_member_and_corrects_matured_retention():
    # given a subject who signed up on day 3 and came back on day 4, all rolled up
    event_record(type=T.SIGNUP, subject_id="s", ts=at(BASE + timedelta(days=3)))
    event_record(type=T.LIKE, subject_id="s", ts=at(BASE + timedelta(days=4)))
    rollups_backfill(first=BASE, last=TODAY, now=NOW)
    DirtyDay.objects.all().delete()
    # when an earlier signup (day 1) arrives late
    event_record(type=T.SIGNUP, subject_id="s", ts=at(BASE + timedelta(days=1)))
    rollups_refresh_recent(days=1, now=LATER)
    # then the subject left cohort day 3 for day 1, in every table that counts cohorts
    assert SubjectCohort.objects.get(subject_id="s").signup_date == BASE + timedelta(days=1)
    new_users = dict(DailyMetric.objects.values_list("local_date", "new_users"))
    assert (new_users[BASE + timedelta(days=1)], new_users[BASE + timedelta(days=3)]) == (1, 0)
    assert list(
        CohortDay.objects.filter(local_date=BASE + timedelta(days=4)).values_list(
            "cohort_date", "active"
        )
    ) == [(BASE + timedelta(days=1), 1)]
    rolled = RollingRetention.objects.filter(n=3)
    assert list(rolled.values_list("cohort_date", "retained")) == [(BASE + timedelta(days=1), 1)]


def test_a_late_refund_corrects_the_paying_users_of_its_purchase_day():
    # given a purchase on day 2, rolled up
    event_record(
        type=T.PURCHASE, subject_id="p", ts=at(BASE + timedelta(days=2)), course_id=50, value=9900
    )
    rollups_backfill(first=BASE, last=TODAY, now=NOW)
    assert DailyMetric.objects.get(local_date=BASE + timedelta(days=2)).paying_users == 1
    # when its full refund (day 5) arrives late
    event_record(
        type=T.REFUND, subject_id="p", ts=at(BASE + timedelta(days=5)), course_id=50, value=9900
    )
    rollups_refresh_recent(days=1, now=LATER)
    # then the purchase day no longer counts a paying user
    assert DailyMetric.objects.get(local_date=BASE + timedelta(days=2)).paying_users == 0


def test_reruns_store_bit_identical_watch_seconds():
    # given many viewers with fractional watch times on two videos of one creator
    for i in range(40):
        for video in (70, 71):
            Event.objects.create(
                type=T.PROGRESS,
                ts=at(BASE, 10, i),
                subject_id=f"v{i}",
                video_id=video,
                creator_id=9,
                value=0.1 * (i + 1) + 1e-9 * video,
            )
    rollups_backfill(first=BASE, last=BASE, now=NOW)
    first = CreatorDaily.objects.get().watch_seconds, DailyMetric.objects.get().watch_seconds
    # when the day is rebuilt again
    rollups_backfill(first=BASE, last=BASE, now=NOW)
    # then the floats are identical to the last bit, and equal the ordered sum
    again = CreatorDaily.objects.get().watch_seconds, DailyMetric.objects.get().watch_seconds
    assert again == first
    assert first[0].hex() == first[1].hex()
