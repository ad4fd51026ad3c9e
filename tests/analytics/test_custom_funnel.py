"""Custom funnels from the first-of-day rollup equal a brute force over raw events (issue 17, item 3)."""

from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analytics import rollups, selectors
from analytics.models import Event
from analytics.rollups.definitions import SUBJECT_LEVEL_TYPES
from analytics.rollups.event_firsts import epoch_us
from analytics.services import rollups_backfill

from .helpers import T, at, ev, later

pytestmark = pytest.mark.django_db
D = date(2026, 3, 2)
DAYS = 6
BUCKETS = selectors.CONVERT_BUCKETS


def _brute(query: selectors.FunnelQuery) -> tuple[list[int], list[list[int]], dict[int, set]]:
    """Counts per step, time-to-convert buckets and drop-off sets, straight from raw events."""
    firsts: dict[tuple[str, str, date], datetime] = {}
    for e in Event.objects.all():
        in_scope = (
            e.type in SUBJECT_LEVEL_TYPES
            or (query.course_id is None and query.creator_id is None)
            or (query.course_id is not None and e.course_id == query.course_id)
            or (query.creator_id is not None and e.creator_id == query.creator_id)
        )
        if in_scope:
            key = (e.subject_id, e.type, rollups.local_date_of(e.ts))
            firsts[key] = min(firsts.get(key, e.ts), e.ts)
    times: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for (subject, type_, _), ts in firsts.items():
        times[(subject, type_)].append(ts)
    window = timedelta(seconds=query.window_seconds)
    n = len(query.steps)
    counts, buckets = [0] * n, [[0] * (len(BUCKETS) + 1) for _ in range(n)]
    reached: dict[int, set] = defaultdict(set)
    for subject in {s for s, _ in times}:
        entries = [
            t
            for t in times[(subject, query.steps[0])]
            if query.first <= rollups.local_date_of(t) <= query.last
        ]
        if not entries:
            continue
        got = [min(entries)]
        for j, event in enumerate(query.steps[1:], start=1):
            same = [got[i] for i in range(j) if query.steps[i] == event]
            found = [
                t
                for t in times[(subject, event)]
                if got[-1] <= t < got[0] + window and (not same or t > same[-1])
            ]
            if not found:
                break
            got.append(min(found))
        for j, t in enumerate(got):
            counts[j] += 1
            reached[j + 1].add(subject)
            if j:
                seconds = (t - got[0]).total_seconds()
                buckets[j][sum(seconds >= edge for edge in BUCKETS)] += 1
    drops = {j: reached[j - 1] - reached[j] for j in range(2, n + 1)}
    return counts, buckets, drops


TYPES = [T.PLAY, T.COURSE_VIEW, T.PURCHASE, T.SIGNUP]
event_strategy = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from(TYPES),
    st.integers(0, DAYS - 1),  # day
    st.integers(0, 86399),  # second of the local day
    st.sampled_from([None, 1, 2]),  # course (its creator is 10 + course)
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=st.lists(event_strategy, min_size=1, max_size=25),
    late=st.lists(event_strategy, max_size=8),
    order=st.permutations(range(DAYS)),
    steps=st.lists(st.sampled_from(TYPES), min_size=2, max_size=4),
    window=st.sampled_from([3600, 6 * 3600, 86400, 3 * 86400]),
    span=st.tuples(st.integers(0, DAYS - 1), st.integers(0, 2)),
    scope=st.sampled_from(["all", "course", "creator"]),
)
@example(  # days built newest first, then a late play before them: each must re-chain
    events=[("a", T.PLAY, 1, 100, 1), ("a", T.PLAY, 3, 100, 1)],
    late=[("a", T.PLAY, 0, 100, 1)],
    order=[5, 4, 3, 2, 1, 0],
    steps=[T.PLAY, T.COURSE_VIEW],
    window=3600,
    span=(0, 2),
    scope="course",
)
def test_funnel_equals_brute_force_over_raw_events(events, late, order, steps, window, span, scope):
    with transaction.atomic():
        # given days rolled up in any order, then late events rolling up their own days
        _store(events)
        for day in order:
            rollups.rollup_day(day=D + timedelta(days=day), now=later())
        _store(late)
        for day in sorted({day for _, _, day, _, _ in late}, reverse=True):
            rollups.rollup_day(day=D + timedelta(days=day), now=later())
        first = D + timedelta(days=span[0])
        query = selectors.funnel_query(
            steps=steps,
            window_seconds=window,
            first=first,
            last=first + timedelta(days=span[1]),
            course_id=1 if scope == "course" else None,
            creator_id=11 if scope == "creator" else None,
        )
        funnel = selectors.custom_funnel(query=query, today=D + timedelta(days=60))
        counts, buckets, drops = _brute(query)
        assert [s.subjects for s in funnel.steps] == counts
        assert [s.to_convert for s in funnel.steps[1:]] == buckets[1:]
        for j in range(2, len(steps) + 1):
            found = selectors.custom_funnel_drop_offs(query=query, step=j)
            assert set(found) == drops[j]
        transaction.set_rollback(True)


