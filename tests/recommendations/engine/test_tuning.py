"""Honest tuning: parameters and blend weights chosen on a carve of the training data only."""

import dataclasses
import sys

import numpy as np
import pytest

from recommendations.engine.evaluation import evaluate
from recommendations.engine.models import make_model
from recommendations.engine.synthetic import planted_clusters, session_times
from recommendations.engine.tuning import blend_ndcgs, carve, grid, tune_config
from recommendations.engine.types import EngineConfig

BASE = EngineConfig(knn_neighbours=20, als_iterations=5, als_factors=16)


@pytest.fixture(scope="module")
def training() -> tuple:
    X, _, _ = planted_clusters(200, 80, n_clusters=4, per_user=12, noise=0.1, seed=5)
    return X, session_times(X, seed=5)


def test_temporal_carve_validates_on_the_latest_interactions(training: tuple) -> None:
    # given training data with times
    X, times = training
    # when
    (split,) = carve(X, times, "temporal", validation_share=0.2)
    # then everything validated is later than everything trained on, and nothing is lost
    cutoff = np.quantile(times, 0.8)
    assert split.train_times is not None
    assert split.train_times.max() < cutoff
    assert split.train.nnz + split.test.nnz <= X.nnz
    assert split.test.nnz > 0
    late_users = set(np.repeat(np.arange(X.shape[0]), np.diff(split.test.indptr)))
    assert all(split.train[u].nnz > 0 for u in late_users)


def test_random_and_kfold_carves_mirror_protocol_a(training: tuple) -> None:
    X, times = training
    (random_split,) = carve(X, times, "random")
    folds = carve(X, times, "kfold", folds=5)
    assert random_split.train.nnz + random_split.test.nnz == X.nnz
    assert len(folds) == 5
    assert sum(f.test.nnz for f in folds) == X.nnz


def test_carve_refuses_what_it_cannot_do(training: tuple) -> None:
    X, _ = training
    with pytest.raises(ValueError, match="timestamps"):
        carve(X, None, "temporal")
    with pytest.raises(ValueError, match="unknown carve"):
        carve(X, None, "test-set")


def test_tuning_keeps_the_best_validation_trial_of_every_stage(training: tuple) -> None:
    # given small grids for two members and the blend
    X, times = training
    # when
    result = tune_config(
        X,
        times,
        BASE,
        member_grids={
            "ease": grid(ease_lambda=[5.0, 50.0, 500.0]),
            "session": grid(session_tau=[60.0, 600.0]),
        },
        blend_grid={"als": [0.0, 1.0], "session": [0.0, 0.5]},
    )
    # then every candidate was scored and the winners are the argmax of each stage
    stages = [t.stage for t in result.trials]
    assert stages == ["ease"] * 3 + ["session"] * 2 + ["blend"] * 4
    for stage, key in (("ease", "ease_lambda"), ("session", "session_tau")):
        trials = [t for t in result.trials if t.stage == stage]
        best = max(trials, key=lambda t: t.ndcg)
        assert getattr(result.config, key) == best.overrides[key]
    blends = [t for t in result.trials if t.stage == "blend"]
    best_blend = max(blends, key=lambda t: t.ndcg)
    assert result.config.hybrid_weights == best_blend.overrides["hybrid_weights"]
    assert result.validation_ndcg == best_blend.ndcg
    assert result.chosen_weights()["cold_items"] == BASE.hybrid_weights["cold_items"]
    assert result.member_carve == result.blend_carve == "temporal"
    assert result.validation_users > 0


def test_members_are_scored_on_the_first_member_folds_and_the_blend_on_every_fold(
    training: tuple,
) -> None:
    # given one 4-fold carve shared by the members and the blend, members on 2 of its folds
    X, times = training
    folds = carve(X, times, "kfold", folds=4)
    # when
    result = tune_config(
        X,
        times,
        BASE,
        member_grids={"ease": grid(ease_lambda=[5.0, 500.0])},
        blend_grid={"als": [0.0, 1.0]},
        member_carve="kfold",
        blend_carve="kfold",
        folds=4,
        member_folds=2,
    )
    # then each member trial is its mean over folds 0-1, each blend trial its mean over all four
    for trial in (t for t in result.trials if t.stage == "ease"):
        config = dataclasses.replace(BASE, **trial.overrides)
        per_fold = [
            evaluate(make_model("ease", config, n_items=X.shape[1]), split, k=10).ndcg
            for split in folds
        ]
        assert trial.ndcg == pytest.approx(np.mean(per_fold[:2]))
        assert trial.ndcg != pytest.approx(np.mean(per_fold))
    blends = [t for t in result.trials if t.stage == "blend"]
    expected = blend_ndcgs(
        [t.overrides["hybrid_weights"] for t in blends], folds, None, base=result.config
    )
    assert [t.ndcg for t in blends] == pytest.approx(expected)


def test_member_folds_must_leave_a_fold(training: tuple) -> None:
    X, times = training
    with pytest.raises(ValueError, match="member_folds"):
        tune_config(X, times, BASE, member_carve="kfold", folds=4, member_folds=0)


def test_tuning_is_reproducible(training: tuple) -> None:
    X, times = training
    runs = [
        tune_config(X, times, BASE, member_grids={}, blend_grid={"als": [0.5, 1.0, 2.0]}).trials
        for _ in range(2)
    ]
    assert [t.ndcg for t in runs[0]] == [t.ndcg for t in runs[1]]


def test_tuning_leaves_out_a_member_that_cannot_run(
    training: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given no torch, and a blend grid that would weigh the sequence member
    monkeypatch.setitem(sys.modules, "torch", None)
    X, times = training
    base = dataclasses.replace(BASE, hybrid_weights={**BASE.hybrid_weights, "sequence": 0.5})
    # when
    result = tune_config(X, times, base, member_grids={}, blend_grid={"sequence": [0.0, 0.5]})
    # then both candidates score alike (the member is absent) and tuning still chooses
    blends = [t.ndcg for t in result.trials if t.stage == "blend"]
    assert blends[0] == blends[1]
    assert result.config.hybrid_weights["sequence"] == 0.0
