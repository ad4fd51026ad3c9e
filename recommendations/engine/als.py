"""Implicit-feedback ALS (Hu, Koren, Volinsky 2008) through ``implicit``."""

from __future__ import annotations

import logging
from typing import Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from recommendations.engine.spark_als import (
    SPARK_MISSING,
    SparkOptions,
    fit_spark_als,
    pyspark_available,
)
from recommendations.engine.types import ScoredItem

logger = logging.getLogger(__name__)

WEIGHTINGS = ("confidence", "bm25")


def bm25_confidences(X: sp.csr_matrix, k1: float, b: float) -> sp.csr_matrix:
    """Return ``X`` re-weighted by BM25 (implicit's ``bm25_weight`` on the user rows).

    Each user row is a document and each item a term: an entry becomes
    ``x (k1 + 1) / (k1 L_u + x) * idf_i`` with ``L_u = 1 - b + b |u| / mean |u|``
    (row sums) and ``idf_i = log N - log(1 + n_i)``. Repeated weight saturates
    (``k1``), heavy users' entries shrink (``b``) and popular items count
    less (``idf``). An item held by every user would get a negative idf; its
    entries are dropped instead.
    """
    # Imported here, not at the top: implicit takes a second to import, and
    # every Django process loads this module (through the recommender's models).
    from implicit.nearest_neighbours import bm25_weight

    weighted = bm25_weight(X.astype(np.float32), K1=k1, B=b).tocsr()
    weighted.data = np.maximum(weighted.data, 0.0).astype(np.float32)
    weighted.eliminate_zeros()
    weighted.sort_indices()
    return weighted


