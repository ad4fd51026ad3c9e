"""Turn raw events into the decayed user x item weight matrix.

Weight table (reference section 4.0, documented in docs/recommender.md):

===================  ===============================  ======
event                condition                        weight
===================  ===============================  ======
video view           watch ratio < 0.30               0 (dropped)
video view           0.30 <= ratio < 0.95             1
video view           ratio >= 0.95 (completed)        2
like/comment/share                                    3
course page view     (or engaged view of its video)   1
course preview                                        2
course purchase                                       5
===================  ===============================  ======

Each event is multiplied by ``2 ** (-age / half_life)`` and events of the
same (user, item) pair are summed, as in SAR.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.types import InteractionMatrix

ENGAGED_RATIO = 0.30
COMPLETED_RATIO = 0.95  # same threshold as analytics' "completed view"
SECONDS_PER_DAY = 86_400.0


class EventType(IntEnum):
    """Codes of the event types the glue passes in ``events``."""

    VIEW = 0
    LIKE = 1
    COMMENT = 2
    SHARE = 3
    PURCHASE = 4
    COURSE_VIEW = 5
    COURSE_PREVIEW = 6


# Weight of every non-view event type; views depend on the watch ratio.
_FIXED_WEIGHTS = np.zeros(len(EventType), dtype=np.float32)
_FIXED_WEIGHTS[[EventType.LIKE, EventType.COMMENT, EventType.SHARE]] = 3.0
_FIXED_WEIGHTS[EventType.PURCHASE] = 5.0
_FIXED_WEIGHTS[EventType.COURSE_VIEW] = 1.0
_FIXED_WEIGHTS[EventType.COURSE_PREVIEW] = 2.0


def event_weights(
    events: NDArray[np.int64], watch_ratio: NDArray[np.float64]
) -> NDArray[np.float32]:
    """Return the undecayed weight of each event (table in the module doc).

    Args:
        events: ``(n,)`` :class:`EventType` codes.
        watch_ratio: ``(n,)`` watched fraction of the video, read for views
            only (NaN elsewhere is fine).
    """
    views = np.select(
        [watch_ratio >= COMPLETED_RATIO, watch_ratio >= ENGAGED_RATIO], [2.0, 1.0], 0.0
    ).astype(np.float32)
    return np.where(events == EventType.VIEW, views, _FIXED_WEIGHTS[events])


def time_decay(
    timestamps: NDArray[np.float64], *, now: float, half_life_days: float
) -> NDArray[np.float32]:
    """Return ``2 ** (-age / half_life)`` per event; future events count fully.

    Args:
        timestamps: ``(n,)`` unix seconds.
        now: unix seconds the ages are measured from (passed in for tests).
        half_life_days: age in days at which an event counts half.
    """
    age_days = np.maximum(now - timestamps, 0.0) / SECONDS_PER_DAY
    return np.exp2(-age_days / half_life_days).astype(np.float32)


def build_interactions(
    users: NDArray[np.int64],
    items: NDArray[np.int64],
    events: NDArray[np.int64],
    watch_ratio: NDArray[np.float64],
    timestamps: NDArray[np.float64],
    *,
    shape: tuple[int, int],
    now: float,
    half_life_days: float = 30.0,
) -> InteractionMatrix:
    """Build the decayed interaction matrix from parallel event arrays.

    Use ``half_life_days=30`` for the personal models and 3 (videos) or 14
    (courses) for the matrix that feeds :class:`Popularity`.

    Args:
        users, items: ``(n,)`` int64 row and column indices of each event.
        events, watch_ratio, timestamps: ``(n,)`` as in :func:`event_weights`
            and :func:`time_decay`.
        shape: ``(n_users, n_items)`` of the result.
        now: unix seconds; see :func:`time_decay`.
        half_life_days: decay half-life.

    Returns:
        The summed weights per pair; zero-weight events are dropped.
    """
    weights = event_weights(events, watch_ratio)
    keep = weights > 0
    decayed = weights[keep] * time_decay(timestamps[keep], now=now, half_life_days=half_life_days)
    return aggregate_pairs(users[keep], items[keep], decayed, timestamps[keep], shape=shape)


def aggregate_pairs(
    users: NDArray[np.int64],
    items: NDArray[np.int64],
    weights: NDArray[np.float32],
    timestamps: NDArray[np.float64] | None,
    *,
    shape: tuple[int, int],
) -> InteractionMatrix:
    """Sum weights of repeated (user, item) pairs and keep their latest time.

    Args:
        users, items: ``(n,)`` int64 indices inside ``shape``.
        weights: ``(n,)`` float32 weight per record.
        timestamps: ``(n,)`` unix seconds per record, or ``None``.
        shape: ``(n_users, n_items)``.
    """
    keys = users.astype(np.int64) * shape[1] + items
    order = np.argsort(keys, kind="stable")
    pairs, starts, inverse = np.unique(keys[order], return_index=True, return_inverse=True)
    data = np.bincount(inverse, weights=weights[order], minlength=pairs.size).astype(np.float32)
    rows, cols = np.divmod(pairs, shape[1])
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=shape[0]))])
    matrix = sp.csr_matrix((data, cols, indptr), shape=shape)
    if timestamps is None:
        return InteractionMatrix(matrix=matrix)
    sorted_ts = timestamps[order].astype(np.float64)
    latest = np.maximum.reduceat(sorted_ts, starts) if pairs.size else sorted_ts
    return InteractionMatrix(matrix=matrix, timestamps=latest)
