"""Learned exploration in the feed: Thompson sampling over fresh videos, propensities served."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from analytics.models import Event
from courses.models import NotInterested, ShortVideo, WatchState
from recommendations import services
from recommendations.models import UserRecommendation
from recommendations.serving import recommend_for_user

# On one worker, so the module's demo world is seeded once (conftest.py, ``seeded_demo``).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seeded-exploration-serving")]


@pytest.fixture
def platform(seeded_demo, settings) -> None:
    """The module's seeded demo world (tests/recommendations/conftest.py)."""
    settings.RECOMMENDATIONS_SEQUENCE = False  # not what these tests are about
    settings.RECOMMENDATIONS_TOP_N = 12  # leaves videos outside the lists to explore


def _viewer_and_fresh(count: int) -> tuple[User, list[int]]:
    """A viewer with a stored list, and ``count`` videos made fresh that it does not hold."""
    services.recommender_retrain()
    row = UserRecommendation.objects.order_by("user_id").first()
    assert row is not None
    listed = {int(k[1:]) for k, _ in row.items if k[0] == "v"}
    fresh = list(
        ShortVideo.objects.exclude(pk__in=listed)
        .exclude(creator_id=row.user_id)
        .exclude(pk__in=WatchState.objects.filter(user_id=row.user_id).values("video_id"))
        .exclude(pk__in=NotInterested.objects.filter(user_id=row.user_id).values("video_id"))
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    assert len(fresh) == count
    ShortVideo.objects.exclude(pk__in=fresh).update(
        published_at=timezone.now() - timedelta(days=30)
    )
    ShortVideo.objects.filter(pk__in=fresh).update(published_at=timezone.now())
    cache.clear()
    return User.objects.get(pk=row.user_id), fresh


def test_the_feed_serves_every_item_with_its_propensity(platform) -> None:
    # given
    viewer, fresh = _viewer_and_fresh(3)
    client = APIClient()
    client.force_authenticate(viewer)
    # when
    results = client.get("/api/v1/recommendations/feed?limit=30").json()["results"]
    # then: exploration picks are fresh videos with a propensity below 1 and their pool size
    explored = [r for r in results if r["reason_kind"] == "fresh"]
    assert explored
    assert {r["video"]["id"] for r in explored} <= set(fresh)
    assert all(0 < r["propensity"] < 1 and 1 <= r["explore_candidates"] <= 3 for r in explored)
    # and every other item was served deterministically
    others = [r for r in results if r["reason_kind"] != "fresh"]
    assert others
    assert all(r["propensity"] == 1 and r["explore_candidates"] is None for r in others)


def test_exploration_learns_from_logged_impressions_and_plays(platform) -> None:
    # given: one fresh video that was played after half its impressions, two never played
    viewer, fresh = _viewer_and_fresh(3)
    winner, *losers = fresh
    now = timezone.now()
    events = [
        Event(subject_id=f"s{n}", type=Event.Type.IMPRESSION, ts=now, video_id=video)
        for video in fresh
        for n in range(200)
    ]
    events += [
        Event(subject_id=f"s{n}", type=Event.Type.PLAY, ts=now, video_id=winner) for n in range(100)
    ]
    Event.objects.bulk_create(events)
    cache.clear()
    # when: the first exploration slot is filled, many times
    picks = []
    for _ in range(30):
        page = recommend_for_user(user_id=viewer.pk, kind="video", limit=30)
        first = next(s for s in page.items if s.reason.get("kind") == "fresh")
        picks.append((first.id, first.propensity))
    # then: the posterior all but settles on the winner; a loser keeps the uniform floor
    for video, propensity in picks:
        if video == winner:
            assert propensity > 0.85
        else:
            assert video in losers
            assert propensity < 0.1
    assert sum(video == winner for video, _ in picks) > len(picks) / 2
