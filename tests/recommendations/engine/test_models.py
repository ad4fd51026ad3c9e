"""Every model recovers planted clusters and beats popularity."""

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine.base import ItemSimilarity, Recommender
from recommendations.engine.ease import EASE
from recommendations.engine.evaluation import evaluate, split_random
from recommendations.engine.hybrid import Hybrid
from recommendations.engine.itemknn import ItemKNN
from recommendations.engine.models import config_with_overrides, make_model, production_model
from recommendations.engine.popularity import Popularity
from recommendations.engine.ranking import recommend
from recommendations.engine.types import EngineConfig, ItemContent

CONFIG = EngineConfig(knn_neighbours=20, content_neighbours=10)


def build(name: str, content: ItemContent) -> Recommender:
    return make_model(name, CONFIG, n_items=len(content.titles), content=content)


@pytest.mark.parametrize("name", ["itemknn", "ease", "als", "content", "hybrid"])
def test_model_beats_popularity_on_planted_clusters(
    name: str, planted: tuple, planted_content: ItemContent
) -> None:
    # given a random 80/20 split of clustered interactions
    X, _, _ = planted
    split = split_random(X, seed=0)
    # when
    popular = evaluate(Popularity(), split)
    result = evaluate(build(name, planted_content), split)
    # then
    assert result.ndcg >= 2 * popular.ndcg


@pytest.mark.parametrize("name", ["itemknn", "als", "content", "hybrid"])
def test_similar_items_stay_in_the_cluster(
    name: str, planted: tuple, planted_content: ItemContent
) -> None:
    # given a fitted model
    X, _, item_cluster = planted
    model = build(name, planted_content).fit(X)
    assert isinstance(model, ItemSimilarity)
    # when
    similar = model.similar_items(5, 5)
    # then
    assert len(similar) == 5
    assert 5 not in [s.index for s in similar]
    assert [item_cluster[s.index] for s in similar] == [item_cluster[5]] * 5


def test_personal_models_recommend_from_the_users_cluster(planted: tuple) -> None:
    # given users whose histories sit in one cluster
    X, user_cluster, item_cluster = planted
    users = np.arange(20)
    for model in (ItemKNN(20), EASE(10.0), make_model("als", CONFIG, n_items=X.shape[1])):
        # when
        top = recommend(model.fit(X), X, users, 5)
        # then
        share = np.mean(item_cluster[top.indices] == user_cluster[users, None])
        assert share >= 0.9, model.name


def test_ease_weights_have_zero_diagonal_and_match_the_closed_form() -> None:
    # given a small random binary matrix
    X = sp.csr_matrix((np.random.default_rng(0).random((30, 8)) < 0.4).astype(np.float32))
    # when
    weights = EASE(lam=5.0).fit(X).weights_
    # then
    P = np.linalg.inv(X.T.toarray() @ X.toarray() + 5.0 * np.eye(8))
    expected = np.eye(8) - P / np.diag(P)
    np.testing.assert_allclose(weights, expected, atol=1e-5)
    assert np.all(np.diag(weights) == 0)


@pytest.mark.parametrize("variant", ["edlae", "dlae"])
def test_dropout_ease_beats_popularity_and_stays_in_the_cluster(
    variant: str, planted: tuple
) -> None:
    # given clustered interactions and a dropout-emphasised EASE
    X, user_cluster, item_cluster = planted
    split = split_random(X, seed=0)
    model = EASE(10.0, dropout=0.5, variant=variant)
    # when
    popular = evaluate(Popularity(), split)
    result = evaluate(model, split)
    top = recommend(model.fit(X), X, np.arange(20), 5)
    # then
    assert result.ndcg >= 2 * popular.ndcg
    assert np.mean(item_cluster[top.indices] == user_cluster[:20, None]) >= 0.9


