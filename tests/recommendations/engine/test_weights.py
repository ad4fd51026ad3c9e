"""Event weights, time decay and pair aggregation."""

import numpy as np
import pytest

from recommendations.engine.weights import (
    EventType,
    aggregate_pairs,
    build_interactions,
    event_weights,
    time_decay,
)

DAY = 86_400.0


@pytest.mark.parametrize(
    ("event", "ratio", "expected"),
    [
        (EventType.VIEW, 0.29, 0.0),
        (EventType.VIEW, 0.30, 1.0),
        (EventType.VIEW, 0.94, 1.0),
        (EventType.VIEW, 0.95, 2.0),
        (EventType.LIKE, np.nan, 3.0),
        (EventType.COMMENT, np.nan, 3.0),
        (EventType.SHARE, np.nan, 3.0),
        (EventType.PURCHASE, np.nan, 5.0),
        (EventType.COURSE_VIEW, np.nan, 1.0),
        (EventType.COURSE_PREVIEW, np.nan, 2.0),
    ],
)
def test_event_weights_follow_the_table(event: EventType, ratio: float, expected: float) -> None:
    # given one event
    events, ratios = np.array([event]), np.array([ratio])
    # when
    weights = event_weights(events, ratios)
    # then
    assert weights.tolist() == [expected]


def test_time_decay_halves_every_half_life_and_ignores_future() -> None:
    # given events now, one and two half-lives ago, and one in the future
    now = 1_000 * DAY
    stamps = np.array([now, now - 3 * DAY, now - 6 * DAY, now + DAY])
    # when
    decay = time_decay(stamps, now=now, half_life_days=3.0)
    # then
    np.testing.assert_allclose(decay, [1.0, 0.5, 0.25, 1.0])


def test_build_interactions_sums_decayed_weights_and_drops_short_views() -> None:
    # given user 0: a completed view today and a like 30 days ago on item 1,
    # a 10 % view of item 0; user 1: a purchase of item 0
    now = 100 * DAY
    users = np.array([0, 0, 0, 1])
    items = np.array([1, 1, 0, 0])
    events = np.array([EventType.VIEW, EventType.LIKE, EventType.VIEW, EventType.PURCHASE])
    ratios = np.array([0.97, np.nan, 0.10, np.nan])
    stamps = np.array([now, now - 30 * DAY, now, now])
    # when
    built = build_interactions(
        users, items, events, ratios, stamps, shape=(2, 3), now=now, half_life_days=30.0
    )
    # then
    np.testing.assert_allclose(built.matrix.toarray(), [[0.0, 2.0 + 1.5, 0.0], [5.0, 0.0, 0.0]])
    assert built.matrix.dtype == np.float32
    assert built.timestamps is not None
    np.testing.assert_allclose(built.timestamps, np.array([now, now]))


def test_aggregate_pairs_keeps_latest_timestamp_per_pair() -> None:
    # given the same pair twice, out of time order, plus another pair
    users, items = np.array([1, 0, 1]), np.array([2, 0, 2])
    weights = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    stamps = np.array([50.0, 10.0, 20.0])
    # when
    built = aggregate_pairs(users, items, weights, stamps, shape=(2, 3))
    # then
    assert built.matrix.nnz == 2
    assert built.matrix[1, 2] == pytest.approx(4.0)
    assert built.timestamps is not None
    np.testing.assert_allclose(built.timestamps, np.array([10.0, 50.0]))
