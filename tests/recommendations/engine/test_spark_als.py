"""ALS beyond one machine: Spark MLlib's implicit ALS writes the factors serving reads.

The parity test trains once on Spark (``local[2]``, one session, one fit) and once
single-node on the same MovieLens-100K split, and scores both with the engine's own
evaluation. It runs in its own xdist group: the JVM it starts takes a core and
about a gigabyte for the minute it runs, and no other test should share a worker
with it.
"""

import dataclasses
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine.als import ALS
from recommendations.engine.datasets import default_data_dir, index_records, read_movielens
from recommendations.engine.evaluation import evaluate, split_random
from recommendations.engine.models import config_with_overrides, make_model, production_model
from recommendations.engine.retrieval import factor_member
from recommendations.engine.spark_als import (
    SPARK_MISSING,
    SparkOptions,
    count_balanced,
    pyspark_available,
)
from recommendations.engine.types import EngineConfig, Split

PRODUCTION = EngineConfig(num_threads=1)
ON_SPARK = dataclasses.replace(
    PRODUCTION, als_spark_master="local[2]", als_spark_min_interactions=1
)


@pytest.fixture(scope="module")
def movielens_split() -> Split:
    """MovieLens-100K positives, reference protocol A's random split (seed 0)."""
    path = default_data_dir() / "movielens-100k" / "u.data"
    dataset = index_records(read_movielens(path))
    interactions = dataset.parts[0]
    return split_random(interactions.matrix, timestamps=interactions.timestamps, seed=0)


@pytest.mark.xdist_group("spark")
def test_spark_als_scores_within_5_percent_of_single_node_als_on_movielens(
    movielens_split: Split,
) -> None:
    # given the production ALS member, once single-node and once told to train on Spark
    n_items = movielens_split.train.shape[1]
    single = make_model("als", PRODUCTION, n_items=n_items)
    spark = make_model("als", ON_SPARK, n_items=n_items)
    assert isinstance(single, ALS)
    assert isinstance(spark, ALS)
    # when both are fitted and scored on the same split by the engine's evaluation
    single_result = evaluate(single, movielens_split, k=10)
    spark_result = evaluate(spark, movielens_split, k=10)
    # then Spark trained, into the arrays serving reads, and ranks as well within 5 %
    assert pyspark_available()
    assert (single.trainer_, spark.trainer_) == ("implicit", "spark local[2]")
    assert spark.trainer_note_.startswith("ALS trained on Spark (local[2])")
    assert spark.user_factors_.shape == single.user_factors_.shape
    assert spark.item_factors_.shape == single.item_factors_.shape
    assert spark.item_factors_.dtype == np.float32
    unseen_items = np.flatnonzero(movielens_split.train.getnnz(axis=0) == 0)
    assert not spark.item_factors_[unseen_items].any()  # Spark never saw them: zero, not noise
    assert single_result.ndcg > 0.25  # the single-node member works at all
    assert spark_result.ndcg == pytest.approx(single_result.ndcg, rel=0.05)


def test_below_the_threshold_the_member_trains_single_node_without_starting_spark(
    planted: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a Spark master, and a threshold above this catalogue's interactions
    X, _, _ = planted
    config = dataclasses.replace(ON_SPARK, als_spark_min_interactions=X.nnz + 1)
    monkeypatch.setattr(
        "recommendations.engine.als.fit_spark_als",
        lambda *args, **kwargs: pytest.fail("Spark started below the threshold"),
    )
    # when
    model = make_model("als", config, n_items=X.shape[1]).fit(X)
    # then
    assert isinstance(model, ALS)
    assert (model.trainer_, model.trainer_note_) == ("implicit", "")
    assert model.item_factors_.shape == (X.shape[1], config.als_factors)


def test_without_pyspark_a_spark_fit_trains_single_node_and_says_so(
    planted: tuple, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given Spark asked for, and pyspark not installed
    X, _, _ = planted
    monkeypatch.setitem(sys.modules, "pyspark", None)
    # when the production hybrid is fitted
    model = production_model(ON_SPARK, n_items=X.shape[1]).fit(X)
    # then its ALS member trained single-node, with a note for the admin and a warning logged
    als = factor_member(model)
    assert als is not None
    assert (als.trainer_, als.trainer_note_) == ("implicit", SPARK_MISSING)
    assert als.item_factors_.any()
    assert any(
        SPARK_MISSING in record.getMessage() and "local[2]" in record.getMessage()
        for record in caplog.records
        if record.levelname == "WARNING"
    )


def test_spark_settings_cannot_be_overridden_by_an_experiment() -> None:
    with pytest.raises(ValueError, match="Unknown engine setting 'als_spark_master'"):
        config_with_overrides(PRODUCTION, {"als_spark_master": "spark://elsewhere:7077"})


def test_spark_input_offsets_als_wr_so_an_average_pair_is_penalised_as_implicit_does() -> None:
    # given user 0 with 4 interactions, user 1 with 1; item 0 held by both
    X = sp.csr_matrix(np.array([[2, 1, 1, 1], [3, 0, 0, 0]], dtype=np.float32))
    # when
    coo, reg_param = count_balanced(X, 100.0)
    # then each weight is scaled by sqrt(n_u * n_i) / m, and regParam is lambda / m
    pair_counts = {(0, 0): np.sqrt(4 * 2), (1, 0): np.sqrt(1 * 2)}
    for item in (1, 2, 3):
        pair_counts[(0, item)] = np.sqrt(4 * 1)
    mean = np.mean(list(pair_counts.values()))
    sent = {(int(u), int(i)): float(v) for u, i, v in zip(coo.row, coo.col, coo.data, strict=True)}
    expected = {pair: X[pair] * count / mean for pair, count in pair_counts.items()}
    assert sent == pytest.approx(expected, rel=1e-6)
    assert reg_param == pytest.approx(100.0 / mean)
    # and a pair whose user and item have m interactions each keeps implicit's ratio
    # of penalty (regParam * m) to confidence (alpha * w * m / m): lambda / (alpha * w)
    assert reg_param * mean == pytest.approx(100.0)


def test_spark_options_choose_spark_only_with_a_master_and_enough_interactions() -> None:
    assert not SparkOptions(master="", min_interactions=0).chooses_spark(10**9)
    assert not SparkOptions(master="local[2]", min_interactions=100).chooses_spark(99)
    assert SparkOptions(master="local[2]", min_interactions=100).chooses_spark(100)
