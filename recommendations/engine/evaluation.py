"""Offline evaluation: splits and full-ranking top-k metrics.

Definitions follow reference protocol A (docs/recommender.md): every item
is ranked except the user's training items; a user's test entries are the
relevant items; metrics are averaged over users with at least one.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.base import (
    Recommender,
    SimilarItemsModel,
    entry_rows,
    keep_entries,
    row_ranks,
)
from recommendations.engine.ranking import recommend
from recommendations.engine.types import EvaluationResult, InteractionMatrix, Split


def split_random(
    X: sp.csr_matrix,
    *,
    timestamps: NDArray[np.float64] | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> Split:
    """Move ``ceil(test_fraction * n_u)`` random entries of each user to test.

    Users with a single entry keep it in train (protocol A, step 2).
    ``timestamps`` (aligned with ``X.data``) follow their entries into
    ``Split.train_times``.
    """
    counts = np.diff(X.indptr)
    n_test = np.where(counts > 1, np.ceil(np.round(counts * test_fraction, 9)), 0)
    keys = np.random.default_rng(seed).random(X.nnz)
    return _split_by_rank(X, timestamps, keys, n_test.astype(np.int64))


def split_kfold(
    X: sp.csr_matrix,
    *,
    timestamps: NDArray[np.float64] | None = None,
    folds: int = 10,
    seed: int = 0,
) -> list[Split]:
    """Partition each user's entries into ``folds`` disjoint test parts (k-fold cross-validation).

    Fold ``f`` tests the entries whose random rank within their row is
    ``f`` modulo ``folds`` and trains on the rest, so every entry is tested
    exactly once and each training part holds ``1 - 1/folds`` of ``X``.
    Users with a single entry keep it in train (as in :func:`split_random`).
    """
    if folds < 2:
        raise ValueError(f"k-fold cross-validation needs at least 2 folds, got {folds}")
    keys = np.random.default_rng(seed).random(X.nnz)
    fold = row_ranks(X, (keys,)) % folds
    counts = np.diff(X.indptr)
    testable = np.repeat(counts > 1, counts)
    return [_split_where(X, timestamps, testable & (fold == f)) for f in range(folds)]


def split_leave_one_out(
    X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None, *, seed: int = 0
) -> Split:
    """Move each user's latest entry (a random one without times) to test.

    Args:
        X: CSR ``(n_users, n_items)``.
        timestamps: ``(nnz,)`` aligned with ``X.data``, as in
            :class:`InteractionMatrix`; ties broken at random.
        seed: seed of the random tie-break / choice.
    """
    noise = np.random.default_rng(seed).random(X.nnz)
    keys = noise if timestamps is None else -timestamps - noise * 1e-3
    return _split_by_rank(X, timestamps, keys, (np.diff(X.indptr) > 1).astype(np.int64))


def split_next_item(
    X: sp.csr_matrix, timestamps: NDArray[np.float64] | None, *, seed: int = 0
) -> Split:
    """Leave the last item out, by time: each user's latest entry is their test item.

    The next-item protocol (SASRec, GRU4Rec): train on everything before
    each user's latest item and rank that item among all items but the
    training ones. Users with one entry keep it in train (no test).
    Unlike :func:`split_leave_one_out` it refuses to run without times
    (a random "last" item would not be a next item).
    """
    if timestamps is None:
        raise ValueError("a next-item split needs timestamps")
    return split_leave_one_out(X, timestamps, seed=seed)


def split_temporal(interactions: InteractionMatrix, cutoff: float) -> Split:
    """Split at a global time: entries at or after ``cutoff`` are test.

    Test rows of users with no training entry are dropped (they cannot be
    personalised; protocol 5.3 step 2). Pairs are aggregated, so a pair
    seen both before and after the cutoff counts as test; build train and
    test from separate event windows when that matters.
    """
    if interactions.timestamps is None:
        raise ValueError("a temporal split needs timestamps")
    X = interactions.matrix
    stamps = interactions.timestamps
    is_test = stamps >= cutoff
    train = _entries(X, ~is_test)
    rows = entry_rows(X)
    has_train = np.diff(train.indptr) > 0
    test = _entries(X, is_test & has_train[rows])
    return Split(train=train, test=test, train_times=stamps[~is_test])


def _split_by_rank(
    X: sp.csr_matrix,
    timestamps: NDArray[np.float64] | None,
    keys: NDArray[np.float64],
    n_test: NDArray[np.int64],
) -> Split:
    """Send the ``n_test[u]`` entries of row ``u`` with the smallest keys to test."""
    is_test = row_ranks(X, (keys,)) < np.repeat(n_test, np.diff(X.indptr))
    return _split_where(X, timestamps, is_test)


def _split_where(
    X: sp.csr_matrix, timestamps: NDArray[np.float64] | None, is_test: NDArray[np.bool_]
) -> Split:
    """Send the flagged entries to test and the rest, with their times, to train."""
    return Split(
        train=_entries(X, ~is_test),
        test=_entries(X, is_test),
        train_times=None if timestamps is None else timestamps[~is_test],
    )


def _entries(X: sp.csr_matrix, keep: NDArray[np.bool_]) -> sp.csr_matrix:
    """Return the flagged entries as float32, in order (aligned times stay aligned)."""
    return keep_entries(X, keep).astype(np.float32, copy=False)


def ranking_metrics(ranked: NDArray[np.int64], relevant: sp.csr_matrix) -> dict[str, float]:
    """Compute mean P, R, NDCG, MAP, HR at ``k`` and catalogue coverage.

    Args:
        ranked: ``(n_users, k)`` recommended item indices, best first
            (``-1`` padding never hits).
        relevant: CSR ``(n_users, n_items)``; row ``u`` stores user ``u``'s
            relevant items (each user has at least one).

    Returns:
        ``precision``: hits/k; ``recall``: hits/|rel|; ``ndcg``: binary
        gains, ideal DCG over ``min(|rel|, k)`` items; ``map``:
        ``sum_j P@j rel_j / min(|rel|, k)``; ``hit_rate``: share with a hit;
        ``coverage``: distinct recommended items / ``n_items``.
    """
    n_users, k = ranked.shape
    n_relevant = np.diff(relevant.indptr)
    n_items = relevant.shape[1]
    relevant_keys = np.repeat(np.arange(n_users), n_relevant) * n_items + relevant.indices
    ranked_keys = np.arange(n_users)[:, None] * n_items + ranked
    hits = (ranked >= 0) & np.isin(ranked_keys, relevant_keys)
    n_hits = hits.sum(axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_relevant, k) - 1]
    precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    return {
        "precision": float(np.mean(n_hits / k)),
        "recall": float(np.mean(n_hits / n_relevant)),
        "ndcg": float(np.mean((hits @ discounts) / ideal)),
        "map": float(np.mean((precision_at * hits).sum(axis=1) / np.minimum(n_relevant, k))),
        "hit_rate": float(np.mean(n_hits > 0)),
        "coverage": float(np.unique(ranked[ranked >= 0]).size / n_items),
    }


def evaluate(
    model: Recommender,
    split: Split,
    *,
    k: int = 10,
    label: str | None = None,
    fit: bool = True,
) -> EvaluationResult:
    """Fit ``model`` on ``split.train`` (and its times) and score its top-k against ``split.test``.

    Training items are excluded from the ranking; users without test items
    are skipped. ``label`` names the result (default ``model.name``).
    ``fit=False`` scores a model already fitted on ``split.train`` (fit
    time 0), e.g. one hybrid re-weighted across a grid.
    """
    fit_seconds = _fit_timed(model, split) if fit else 0.0
    users = np.flatnonzero(np.diff(split.test.indptr) > 0)
    if users.size == 0:
        raise ValueError("the split has no test user to evaluate")
    top = recommend(model, split.train, users, k)
    metrics = ranking_metrics(top.indices, split.test[users])
    return EvaluationResult(
        model=label or model.name, k=k, fit_seconds=fit_seconds, n_users=int(users.size), **metrics
    )


def evaluate_next_item(
    model: SimilarItemsModel, split: Split, *, k: int = 10, label: str | None = None
) -> EvaluationResult:
    """Score "more like the latest": the list a viewer gets from their latest item.

    Fits ``model`` on ``split.train`` (with its times); each user's list is
    ``model.similar_items`` of their latest training item, minus their
    training items, cut to ``k``; the relevant items are their test items
    (with :func:`split_leave_one_out`, the item they took up next). Users
    without a training or test item are skipped.
    """
    if split.train_times is None:
        raise ValueError("the next-item evaluation needs training times")
    fit_seconds = _fit_timed(model, split)
    train, times = split.train, split.train_times
    users = np.flatnonzero((np.diff(split.test.indptr) > 0) & (np.diff(train.indptr) > 0))
    ranked = np.full((users.size, k), -1, dtype=np.int64)
    for row, user in enumerate(users):
        start, end = train.indptr[user], train.indptr[user + 1]
        seen = train.indices[start:end]
        latest = int(seen[np.argmax(times[start:end])])
        excluded = set(seen.tolist())
        found = model.similar_items(latest, k + len(excluded))
        unseen = [s.index for s in found if s.index not in excluded]
        ranked[row, : min(k, len(unseen))] = unseen[:k]
    metrics = ranking_metrics(ranked, split.test[users])
    return EvaluationResult(
        model=label or model.name, k=k, fit_seconds=fit_seconds, n_users=int(users.size), **metrics
    )


def _fit_timed(model: Recommender, split: Split) -> float:
    """Fit ``model`` on the split's training part (and times); return the wall seconds."""
    started = time.perf_counter()
    model.fit(split.train, split.train_times)
    return time.perf_counter() - started
