"""Session co-occurrence: pairs close in time, and the times that reach it."""

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine.evaluation import (
    evaluate,
    evaluate_next_item,
    split_leave_one_out,
    split_random,
)
from recommendations.engine.itemknn import ItemKNN
from recommendations.engine.models import production_model
from recommendations.engine.popularity import Popularity
from recommendations.engine.ranking import recommend
from recommendations.engine.session import SessionKNN, session_cooccurrence
from recommendations.engine.synthetic import session_times
from recommendations.engine.types import EngineConfig, Split

DAY = 86_400.0


def two_sittings(n_users: int = 50) -> tuple[sp.csr_matrix, np.ndarray]:
    """Every user holds items 0-3: 0 and 1 a minute apart, 2 and 3 a minute
    apart, the two pairs a day apart (plain co-occurrence is uniform)."""
    X = sp.csr_matrix(np.ones((n_users, 4), dtype=np.float32))
    start = np.arange(n_users, dtype=np.float64)[:, None] * 10 * DAY
    times = start + np.array([0.0, 60.0, DAY, DAY + 60.0])
    return X, times.ravel()


def brute_force(X: sp.csr_matrix, times: np.ndarray, tau: float, window: float) -> np.ndarray:
    expected = np.zeros((X.shape[1], X.shape[1]))
    for user in range(X.shape[0]):
        start, end = X.indptr[user], X.indptr[user + 1]
        for a in range(start, end):
            for b in range(start, end):
                gap = abs(times[a] - times[b])
                if a != b and gap < window:
                    expected[X.indices[a], X.indices[b]] += np.exp(-gap / tau)
    return expected


@pytest.mark.parametrize("seed", range(5))
def test_session_cooccurrence_matches_brute_force(seed: int) -> None:
    # given random interactions at random times, with ties and long gaps
    rng = np.random.default_rng(seed)
    X = sp.csr_matrix((rng.random((12, 9)) < 0.5).astype(np.float32))
    times = rng.choice([0.0, 30.0, 45.0, 200.0, 5_000.0, 90_000.0], size=X.nnz)
    times += rng.integers(0, 3, size=X.nnz) * 7.0
    # when
    pairs = session_cooccurrence(X, times, tau=100.0, window=1_000.0)
    # then
    np.testing.assert_allclose(pairs.toarray(), brute_force(X, times, 100.0, 1_000.0), rtol=1e-6)


@pytest.mark.parametrize("n_entries", [0, 1])
def test_session_model_fits_without_any_pair(n_entries: int) -> None:
    # given a matrix with no or one entry
    X = sp.csr_matrix(([1.0] * n_entries, ([0] * n_entries, [2] * n_entries)), shape=(3, 4))
    # when
    model = SessionKNN().fit(X, np.zeros(n_entries))
    # then
    assert model.similarity_.nnz == 0
    assert not model.score_users(X, np.arange(3)).any()


def test_session_neighbours_follow_the_sitting_not_the_co_occurrence() -> None:
    # given items all held together, but watched in two sittings a day apart
    X, times = two_sittings()
    # when
    session = SessionKNN(tau=300.0).fit(X, times)
    knn = ItemKNN(neighbours=3, shrink=0.0).fit(X)
    # then: plain co-occurrence cannot tell the items apart, sessions can
    assert [s.index for s in session.similar_items(0, 3)] == [1]
    assert [s.index for s in session.similar_items(3, 3)] == [2]
    knn_scores = [s.score for s in knn.similar_items(0, 3)]
    assert knn_scores == pytest.approx([knn_scores[0]] * 3)


def test_a_viewer_of_one_item_is_led_to_its_session_partner() -> None:
    # given a new viewer who watched item 2 only
    X, times = two_sittings()
    model = SessionKNN(tau=300.0).fit(X, times)
    viewer = sp.csr_matrix(np.array([[0.0, 0.0, 1.0, 0.0]], dtype=np.float32))
    # when
    top = recommend(model, viewer, np.array([0]), 1)
    # then
    assert top.indices[0].tolist() == [3]


def test_session_model_keeps_k_neighbours_per_item() -> None:
    # given sessions over many items
    X = sp.csr_matrix((np.random.default_rng(1).random((40, 30)) < 0.6).astype(np.float32))
    times = session_times(X, gap_seconds=30.0, seed=1)
    # when
    model = SessionKNN(tau=120.0, neighbours=4).fit(X, times)
    # then
    assert model.similarity_.getnnz(axis=1).max() == 4
    assert model.similarity_.diagonal().sum() == 0.0


