"""Session co-occurrence: items taken up within minutes of each other."""

from __future__ import annotations

from typing import Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.base import binarize, entry_rows, keep_entries
from recommendations.engine.neighbours import row_items, top_per_row
from recommendations.engine.types import ScoredItem


def session_cooccurrence(
    X: sp.csr_matrix, timestamps: NDArray[np.float64], *, tau: float, window: float
) -> sp.csr_matrix:
    """Return ``C`` with ``c_ij = sum_u exp(-|t_ui - t_uj| / tau)``, a CSR ``(n_items, n_items)``.

    Only pairs of one user less than ``window`` seconds apart count, so the
    cost is the number of such pairs, not ``sum_u |I_u|^2``: entries are
    sorted by (user, time) and each pass pairs every entry with the one
    ``offset`` places later, dropping starts whose partner left the user or
    the window (later partners are further away in time still).

    Args:
        X: CSR ``(n_users, n_items)``; the stored entries are the pairs.
        timestamps: ``(nnz,)`` unix seconds aligned with ``X.data``.
        tau: time constant of the decay, seconds.
        window: largest gap that still counts, seconds.

    Returns:
        Symmetric float32 with an empty diagonal (a user holds an item once).
    """
    n_items = X.shape[1]
    users = entry_rows(X)
    order = np.lexsort((timestamps, users))
    users, items, times = users[order], X.indices[order], timestamps[order]
    no_pairs = np.zeros(0, dtype=np.int64)
    sources, targets, weights = [no_pairs], [no_pairs], [np.zeros(0, dtype=np.float32)]
    starts = np.arange(max(X.nnz - 1, 0))
    offset = 1
    while starts.size:
        ends = starts + offset
        starts = starts[ends < X.nnz]
        ends = ends[ends < X.nnz]
        gaps = times[ends] - times[starts]
        keep = (users[ends] == users[starts]) & (gaps < window)
        starts, ends, gaps = starts[keep], ends[keep], gaps[keep]
        sources.append(items[starts])
        targets.append(items[ends])
        weights.append(np.exp(-gaps / tau).astype(np.float32))
        offset += 1
    pairs = sp.coo_matrix(
        (np.concatenate(weights), (np.concatenate(sources), np.concatenate(targets))),
        shape=(n_items, n_items),
    )
    return (pairs + pairs.T).tocsr()


class SessionKNN:
    """Item neighbours from session co-occurrence, ``s_ij = c_ij / sqrt(n_i n_j)``.

    ``c_ij`` (:func:`session_cooccurrence`) counts the users who took up
    both items, each pair weighted ``exp(-gap / tau)``: items watched in
    one sitting are more alike than items one user took up months apart,
    which plain co-occurrence (ItemKNN, EASE) cannot tell. ``n_i`` is the
    item's user count. Each item keeps its top-k neighbours and scores are
    ``score(u, i) = sum_j x_uj s_ji`` over the neighbours ``j`` of ``i``,
    as in :class:`~recommendations.engine.itemknn.ItemKNN`.

    Without timestamps the model learns nothing and scores 0 everywhere,
    which the hybrid reads as "no evidence".

    Args:
        tau: decay time constant, seconds.
        neighbours: neighbours kept per item (k).
        window_taus: pairs further apart than ``window_taus * tau`` are
            skipped (``exp(-10)`` is below 1e-4).
    """

    name = "session"

    def __init__(
        self, tau: float = 1080.0, neighbours: int = 200, *, window_taus: float = 10.0
    ) -> None:
        if tau <= 0:
            raise ValueError(f"tau must be positive, got {tau}")
        self.tau = tau
        self.neighbours = neighbours
        self.window_taus = window_taus
        self.similarity_ = sp.csr_matrix((0, 0), dtype=np.float32)
        self._scorer = self.similarity_

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> Self:
        """Build the sparse ``(n_items, n_items)`` neighbour matrix (row = item)."""
        n_items = X.shape[1]
        if timestamps is None:
            self.similarity_ = sp.csr_matrix((n_items, n_items), dtype=np.float32)
        else:
            positive = X.data > 0
            Xp = keep_entries(X, positive)
            counts = np.maximum(Xp.getnnz(axis=0), 1).astype(np.float32)
            pairs = session_cooccurrence(
                Xp, timestamps[positive], tau=self.tau, window=self.window_taus * self.tau
            )
            scale = 1.0 / np.sqrt(counts)
            similarity = sp.diags(scale) @ pairs @ sp.diags(scale)
            self.similarity_ = top_per_row(similarity.tocsr(), self.neighbours)
        self._scorer = self.similarity_.T.tocsr()
        return self

    def score_users(self, X: sp.csr_matrix, user_indices: NDArray[np.int64]) -> NDArray[np.float32]:
        """Return ``(n, n_items)`` float32 ``X[users] @ S^T`` scores."""
        rows = binarize(X[user_indices])
        return np.asarray((rows @ self._scorer).toarray(), dtype=np.float32)

    def similar_items(self, item_index: int, k: int) -> list[ScoredItem]:
        """Return up to ``k`` stored neighbours of ``item_index``, best first."""
        return row_items(self.similarity_, item_index, k)
