"""The sequence model (SASRec) and the Markov last-item baseline on planted order."""

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine.ease import EASE
from recommendations.engine.evaluation import evaluate, split_next_item
from recommendations.engine.itemknn import ItemKNN
from recommendations.engine.sasrec import SASRec
from recommendations.engine.sequences import MarkovChain, user_sequences
from recommendations.engine.synthetic import planted_sequences


def small_sasrec(**overrides: object) -> SASRec:
    settings: dict[str, Any] = {
        "dim": 32,
        "blocks": 1,
        "heads": 2,
        "max_length": 20,
        "dropout": 0.1,
        "learning_rate": 0.01,
        "max_epochs": 30,
        "patience": 3,
        "validation_users": 100,
        "num_threads": 1,
        "seed": 0,
    }
    settings.update(overrides)
    return SASRec(**settings)


@pytest.fixture(scope="module")
def planted_order() -> tuple:
    """300 viewers x 200 items; after item i comes successor[i] half the time."""
    return planted_sequences(300, 200, length=20, follow=0.5, seed=0)


@pytest.fixture(scope="module")
def next_item_split(planted_order: tuple):
    X, times, _ = planted_order
    return split_next_item(X, times)


@pytest.fixture(scope="module")
def fitted(next_item_split) -> SASRec:
    """One model fitted on the next-item split's training part, shared by several tests."""
    return small_sasrec().fit(next_item_split.train, next_item_split.train_times)


def test_user_sequences_order_each_history_by_time() -> None:
    # given two viewers whose entries are stored in item order, not time order
    X = sp.csr_matrix(np.array([[1, 1, 1, 0], [0, 1, 0, 1]], dtype=np.float32))
    times = np.array([30.0, 10.0, 20.0, 5.0, 1.0])
    # when
    seqs = user_sequences(X, times)
    # then
    assert seqs.of(0).tolist() == [1, 2, 0]
    assert seqs.of(1).tolist() == [3, 1]


def test_markov_scores_the_successor_of_the_latest_item_first(planted_order: tuple) -> None:
    # given histories with planted successors
    X, times, successor = planted_order
    model = MarkovChain().fit(X, times)
    last = user_sequences(X, times).of(0)[-1]
    # when
    scores = model.score_users(X, np.array([0]))[0]
    # then the planted successor of the latest item leads
    assert int(np.argmax(scores)) == successor[last]


def test_sequence_model_recovers_planted_order_that_order_free_models_cannot(
    next_item_split, fitted: SASRec
) -> None:
    # given leave-last-out by time on planted order
    # when
    sequence = evaluate(fitted, next_item_split, fit=False)
    order_free = max(evaluate(m, next_item_split).ndcg for m in (EASE(10.0), ItemKNN(20)))
    markov = evaluate(MarkovChain(), next_item_split)
    # then the sequence model finds the next item where co-occurrence cannot tell it
    assert sequence.ndcg >= 2.5 * order_free
    assert sequence.ndcg >= 0.3
    assert markov.ndcg >= 2.5 * order_free


def test_sequence_model_is_deterministic_under_a_seed(next_item_split) -> None:
    # given two fits with the same seed and one with another
    users = np.arange(50)
    split = next_item_split

    def scores(seed: int) -> np.ndarray:
        model = small_sasrec(max_epochs=3, seed=seed).fit(split.train, split.train_times)
        return model.score_users(split.train, users)

    # when
    first, again, other = scores(0), scores(0), scores(1)
    # then
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_sequence_model_stops_early_and_keeps_the_best_epoch(fitted: SASRec) -> None:
    # given a model allowed 30 epochs with a patience of 3
    # when it was fitted
    log = fitted.log_
    # then it stopped on validation, kept its best epoch and says so
    assert log is not None
    assert log.epochs < 30
    assert log.best_epoch == 1 + int(np.argmax(log.validation_ndcg))
    assert log.epochs - log.best_epoch == 3
    assert log.validation_users == 100
    assert "kept epoch" in log.status


