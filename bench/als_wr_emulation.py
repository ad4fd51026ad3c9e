"""Why the Spark trainer sends count-balanced weights: exact ALS in numpy, both penalties.

Solves implicit ALS exactly (Cholesky-free ``np.linalg.solve`` per user and item, 30
iterations, rank 64, the production BM25 weights) on MovieLens-100K's seed-0 split with
the two conventions that differ between the trainers, and scores NDCG@10 with the
engine's evaluation (docs/decisions.md, "ALS beyond one machine"):

* ``implicit``: confidence ``alpha * w``, penalty ``lambda`` (the single-node trainer);
* ``spark-confidence``: confidence ``1 + alpha * w``, penalty ``lambda`` (only the +1);
* ``als-wr``: confidence ``1 + alpha * w``, penalty ``regParam * n`` (Spark, weights as
  they are, ``regParam`` = 0.9, the best of the grid measured on Spark);
* ``balanced``: ``als-wr`` fed ``w * sqrt(n_u n_i) / m`` with ``regParam = lambda / m``
  (what ``engine.spark_als.count_balanced`` sends).

About 20-30 s per variant on 2 cores.

    KF_DATA_DIR=../shared/data nice .venv/bin/python bench/als_wr_emulation.py [VARIANT ...]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommendations.engine.als import ALS, bm25_confidences
from recommendations.engine.datasets import default_data_dir, index_records, read_movielens
from recommendations.engine.evaluation import evaluate, split_random
from recommendations.engine.spark_als import count_balanced
from recommendations.engine.types import EngineConfig

Confidence = Callable[[NDArray[np.float64]], NDArray[np.float64]]
Penalty = Callable[[int], float]


class FixedFactors(ALS):
    """An ALS member whose factors are set from outside (``fit`` keeps them)."""

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> FixedFactors:
        return self


def solve_side(
    R: sp.csr_matrix, Y: NDArray[np.float64], confidence: Confidence, penalty: Penalty
) -> NDArray[np.float64]:
    """One exact half-step: every row's factor given the other side's ``Y``."""
    gram = Y.T @ Y
    out = np.zeros((R.shape[0], Y.shape[1]))
    eye = np.eye(Y.shape[1])
    for row in range(R.shape[0]):
        start, end = R.indptr[row], R.indptr[row + 1]
        if start == end:
            continue
        seen = Y[R.indices[start:end]]
        c = confidence(R.data[start:end])
        lhs = gram + (seen.T * (c - 1)) @ seen + penalty(end - start) * eye
        out[row] = np.linalg.solve(lhs, seen.T @ c)
    return out


def factorise(
    W: sp.csr_matrix, confidence: Confidence, penalty: Penalty, config: EngineConfig
) -> FixedFactors:
    """Exact ALS from implicit's initialisation (uniform, times 0.01)."""
    rng = np.random.default_rng(0)
    users = rng.random((W.shape[0], config.als_factors)) * 0.01
    items = rng.random((W.shape[1], config.als_factors)) * 0.01
    by_item = W.T.tocsr()
    for _ in range(config.als_iterations):
        users = solve_side(W, items, confidence, penalty)
        items = solve_side(by_item, users, confidence, penalty)
    model = FixedFactors()
    model.user_factors_ = users.astype(np.float32)
    model.item_factors_ = items.astype(np.float32)
    return model


def main() -> None:
    """Print NDCG@10 of each requested variant."""
    config = EngineConfig()
    alpha, lam = config.als_alpha, config.als_regularization
    part = index_records(read_movielens(default_data_dir() / "movielens-100k" / "u.data")).parts[0]
    split = split_random(part.matrix, timestamps=part.timestamps, seed=0)
    W = bm25_confidences(split.train, config.als_bm25_k1, config.als_bm25_b).tocsr()
    balanced, reg_param = count_balanced(W, lam)
    variants: dict[str, tuple[sp.csr_matrix, Confidence, Penalty]] = {
        "implicit": (W, lambda w: alpha * w, lambda n: lam),
        "spark-confidence": (W, lambda w: 1 + alpha * w, lambda n: lam),
        "als-wr": (W, lambda w: 1 + alpha * w, lambda n: 0.9 * n),
        "balanced": (balanced.tocsr(), lambda w: 1 + alpha * w, lambda n: reg_param * n),
    }
    for name in sys.argv[1:] or list(variants):
        matrix, confidence, penalty = variants[name]
        model = factorise(matrix, confidence, penalty, config)
        print(f"{name}: NDCG@10 {evaluate(model, split, k=10, fit=False).ndcg:.4f}", flush=True)


if __name__ == "__main__":
    main()