@pytest.mark.parametrize("variant", ["edlae", "dlae"])
def test_dropout_ease_matches_the_closed_form(variant: str) -> None:
    # given a small random binary matrix and dropout p = 0.4
    X = sp.csr_matrix((np.random.default_rng(0).random((30, 8)) < 0.4).astype(np.float32))
    G = X.T.toarray() @ X.toarray()
    penalty = 0.4 / 0.6 * np.diag(G) + 5.0
    # when
    weights = EASE(lam=5.0, dropout=0.4, variant=variant).fit(X).weights_
    # then: EDLAE keeps the zero-diagonal constraint; DLAE is I - P Lambda, diagonal dropped
    P = np.linalg.inv(G + np.diag(penalty))
    expected = -P / np.diag(P) if variant == "edlae" else -P * penalty[None, :]
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(weights, expected, atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"variant": "ridge"}, "variant"),
    ],
)
def test_ease_rejects_bad_dropout_settings(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EASE(**kwargs)


def test_make_model_passes_the_ease_dropout_settings() -> None:
    # given a config asking for DLAE
    config = dataclasses.replace(CONFIG, ease_lambda=7.0, ease_dropout=0.3, ease_variant="dlae")
    # when
    model = make_model("ease", config, n_items=10)
    hybrid = production_model(config, n_items=10)
    # then
    assert isinstance(model, EASE)
    assert (model.lam, model.dropout, model.variant) == (7.0, 0.3, "dlae")
    members = [m for m, _ in hybrid.members if isinstance(m, EASE)]
    assert [(m.dropout, m.variant) for m in members] == [(0.3, "dlae")]


def test_itemknn_shrinkage_formula() -> None:
    # given two items sharing 2 of their 2 and 4 users
    X = sp.csr_matrix(np.array([[1, 1], [1, 1], [0, 1], [0, 1]], dtype=np.float32))
    # when
    similarity = ItemKNN(neighbours=1, shrink=1.0).fit(X).similarity_.toarray()
    # then: 2 / (sqrt(2) * sqrt(4) + 1), no self-similarity
    expected = 2 / (np.sqrt(2) * np.sqrt(4) + 1)
    np.testing.assert_allclose(similarity, [[0, expected], [expected, 0]], rtol=1e-6)


def test_als_learns_users_by_items_not_transposed() -> None:
    # given more users than items
    X = sp.random(40, 7, density=0.3, format="csr", dtype=np.float32, random_state=1)
    # when
    model = make_model("als", CONFIG, n_items=7).fit(X)
    # then
    assert model.score_users(X, np.arange(40)).shape == (40, 7)


def test_hybrid_routes_cold_users_to_popularity(planted: tuple) -> None:
    # given a user with no history
    X, _, _ = planted
    X = sp.vstack([X, sp.csr_matrix((1, X.shape[1]), dtype=np.float32)], format="csr")
    model = production_model(CONFIG, n_items=X.shape[1]).fit(X)
    # when
    top = recommend(model, X, np.array([X.shape[0] - 1]), 5)
    # then
    popular = recommend(Popularity().fit(X), X, np.array([0]), 5, exclude_seen=False)
    assert top.indices.tolist() == popular.indices.tolist()


def test_hybrid_reaches_new_items_through_content(
    planted_with_new_item: tuple, planted_content: ItemContent
) -> None:
    # given item 0's interactions removed, as if it were just published
    X, user_cluster, item_cluster = planted_with_new_item
    weights = {**CONFIG.hybrid_weights, "cold_items": 1.0}  # a content match ranks like a hit
    config = dataclasses.replace(CONFIG, hybrid_weights=weights)
    model = production_model(config, n_items=X.shape[1], content=planted_content).fit(X)
    fans = np.flatnonzero(user_cluster == item_cluster[0])[:10]
    # when
    top = recommend(model, X, fans, 10)
    similar = model.similar_items(0, 3)
    # then
    assert (top.indices == 0).any(axis=1).all()
    assert [item_cluster[s.index] for s in similar] == [item_cluster[0]] * 3


def test_reweighted_hybrid_scores_as_one_fitted_with_those_weights(planted: tuple) -> None:
    # given a hybrid fitted with every member on
    X, _, _ = planted
    every = {"ease": 1.0, "als": 1.0, "itemknn": 1.0, "session": 0.0, "cold_items": 0.5}
    fitted = production_model(
        dataclasses.replace(CONFIG, hybrid_weights=every), n_items=X.shape[1]
    ).fit(X)
    chosen = {"ease": 1.0, "als": 2.5, "itemknn": 0.0, "session": 0.0, "cold_items": 0.5}
    fresh = production_model(
        dataclasses.replace(CONFIG, hybrid_weights=chosen), n_items=X.shape[1]
    ).fit(X)
    users = np.arange(50)
    # when
    reweighted = fitted.reweighted({"ease": 1.0, "als": 2.5, "itemknn": 0.0})
    # then
    assert [(m.name, w) for m, w in reweighted.members] == [("ease", 1.0), ("als", 2.5)]
    np.testing.assert_allclose(
        reweighted.score_users(X, users), fresh.score_users(X, users), rtol=1e-5, atol=1e-6
    )
    assert len(fitted.members) == 3


def test_reweighted_refuses_a_member_that_was_never_fitted(planted: tuple) -> None:
    X, _, _ = planted
    fitted = production_model(CONFIG, n_items=X.shape[1]).fit(X)
    with pytest.raises(ValueError, match="not fitted as members: itemknn"):
        fitted.reweighted({"ease": 1.0, "itemknn": 0.5})


def test_production_model_drops_ease_above_the_dense_budget() -> None:
    # given a 1 MiB dense budget: 512^2 x 4 B fits, 513 items do not
    config = dataclasses.replace(CONFIG, dense_memory_budget_mib=1, dense_memory_factor=1.0)
    # when
    small, large = production_model(config, n_items=512), production_model(config, n_items=513)
    # then
    assert isinstance(small, Hybrid)
    assert "ease" in [m.name for m, _ in small.members]
    assert "ease" not in [m.name for m, _ in large.members]


@pytest.mark.parametrize("variant", ["edlae", "dlae"])
def test_user_weighted_ease_matches_the_closed_form(variant: str) -> None:
    # given a small random binary matrix, dropout p = 0.4 and gamma = 0.5
    X = sp.csr_matrix((np.random.default_rng(0).random((30, 8)) < 0.4).astype(np.float32))
    dense = X.toarray()
    degree = np.maximum(dense.sum(axis=1), 1)
    G = dense.T @ (dense / np.sqrt(degree)[:, None])
    penalty = 0.4 / 0.6 * np.diag(G) + 5.0
    # when
    model = EASE(lam=5.0, dropout=0.4, variant=variant, user_exponent=0.5).fit(X)
    # then: G = X^T D^-1/2 X; scores still read the unweighted rows
    P = np.linalg.inv(G + np.diag(penalty))
    expected = -P / np.diag(P) if variant == "edlae" else -P * penalty[None, :]
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(model.weights_, expected, atol=1e-5)
    np.testing.assert_allclose(model.score_users(X, np.arange(3)), dense[:3] @ expected, atol=1e-5)


def test_user_weighting_discounts_heavy_users_co_occurrences() -> None:
    # given items 0 and 1 co-watched only by one user who watched everything,
    # items 2 and 3 co-watched by two users who watched only them
    X = sp.csr_matrix(
        np.array([[1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0, 0, 0]]),
        dtype=np.float32,
    )
    # when
    plain = EASE(1.0).fit(X).weights_
    weighted = EASE(1.0, user_exponent=1.0).fit(X).weights_
    # then: the heavy user's link loses weight relative to the light users' link
    assert weighted[0, 1] / weighted[2, 3] < plain[0, 1] / plain[2, 3]


def test_user_weighted_ease_recovers_planted_clusters(planted: tuple) -> None:
    # given clustered interactions and DLAE with user-degree weighting
    X, user_cluster, item_cluster = planted
    split = split_random(X, seed=0)
    model = EASE(1.0, dropout=0.5, variant="dlae", user_exponent=0.5)
    # when
    popular = evaluate(Popularity(), split)
    result = evaluate(model, split)
    top = recommend(model.fit(X), X, np.arange(20), 5)
    # then
    assert result.ndcg >= 2 * popular.ndcg
    assert np.mean(item_cluster[top.indices] == user_cluster[:20, None]) >= 0.9


def test_ease_rejects_a_negative_user_exponent() -> None:
    with pytest.raises(ValueError, match="user_exponent"):
        EASE(user_exponent=-0.5)


def test_make_model_passes_the_new_tuning_knobs() -> None:
    # given a config with user weighting and popularity debiasing
    config = dataclasses.replace(CONFIG, ease_user_exponent=0.25, hybrid_popularity_exponent=0.2)
    # when
    ease = make_model("ease", config, n_items=10)
    hybrid = production_model(config, n_items=10)
    # then
    assert isinstance(ease, EASE)
    assert ease.user_exponent == 0.25
    assert hybrid.popularity_exponent == 0.2
    assert [m.user_exponent for m, _ in hybrid.members if isinstance(m, EASE)] == [0.25]


def test_popularity_debiasing_breaks_ties_toward_the_niche_item() -> None:
    # given items watched by 9, 2 and 1 users, and a member scoring them all alike
    dense = np.zeros((10, 3), dtype=np.float32)
    dense[:9, 0] = 1.0
    dense[8:, 1] = 1.0
    dense[9, 2] = 1.0
    X = sp.csr_matrix(dense)

    class Tied:
        name = "tied"

        def fit(self, X: sp.csr_matrix, timestamps: np.ndarray | None = None) -> "Tied":
            return self

        def score_users(self, X: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
            return np.ones((len(users), 3), dtype=np.float32)

    def scores(beta: float) -> np.ndarray:
        model = Hybrid([(Tied(), 1.0)], popularity=Popularity(), popularity_exponent=beta)
        return model.fit(X).score_users(X, np.array([0]))[0]

    # when / then: beta = 0 leaves the tie; beta > 0 divides by n_i^beta
    np.testing.assert_allclose(scores(0.0), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(scores(0.5), [1 / 3, 1 / np.sqrt(2), 1.0], rtol=1e-6)


def test_zero_weight_itemknn_still_serves_similar_items(planted: tuple) -> None:
    # given a hybrid whose blend gives ItemKNN weight 0
    X, _, item_cluster = planted
    weights = {**CONFIG.hybrid_weights, "itemknn": 0.0}
    config = dataclasses.replace(CONFIG, hybrid_weights=weights)
    model = production_model(config, n_items=X.shape[1])
    plain = production_model(config, n_items=X.shape[1])
    plain.members = [(m, w) for m, w in plain.members if not isinstance(m, ItemKNN)]
    # when
    model.fit(X)
    similar = model.similar_items(5, 5)
    # then: the neighbours are there, and the blend ignores them
    assert [item_cluster[s.index] for s in similar] == [item_cluster[5]] * 5
    users = np.arange(30)
    np.testing.assert_array_equal(model.score_users(X, users), plain.fit(X).score_users(X, users))


def test_overrides_merge_weights_into_the_defaults_and_refuse_what_models_refuse() -> None:
    # when
    config = config_with_overrides(
        EngineConfig(), {"hybrid_weights": {"als": 0}, "ease_lambda": 50}
    )
    # then: the other members keep their default weights
    assert config.hybrid_weights == {**EngineConfig().hybrid_weights, "als": 0}
    assert config.ease_lambda == 50
    with pytest.raises(ValueError, match="unknown EASE variant"):
        config_with_overrides(EngineConfig(), {"ease_variant": "deep"})
    with pytest.raises(ValueError, match="knn_neighbours must be a whole number"):
        config_with_overrides(EngineConfig(), {"knn_neighbours": True})


def test_overrides_reach_the_sequence_settings() -> None:
    # an A/B test may switch the sequence member on and tune it; its ranges are checked
    config = config_with_overrides(
        EngineConfig(),
        {"hybrid_weights": {"sequence": 0.5}, "sequence_up_next": True, "sequence_max_length": 30},
    )
    assert config.hybrid_weights["sequence"] == 0.5
    assert config.sequence_up_next is True
    assert config.sequence_max_length == 30
    with pytest.raises(ValueError, match="sequence_up_next must be a bool"):
        config_with_overrides(EngineConfig(), {"sequence_up_next": 1})
    with pytest.raises(ValueError, match="dropout"):
        config_with_overrides(
            EngineConfig(), {"sequence_dropout": 1.0, "hybrid_weights": {"sequence": 1.0}}
        )
    with pytest.raises(ValueError, match="Unknown engine setting 'sequence_threads'"):
        config_with_overrides(EngineConfig(), {"sequence_threads": 2})
    # the position budget bounds the retrain's time, like the dense budget its memory
    with pytest.raises(ValueError, match="Unknown engine setting 'sequence_position_budget'"):
        config_with_overrides(EngineConfig(), {"sequence_position_budget": 10})
