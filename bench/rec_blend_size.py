"""How the blend's edge over DLAE moves with the training size, on validation folds only.

Protocol A's refit trains on 80 % of the positives; its choices are made on
folds of that 80 %, so on less. This deals each seed's training part
(``split_random(seed)``) into K folds per user for several K (the training
share of a fold is ``0.8 * (1 - 1/K)`` of the data), fits the production
hybrid (``production_model`` at the defaults, optionally with another ALS
factor count) on the first five folds, and prints DLAE alone, BM25-ALS
alone and the blend DLAE 1 : ALS w : session 0.25 for a few w, as the
ratio the acceptance reads (best blend / DLAE). No test part is read.

    .venv/bin/python bench/rec_blend_size.py [--seeds 0 3] [--folds 3 5 10 20] [--factors 64]
        [--plain-als]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rec_blend_variants import report_wall_time

from recommendations.engine.datasets import default_data_dir, index_records, read_movielens
from recommendations.engine.evaluation import evaluate, split_kfold, split_random
from recommendations.engine.models import production_model
from recommendations.engine.types import EngineConfig

JUDGED_FOLDS = 5
ALS_WEIGHTS = (1.0, 1.5, 2.0, 3.0)


def main() -> None:
    """Print one line per seed, K and factor count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir() / "movielens-100k")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 3])
    parser.add_argument("--folds", type=int, nargs="+", default=[3, 5, 10, 20])
    parser.add_argument("--factors", type=int, nargs="+", default=[64])
    parser.add_argument(
        "--plain-als",
        action="store_true",
        help="ALS on plain confidences at reg 50 (the engine's best plain ALS) instead of BM25",
    )
    args = parser.parse_args()
    dataset = index_records(read_movielens(args.data / "u.data"))
    X, times = dataset.parts[0].matrix, dataset.parts[0].timestamps
    started, load_before = time.perf_counter(), os.getloadavg()
    weightings = {"dlae": {"ease": 1.0}, "als": {"als": 1.0}} | {
        f"blend {w:g}": {"ease": 1.0, "als": w, "session": 0.25} for w in ALS_WEIGHTS
    }
    for seed in args.seeds:
        training = split_random(X, timestamps=times, seed=seed)
        for folds, factors in ((k, f) for k in args.folds for f in args.factors):
            config = dataclasses.replace(EngineConfig(), seed=seed, als_factors=factors)
            if args.plain_als:
                config = dataclasses.replace(
                    config, als_weighting="confidence", als_regularization=50.0
                )
            ndcg: dict[str, list[float]] = {name: [] for name in weightings}
            splits = split_kfold(
                training.train, timestamps=training.train_times, folds=folds, seed=seed
            )
            for split in splits[:JUDGED_FOLDS]:
                hybrid = production_model(config, n_items=X.shape[1])
                hybrid.fit(split.train, split.train_times)
                for name, weights in weightings.items():
                    model = hybrid.reweighted(weights)
                    ndcg[name].append(evaluate(model, split, k=10, fit=False).ndcg)
            mean = {name: float(np.mean(v)) for name, v in ndcg.items()}
            best = max(v for name, v in mean.items() if name.startswith("blend"))
            print(
                f"seed {seed} K {folds} ({0.8 * (1 - 1 / folds):.0%} of the data) "
                f"factors {factors}: "
                + " ".join(f"{name} {v:.4f}" for name, v in mean.items())
                + f" | best blend / DLAE {best / mean['dlae']:.4f}, "
                f"ALS / DLAE {mean['als'] / mean['dlae']:.3f}",
                flush=True,
            )
    report_wall_time(started, load_before)


if __name__ == "__main__":
    main()