def test_session_model_without_times_scores_nothing(planted: tuple) -> None:
    # given interactions without timestamps
    X, _, _ = planted
    # when
    model = SessionKNN().fit(X)
    # then: the hybrid reads zero as "no evidence"
    assert not model.score_users(X, np.arange(10)).any()
    assert model.similar_items(0, 5) == []


def test_session_model_beats_popularity_on_planted_clusters(planted: tuple) -> None:
    # given clustered interactions taken up in sessions, split 80/20 with their times
    X, _, _ = planted
    split = split_random(X, timestamps=session_times(X, seed=7), seed=0)
    # when
    popular = evaluate(Popularity(), split)
    result = evaluate(SessionKNN(tau=120.0), split)
    # then
    assert result.ndcg >= 2 * popular.ndcg


def test_hybrid_without_times_equals_the_hybrid_without_the_session_member(
    planted: tuple,
) -> None:
    # given the production blend with and without a session weight
    X, _, _ = planted
    base = EngineConfig(knn_neighbours=20)
    weights = {**base.hybrid_weights, "session": 1.0}
    with_session = production_model(
        dataclasses.replace(base, hybrid_weights=weights), n_items=X.shape[1]
    )
    without = production_model(
        dataclasses.replace(base, hybrid_weights={**weights, "session": 0.0}), n_items=X.shape[1]
    )
    users = np.arange(30)
    # when no times are known
    scores = with_session.fit(X).score_users(X, users)
    # then the session member adds nothing
    np.testing.assert_allclose(scores, without.fit(X).score_users(X, users), rtol=1e-6)


@pytest.mark.parametrize("make_split", [split_random, split_leave_one_out])
def test_splits_keep_each_train_entry_with_its_time(make_split: Callable[..., Split]) -> None:
    # given interactions whose time encodes the (user, item) pair
    rng = np.random.default_rng(3)
    X = sp.csr_matrix((rng.random((20, 15)) < 0.4).astype(np.float32))
    rows = np.repeat(np.arange(20), np.diff(X.indptr))
    times = rows * 1_000.0 + X.indices
    # when
    split = make_split(X, timestamps=times, seed=0)
    # then
    train_rows = np.repeat(np.arange(20), np.diff(split.train.indptr))
    assert split.train_times is not None
    np.testing.assert_array_equal(split.train_times, train_rows * 1_000.0 + split.train.indices)


def test_session_times_are_seeded_and_sessions_start_per_user() -> None:
    # given one interaction matrix
    X = sp.csr_matrix((np.random.default_rng(0).random((10, 20)) < 0.5).astype(np.float32))
    # when
    times = session_times(X, seed=4, start=0.0)
    # then
    np.testing.assert_array_equal(times, session_times(X, seed=4, start=0.0))
    for user in range(10):
        assert times[X.indptr[user] : X.indptr[user + 1]].min() == 0.0


def test_production_similar_items_follow_the_sitting() -> None:
    # given the two-sittings data, where kNN alone ties items 1, 2 and 3 for item 0
    X, times = two_sittings()
    model = production_model(EngineConfig(), n_items=4)
    # when
    similar = model.fit(X, times).similar_items(0, 3)
    # then the session neighbour leads
    assert similar[0].index == 1
    assert similar[0].score > similar[1].score


def test_next_item_evaluation_ranks_from_the_latest_item() -> None:
    # given the two-sittings viewers and a new one who took up 0, then 2, and next 3
    X, times = two_sittings(n_users=30)
    newcomer = sp.csr_matrix(np.array([[1.0, 0.0, 1.0, 0.0]], dtype=np.float32))
    split = Split(
        train=sp.vstack([X, newcomer], format="csr"),
        test=sp.csr_matrix(([1.0], ([30], [3])), shape=(31, 4), dtype=np.float32),
        train_times=np.concatenate([times, [0.0, 100.0]]),
    )
    # when
    result = evaluate_next_item(SessionKNN(tau=300.0), split, k=1)
    # then: the latest item's partner 3 is next (item 0's partner 1 would miss)
    assert result.n_users == 1
    assert result.ndcg == pytest.approx(1.0)


def test_next_item_evaluation_needs_times() -> None:
    X, _ = two_sittings()
    with pytest.raises(ValueError, match="training times"):
        evaluate_next_item(SessionKNN(), Split(train=X, test=X))
