"""Reference protocol A on MovieLens-100K: tune, then report the mean of 3 seeds.

Tuning follows docs/recommender.md: each model's grid is scored on a
validation split carved from the seed-0 training matrix (same 80/20 rule),
the best parameters are frozen, and every model is refit on the full
training matrix of seeds 0, 1 and 2. The blend weights are the exception:
they move NDCG@10 by less than one split's noise, and their optimum moves
with the size of the training part (a member's weight follows its
strength relative to the others, which changes with the data), so the
hybrid grid is scored by 10-fold cross-validation over the same seed-0
training matrix: every entry is validated once, and each training part
holds 72 % of the data, against 64 % for the carved split and 80 % for
the final fit. Rating times ride along with the entries
(``Split.train_times``): the session model reads them. Two ALS rows are
kept apart:

* ``als-peer``: the peer baseline, implicit ALS at the reference's 64
  factors / 15 iterations with regularisation and alpha tuned on the
  reference grid;
* ``als``: the engine's ALS (plain confidences) with factors, iterations,
  regularisation and alpha tuned on a finer grid;
* ``als-bm25``: the same ALS on BM25-weighted input, tuned on its own small
  grid from the ``als`` row's factors and iterations; this is the ALS the
  hybrid blends.

``hybrid`` is the tuned blend; ``production`` is ``production_model`` at the
``EngineConfig()`` defaults, refit per seed, and is what the acceptance
checks read (``cold_items`` is a product requirement, fixed at its
default 0.5 in the hybrid grid, not tuned).

    .venv/bin/python bench/rec_movielens.py [--data DIR]   # DIR holds u.data
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommendations.engine.datasets import (
    default_data_dir,
    index_records,
    read_movielens,
    read_movielens_items,
)
from recommendations.engine.evaluation import evaluate, split_kfold, split_random
from recommendations.engine.models import make_model, production_model
from recommendations.engine.types import (
    EngineConfig,
    EvaluationResult,
    ItemContent,
    Split,
)

SEEDS = (0, 1, 2)
BLEND_FOLDS = 10
REFERENCE_NDCG = {"popularity": 0.158, "itemknn": 0.292, "ease": 0.323, "als-peer": 0.307}
ALS_PEER: dict[str, Any] = {"als_factors": 64, "als_iterations": 15, "als_weighting": "confidence"}


def grid(**axes: list[Any]) -> list[dict[str, Any]]:
    """Return the cartesian product of ``axes`` as override dicts."""
    return [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]


def ease_grid() -> list[dict[str, Any]]:
    """Return plain EASE on the reference grid, the dropout forms and DLAE with
    user-degree weighting (its lambda axis sits lower: the weighting shrinks G)."""
    plain = grid(ease_lambda=[50.0, 100.0, 250.0, 400.0, 500.0, 750.0, 1000.0])
    dropout = grid(
        ease_lambda=[50.0, 100.0, 200.0, 400.0],
        ease_dropout=[0.25, 0.5, 0.6, 0.7, 0.8],
        ease_variant=["edlae", "dlae"],
        ease_user_exponent=[0.0],
    )
    weighted = grid(
        ease_lambda=[10.0, 20.0, 50.0, 100.0, 200.0],
        ease_dropout=[0.5, 0.6, 0.7, 0.8],
        ease_variant=["dlae"],
        ease_user_exponent=[0.25, 0.5],
    )
    unweighted = {"ease_dropout": 0.0, "ease_variant": "edlae", "ease_user_exponent": 0.0}
    return [{**unweighted, **o} for o in plain] + dropout + weighted


def hybrid_grid() -> list[dict[str, Any]]:
    """Return the ALS weight (EASE fixed at 1) x the session weight.

    The two axes widen to either side of the previous choices (ALS 3 and
    session 1, picked on six carved 64 % splits).

    kNN stays at 0 and the popularity debiasing beta at 0 (both chosen on
    validation in earlier, wider grids), ``cold_items`` at the production
    value 0.5 (a cold-start requirement; protocol A has too few new items
    to tune it).
    """
    cold = EngineConfig().hybrid_weights["cold_items"]
    return [
        {
            "hybrid_weights": {
                "ease": 1.0,
                "als": a,
                "itemknn": 0.0,
                "session": w,
                "cold_items": cold,
            },
        }
        for a, w in itertools.product([0.5, 1.0, 1.5, 2.0, 3.0], [0.0, 0.25, 0.5, 1.0])
    ]


# (row label, algorithm, grid of EngineConfig overrides); tuned in this order,
# so the hybrid grid starts from the tuned component parameters.
PLAN: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("popularity", "popularity", [{}]),
    ("itemknn", "itemknn", grid(knn_neighbours=[20, 50, 100, 200], knn_shrink=[0.0, 10.0, 50.0])),
    ("session", "session", grid(session_tau=[120.0, 360.0, 1080.0], session_neighbours=[100, 200])),
    ("ease", "ease", ease_grid()),
    (
        "als",
        "als",
        grid(
            als_factors=[64, 128],
            als_iterations=[15, 30],
            als_regularization=[20.0, 50.0, 100.0],
            als_alpha=[5.0, 10.0, 20.0],
            als_weighting=["confidence"],
        ),
    ),
    (
        "als-bm25",
        "als",
        [
            {"als_weighting": "bm25", "als_bm25_k1": k1, "als_bm25_b": b, **o}
            for k1, b in [(1.2, 0.75), (100.0, 0.8)]
            for o in grid(als_regularization=[50.0, 100.0, 200.0], als_alpha=[5.0, 10.0, 20.0])
        ],
    ),
    ("content", "content", [{}]),
    ("hybrid", "hybrid", hybrid_grid()),
    (
        "als-peer",
        "als",
        grid(als_regularization=[5.0, 20.0, 50.0, 100.0, 200.0], als_alpha=[1.0, 5.0, 20.0, 40.0]),
    ),
    ("als-default", "als-default", [{}]),
]


def score(
    algorithm: str, config: EngineConfig, split: Split, content: ItemContent
) -> EvaluationResult:
    """Fit and evaluate one algorithm at one configuration."""
    model = make_model(algorithm, config, n_items=split.train.shape[1], content=content)
    return evaluate(model, split, k=10, label=algorithm)


def tune(
    label: str, algorithm: str, overrides: list[dict[str, Any]], base: EngineConfig, **data: Any
) -> tuple[EngineConfig, dict[str, Any]]:
    """Return the config (and its overrides) with the best validation NDCG@10.

    Models are scored on the reference's tuning split, the hybrid by
    cross-validation (:func:`blend_ndcgs`).
    """
    if label == "als-peer":
        base = dataclasses.replace(base, **ALS_PEER)
    candidates = [(dataclasses.replace(base, **o), o) for o in overrides]
    if len(candidates) == 1:
        return candidates[0]
    if label == "hybrid":
        ndcgs = blend_ndcgs([config for config, _ in candidates], data["folds"], data["content"])
    else:
        ndcgs = [
            score(algorithm, config, data["validation"], data["content"]).ndcg
            for config, _ in candidates
        ]
    best = int(np.argmax(ndcgs))
    print(f"  tuned {label:<11} {candidates[best][1]}  val NDCG {ndcgs[best]:.4f}", flush=True)
    return candidates[best]


def blend_ndcgs(
    configs: list[EngineConfig], folds: list[Split], content: ItemContent
) -> list[float]:
    """Return each blend's mean NDCG@10 over ``folds``.

    The configs differ only in member weights, so each fold fits one
    hybrid holding every member any config weighs and re-weights it per
    config (``Hybrid.reweighted``): one fit per fold, not per candidate.
    """
    members = {
        name
        for config in configs
        for name, weight in config.hybrid_weights.items()
        if weight > 0 and name != "cold_items"
    }
    every_member = dataclasses.replace(
        configs[0], hybrid_weights={**configs[0].hybrid_weights, **dict.fromkeys(members, 1.0)}
    )
    ndcgs = np.zeros((len(configs), len(folds)))
    for f, fold in enumerate(folds):
        hybrid = production_model(every_member, n_items=fold.train.shape[1], content=content)
        hybrid.fit(fold.train, fold.train_times)
        for c, config in enumerate(configs):
            weights = {name: config.hybrid_weights.get(name, 0.0) for name in members}
            ndcgs[c, f] = evaluate(hybrid.reweighted(weights), fold, fit=False).ndcg
    return ndcgs.mean(axis=1).tolist()


def report_row(label: str, runs: list[EvaluationResult], baselines: dict[str, float]) -> str:
    """Format mean metrics over seeds with ratios to the reference and ALS."""
    mean = {f: float(np.mean([getattr(r, f) for r in runs])) for f in ("precision", "recall")}
    ndcg = np.array([r.ndcg for r in runs])
    cells = [
        f"{mean['precision']:.3f}",
        f"{mean['recall']:.3f}",
        f"{ndcg.mean():.4f}±{ndcg.std():.3f}",
        f"{np.mean([r.map for r in runs]):.3f}",
        f"{np.mean([r.coverage for r in runs]):.3f}",
        f"{np.mean([r.fit_seconds for r in runs]):.2f}",
        f"{ndcg.mean() / REFERENCE_NDCG[label]:.3f}" if label in REFERENCE_NDCG else "-",
        f"{ndcg.mean() / baselines['als-peer']:.3f}",
        f"{ndcg.mean() / baselines['als']:.3f}",
    ]
    return f"{label:<12}" + "".join(f"{c:>14}" for c in cells)


def main() -> None:
    """Tune on validation, run the seeds, print the table and the checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir() / "movielens-100k")
    args = parser.parse_args()
    started = time.perf_counter()
    dataset = index_records(read_movielens(args.data / "u.data"))
    content = read_movielens_items(args.data / "u.item", dataset.item_ids)
    X, times = dataset.parts[0].matrix, dataset.parts[0].timestamps
    tuning = split_random(X, timestamps=times, seed=0)
    validation = split_random(tuning.train, timestamps=tuning.train_times, seed=0)
    folds = split_kfold(tuning.train, timestamps=tuning.train_times, folds=BLEND_FOLDS, seed=0)
    base, frozen = EngineConfig(), {}
    for label, algorithm, overrides in PLAN:
        config, chosen = tune(
            label, algorithm, overrides, base, validation=validation, folds=folds, content=content
        )
        frozen[label] = (algorithm, config)
        if label not in ("als-peer", "als-default"):
            base = dataclasses.replace(base, **chosen)
    frozen["production"] = ("hybrid", EngineConfig())
    splits = [split_random(X, timestamps=times, seed=seed) for seed in SEEDS]
    runs = {
        label: [score(a, dataclasses.replace(c, seed=s), splits[s], content) for s in SEEDS]
        for label, (a, c) in frozen.items()
    }
    print_report(runs, base, time.perf_counter() - started)


