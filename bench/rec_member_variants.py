"""Member variants on validation only: does another member, or another setting of one, lift the blend?

Issue 15 asks the clean protocol-A blend to beat its best member by 2 %.
``bench/rec_blend_variants.py`` tried other fusions of the production
members; this bench tries other *members*, **without looking at any seed's
test part**. For each seed it deals that seed's training part
(``split_random(seed)``, protocol A) into 5 folds, fits every candidate on
each fold's training part and caches its row-scaled scores. Each scheme
picks its weights on folds 0-2 and is judged on folds 3-4, and the reverse
(``rec_blend_variants.judge``'s halves); the figure is the mean of both.

Schemes, against ``ease+als`` (the production members at the production
defaults; DLAE 1 + ALS {0.5 ... 3} + session {0 ... 1}):

* ``<dlae variant>+als`` / ``ease+<als variant>``: one member replaced by
  another setting (DLAE lambda 10 / 40, dropout 0.5 / 0.7, plain EASE
  lambda 400; ALS alpha 5, 128 factors, plain confidences at reg 50, and
  the mean of three ALS fits of different seeds);
* ``base+<member>``: the production blend plus a fourth member at
  {0, 0.25, 0.5, 1}: RP3beta (Paudel et al. 2017; alpha, beta, 200
  neighbours per source item), user kNN (cosine, shrink 10, 100
  neighbours), ItemKNN, plain EASE, plain-confidence ALS, 128-factor ALS.

    .venv/bin/python bench/rec_member_variants.py [--seeds 0 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rec_blend_variants import FOLDS, HALVES, Fold, per_user_ndcg, report_wall_time

from recommendations.engine.base import Recommender, binarize
from recommendations.engine.datasets import (
    default_data_dir,
    index_records,
    read_movielens,
)
from recommendations.engine.evaluation import split_kfold, split_random
from recommendations.engine.hybrid import scale_rows
from recommendations.engine.models import make_model
from recommendations.engine.ranking import top_k_rows
from recommendations.engine.types import EngineConfig

Scores = dict[str, NDArray[np.float32]]
Grid = dict[tuple[float, ...], NDArray[np.float32]]


def _keep_top(scores: NDArray[np.float32], k: int) -> NDArray[np.float32]:
    top = top_k_rows(scores, k)
    kept = np.zeros_like(scores)
    np.put_along_axis(kept, top.indices, top.scores, axis=1)
    return kept


class RP3Beta:
    """``W = P_iu^alpha P_ui^alpha``, columns divided by ``popularity^beta``, top-k per row."""

    name = "rp3beta"

    def __init__(self, alpha: float = 1.0, beta: float = 0.5, k: int = 200) -> None:
        self.alpha, self.beta, self.k = alpha, beta, k
        self.weights_ = np.zeros((0, 0), dtype=np.float32)

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> Self:
        B = binarize(X)
        per_user = np.maximum(np.asarray(B.sum(axis=1)).ravel(), 1)
        per_item = np.maximum(np.asarray(B.sum(axis=0)).ravel(), 1)
        user_to_item = sp.diags(1 / per_user) @ B
        item_to_user = sp.diags(1 / per_item) @ B.T.tocsr()
        user_to_item.data **= self.alpha
        item_to_user.data **= self.alpha
        walk = np.asarray((item_to_user @ user_to_item).toarray(), dtype=np.float32)
        walk *= (per_item**-self.beta)[None, :].astype(np.float32)
        np.fill_diagonal(walk, 0)
        self.weights_ = _keep_top(walk, self.k)
        return self

    def score_users(self, X: sp.csr_matrix, user_indices: NDArray[np.int64]) -> NDArray[np.float32]:
        return np.asarray(binarize(X[user_indices]) @ self.weights_, dtype=np.float32)


class UserKNN:
    """Shrunk cosine between users, top-k neighbours, scores summed over neighbours."""

    name = "userknn"

    def __init__(self, k: int = 100, shrink: float = 10.0) -> None:
        self.k, self.shrink = k, shrink
        self.rows_ = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> Self:
        self.rows_ = binarize(X)
        return self

    def score_users(self, X: sp.csr_matrix, user_indices: NDArray[np.int64]) -> NDArray[np.float32]:
        rows = self.rows_
        norms = np.sqrt(np.asarray(rows.sum(axis=1)).ravel())
        similarity = np.asarray((rows[user_indices] @ rows.T).toarray(), dtype=np.float32)
        similarity /= norms[user_indices][:, None] * norms[None, :] + self.shrink
        similarity[np.arange(len(user_indices)), user_indices] = 0
        return np.asarray(_keep_top(similarity, self.k) @ rows.toarray(), dtype=np.float32)


class Bagged:
    """The mean score of several fits (ALS of different seeds)."""

    name = "bagged"

    def __init__(self, models: list[Recommender]) -> None:
        self.models = models

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> Self:
        for model in self.models:
            model.fit(X, timestamps)
        return self

    def score_users(self, X: sp.csr_matrix, user_indices: NDArray[np.int64]) -> NDArray[np.float32]:
        total = sum(model.score_users(X, user_indices) for model in self.models)
        return np.asarray(np.asarray(total) / len(self.models), dtype=np.float32)


def engine(algorithm: str, seed: int, **overrides: Any) -> Callable[[], Recommender]:
    """A maker of the engine's ``algorithm`` at the production defaults plus ``overrides``."""
    config = dataclasses.replace(EngineConfig(), seed=seed, **overrides)
    return lambda: make_model(algorithm, config, n_items=1682)


