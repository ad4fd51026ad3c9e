"""Distinct counts for any range come from previous-day chains; check them against brute force.

Days are rolled up in any order and rebuilt after their events change; for
every range, funnel counts must equal "each (subject, course)'s first entry in
the range" and active subjects must equal a distinct count, both computed here
from the stored rows.
"""

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from analytics import rollups
from analytics.models import Event, FunnelEntry, SubjectDay
from analytics.selectors.funnel import funnel_entries

from .helpers import T, at, engaged_view, ev

pytestmark = pytest.mark.django_db
D0 = date(2026, 3, 2)
DAYS = [D0 + timedelta(days=i) for i in range(6)]


def _brute_force(first: date, last: date, creator: int | None = None) -> Counter:
    firsts: dict[tuple[str, int], FunnelEntry] = {}
    entries = FunnelEntry.objects.filter(entry_date__range=(first, last)).order_by("entry_date")
    for entry in entries:
        if creator is None or entry.creator_id == creator:
            firsts.setdefault((entry.subject_id, entry.course_id), entry)
    return Counter((e.reached, e.reached_4) for e in firsts.values())


def _assert_every_range_matches() -> None:
    for i, first in enumerate(DAYS):
        for last in DAYS[i:]:
            counts, _ = funnel_entries(first=first, last=last)
            assert Counter(counts) == _brute_force(first, last), (first, last)
            scoped, _ = funnel_entries(first=first, last=last, creator_id=1)
            assert Counter(scoped) == _brute_force(first, last, creator=1), (first, last)


def _random_behaviour(rng: random.Random) -> None:
    for subject in range(12):
        for day in rng.sample(DAYS, k=rng.randint(1, 4)):
            course = rng.choice([10, 20])
            creator = course // 10
            engaged_view(at(day, rng.randint(8, 20)), f"s{subject}", 100 + course, creator, course)
            if rng.random() < 0.5:
                ev(T.COURSE_VIEW, at(day, 21), f"s{subject}", course_id=course, creator_id=creator)


@pytest.mark.parametrize("seed", range(4))
def test_counts_match_brute_force_whatever_the_rebuild_order(seed):
    rng = random.Random(seed)
    _random_behaviour(rng)
    # when the days are rolled up in a shuffled order
    for day in rng.sample(DAYS, k=len(DAYS)):
        rollups.funnel_entry_day(day=day)
    # then every range agrees with brute force
    _assert_every_range_matches()
    # when one middle day loses its events (an erasure) and only that day is rebuilt
    middle = DAYS[2]
    start, end = rollups.day_bounds(middle)
    Event.objects.filter(ts__gte=start, ts__lt=end).delete()
    rollups.funnel_entry_day(day=middle)
    # then later entries point past it, and every range still agrees
    _assert_every_range_matches()
    # and a rebuild that changes nothing keeps every count
    before = list(FunnelEntry.objects.values_list("subject_id", "entry_date", "prev_entry_date"))
    rollups.funnel_entry_day(day=DAYS[1])
    after = list(FunnelEntry.objects.values_list("subject_id", "entry_date", "prev_entry_date"))
    assert sorted(after) == sorted(before)


def test_previous_entries_older_than_any_range_count_as_none():
    # given entries of one pair 400 days apart, and a third 10 days after the second
    old, recent = D0 - timedelta(days=400), D0
    for day in (old, recent, recent + timedelta(days=10)):
        engaged_view(at(day, 10), "a", 110, 1, 10)
        rollups.funnel_entry_day(day=day)
    # then the second entry is a first entry for every range that holds it
    counts, _ = funnel_entries(first=recent, last=recent + timedelta(days=10))
    assert sum(counts.values()) == 1
    entry = FunnelEntry.objects.get(entry_date=recent + timedelta(days=10))
    assert entry.prev_entry_date == recent


def _distinct_active(first: date, last: date) -> int:
    active = SubjectDay.objects.filter(local_date__range=(first, last), qualifying__gt=0)
    return active.values("subject_id").distinct().count()


@pytest.mark.parametrize("seed", range(3))
def test_active_subjects_of_any_range_match_a_distinct_count(seed):
    # given subjects active on random days, some days with only non-qualifying events
    rng = random.Random(seed)
    for subject in range(15):
        for day in rng.sample(DAYS, k=rng.randint(1, 4)):
            kind = T.LIKE if rng.random() < 0.8 else T.IMPRESSION
            ev(kind, at(day, rng.randint(8, 20)), f"s{subject}", video_id=5)
    # when the days are rolled up in a shuffled order, then one day is erased and rebuilt
    for day in rng.sample(DAYS, k=len(DAYS)):
        rollups.rollup_day(day=day)
    ranges = [(f, last) for i, f in enumerate(DAYS) for last in DAYS[i:]]
    assert all(rollups.distinct_active(f, last) == _distinct_active(f, last) for f, last in ranges)
    start, end = rollups.day_bounds(DAYS[3])
    Event.objects.filter(ts__gte=start, ts__lt=end).delete()
    rollups.rollup_day(day=DAYS[3])
    # then every range still equals the distinct count
    for first, last in ranges:
        assert rollups.distinct_active(first, last) == _distinct_active(first, last), (first, last)
