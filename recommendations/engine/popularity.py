"""Time-decayed popularity: the cold-start fallback and the floor to beat."""

from __future__ import annotations

from typing import Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.ranking import top_k_rows
from recommendations.engine.types import TopK


class Popularity:
    """Score every item by its column sum, the same for every user.

    Time decay lives in the matrix: fit on
    ``build_interactions(..., half_life_days=3).matrix`` to get
    ``pop(i) = sum_e w(e) * 2 ** (-age_e / 3 days)`` (reference 4.1).

    Args:
        categories: ``(n_items,)`` int64 category per item (``-1`` = none)
            for :meth:`top_in_category`; optional.
    """

    name = "popularity"

    def __init__(self, categories: NDArray[np.int64] | None = None) -> None:
        self.categories = categories
        self.scores_: NDArray[np.float32] = np.zeros(0, dtype=np.float32)

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> Self:
        """Sum each item's (decayed) weights over users."""
        self.scores_ = np.asarray(X.sum(axis=0), dtype=np.float32).ravel()
        return self

    def score_users(self, X: sp.csr_matrix, user_indices: NDArray[np.int64]) -> NDArray[np.float32]:
        """Return ``(n, n_items)`` copies of the item popularity."""
        return np.tile(self.scores_, (len(user_indices), 1))

    def top_in_category(self, category: int, k: int) -> TopK:
        """Return the ``k`` most popular items of one category as a 1-row ``TopK``."""
        if self.categories is None:
            raise ValueError("Popularity was built without item categories")
        scores = np.where(self.categories == category, self.scores_, -np.inf)
        return top_k_rows(scores[None, :].astype(np.float32), min(k, scores.size))