def _store(events: list[tuple[str, str, int, int, int | None]]) -> None:
    for subject, type_, day, second, course in events:
        ts = at(D + timedelta(days=day), 0) + timedelta(seconds=second)
        creator = None if course is None else 10 + course
        ev(type_, ts, subject, course_id=course, creator_id=creator)


def _query(**overrides) -> selectors.FunnelQuery:
    args = {
        "steps": [T.COURSE_VIEW, T.PURCHASE],
        "window_seconds": 3600,
        "first": D,
        "last": D,
        **overrides,
    }
    return selectors.funnel_query(**args)


def _count(query: selectors.FunnelQuery) -> list[int]:
    return [
        s.subjects for s in selectors.custom_funnel(query=query, today=D + timedelta(days=60)).steps
    ]


def test_window_edges_exclude_the_end_and_include_the_entry_instant():
    # given a page view at 12:00; one buyer exactly an hour later, one a microsecond before
    ev(T.COURSE_VIEW, at(D, 12), "late", course_id=1)
    ev(T.PURCHASE, at(D, 13), "late", course_id=1)
    ev(T.COURSE_VIEW, at(D, 12), "just", course_id=1)
    ev(T.PURCHASE, at(D, 13) - timedelta(microseconds=1), "just", course_id=1)
    # and one who bought at the same instant as the page view
    ev(T.COURSE_VIEW, at(D, 12), "same", course_id=1)
    ev(T.PURCHASE, at(D, 12), "same", course_id=1)
    rollups_backfill(first=D, last=D, now=later())
    # then a one-hour window is [t1, t1 + 1 h)
    assert _count(_query()) == [3, 2]
    assert set(selectors.custom_funnel_drop_offs(query=_query(), step=2)) == {"late"}
    # and a two-hour window takes the late buyer too
    assert _count(_query(window_seconds=7200)) == [3, 3]


def test_the_range_bounds_entry_only_and_a_later_entry_does_not_restart_the_window():
    # given a page view on day 0, another on day 3, and a purchase on day 3
    ev(T.COURSE_VIEW, at(D, 10), "a", course_id=1)
    ev(T.COURSE_VIEW, at(D + timedelta(days=3), 10), "a", course_id=1)
    ev(T.PURCHASE, at(D + timedelta(days=3), 10, 30), "a", course_id=1)
    rollups_backfill(first=D, last=D + timedelta(days=4), now=later())
    # then a 1-day window from the day-0 entry misses the purchase
    assert _count(_query(window_seconds=86400, last=D + timedelta(days=3))) == [1, 0]
    # a 7-day window from an entry range of day 0 only reaches it (after the range)
    assert _count(_query(window_seconds=7 * 86400)) == [1, 1]
    # and an entry range starting on day 3 enters at the day-3 view
    assert _count(_query(first=D + timedelta(days=3), last=D + timedelta(days=3))) == [1, 1]


def test_course_and_creator_filters_hold_for_every_step_but_signup():
    # given a signup, then a view and purchase of course 1 (creator 11) and a purchase of course 2
    ev(T.SIGNUP, at(D, 9), "a")
    ev(T.COURSE_VIEW, at(D, 10), "a", course_id=1, creator_id=11)
    ev(T.PURCHASE, at(D, 11), "a", course_id=2, creator_id=11)
    ev(T.SIGNUP, at(D, 9), "b")
    ev(T.COURSE_VIEW, at(D, 10), "b", course_id=1, creator_id=11)
    ev(T.PURCHASE, at(D, 11), "b", course_id=1, creator_id=11)
    rollups_backfill(first=D, last=D, now=later())
    steps = [T.SIGNUP, T.COURSE_VIEW, T.PURCHASE]
    day = 86400
    # then a course filter needs the same course at each step; signup is platform-wide
    assert _count(_query(steps=steps, window_seconds=day, course_id=1)) == [2, 2, 1]
    assert _count(_query(steps=steps, window_seconds=day, course_id=2)) == [2, 0, 0]
    # and a creator filter accepts any of the creator's courses
    assert _count(_query(steps=steps, window_seconds=day, creator_id=11)) == [2, 2, 2]
    assert _count(_query(steps=steps, window_seconds=day)) == [2, 2, 2]


def test_a_repeated_step_needs_a_later_event():
    # given one play on day 0 and one on day 1 by a, only one play by b
    ev(T.PLAY, at(D, 10), "a")
    ev(T.PLAY, at(D + timedelta(days=1), 10), "a")
    ev(T.PLAY, at(D, 10), "b")
    rollups_backfill(first=D, last=D + timedelta(days=1), now=later())
    # then "played, played again" counts a only
    assert _count(_query(steps=[T.PLAY, T.PLAY], window_seconds=2 * 86400)) == [2, 1]


