"""Member choices on one random carve against the mean of five folds, validation only.

The clean protocol-A bench chose each member's hyper-parameters on one
80/20 random carve of each seed's training part. This prints, for the
given seeds, every candidate's validation NDCG@10 on that carve and on the
mean of the first 5 folds of the 10-fold carve the blend weights are chosen
on (what ``bench/rec_movielens.py`` now uses, ``tune_config(member_folds=5)``),
members tuned in order from the earlier winners, as ``tune_config`` does.
No seed's test part is read.

    .venv/bin/python bench/rec_member_carves.py 3 5
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rec_movielens import BLEND_FOLDS, MEMBER_FOLDS, MEMBER_GRIDS

from recommendations.engine.datasets import (
    default_data_dir,
    index_records,
    read_movielens,
)
from recommendations.engine.evaluation import evaluate, split_random
from recommendations.engine.models import make_model
from recommendations.engine.tuning import carve
from recommendations.engine.types import EngineConfig


def main() -> None:
    """Print each seed's member trials on both carves."""
    dataset = index_records(read_movielens(default_data_dir() / "movielens-100k" / "u.data"))
    X, times = dataset.parts[0].matrix, dataset.parts[0].timestamps
    started = time.perf_counter()
    for seed in [int(s) for s in sys.argv[1:]]:
        training = split_random(X, timestamps=times, seed=seed)
        carves = {
            "single": carve(training.train, training.train_times, "random", seed=seed),
            f"{MEMBER_FOLDS}of{BLEND_FOLDS}": carve(
                training.train, training.train_times, "kfold", folds=BLEND_FOLDS, seed=seed
            )[:MEMBER_FOLDS],
        }
        for how, splits in carves.items():
            config = dataclasses.replace(EngineConfig(), seed=seed)
            for algorithm, overrides in MEMBER_GRIDS.items():
                scores = [
                    np.mean(
                        [
                            evaluate(
                                make_model(
                                    algorithm,
                                    dataclasses.replace(config, **o),
                                    n_items=X.shape[1],
                                ),
                                split,
                                k=10,
                            ).ndcg
                            for split in splits
                        ]
                    )
                    for o in overrides
                ]
                best = int(np.argmax(scores))
                config = dataclasses.replace(config, **overrides[best])
                print(
                    f"seed {seed} {how} {algorithm}: best {overrides[best]} {scores[best]:.4f}; "
                    "all " + " ".join(f"{v:.4f}" for v in scores),
                    flush=True,
                )
    print(f"wall time {time.perf_counter() - started:.0f} s; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
