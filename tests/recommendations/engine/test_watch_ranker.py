"""The second-stage ranker learns watch time and purchases from simulated impression logs."""

from typing import Any

import numpy as np
import pytest
from scipy.stats import spearmanr

from recommendations.engine.synthetic import simulate_impressions
from recommendations.engine.watch_ranker import CandidateFeatures, ImpressionLog, WatchTimeRanker


@pytest.fixture(scope="module")
def logs() -> tuple:
    """20,000 logged impressions to learn from, 5,000 fresh ones to judge on."""
    return simulate_impressions(20_000, seed=1), simulate_impressions(5_000, seed=2)


def _top_decile_truth(scores: np.ndarray, truth: np.ndarray) -> float:
    top = np.argsort(-scores, kind="stable")[: scores.size // 10]
    return float(truth[top].mean())


@pytest.mark.parametrize("objective", ["poisson", "weighted_logistic"])
def test_ranker_learns_expected_watch_time(logs: tuple, objective: str) -> None:
    # given impressions whose watch time depends on length and the viewer's habits
    train, test = logs
    ranker = WatchTimeRanker(watch_objective=objective, max_iter=100, num_threads=1)
    # when
    ranker.fit(train.log)
    predicted = ranker.predict_watch_seconds(test.log.features)
    # then it orders fresh impressions as the true expectation does,
    rho = spearmanr(predicted, test.expected_watch_seconds)[0]
    assert rho >= 0.8
    # and its top tenth holds far more watch time than the best retriever's top tenth
    truth = test.expected_watch_seconds
    by_member = _top_decile_truth(test.log.features.member_scores[:, 0], truth)
    assert _top_decile_truth(predicted, truth) >= 1.5 * by_member


def test_poisson_head_predicts_watch_seconds_on_their_scale(logs: tuple) -> None:
    train, test = logs
    ranker = WatchTimeRanker(max_iter=100, num_threads=1).fit(train.log)
    predicted = ranker.predict_watch_seconds(test.log.features)
    assert predicted.mean() == pytest.approx(test.expected_watch_seconds.mean(), rel=0.1)


def test_ranker_learns_who_buys_which_course(logs: tuple) -> None:
    # given course cards bought more at high affinity and low price
    train, test = logs
    ranker = WatchTimeRanker(max_iter=100, num_threads=1).fit(train.log)
    courses = test.log.features.is_course
    # when
    predicted = ranker.predict_purchase(test.log.features)
    # then course cards are ranked by the true purchase probability
    assert spearmanr(predicted[courses], test.purchase_probability[courses])[0] >= 0.6
    assert predicted[~courses].max() < predicted[courses].max()


def test_score_trades_watch_time_for_purchases_at_the_given_rate(logs: tuple) -> None:
    train, test = logs
    features = test.log.features
    watch_only = WatchTimeRanker(purchase_value_seconds=0.0, max_iter=50, num_threads=1)
    buying = WatchTimeRanker(purchase_value_seconds=5000.0, max_iter=50, num_threads=1)
    watch_only.fit(train.log)
    buying.fit(train.log)
    courses_on_top = [
        features.is_course[r.rank(features)[:100]].mean() for r in (watch_only, buying)
    ]
    assert courses_on_top[1] > courses_on_top[0] + 0.3
    order = buying.rank(features)
    assert sorted(order.tolist()) == list(range(features.n))


def test_ranker_is_deterministic(logs: tuple) -> None:
    train, test = logs
    scores = [
        WatchTimeRanker(max_iter=30, num_threads=1, seed=4).fit(train.log).score(test.log.features)
        for _ in range(2)
    ]
    assert np.array_equal(scores[0], scores[1])


def test_features_and_logs_check_their_shapes() -> None:
    n = 3
    good: dict[str, Any] = {
        "member_scores": np.zeros((n, 2), dtype=np.float32),
        "item_age_days": np.zeros(n),
        "creator_followed": np.zeros(n, dtype=bool),
        "video_seconds": np.zeros(n),
        "viewer_watch_ratio": np.full(n, np.nan),
        "is_course": np.zeros(n, dtype=bool),
        "course_price": np.zeros(n),
        "course_affinity": np.zeros(n),
    }
    features = CandidateFeatures(**good)
    assert features.matrix().shape == (3, 9)
    assert features.names()[:2] == ["member_0", "member_1"]
    with pytest.raises(ValueError, match="item_age_days"):
        CandidateFeatures(**{**good, "item_age_days": np.zeros(n + 1)})
    with pytest.raises(ValueError, match="watch_seconds"):
        ImpressionLog(features, np.zeros(n, bool), -np.ones(n), np.zeros(n, bool))
    with pytest.raises(ValueError, match="not fitted"):
        WatchTimeRanker().score(features)