def test_up_next_follows_the_given_recent_history(
    planted_order: tuple, next_item_split, fitted: SASRec
) -> None:
    # given the latest ten items of viewers' histories, as "up next" would pass them
    _, _, successor = planted_order
    seqs = user_sequences(next_item_split.train, next_item_split.train_times)
    histories = [seqs.of(u)[-10:] for u in range(100)]
    histories = [h for h in histories if successor[h[-1]] not in h]
    # when
    upcoming = [fitted.up_next(h, 3) for h in histories]
    # then the planted successor of the latest item leads, and no history item comes back
    found = np.mean(
        [
            successor[h[-1]] in [s.index for s in up]
            for h, up in zip(histories, upcoming, strict=True)
        ]
    )
    assert found >= 0.7
    assert all(
        not {s.index for s in up} & set(h.tolist())
        for h, up in zip(histories, upcoming, strict=True)
    )
    assert all(len(up) == 3 for up in upcoming)


def test_sequence_model_scores_nothing_without_times(planted_order: tuple) -> None:
    # given interactions without timestamps
    X, _, _ = planted_order
    # when
    model = small_sasrec(max_epochs=1).fit(X, None)
    # then there is no order to learn: no evidence for the hybrid
    assert not model.score_users(X, np.arange(5)).any()
    assert model.log_ is not None
    assert "no timestamps" in model.log_.status


def test_sequence_model_trains_with_a_sampled_softmax_on_large_catalogues(
    next_item_split,
) -> None:
    # given a catalogue above the full-softmax threshold
    model = small_sasrec(full_softmax_items=10, negatives=50, max_epochs=12)
    # when
    result = evaluate(model, next_item_split)
    # then it still learns the planted order
    assert result.ndcg >= 0.2


def test_a_history_scores_the_same_whatever_else_is_in_its_batch(fitted: SASRec) -> None:
    # given a short history scored alone and next to a history of the full length
    seqs = fitted.sequences_
    short = seqs.of(0)[-3:]
    long = seqs.of(1)[-fitted.max_length :]
    # when (scoring is only as wide as the batch's longest history)
    alone = fitted.score_sequences([short])[0]
    batched = fitted.score_sequences([short, long])[0]
    # then left padding and positions counted from the end make the width irrelevant
    np.testing.assert_allclose(alone, batched, rtol=1e-5, atol=1e-5)


def test_position_budget_bounds_the_epochs_by_the_data_size(next_item_split) -> None:
    # given a budget of three passes over this training data, patience out of reach
    positions = next_item_split.train.nnz
    model = small_sasrec(position_budget=3 * positions, max_epochs=30, patience=30)
    # when
    model.fit(next_item_split.train, next_item_split.train_times)
    # then it stops after three epochs, says why, and keeps the best of them
    assert model.log_ is not None
    assert model.log_.epochs == 3
    assert "position budget" in model.log_.status
    assert 1 <= model.log_.best_epoch <= 3
    # and the same budget leaves ten times less data unbounded by it
    assert model.epochs_allowed(positions // 10) == 30


def test_a_budget_past_the_best_epoch_keeps_the_same_model(fitted: SASRec, next_item_split) -> None:
    # given the shared model's run: best epoch b, stopped by patience at b + 3
    assert fitted.log_ is not None
    best = fitted.log_.best_epoch
    # when the same fit is capped at b + 1 epochs by the position budget
    capped = small_sasrec(position_budget=(best + 1) * next_item_split.train.nnz)
    capped.fit(next_item_split.train, next_item_split.train_times)
    # then it runs fewer epochs and keeps the same weights: a cap is not a different model
    assert capped.log_ is not None
    assert capped.log_.epochs == best + 1 < fitted.log_.epochs
    assert capped.log_.best_epoch == best
    users = np.arange(20)
    np.testing.assert_array_equal(
        capped.score_users(next_item_split.train, users),
        fitted.score_users(next_item_split.train, users),
    )
