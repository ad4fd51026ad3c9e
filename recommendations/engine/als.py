"""Implicit-feedback ALS (Hu, Koren, Volinsky 2008) through ``implicit``."""

from __future__ import annotations

from typing import Self

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from recommendations.engine.types import ScoredItem


class ALS:
    """Matrix factorisation with confidence ``1 + alpha * x_ui``.

    Uses the CPU class explicitly (the generic entry point may pick the GPU
    build). implicit parallelises over users itself, so BLAS is limited to
    one thread during ``fit`` with threadpoolctl instead of asking for
    ``OPENBLAS_NUM_THREADS=1`` in the environment; scoring afterwards uses
    every BLAS thread. The library defaults (``regularization=0.01``,
    ``alpha=1``) underfit badly; the defaults here are tuned.

    Args:
        factors, iterations, regularization, alpha: the ALS hyper-parameters.
        num_threads: implicit's worker threads during ``fit``.
        seed: random state of the factor initialisation.
    """

    name = "als"

    def __init__(
        self,
        factors: int = 64,
        iterations: int = 15,
        regularization: float = 100.0,
        alpha: float = 20.0,
        *,
        num_threads: int = 2,
        seed: int = 0,
    ) -> None:
        self.factors = factors
        self.iterations = iterations
        self.regularization = regularization
        self.alpha = alpha
        self.num_threads = num_threads
        self.seed = seed
        self.user_factors_: NDArray[np.float32] = np.zeros((0, factors), dtype=np.float32)
        self.item_factors_: NDArray[np.float32] = np.zeros((0, factors), dtype=np.float32)

    def fit(self, X: sp.csr_matrix) -> Self:
        """Factorise the user x item weights (used as confidences)."""
        with threadpool_limits(limits=1, user_api="blas"):
            model = AlternatingLeastSquares(
                factors=self.factors,
                iterations=self.iterations,
                regularization=self.regularization,
                alpha=self.alpha,
                num_threads=self.num_threads,
                random_state=self.seed,
            )
            model.fit(X.astype(np.float32), show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        return self

    def score_users(self, X: sp.csr_matrix, user_indices: NDArray[np.int64]) -> NDArray[np.float32]:
        """Return ``(n, n_items)`` dot products of fitted user and item factors.

        Uses the factors learnt at ``fit`` for these rows; ``X`` is not read.
        """
        return self.user_factors_[user_indices] @ self.item_factors_.T

    def similar_items(self, item_index: int, k: int) -> list[ScoredItem]:
        """Return the ``k`` items whose factors have the highest cosine."""
        norms = np.linalg.norm(self.item_factors_, axis=1) + 1e-12
        cosine = self.item_factors_ @ self.item_factors_[item_index] / (norms * norms[item_index])
        cosine[item_index] = -np.inf
        order = np.lexsort((np.arange(cosine.size), -cosine))[:k]
        return [ScoredItem(index=int(i), score=float(cosine[i])) for i in order]
