"""BM25-weighted ALS input, and the production defaults that route new items."""

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine.als import ALS, bm25_confidences
from recommendations.engine.evaluation import evaluate, split_random
from recommendations.engine.models import make_model, production_model
from recommendations.engine.popularity import Popularity
from recommendations.engine.ranking import recommend
from recommendations.engine.types import EngineConfig, ItemContent

CONFIG = EngineConfig(knn_neighbours=20, content_neighbours=10)


def test_bm25_confidences_match_the_formula() -> None:
    # given a small random weighted matrix (users x items)
    rng = np.random.default_rng(0)
    dense = (rng.random((12, 6)) < 0.5) * rng.integers(1, 4, (12, 6))
    X = sp.csr_matrix(dense.astype(np.float32))
    k1, b = 1.2, 0.75
    # when
    weighted = bm25_confidences(X, k1, b).toarray()
    # then: idf per item, length norm per user row
    idf = np.log(12) - np.log1p((dense > 0).sum(axis=0))
    length = 1 - b + b * dense.sum(axis=1) / dense.sum(axis=1).mean()
    expected = dense * (k1 + 1) / (k1 * length[:, None] + dense) * idf[None, :]
    expected[dense == 0] = 0
    np.testing.assert_allclose(weighted, np.maximum(expected, 0), rtol=1e-5, atol=1e-6)


def test_bm25_discounts_popular_items_saturates_repeats_and_drops_negative_idf() -> None:
    # given item 0 held by every user, item 1 by two of them, item 2 by one;
    # user 0 has weight 1 on item 1 and user 1 weight 9
    X = sp.csr_matrix(np.array([[1, 1, 0], [1, 9, 0], [1, 0, 1], [1, 0, 0]], dtype=np.float32))
    # when
    weighted = bm25_confidences(X, 1.2, 0.0).toarray()
    # then
    assert np.all(weighted[:, 0] == 0)  # log 4 - log 5 < 0: dropped, not negative
    assert weighted[2, 2] > weighted[0, 1]  # the niche item counts more
    assert weighted[0, 1] < weighted[1, 1] < 9 * weighted[0, 1]  # repeats saturate
    assert weighted[1, 1] < (1.2 + 1) * weighted[0, 1]  # bounded by k1 + 1


@pytest.mark.parametrize("weighting", ["confidence", "bm25"])
def test_als_weightings_recover_planted_clusters(planted: tuple, weighting: str) -> None:
    # given clustered interactions
    X, user_cluster, item_cluster = planted
    config = dataclasses.replace(CONFIG, als_weighting=weighting)
    split = split_random(X, seed=0)
    # when
    popular = evaluate(Popularity(), split)
    result = evaluate(make_model("als", config, n_items=X.shape[1]), split)
    top = recommend(make_model("als", config, n_items=X.shape[1]).fit(X), X, np.arange(20), 5)
    # then
    assert result.ndcg >= 2 * popular.ndcg
    assert np.mean(item_cluster[top.indices] == user_cluster[:20, None]) >= 0.9


def test_make_model_passes_the_als_weighting() -> None:
    # given a config asking for BM25 with non-default constants
    config = dataclasses.replace(
        CONFIG, als_weighting="bm25", als_bm25_k1=2.0, als_bm25_b=0.5, als_regularization=7.0
    )
    # when
    als = make_model("als", config, n_items=10)
    peer = make_model("als-default", config, n_items=10)
    hybrid = production_model(config, n_items=10)
    # then
    assert isinstance(als, ALS)
    assert isinstance(peer, ALS)
    assert (als.weighting, als.bm25_k1, als.bm25_b, als.regularization) == ("bm25", 2.0, 0.5, 7.0)
    assert peer.weighting == "confidence"
    assert [m.weighting for m, _ in hybrid.members if isinstance(m, ALS)] == ["bm25"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"weighting": "tfidf"}, "weighting"), ({"bm25_b": 1.5}, "bm25"), ({"bm25_k1": -1}, "bm25")],
)
def test_als_rejects_bad_weighting_settings(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ALS(**kwargs)


def test_production_defaults_route_new_items_through_content(
    planted_with_new_item: tuple, planted_content: ItemContent
) -> None:
    # given item 0's interactions removed, as if it were just published,
    # and the production defaults (no override of cold_items)
    X, user_cluster, item_cluster = planted_with_new_item
    assert EngineConfig().hybrid_weights["cold_items"] > 0
    model = production_model(CONFIG, n_items=X.shape[1], content=planted_content).fit(X)
    fans = np.flatnonzero(user_cluster == item_cluster[0])
    others = np.flatnonzero(user_cluster != item_cluster[0])
    # when
    fan_top = recommend(model, X, fans, 20)
    other_top = recommend(model, X, others, 20)
    # then: the new item reaches the personal lists of users of its cluster only
    assert np.mean((fan_top.indices == 0).any(axis=1)) >= 0.5
    assert not (other_top.indices == 0).any()


def test_new_items_stay_on_the_debiased_blend_scale(
    planted_with_new_item: tuple, planted_content: ItemContent
) -> None:
    # given a new item 0 and strong popularity debiasing, which shrinks
    # every known item's blended score
    X, user_cluster, item_cluster = planted_with_new_item
    config = dataclasses.replace(CONFIG, hybrid_popularity_exponent=0.5)
    model = production_model(config, n_items=X.shape[1], content=planted_content).fit(X)
    fans = np.flatnonzero(user_cluster == item_cluster[0])
    # when
    scores = model.score_users(X, fans)
    top = recommend(model, X, fans, 20)
    # then: a perfect content match scores cold_items x the user's best known item
    best_known = np.delete(scores, 0, axis=1).max(axis=1)
    assert np.all(scores[:, 0] <= 0.5 * best_known + 1e-6)
    assert not (top.indices[:, 0] == 0).any()  # never floods the head of the list
    assert (top.indices == 0).any()  # but still reaches fans' lists
