"""Blend variants on validation only: does a fusion scheme beat the production blend's grid?

Issue 15 asks the clean protocol-A blend to beat its best member by 2 %; the
production blend (DLAE 1 + BM25-ALS + session, row-max-scaled score sum,
weights from a grid) reaches 1.013. This bench asks whether a different
fusion would earn more, **without looking at any seed's test part**: for
each seed 0-5 it deals that seed's training part (``split_random(seed)``,
protocol A) into 5 folds (``split_kfold``), fits the members at the
production defaults on each fold's training part and caches their
row-scaled scores. Each scheme then picks its weights on folds 0-2 and is
judged on folds 3-4, and the reverse; the figure is the mean of the two
judgements (so a scheme with more weights to pick pays for its selection
noise, as it would at a retrain).

Schemes (each with its own weight grid):

* ``base``: the production grid, DLAE 1 + ALS w_a + session w_s;
* ``itemknn``: ``base`` plus ItemKNN (cosine, k 200) as a fourth member;
* ``session3600``: ``base`` plus a second session member at tau 3,600 s;
* ``buckets``: ``base`` weights chosen apart for users below and above the
  median training-history length (per-user-activity weights);
* ``rrf``: reciprocal-rank fusion, ``sum_m w_m / (60 + rank_m)``.

    .venv/bin/python bench/rec_blend_variants.py [--data DIR] [--seeds 0 1 2 3 4 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommendations.engine.datasets import default_data_dir, index_records, read_movielens
from recommendations.engine.evaluation import split_kfold, split_random
from recommendations.engine.hybrid import scale_rows
from recommendations.engine.models import make_model
from recommendations.engine.ranking import mask_rows, top_k_rows
from recommendations.engine.types import EngineConfig

FOLDS = 5
HALVES = (((0, 1, 2), (3, 4)), ((3, 4), (0, 1, 2)))
# name -> (make_model algorithm, EngineConfig overrides)
MEMBERS: dict[str, tuple[str, dict[str, float]]] = {
    "ease": ("ease", {}),
    "als": ("als", {}),
    "session": ("session", {}),
    "itemknn": ("itemknn", {}),
    "session3600": ("session", {"session_tau": 3600.0}),
}
ALS_WEIGHTS = (0.5, 1.0, 1.5, 2.0, 3.0)
SESSION_WEIGHTS = (0.0, 0.25, 0.5, 1.0)
EXTRA_WEIGHTS = (0.0, 0.25, 0.5)
RRF_OFFSET = 60.0
Scores = dict[str, NDArray[np.float32]]


@dataclasses.dataclass
class Fold:
    """One fold's validation users, their held-out and training rows, and member scores."""

    test: sp.csr_matrix
    train: sp.csr_matrix
    history: NDArray[np.int64]
    scores: Scores


def cache_folds(X: sp.csr_matrix, times: NDArray[np.float64], seed: int) -> list[Fold]:
    """Fit every member on each fold of the seed's training part; keep scaled scores."""
    training = split_random(X, timestamps=times, seed=seed)
    folds = []
    for split in split_kfold(
        training.train, timestamps=training.train_times, folds=FOLDS, seed=seed
    ):
        users = np.flatnonzero(np.diff(split.test.indptr) > 0)
        scores: Scores = {}
        for name, (algorithm, overrides) in MEMBERS.items():
            config = dataclasses.replace(EngineConfig(), seed=seed, **overrides)  # type: ignore[arg-type]
            model = make_model(algorithm, config, n_items=X.shape[1])
            model.fit(split.train, split.train_times)
            scores[name] = scale_rows(model.score_users(split.train, users))
        history = np.diff(split.train.indptr)[users].astype(np.int64)
        folds.append(Fold(split.test[users], split.train[users], history, scores))
    return folds


def per_user_ndcg(scores: NDArray[np.float32], fold: Fold, k: int = 10) -> NDArray[np.float64]:
    """NDCG@k of each validation user (binary gains, training items excluded)."""
    ranked = scores.copy()
    mask_rows(ranked, fold.train)
    top = top_k_rows(ranked, k).indices
    n_relevant = np.diff(fold.test.indptr)
    n_items = fold.test.shape[1]
    rows = np.arange(n_relevant.size)
    relevant = np.repeat(rows, n_relevant) * n_items + fold.test.indices
    hits = np.isin(rows[:, None] * n_items + top, relevant)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    return np.asarray((hits @ discounts) / np.cumsum(discounts)[np.minimum(n_relevant, k) - 1])


