"""Turn model scores into filtered, deterministic top-k lists."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.base import Recommender
from recommendations.engine.types import TopK


def top_k_rows(scores: NDArray[np.float32], k: int) -> TopK:
    """Return the ``k`` best columns of each row, ties going to the lower index.

    ``argpartition`` picks ``k`` columns per row in linear time; only rows
    where it had to choose among columns tied at the k-th value are
    re-selected, taking the tied columns in index order. Columns scoring
    ``-inf`` (excluded) come back as ``-1``.

    Args:
        scores: ``(n_rows, n_cols)`` float32 without NaN; not modified.
        k: list length, ``1 <= k <= n_cols``.
    """
    cols = np.argpartition(-scores, k - 1, axis=1)[:, :k].astype(np.int64)
    kth = np.take_along_axis(scores, cols, axis=1).min(axis=1, keepdims=True)
    chosen_ties = (np.take_along_axis(scores, cols, axis=1) == kth).sum(axis=1)
    ambiguous = np.flatnonzero((scores == kth).sum(axis=1) > chosen_ties)
    if ambiguous.size:
        cols[ambiguous] = _lowest_index_ties(scores[ambiguous], kth[ambiguous], k)
    vals = np.take_along_axis(scores, cols, axis=1)
    order = np.lexsort((cols, -vals), axis=1)
    cols = np.take_along_axis(cols, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    cols[np.isneginf(vals)] = -1
    return TopK(indices=cols, scores=vals.astype(np.float32, copy=False))


def _lowest_index_ties(
    scores: NDArray[np.float32], kth: NDArray[np.float32], k: int
) -> NDArray[np.int64]:
    """Take every column above ``kth``, then tied columns by index, ``k`` per row."""
    above = scores > kth
    tied = scores == kth
    quota = k - above.sum(axis=1, keepdims=True)
    chosen = above | (tied & (np.cumsum(tied, axis=1, dtype=np.int32) <= quota))
    return np.nonzero(chosen)[1].reshape(scores.shape[0], k).astype(np.int64)


def mask_rows(scores: NDArray[np.float32], rows: sp.csr_matrix) -> None:
    """Set ``scores[r, j] = -inf`` for every stored entry ``(r, j)`` of ``rows``."""
    counts = np.diff(rows.indptr)
    scores[np.repeat(np.arange(rows.shape[0]), counts), rows.indices] = -np.inf


# Scores held at once while ranking one batch of users: the blend, one member's
# scores and their scaled copy are alive together, so a batch of ``b`` users over
# ``n`` items costs about ``SCORE_COPIES * b * n * 4`` bytes.
SCORE_BUDGET_BYTES = 256 * 2**20
SCORE_COPIES = 4


def batch_users(n_items: int, budget_bytes: int = SCORE_BUDGET_BYTES, largest: int = 1000) -> int:
    """Users scored at once so that their score blocks stay within ``budget_bytes``.

    1,000 users at 10,000 items; 16 at 1,000,000 items, where ranking goes
    through candidate retrieval instead (:mod:`recommendations.engine.retrieval`).
    """
    return int(max(1, min(largest, budget_bytes // (SCORE_COPIES * 4 * max(n_items, 1)))))


def recommend(
    model: Recommender,
    X: sp.csr_matrix,
    user_indices: NDArray[np.int64],
    k: int,
    *,
    exclude_seen: bool = True,
    extra_exclude: sp.csr_matrix | None = None,
    blocked_items: NDArray[np.int64] | None = None,
    batch_size: int | None = None,
) -> TopK:
    """Return the top-``k`` items of each user, scoring in batches.

    Args:
        model: a fitted :class:`Recommender`.
        X: CSR ``(n_users, n_items)`` histories the model scores from.
        user_indices: ``(n,)`` rows of ``X`` to recommend for.
        k: list length (capped at ``n_items``).
        exclude_seen: drop items stored in the user's row of ``X``.
        extra_exclude: CSR shaped like ``X``; stored entries are also
            dropped (owned courses, "not interested").
        blocked_items: ``(m,)`` item indices dropped for everyone
            (unpublished, blocked).
        batch_size: users scored at once; memory is ``batch * n_items``
            floats per score copy. ``None``: :func:`batch_users`, so users x
            items is never held, only one batch's block.

    Returns:
        ``TopK`` with ``n`` rows, padded with ``-1`` when a user has fewer
        than ``k`` admissible items.
    """
    users = np.asarray(user_indices, dtype=np.int64)
    k = min(k, X.shape[1])
    batch_size = batch_size or batch_users(X.shape[1])
    indices = np.empty((users.size, k), dtype=np.int64)
    scores = np.empty((users.size, k), dtype=np.float32)
    for start in range(0, users.size, batch_size):
        batch = users[start : start + batch_size]
        block = np.array(model.score_users(X, batch), dtype=np.float32)
        if exclude_seen:
            mask_rows(block, X[batch])
        if extra_exclude is not None:
            mask_rows(block, extra_exclude[batch])
        if blocked_items is not None:
            block[:, blocked_items] = -np.inf
        top = top_k_rows(block, k)
        indices[start : start + batch.size] = top.indices
        scores[start : start + batch.size] = top.scores
    return TopK(indices=indices, scores=scores)