def test_one_query_and_in_progress_until_the_last_window_closes():
    rollups_backfill(first=D, last=D, now=later())
    with CaptureQueriesContext(connection) as queries:
        funnel = selectors.custom_funnel(
            query=_query(steps=[T.PLAY, T.COURSE_VIEW, T.CHECKOUT, T.PURCHASE, T.LESSON_COMPLETE]),
            today=D + timedelta(days=2),
        )
    # one statement reads the rollup (besides the transaction and work_mem setting around it)
    reads = [
        q["sql"] for q in queries if "SAVEPOINT" not in q["sql"] and "work_mem" not in q["sql"]
    ]
    assert len(reads) == 1
    assert "analytics_subjecteventfirst" in reads[0]
    assert funnel.closed
    week = _query(window_seconds=7 * 86400)
    assert not selectors.custom_funnel(query=week, today=D + timedelta(days=7)).closed
    assert selectors.custom_funnel(query=week, today=D + timedelta(days=8)).closed


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"steps": [T.PLAY]}, "2 to 5 steps"),
        ({"steps": [T.PLAY] * 6}, "2 to 5 steps"),
        ({"steps": [T.PLAY, "video.exploded"]}, "Unknown events"),
        ({"window_seconds": 3599}, "1 hour to 30 days"),
        ({"window_seconds": 30 * 86400 + 1}, "1 hour to 30 days"),
        ({"last": D - timedelta(days=1)}, "run forward"),
        ({"course_id": 1, "creator_id": 2}, "not both"),
    ],
)
def test_bad_definitions_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        _query(**overrides)


def test_drop_off_step_is_checked():
    with pytest.raises(ValueError, match="from 2 to 2"):
        selectors.custom_funnel_drop_offs(query=_query(), step=3)


def test_first_of_day_times_keep_microseconds():
    moment = at(D, 12) + timedelta(microseconds=123457)
    ev(T.LIKE, moment, "a", video_id=1, creator_id=5)
    rollups_backfill(first=D, last=D, now=later())
    from analytics.models import SubjectEventFirst

    rows = set(SubjectEventFirst.objects.values_list("scope", "scope_id", "first_us"))
    assert rows == {(0, 0, epoch_us(moment)), (2, 5, epoch_us(moment))}


def _chain() -> dict[tuple, object]:
    from analytics.models import SubjectEventFirst

    return {
        (row.local_date, row.subject_id, row.type, row.scope, row.scope_id): row.prev_date
        for row in SubjectEventFirst.objects.all()
    }


def test_an_earlier_day_gaining_or_losing_a_key_re_chains_the_next_row_only():
    # given plays on days 2 and 4, rolled up: day 4 points at day 2
    ev(T.PLAY, at(D + timedelta(days=2)), "a", course_id=1, creator_id=11)
    ev(T.PLAY, at(D + timedelta(days=4)), "a", course_id=1, creator_id=11)
    rollups_backfill(first=D, last=D + timedelta(days=DAYS - 1), now=later())
    assert _chain()[(D + timedelta(days=4), "a", T.PLAY, 1, 1)] == D + timedelta(days=2)
    # when a play of day 3 arrives late and only day 3 is rebuilt
    late = ev(T.PLAY, at(D + timedelta(days=3)), "a", course_id=1, creator_id=11)
    rollups.rollup_day(day=D + timedelta(days=3), now=later())
    # then day 4 points at day 3 in every scope, as a rebuild from scratch has it
    chain = _chain()
    assert {prev for (day, *_), prev in chain.items() if day == D + timedelta(days=4)} == {
        D + timedelta(days=3)
    }
    assert _count(
        _query(
            steps=[T.PLAY, T.PLAY],
            first=D + timedelta(days=4),
            last=D + timedelta(days=4),
            window_seconds=3600,
        )
    ) == [1, 0]
    rollups_backfill(first=D, last=D + timedelta(days=DAYS - 1), now=later())
    assert _chain() == chain
    # when that play is gone again (say, merged into another subject) and day 3 rebuilt
    late.delete()
    rollups.rollup_day(day=D + timedelta(days=3), now=later())
    # then day 4 points back at day 2, and a range starting on day 3 enters on day 4
    assert {prev for (day, *_), prev in _chain().items() if day == D + timedelta(days=4)} == {
        D + timedelta(days=2)
    }
    entered = selectors.custom_funnel(
        query=_query(
            steps=[T.PLAY, T.PLAY],
            first=D + timedelta(days=3),
            last=D + timedelta(days=5),
            window_seconds=3600,
        ),
        today=D + timedelta(days=60),
    )
    assert [s.subjects for s in entered.steps] == [1, 0]
