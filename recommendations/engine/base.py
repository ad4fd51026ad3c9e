"""The model interface and the sparse helpers the models share."""

from __future__ import annotations

from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.types import ScoredItem


@runtime_checkable
class Recommender(Protocol):
    """What :func:`recommendations.engine.ranking.recommend` needs of a model.

    ``fit`` takes the user x item CSR training matrix (never item x user)
    and, when the source has them, the unix seconds of its entries aligned
    with ``X.data``; models that do not read time ignore them.
    ``score_users`` returns ``(len(user_indices), n_items)`` float32 scores
    where higher is better. Filtering seen items is the caller's job.
    """

    name: str

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> Self:
        """Learn from ``X`` ``(n_users, n_items)`` (and ``timestamps``); return ``self``."""
        ...

    def score_users(self, X: sp.csr_matrix, user_indices: NDArray[np.int64]) -> NDArray[np.float32]:
        """Score every item for the given rows of ``X``."""
        ...


@runtime_checkable
class ItemSimilarity(Protocol):
    """Models that can answer "similar items" (item neighbours)."""

    def similar_items(self, item_index: int, k: int) -> list[ScoredItem]:
        """Return up to ``k`` most similar other items, best first."""
        ...


@runtime_checkable
class SimilarItemsModel(ItemSimilarity, Recommender, Protocol):
    """A model fitted like a recommender that also answers "similar items"."""


def binarize(X: sp.csr_matrix) -> sp.csr_matrix:
    """Return a float32 copy of ``X`` with every positive entry set to 1."""
    B = X.astype(np.float32)
    B.data = (B.data > 0).astype(np.float32)
    B.eliminate_zeros()
    return B


def entry_rows(X: sp.csr_matrix) -> NDArray[np.int64]:
    """The row of each stored entry of a CSR matrix, aligned with ``X.data``."""
    return np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))


def row_ranks(X: sp.csr_matrix, keys: tuple[NDArray[Any], ...]) -> NDArray[np.int64]:
    """Each stored entry's 0-based rank within its row, ordered by ``keys``.

    ``keys`` are arrays aligned with ``X.data``, in ``np.lexsort`` order
    (the last key decides first).
    """
    rows = entry_rows(X)
    order = np.lexsort((*keys, rows))
    rank = np.empty(X.nnz, dtype=np.int64)
    rank[order] = np.arange(X.nnz) - X.indptr[rows[order]]
    return rank


def keep_entries(X: sp.csr_matrix, keep: NDArray[np.bool_]) -> sp.csr_matrix:
    """Return ``X`` with only the stored entries flagged in ``keep``, in their order.

    The order matters: arrays aligned with ``X.data`` (timestamps) stay
    aligned after ``array[keep]``.
    """
    rows = entry_rows(X)
    kept_per_row = np.bincount(rows[keep], minlength=X.shape[0])
    indptr = np.concatenate(([0], np.cumsum(kept_per_row)))
    return sp.csr_matrix((X.data[keep], X.indices[keep], indptr), shape=X.shape)
