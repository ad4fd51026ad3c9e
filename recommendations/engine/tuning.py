"""Honest tuning: choose member hyper-parameters and blend weights on a carve of the training data.

Nothing here reads a test set. :func:`tune_config` is given the training
data only (what a retrain has, or one seed's training part in the bench),
carves validation splits out of it, and returns the :class:`EngineConfig`
that scored best there, with every trial's figure so the glue can store
and show them next to the model version.

The carve should mimic the test the result will face, so that the gate
compares like with like:

* ``"temporal"`` (what a retrain uses): the latest ``validation_share`` of
  the training interactions, cut at one time for everyone, as the
  production gate's holdout cuts (``evaluation.split_temporal``); on
  public course-enrolment data a random carve ranked blends almost in the
  reverse order of the later temporal test;
* ``"random"``: ``ceil(20 %)`` of each user's entries at random, the
  construction of reference protocol A's test (``split_random``);
* ``"kfold"``: ``folds`` disjoint random parts per user (``split_kfold``);
  every entry is validated once and each training part holds
  ``1 - 1/folds`` of the data, closer to the final fit's size, which
  matters for blend weights (docs/recommender.md section 4).

Members are tuned one after another, each alone on ``member_carve``, in
the order of ``member_grids`` (later grids start from the earlier winners);
then the blend weights of the tuned members are scored on ``blend_carve``,
one hybrid fit per split re-weighted per candidate (``Hybrid.reweighted``).
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.evaluation import (
    evaluate,
    split_kfold,
    split_random,
    split_temporal,
)
from recommendations.engine.hybrid import Hybrid
from recommendations.engine.models import make_model, production_model
from recommendations.engine.types import EngineConfig, InteractionMatrix, ItemContent, Split

CARVES = ("temporal", "random", "kfold")
Overrides = dict[str, Any]


def grid(**axes: Sequence[Any]) -> list[Overrides]:
    """The cartesian product of ``axes`` as :class:`EngineConfig` override dicts."""
    return [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]


# What a retrain tries by default: a few values around the MovieLens optima,
# cheap enough to run at every retrain (each trial is one fit on the carve).
RETRAIN_MEMBER_GRIDS: dict[str, list[Overrides]] = {
    "ease": grid(ease_lambda=[10.0, 20.0, 50.0]),
    "als": grid(als_regularization=[50.0, 100.0, 200.0]),
}
RETRAIN_BLEND_GRID: dict[str, Sequence[float]] = {
    "ease": [1.0],
    "als": [0.5, 1.0, 1.5, 2.0],
    "session": [0.0, 0.25, 0.5],
}


@dataclasses.dataclass(frozen=True)
class Trial:
    """One candidate's validation figure.

    Attributes:
        stage: the member tuned (``"ease"``, ...) or ``"blend"``.
        overrides: the :class:`EngineConfig` overrides tried.
        ndcg: mean validation NDCG@k over the carve's splits.
    """

    stage: str
    overrides: Overrides
    ndcg: float


@dataclasses.dataclass(frozen=True)
class TuningResult:
    """The chosen configuration and how it was chosen.

    Attributes:
        config: the winner (members' parameters and ``hybrid_weights``).
        validation_ndcg: the chosen blend's validation NDCG@k.
        trials: every candidate scored, in order.
        member_carve, blend_carve: the carves used.
        validation_users: users with validation items in the member carve.
        seconds: wall time of the whole search.
    """

    config: EngineConfig
    validation_ndcg: float
    trials: tuple[Trial, ...]
    member_carve: str
    blend_carve: str
    validation_users: int
    seconds: float

    def chosen_weights(self) -> dict[str, float]:
        """The blend weights chosen, for display next to the model version."""
        return dict(self.config.hybrid_weights)


def carve(
    X: sp.csr_matrix,
    timestamps: NDArray[np.float64] | None,
    how: str,
    *,
    validation_share: float = 0.2,
    folds: int = 10,
    seed: int = 0,
) -> list[Split]:
    """Carve validation splits out of training data (never out of a test set).

    ``"temporal"`` needs timestamps; see the module docs for each carve.
    """
    if how == "temporal":
        if timestamps is None or timestamps.size == 0:
            raise ValueError("a temporal carve needs timestamps")
        cutoff = float(np.quantile(timestamps, 1.0 - validation_share))
        return [split_temporal(InteractionMatrix(X, timestamps), cutoff)]
    if how == "random":
        return [split_random(X, timestamps=timestamps, test_fraction=validation_share, seed=seed)]
    if how == "kfold":
        return split_kfold(X, timestamps=timestamps, folds=folds, seed=seed)
    raise ValueError(f"unknown carve {how!r}; choose from {', '.join(CARVES)}")


def tune_config(
    X: sp.csr_matrix,
    timestamps: NDArray[np.float64] | None,
    base: EngineConfig,
    *,
    content: ItemContent | None = None,
    member_grids: Mapping[str, Sequence[Overrides]] = RETRAIN_MEMBER_GRIDS,
    blend_grid: Mapping[str, Sequence[float]] = RETRAIN_BLEND_GRID,
    member_carve: str = "temporal",
    blend_carve: str = "temporal",
    validation_share: float = 0.2,
    folds: int = 10,
    member_folds: int | None = None,
    k: int = 10,
    seed: int = 0,
) -> TuningResult:
    """Choose member parameters, then blend weights, on carves of ``X``; see the module docs.

    Args:
        X, timestamps: the training data (user x item CSR and its times).
        base: the starting configuration; what no grid names stays as is.
        content: item content, for the hybrid's cold-item routing.
        member_grids: per member algorithm (``make_model`` name), the
            override dicts to try; tuned in this order.
        blend_grid: per member, the weights to try (the cartesian product
            is scored); members not named keep their ``base`` weight, and
            ``cold_items`` is never tuned (a product requirement).
        member_carve, blend_carve: one of :data:`CARVES`.
        validation_share, folds: carve sizes.
        member_folds: score each member candidate on only the first this
            many splits of ``member_carve`` (``None``: every split). With
            ``"kfold"`` for both carves, members and weights then share one
            cross-validation, members averaged over fewer folds to save fits.
        k: the NDCG cut-off.
        seed: the carves' seed.
    """
    if member_folds is not None and member_folds < 1:
        raise ValueError(f"member_folds must be at least 1, got {member_folds}")
    started = time.perf_counter()
    carved = carve(
        X, timestamps, member_carve, validation_share=validation_share, folds=folds, seed=seed
    )
    member_splits = carved[:member_folds]
    n_items = X.shape[1]
    trials: list[Trial] = []
    config = base
    for algorithm, overrides in member_grids.items():
        scored = []
        for override in overrides:
            candidate = dataclasses.replace(config, **override)
            ndcg = _mean_ndcg(
                [
                    evaluate(
                        make_model(algorithm, candidate, n_items=n_items, content=content), s, k=k
                    ).ndcg
                    for s in member_splits
                ]
            )
            trials.append(Trial(stage=algorithm, overrides=dict(override), ndcg=ndcg))
            scored.append((ndcg, override))
        if scored:
            best = max(range(len(scored)), key=lambda i: (scored[i][0], -i))
            config = dataclasses.replace(config, **scored[best][1])
    blend_splits = (
        carved
        if blend_carve == member_carve
        else carve(
            X, timestamps, blend_carve, validation_share=validation_share, folds=folds, seed=seed
        )
    )
    candidates = _blend_candidates(config, blend_grid)
    ndcgs = blend_ndcgs(candidates, blend_splits, content, base=config, k=k)
    for weights, ndcg in zip(candidates, ndcgs, strict=True):
        trials.append(Trial(stage="blend", overrides={"hybrid_weights": weights}, ndcg=ndcg))
    best = max(range(len(ndcgs)), key=lambda i: (ndcgs[i], -i))
    config = dataclasses.replace(config, hybrid_weights=candidates[best])
    users = int(sum((np.diff(s.test.indptr) > 0).sum() for s in member_splits[:1]))
    return TuningResult(
        config=config,
        validation_ndcg=ndcgs[best],
        trials=tuple(trials),
        member_carve=member_carve,
        blend_carve=blend_carve,
        validation_users=users,
        seconds=time.perf_counter() - started,
    )


def _blend_candidates(
    config: EngineConfig, blend_grid: Mapping[str, Sequence[float]]
) -> list[dict[str, float]]:
    names = list(blend_grid)
    return [
        {**config.hybrid_weights, **dict(zip(names, values, strict=True))}
        for values in itertools.product(*(blend_grid[n] for n in names))
    ]


def blend_ndcgs(
    weight_sets: Sequence[Mapping[str, float]],
    splits: Sequence[Split],
    content: ItemContent | None,
    *,
    base: EngineConfig | None = None,
    k: int = 10,
) -> list[float]:
    """Each weight set's mean NDCG@k over ``splits``, one hybrid fit per split.

    The hybrid is fitted once per split with every member any weight set
    uses, then re-weighted per candidate (``Hybrid.reweighted``). Members'
    parameters come from ``base`` (default: the production defaults).
    """
    base = base or EngineConfig()
    members = sorted({n for w in weight_sets for n, v in w.items() if v > 0 and n != "cold_items"})
    every = {**dict(weight_sets[0]), **dict.fromkeys(members, 1.0)}
    ndcgs = np.zeros((len(weight_sets), len(splits)))
    for f, split in enumerate(splits):
        hybrid = production_model(
            dataclasses.replace(base, hybrid_weights=every),
            n_items=split.train.shape[1],
            content=content,
        )
        hybrid.fit(split.train, split.train_times)
        fitted = {model.name for model, _ in hybrid.members}
        for c, weights in enumerate(weight_sets):
            ndcgs[c, f] = evaluate(_reweighted(hybrid, weights, fitted), split, k=k, fit=False).ndcg
    return [float(v) for v in ndcgs.mean(axis=1)]


def _reweighted(hybrid: Hybrid, weights: Mapping[str, float], fitted: set[str]) -> Hybrid:
    # A member the hybrid could not fit (torch missing, EASE above its item cap)
    # simply stays out of every candidate.
    return hybrid.reweighted({n: w for n, w in weights.items() if n in fitted})


def _mean_ndcg(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0