def print_report(
    runs: dict[str, list[EvaluationResult]], tuned: EngineConfig, seconds: float
) -> None:
    """Print the result table, the acceptance checks and the tuned config."""
    ndcg = {label: float(np.mean([r.ndcg for r in rs])) for label, rs in runs.items()}
    titles = ["P@10", "R@10", "NDCG@10", "MAP@10", "Cov", "Fit s", "/ref", "/als-peer", "/als"]
    print(f"\nProtocol A, mean of seeds {SEEDS} ({runs['ease'][0].n_users} users)")
    print(f"{'model':<12}" + "".join(f"{t:>14}" for t in titles))
    for label, results in runs.items():
        print(report_row(label, results, ndcg))
    prod = ndcg["production"]
    print(f"\nproduction NDCG@10 >= 0.33:        {prod:.4f}  {prod >= 0.33}")
    print(f"production >= 1.05 x als-peer:     {prod / ndcg['als-peer']:.3f}")
    print(f"production >= 1.05 x als (fine):   {prod / ndcg['als']:.3f}")
    print(f"tuned hybrid NDCG@10:              {ndcg['hybrid']:.4f}")
    gap = ndcg["itemknn"] - REFERENCE_NDCG["itemknn"]
    print(f"itemknn within 0.01 of 0.292:      {gap:+.4f}  {abs(gap) <= 0.01}")
    print(f"\ntuned EngineConfig:      {tuned}")
    print(f"production EngineConfig: {EngineConfig()}")
    print(f"tuned == production: {tuned == EngineConfig()}\nwall time {seconds:.0f} s")


if __name__ == "__main__":
    main()