def candidates(seed: int) -> dict[str, Callable[[], Recommender]]:
    """Every member fitted per fold, by name (``ease``/``als``/``session``: production)."""
    return {
        "ease": engine("ease", seed),
        "ease_l10": engine("ease", seed, ease_lambda=10.0),
        "ease_l40": engine("ease", seed, ease_lambda=40.0),
        "ease_p5": engine("ease", seed, ease_dropout=0.5),
        "ease_p7": engine("ease", seed, ease_dropout=0.7),
        "ease_plain": engine(
            "ease",
            seed,
            ease_lambda=400.0,
            ease_dropout=0.0,
            ease_variant="edlae",
            ease_user_exponent=0.0,
        ),
        "als": engine("als", seed),
        "als_a5": engine("als", seed, als_alpha=5.0),
        "als_f128": engine("als", seed, als_factors=128),
        "als_conf": engine("als", seed, als_weighting="confidence", als_regularization=50.0),
        "als_bag3": lambda: Bagged([engine("als", seed * 10 + j)() for j in range(3)]),
        "session": engine("session", seed),
        "itemknn": engine("itemknn", seed),
        "rp3_a1_b5": lambda: RP3Beta(1.0, 0.5, 200),
        "rp3_a8_b3": lambda: RP3Beta(0.8, 0.3, 200),
        "rp3_a1_b3": lambda: RP3Beta(1.0, 0.3, 200),
        "userknn": lambda: UserKNN(100),
    }


ALS_WEIGHTS = (0.5, 1.0, 1.5, 2.0, 3.0)
SESSION_WEIGHTS = (0.0, 0.25, 0.5, 1.0)
EXTRA_WEIGHTS = (0.0, 0.25, 0.5, 1.0)
FOURTH_MEMBERS = ("rp3", "userknn", "itemknn", "ease_plain", "als_conf", "als_f128")


def schemes(s: Scores) -> dict[str, Grid]:
    """Every scheme's blended scores, per weight tuple."""
    out: dict[str, Grid] = {}
    for dense, factors in itertools.product(
        [k for k in s if k.startswith("ease")], [k for k in s if k.startswith("als")]
    ):
        if dense != "ease" and factors != "als":
            continue  # one member varied at a time
        out[f"{dense}+{factors}"] = {
            (a, w): s[dense] + a * s[factors] + w * s["session"]
            for a, w in itertools.product(ALS_WEIGHTS, SESSION_WEIGHTS)
        }
    base = out["ease+als"]
    for extra in [k for k in s if k.startswith(FOURTH_MEMBERS)]:
        out[f"base+{extra}"] = {
            (a, w, e): base[(a, w)] + e * s[extra]
            for a, w, e in itertools.product(ALS_WEIGHTS, SESSION_WEIGHTS, EXTRA_WEIGHTS)
        }
    return out


def run_seed(
    X: sp.csr_matrix, times: NDArray[np.float64], seed: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Held-out validation NDCG@10 of every scheme, and of every member alone."""
    training = split_random(X, timestamps=times, seed=seed)
    ndcg: list[dict[str, dict[tuple[float, ...], NDArray[np.float64]]]] = []
    alone: dict[str, list[float]] = {}
    splits = split_kfold(training.train, timestamps=training.train_times, folds=FOLDS, seed=seed)
    for split in splits:
        users = np.flatnonzero(np.diff(split.test.indptr) > 0)
        scores: Scores = {
            name: scale_rows(
                make().fit(split.train, split.train_times).score_users(split.train, users)
            )
            for name, make in candidates(seed).items()
        }
        history = np.diff(split.train.indptr)[users].astype(np.int64)
        fold = Fold(split.test[users], split.train[users], history, {})
        for name, member in scores.items():
            alone.setdefault(name, []).append(float(per_user_ndcg(member, fold).mean()))
        ndcg.append(
            {
                scheme: {w: per_user_ndcg(blend, fold) for w, blend in grid.items()}
                for scheme, grid in schemes(scores).items()
            }
        )
    judged = {}
    for scheme in ndcg[0]:
        figures = []
        for pick, held in HALVES:
            grid = list(ndcg[0][scheme])
            picked = [np.mean(np.concatenate([ndcg[f][scheme][w] for f in pick])) for w in grid]
            weights = grid[int(np.argmax(picked))]
            figures.append(np.mean([ndcg[f][scheme][weights].mean() for f in held]))
        judged[scheme] = float(np.mean(figures))
    return judged, {name: float(np.mean(v)) for name, v in alone.items()}


def main() -> None:
    """Run the seeds and print each scheme's figure and its gain over the production blend."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir() / "movielens-100k")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    dataset = index_records(read_movielens(args.data / "u.data"))
    X, times = dataset.parts[0].matrix, dataset.parts[0].timestamps
    assert times is not None
    started, load_before = time.perf_counter(), os.getloadavg()
    rows = []
    for seed in args.seeds:
        judged, alone = run_seed(X, times, seed)
        rows.append(judged)
        print(f"seed {seed} alone: " + ", ".join(f"{k} {v:.4f}" for k, v in alone.items()))
        for scheme, value in judged.items():
            gain = value - judged["ease+als"]
            print(f"seed {seed} {scheme:<22} {value:.4f} ({gain:+.4f})", flush=True)
    print(f"\nHeld-out validation NDCG@10, mean of seeds {args.seeds}")
    for scheme in rows[0]:
        value = float(np.mean([r[scheme] for r in rows]))
        gain = float(np.mean([r[scheme] - r["ease+als"] for r in rows]))
        print(f"{scheme:<22} {value:.4f} ({gain:+.4f})")
    report_wall_time(started, load_before)


if __name__ == "__main__":
    main()
