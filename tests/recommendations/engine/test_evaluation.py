"""Splits and metric definitions (reference protocol A)."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine.evaluation import (
    evaluate,
    ranking_metrics,
    split_kfold,
    split_leave_one_out,
    split_random,
    split_temporal,
)
from recommendations.engine.types import InteractionMatrix, Split


def test_ranking_metrics_match_hand_computation() -> None:
    # given user 0 hits at ranks 2 and 3 of 3 (2 relevant), user 1 misses
    ranked = np.array([[2, 0, 5], [4, 1, -1]])
    relevant = sp.csr_matrix((np.ones(6), ([0, 0, 1, 1, 1, 1], [0, 5, 3, 6, 7, 8])), shape=(2, 10))
    # when
    metrics = ranking_metrics(ranked, relevant)
    # then: DCG = 1/log2(3) + 1/log2(4), ideal = 1 + 1/log2(3)
    ndcg_user0 = (1 / np.log2(3) + 0.5) / (1 + 1 / np.log2(3))
    assert metrics["precision"] == pytest.approx((2 / 3) / 2)
    assert metrics["recall"] == pytest.approx(1.0 / 2)
    assert metrics["ndcg"] == pytest.approx(ndcg_user0 / 2)
    assert metrics["map"] == pytest.approx(((1 / 2 + 2 / 3) / 2) / 2)
    assert metrics["hit_rate"] == pytest.approx(0.5)
    assert metrics["coverage"] == pytest.approx(5 / 10)


def test_ideal_dcg_is_capped_at_k_items() -> None:
    # given 12 relevant items and a perfect list of 10
    relevant = sp.csr_matrix(np.ones((1, 12)))
    # when
    metrics = ranking_metrics(np.arange(10)[None, :], relevant)
    # then
    assert metrics["ndcg"] == pytest.approx(1.0)
    assert metrics["map"] == pytest.approx(1.0)
    assert metrics["recall"] == pytest.approx(10 / 12)


def test_split_random_moves_ceil_20_percent_and_keeps_singletons() -> None:
    # given users with 1, 5, 10 and 15 items
    counts = [1, 5, 10, 15]
    X = sp.csr_matrix(
        (np.ones(sum(counts), np.float32), (np.repeat(np.arange(4), counts), np.arange(31) % 16)),
        shape=(4, 16),
    )
    X.sum_duplicates()
    # when
    split = split_random(X, seed=3)
    # then
    assert np.diff(split.test.indptr).tolist() == [0, 1, 2, 3]
    assert (split.train + split.test != X).nnz == 0
    assert split.train.multiply(split.test).nnz == 0
    assert (split_random(X, seed=3).test != split.test).nnz == 0


def test_kfold_tests_every_entry_once_and_keeps_singletons_in_train() -> None:
    # given users with 1, 3 and 25 items, each entry timed by its position
    counts = [1, 3, 25]
    X = sp.csr_matrix(
        (np.ones(29, np.float32), (np.repeat(np.arange(3), counts), np.r_[0, 0:3, 0:25])),
        shape=(3, 25),
    )
    stamps = np.arange(29, dtype=np.float64)
    # when
    folds = split_kfold(X, timestamps=stamps, folds=5, seed=1)
    # then: the test parts partition every entry of the users with more than one
    tests = sum(fold.test for fold in folds)
    assert tests.toarray().tolist() == (X.toarray() * [[0], [1], [1]]).tolist()
    assert [np.diff(fold.test.indptr)[2] for fold in folds] == [5] * 5
    for fold in folds:
        assert (fold.train + fold.test != X).nnz == 0
        assert fold.train[0].nnz == 1
        # the times follow their entries: a training entry keeps its position's time
        assert fold.train_times is not None
        entry_times = {(u, i): t for u, i, t in zip(*X.nonzero(), stamps, strict=True)}
        kept = zip(*fold.train.nonzero(), fold.train_times, strict=True)
        assert all(entry_times[(u, i)] == t for u, i, t in kept)


def test_kfold_needs_two_folds() -> None:
    with pytest.raises(ValueError, match="at least 2 folds"):
        split_kfold(sp.csr_matrix(np.ones((2, 2))), folds=1)


def test_leave_one_out_holds_out_the_latest_item() -> None:
    # given user 0 with items 0..2 at times 5, 9, 1 and user 1 with one item
    X = sp.csr_matrix(np.array([[1, 1, 1], [0, 1, 0]], dtype=np.float32))
    stamps = np.array([5.0, 9.0, 1.0, 4.0])
    # when
    split = split_leave_one_out(X, stamps)
    # then
    assert split.test.toarray().tolist() == [[0, 1, 0], [0, 0, 0]]


def test_temporal_split_cuts_globally_and_drops_users_without_history() -> None:
    # given user 0 active before and after the cut, user 1 only after
    X = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 1]], dtype=np.float32))
    interactions = InteractionMatrix(matrix=X, timestamps=np.array([10.0, 30.0, 40.0]))
    # when
    split = split_temporal(interactions, cutoff=20.0)
    # then
    assert split.train.toarray().tolist() == [[1, 0, 0], [0, 0, 0]]
    assert split.test.toarray().tolist() == [[0, 1, 0], [0, 0, 0]]


class Oracle:
    """Scores training items highest and test items next."""

    name = "oracle"

    def __init__(self, split: Split) -> None:
        self.scores = (2 * split.train + split.test).toarray().astype(np.float32)

    def fit(self, X: sp.csr_matrix, timestamps: np.ndarray | None = None) -> "Oracle":
        return self

    def score_users(self, X: sp.csr_matrix, user_indices: np.ndarray) -> np.ndarray:
        return self.scores[user_indices]


def test_evaluate_excludes_training_items_from_the_ranking() -> None:
    # given a model that would rank training items first
    X = sp.csr_matrix(np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]], dtype=np.float32))
    split = split_random(X, seed=0)
    # when
    result = evaluate(Oracle(split), split, k=2)
    # then
    assert result.ndcg == pytest.approx(1.0)
    assert result.n_users == 2


def test_evaluate_can_score_an_already_fitted_model() -> None:
    # given a model whose fit would forget what it learned
    class ForgetsOnFit(Oracle):
        def fit(self, X: sp.csr_matrix, timestamps: np.ndarray | None = None) -> "ForgetsOnFit":
            self.scores = np.zeros_like(self.scores)
            return self

    X = sp.csr_matrix(np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]], dtype=np.float32))
    split = split_random(X, seed=0)
    model = ForgetsOnFit(split)
    # when
    result = evaluate(model, split, k=2, fit=False)
    # then
    assert model.scores.any()
    assert result.ndcg == pytest.approx(1.0)
    assert result.fit_seconds == 0.0