class ALS:
    """Matrix factorisation with confidence ``1 + alpha * w_ui``.

    ``weighting="confidence"`` uses the interaction weights as they are
    (``w = x``, Hu et al.); ``"bm25"`` first re-weights them with
    :func:`bm25_confidences` (``bm25_k1``, ``bm25_b``), which on
    MovieLens-100K blends better with the EASE-family member.

    Uses the CPU class explicitly (the generic entry point may pick the GPU
    build). implicit parallelises over users itself, so BLAS is limited to
    one thread during ``fit`` with threadpoolctl instead of asking for
    ``OPENBLAS_NUM_THREADS=1`` in the environment; scoring afterwards uses
    every BLAS thread. The library defaults (``regularization=0.01``,
    ``alpha=1``) underfit badly; the defaults here are tuned.

    With ``spark`` naming a master and at least ``spark.min_interactions``
    interactions, ``fit`` trains on Spark MLlib instead
    (:mod:`recommendations.engine.spark_als`, the same hyper-parameters
    mapped onto its ALS), into the same two factor arrays: everything after
    the fit is unchanged. ``trainer_`` says which trainer ran and
    ``trainer_note_`` gives operators one line when it was not the default
    (Spark, or Spark configured but pyspark absent).

    Args:
        factors, iterations, regularization, alpha: the ALS hyper-parameters.
        weighting: ``"confidence"`` or ``"bm25"``, see above.
        bm25_k1, bm25_b: BM25 saturation and length normalisation.
        num_threads: implicit's worker threads during ``fit``.
        seed: random state of the factor initialisation.
        spark: where to train beyond one machine (``None``: never on Spark).
    """

    name = "als"

    def __init__(
        self,
        factors: int = 64,
        iterations: int = 15,
        regularization: float = 100.0,
        alpha: float = 20.0,
        *,
        weighting: str = "confidence",
        bm25_k1: float = 1.2,
        bm25_b: float = 0.75,
        num_threads: int = 2,
        seed: int = 0,
        spark: SparkOptions | None = None,
    ) -> None:
        if weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
        if bm25_k1 < 0 or not 0.0 <= bm25_b <= 1.0:
            raise ValueError("bm25_k1 must be >= 0 and bm25_b in [0, 1]")
        self.factors = factors
        self.iterations = iterations
        self.regularization = regularization
        self.alpha = alpha
        self.weighting = weighting
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.num_threads = num_threads
        self.seed = seed
        self.spark = spark
        self.trainer_ = ""
        self.trainer_note_ = ""
        self.user_factors_: NDArray[np.float32] = np.zeros((0, factors), dtype=np.float32)
        self.item_factors_: NDArray[np.float32] = np.zeros((0, factors), dtype=np.float32)

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> Self:
        """Factorise the user x item weights (used as confidences)."""
        from implicit.cpu.als import AlternatingLeastSquares  # see bm25_confidences

        weights = X.astype(np.float32)
        if self.weighting == "bm25":
            weights = bm25_confidences(weights, self.bm25_k1, self.bm25_b)
        if self.spark is not None and self.spark.chooses_spark(int(X.nnz)):
            if pyspark_available():
                return self._fit_on_spark(weights, self.spark)
            logger.warning("%s (RECOMMENDATIONS_SPARK_MASTER=%s)", SPARK_MISSING, self.spark.master)
            self.trainer_note_ = SPARK_MISSING
        else:
            self.trainer_note_ = ""
        self.trainer_ = "implicit"
        with threadpool_limits(limits=1, user_api="blas"):
            model = AlternatingLeastSquares(
                factors=self.factors,
                iterations=self.iterations,
                regularization=self.regularization,
                alpha=self.alpha,
                num_threads=self.num_threads,
                random_state=self.seed,
            )
            model.fit(weights, show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        return self

    def _fit_on_spark(self, weights: sp.csr_matrix, spark: SparkOptions) -> Self:
        result = fit_spark_als(
            weights,
            factors=self.factors,
            iterations=self.iterations,
            regularization=self.regularization,
            alpha=self.alpha,
            seed=self.seed,
            options=spark,
        )
        self.user_factors_ = result.user_factors
        self.item_factors_ = result.item_factors
        self.trainer_ = f"spark {spark.master}"
        self.trainer_note_ = (
            f"ALS trained on Spark ({spark.master}) in {result.seconds:,.0f} s: "
            f"{weights.nnz:,} interactions, at least the {spark.min_interactions:,} "
            f"of RECOMMENDATIONS_SPARK_MIN_INTERACTIONS."
        )
        logger.info("%s", self.trainer_note_)
        return self

    def fold_in_items(self, columns: sp.csr_matrix) -> NDArray[np.float32]:
        """Solve item factors from a few interactions, the user factors fixed.

        The ALS item step for just these items (Hu et al. eq. 4):
        ``v = (U^T U + U^T (C - I) U + lambda I)^-1 U^T C p`` with
        ``C = diag(1 + alpha * w)`` over the users who interacted and
        ``p = 1`` there. BM25 re-weighting needs the whole matrix, so the
        interaction weights are used as they are (binarised), which is what
        a handful of fresh views amounts to anyway. Cost: ``O(nnz f^2 + f^3)``
        per item, milliseconds, against a retrain of minutes.

        Args:
            columns: CSR ``(n_users, n_new)`` interactions of the new items
                with the users the model was fitted on.

        Returns:
            ``(n_new, factors)`` float32 factors (zero for an item with no
            interactions).
        """
        users = self.user_factors_.astype(np.float64)
        gram = users.T @ users
        penalty = self.regularization * np.eye(users.shape[1])
        by_item = sp.csc_matrix(columns)
        factors = np.zeros((by_item.shape[1], users.shape[1]), dtype=np.float32)
        for item in range(by_item.shape[1]):
            start, end = by_item.indptr[item], by_item.indptr[item + 1]
            who = by_item.indices[start:end][by_item.data[start:end] > 0]
            if who.size == 0:
                continue
            rows = users[who]
            confidence = 1.0 + self.alpha * np.ones(who.size)
            lhs = gram + (rows.T * (confidence - 1.0)) @ rows + penalty
            factors[item] = np.linalg.solve(lhs, rows.T @ confidence)
        return factors

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
