"""Time-ordered viewer histories and the first-order Markov (last-item) baseline.

The interaction matrix stores one entry per (viewer, item) pair with the
time of its latest event (``InteractionMatrix.timestamps``). Ordering a
viewer's entries by that time gives the history the sequence models read:
videos and courses in one item space, oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.base import entry_rows


@dataclass(frozen=True)
class Sequences:
    """Every viewer's items in time order, CSR-style.

    Attributes:
        items: ``(nnz,)`` int64 item indices, each viewer's oldest first.
        indptr: ``(n_users + 1,)``; viewer ``u``'s history is
            ``items[indptr[u]:indptr[u + 1]]``.
    """

    items: NDArray[np.int64]
    indptr: NDArray[np.int64]

    @property
    def n_users(self) -> int:
        """Number of viewers (rows), empty histories included."""
        return int(self.indptr.size - 1)

    def of(self, user: int) -> NDArray[np.int64]:
        """Viewer ``user``'s items, oldest first."""
        return self.items[self.indptr[user] : self.indptr[user + 1]]

    def lengths(self) -> NDArray[np.int64]:
        """``(n_users,)`` history lengths."""
        return np.diff(self.indptr)


def user_sequences(
    X: sp.csr_matrix,
    timestamps: NDArray[np.float64],
    *,
    tie_break: NDArray[np.float64] | None = None,
) -> Sequences:
    """Order each row's positive entries by time.

    Entries of one user with the same time (MovieLens stores seconds, and
    42 % of its consecutive ratings share one: a page of ratings sent at
    once) have no order; ``tie_break`` (aligned with ``X.data``, e.g. seeded
    random keys) orders them, else the item index does.

    Args:
        X: CSR ``(n_users, n_items)``; entries with a value ``<= 0`` are left out.
        timestamps: ``(nnz,)`` unix seconds aligned with ``X.data``.
        tie_break: ``(nnz,)`` secondary keys, or ``None``.
    """
    if timestamps.shape != X.data.shape:
        raise ValueError(f"timestamps must align with X.data: {timestamps.shape} vs {X.data.shape}")
    rows = entry_rows(X)
    positive = X.data > 0
    rows, items, times = rows[positive], X.indices[positive].astype(np.int64), timestamps[positive]
    ties = items if tie_break is None else tie_break[positive]
    order = np.lexsort((ties, times, rows))
    counts = np.bincount(rows, minlength=X.shape[0])
    indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    return Sequences(items=items[order], indptr=indptr)


def sequences_from_lists(histories: Sequence[Sequence[int] | NDArray[np.int64]]) -> Sequences:
    """Build :class:`Sequences` from per-viewer lists that are already in time order."""
    lengths = np.array([len(h) for h in histories], dtype=np.int64)
    indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    items = (
        np.concatenate([np.asarray(h, dtype=np.int64) for h in histories])
        if lengths.sum()
        else np.zeros(0, dtype=np.int64)
    )
    return Sequences(items=items, indptr=indptr)


class MarkovChain:
    """First-order Markov chain: what viewers took up right after the latest item.

    ``P(j | i)`` is estimated from consecutive pairs ``(i, j)`` of the
    training histories, ``c_ij / (c_i + smoothing)``; a viewer's score of
    ``j`` is ``P(j | last item)`` plus a popularity share below any
    transition count (so items never seen after the last one are ranked by
    popularity, and the ranking is full). It is the "last-item" baseline the
    sequence model must beat; without timestamps it only ranks by
    popularity.

    Entries with equal times are ordered at random (seeded), so a page of
    ratings sent at once counts its pairs in both directions rather than in
    item-index order.

    Args:
        smoothing: added to each row's count before normalising, so a rare
            last item speaks with less certainty.
        seed: seed of the tie order.
    """

    name = "markov"

    def __init__(self, smoothing: float = 1.0, *, seed: int = 0) -> None:
        self.smoothing = smoothing
        self.seed = seed
        self.transitions_ = sp.csr_matrix((0, 0), dtype=np.float32)
        self.popularity_: NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self.last_items_: NDArray[np.int64] = np.zeros(0, dtype=np.int64)

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> Self:
        """Count consecutive pairs of every viewer's time-ordered history."""
        n_users, n_items = X.shape
        counts = np.asarray((X > 0).sum(axis=0), dtype=np.float32).ravel()
        self.popularity_ = counts / max(float(counts.max(initial=0.0)), 1.0)
        self.last_items_ = np.full(n_users, -1, dtype=np.int64)
        if timestamps is None:
            self.transitions_ = sp.csr_matrix((n_items, n_items), dtype=np.float32)
            return self
        ties = np.random.default_rng(self.seed).random(X.nnz)
        seqs = user_sequences(X, timestamps, tie_break=ties)
        self.transitions_ = transition_matrix(seqs, n_items, smoothing=self.smoothing)
        lengths = seqs.lengths()
        has = lengths > 0
        self.last_items_[has] = seqs.items[seqs.indptr[1:][has] - 1]
        return self

    def score_users(self, X: sp.csr_matrix, user_indices: NDArray[np.int64]) -> NDArray[np.float32]:
        """Return ``(n, n_items)`` float32: the transition row of each viewer's latest item."""
        return self.score_last_items(self.last_items_[np.asarray(user_indices)])

    def score_last_items(self, last_items: NDArray[np.int64]) -> NDArray[np.float32]:
        """Score every item after each given last item (``-1``: popularity only)."""
        # Popularity sits below 1e-3 of any transition probability: a tie-break.
        scores = np.tile(self.popularity_ * np.float32(1e-6), (last_items.size, 1))
        known = np.flatnonzero(last_items >= 0)
        if known.size:
            scores[known] += self.transitions_[last_items[known]].toarray()
        return scores


def transition_matrix(seqs: Sequences, n_items: int, *, smoothing: float) -> sp.csr_matrix:
    """Return the ``(n_items, n_items)`` CSR of ``c_ij / (c_i + smoothing)``."""
    has_predecessor = np.ones(seqs.items.size, dtype=bool)
    starts = seqs.indptr[:-1]
    has_predecessor[starts[starts < seqs.items.size]] = False  # the first item of a history
    targets = np.flatnonzero(has_predecessor)
    sources = seqs.items[targets - 1]
    pairs = sp.csr_matrix(
        (np.ones(targets.size, dtype=np.float32), (sources, seqs.items[targets])),
        shape=(n_items, n_items),
    )
    pairs.sum_duplicates()
    out_degree = np.asarray(pairs.sum(axis=1), dtype=np.float32).ravel()
    scale = 1.0 / (out_degree + np.float32(smoothing))
    return sp.csr_matrix(sp.diags(scale) @ pairs, dtype=np.float32)