def ranks(scores: NDArray[np.float32]) -> NDArray[np.float32]:
    """Each item's rank in its row (0 = best)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    out = np.empty_like(order)
    np.put_along_axis(out, order, np.arange(scores.shape[1])[None, :], axis=1)
    return out.astype(np.float32)


def candidates(fold: Fold) -> dict[str, dict[tuple[float, ...], NDArray[np.float32]]]:
    """Every scheme's blended scores on ``fold``, per weight tuple."""
    s = fold.scores
    base: dict[tuple[float, ...], NDArray[np.float32]] = {
        (a, w): s["ease"] + a * s["als"] + w * s["session"]
        for a, w in itertools.product(ALS_WEIGHTS, SESSION_WEIGHTS)
    }
    out: dict[str, dict[tuple[float, ...], NDArray[np.float32]]] = {"base": base}
    for extra in ("itemknn", "session3600"):
        out[extra] = {
            (a, w, e): base[(a, w)] + e * s[extra]
            for a, w, e in itertools.product(ALS_WEIGHTS, SESSION_WEIGHTS, EXTRA_WEIGHTS)
        }
    r = {m: 1.0 / (RRF_OFFSET + ranks(s[m])) for m in ("ease", "als", "session")}
    out["rrf"] = {
        (a, w): r["ease"] + a * r["als"] + w * r["session"]
        for a, w in itertools.product(ALS_WEIGHTS, SESSION_WEIGHTS)
    }
    return out


def judge(
    ndcg: list[dict[str, dict[tuple[float, ...], NDArray[np.float64]]]],
    scheme: str,
    groups: list[list[NDArray[np.bool_]]],
) -> float:
    """Pick weights on one half of the folds, score them on the other; mean of both ways.

    ``groups[g][f]`` flags fold ``f``'s users in group ``g``; each group
    gets its own weights (one group of everyone: one set of weights).
    """
    figures = []
    for pick, held in HALVES:
        per_fold = [np.zeros(groups[0][f].size) for f in range(FOLDS)]
        for flags in groups:
            grid = ndcg[0][scheme]
            picked = [
                np.mean(np.concatenate([ndcg[f][scheme][w][flags[f]] for f in pick])) for w in grid
            ]
            weights = list(grid)[int(np.argmax(picked))]
            for f in held:
                per_fold[f][flags[f]] = ndcg[f][scheme][weights][flags[f]]
        figures.append(float(np.mean([per_fold[f].mean() for f in held])))
    return float(np.mean(figures))


def run_seed(X: sp.csr_matrix, times: NDArray[np.float64], seed: int) -> dict[str, float]:
    """Every scheme's held-out validation NDCG@10 on one seed's training part."""
    folds = cache_folds(X, times, seed)
    ndcg = [
        {
            scheme: {w: per_user_ndcg(blend, fold) for w, blend in grid.items()}
            for scheme, grid in candidates(fold).items()
        }
        for fold in folds
    ]
    everyone = [[np.ones(fold.history.size, dtype=bool) for fold in folds]]
    median = float(np.median(np.concatenate([fold.history for fold in folds])))
    heavy = [fold.history > median for fold in folds]
    figures = {scheme: judge(ndcg, scheme, everyone) for scheme in ndcg[0]}
    figures["buckets"] = judge(ndcg, "base", [[~h for h in heavy], heavy])
    return figures


def main() -> None:
    """Run every seed and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir() / "movielens-100k")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    args = parser.parse_args()
    started, load_before = time.perf_counter(), os.getloadavg()
    dataset = index_records(read_movielens(args.data / "u.data"))
    X, times = dataset.parts[0].matrix, dataset.parts[0].timestamps
    assert times is not None
    rows = []
    for seed in args.seeds:
        rows.append(run_seed(X, times, seed))
        print(f"seed {seed}: " + ", ".join(f"{k} {v:.4f}" for k, v in rows[-1].items()), flush=True)
    print(f"\nHeld-out validation NDCG@10 ({FOLDS} folds of each seed's training part)")
    print(f"{'scheme':<13}" + "".join(f"{'s' + str(s):>8}" for s in args.seeds) + f"{'mean':>9}")
    for scheme in rows[0]:
        values = [row[scheme] for row in rows]
        gain = np.mean(values) - np.mean([row["base"] for row in rows])
        print(
            f"{scheme:<13}"
            + "".join(f"{v:>8.4f}" for v in values)
            + f"{np.mean(values):>9.4f}  ({gain:+.4f} vs base)"
        )
    report_wall_time(started, load_before)


def report_wall_time(started: float, load_before: tuple[float, float, float]) -> None:
    """Print a bench's wall time with the load average before and after it."""
    print(
        f"wall time {time.perf_counter() - started:.0f} s; load average "
        f"{load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after"
    )


if __name__ == "__main__":
    main()
