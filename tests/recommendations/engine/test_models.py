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
from recommendations.engine.models import make_model, production_model
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
    planted: tuple, planted_content: ItemContent
) -> None:
    # given item 0's interactions removed, as if it were just published
    X, user_cluster, item_cluster = planted
    X = X.tolil()
    X[:, 0] = 0
    X = X.tocsr()
    X.eliminate_zeros()
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


def test_production_model_drops_ease_above_the_item_threshold() -> None:
    # given a catalogue just above the EASE cap
    config = dataclasses.replace(CONFIG, ease_max_items=100)
    # when
    small, large = production_model(config, n_items=100), production_model(config, n_items=101)
    # then
    assert isinstance(small, Hybrid)
    assert "ease" in [m.name for m, _ in small.members]
    assert "ease" not in [m.name for m, _ in large.members]
