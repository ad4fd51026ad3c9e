"""Catalogue scale: sparse neighbours, blockwise top-N, ANN retrieval, fold-in, dense budget."""

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import neighbours
from recommendations.engine.als import ALS
from recommendations.engine.content import ContentModel
from recommendations.engine.itemknn import ItemKNN
from recommendations.engine.models import DENSE_DROPPED_PREFIX, dense_fits, production_model
from recommendations.engine.neighbours import item_neighbours
from recommendations.engine.ranking import batch_users, recommend, top_k_rows
from recommendations.engine.retrieval import (
    VectorIndex,
    build_index,
    exact_search,
    recall,
    recommend_candidates,
)
from recommendations.engine.session import SessionKNN
from recommendations.engine.types import EngineConfig, ItemContent

CONFIG = EngineConfig(knn_neighbours=20, content_neighbours=10, als_iterations=8)


def _rows(matrix: sp.csr_matrix) -> list[list[tuple[int, float]]]:
    matrix = matrix.tocsr()
    matrix.sort_indices()
    return [
        list(
            zip(
                matrix.indices[matrix.indptr[r] : matrix.indptr[r + 1]].tolist(),
                np.round(matrix.data[matrix.indptr[r] : matrix.indptr[r + 1]], 5).tolist(),
                strict=True,
            )
        )
        for r in range(matrix.shape[0])
    ]


def test_sparse_neighbours_keep_the_dense_top_k(planted: tuple) -> None:
    # given planted clusters, whose co-occurrence has many ties at the cut
    X, _, _ = planted
    # when ItemKNN is built from dense blocks and from sparse co-occurring pairs
    dense = ItemKNN(15, shrink=10.0, dense=True).fit(X).similarity_
    sparse = ItemKNN(15, shrink=10.0, dense=False).fit(X).similarity_
    # then both keep the same neighbours with the same similarities
    assert dense.nnz > 0
    assert _rows(dense) == _rows(sparse)


def test_sparse_neighbours_match_over_several_blocks() -> None:
    # given random co-occurrences and blocks much smaller than the catalogue
    rng = np.random.default_rng(3)
    X = sp.csr_matrix((rng.random((200, 90)) < 0.08).astype(np.float32))
    norms = np.sqrt(np.asarray(X.sum(axis=0), dtype=np.float32).ravel())
    # when
    dense = item_neighbours(X, X, 7, norms=norms, shrink=2.0, dense=True, block_size=16)
    sparse = item_neighbours(X, X, 7, norms=norms, shrink=2.0, dense=False, block_size=16)
    # then no item keeps more than k neighbours nor itself, and both paths agree
    assert np.diff(sparse.indptr).max() == 7
    assert all(i not in sparse[i].indices for i in range(90))
    assert _rows(dense) == _rows(sparse)


def test_sparse_blocks_cut_by_work_keep_the_same_neighbours(
    planted: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given blocks cut every ~2,000 products (dozens of blocks on 120 items)
    X, _, _ = planted
    monkeypatch.setattr(neighbours, "SPARSE_BLOCK_ENTRIES", 2000)
    # when
    dense = item_neighbours(X, X, 10, dense=True)
    sparse = item_neighbours(X, X, 10, dense=False)
    # then
    assert _rows(dense) == _rows(sparse)


def test_batched_top_n_matches_a_full_argsort(planted: tuple) -> None:
    # given a fitted ItemKNN whose full score matrix is small enough to sort
    X, _, _ = planted
    model = ItemKNN(20).fit(X)
    users = np.arange(X.shape[0])
    full = model.score_users(X, users)
    full[X.nonzero()] = -np.inf
    expected = np.lexsort((np.broadcast_to(np.arange(X.shape[1]), full.shape), -full), axis=1)
    # when ranking 7 users at a time (each batch's block is all that is held)
    top = recommend(model, X, users, 10, batch_size=7)
    # then every list is the argsort's head, seen items excluded, ties to the lower index
    assert top.indices.tolist() == expected[:, :10].tolist()
    assert not any(X[u, i] for u in users for i in top.indices[u])


def test_batch_size_shrinks_with_the_catalogue() -> None:
    assert batch_users(10_000) == 1000
    assert batch_users(1_000_000) * 1_000_000 * 4 * 4 <= 256 * 2**20
    assert batch_users(10**10) == 1


@pytest.fixture(scope="module")
def planted_vectors() -> tuple[np.ndarray, np.ndarray]:
    """30,000 items around 50 planted directions with varied norms, and 400 queries."""
    rng = np.random.default_rng(11)
    centres = rng.normal(size=(50, 32)).astype(np.float32)
    items = centres[rng.integers(0, 50, 30_000)] + 0.6 * rng.normal(size=(30_000, 32))
    items *= rng.uniform(0.5, 1.5, size=(30_000, 1))
    queries = centres[rng.integers(0, 50, 400)] + 0.6 * rng.normal(size=(400, 32))
    return items.astype(np.float32), queries.astype(np.float32)


def test_ann_recall_against_exact_search_on_planted_vectors(planted_vectors: tuple) -> None:
    # given item vectors with unequal norms (so inner product and cosine disagree)
    items, queries = planted_vectors
    # when an HNSW index answers top-100 queries
    index = VectorIndex(items, exact=False, num_threads=1)
    found = index.search(queries, 100)
    truth = exact_search(items, queries, 100)
    # then it finds at least 95 % of the exact top-100, best first
    assert not index.exact
    assert recall(found, truth) >= 0.95
    assert np.all(np.diff(found.scores, axis=1) <= 1e-6)


def test_replaced_vectors_are_found_before_a_rebuild(planted_vectors: tuple) -> None:
    # given an index, and item 5 moved exactly onto the first query
    items, queries = planted_vectors
    index = VectorIndex(items[:2000], exact=False, num_threads=1)
    # when its new vector is put in the fresh set
    index.replace(np.array([5]), queries[:1] * 10)
    # then it tops that query's list, once
    found = index.search(queries[:1], 20).indices[0]
    assert found[0] == 5
    assert (found == 5).sum() == 1


def _content(item_cluster: np.ndarray) -> ItemContent:
    words = ("烹饪 家常菜", "Python 编程", "健身 跑步", "摄影 构图")
    titles = [f"{words[c]} 第{i}课" for i, c in enumerate(item_cluster)]
    return ItemContent(titles, [""] * len(titles), [(f"tag{c}",) for c in item_cluster])


def test_candidate_feed_agrees_with_the_full_feed_on_planted_clusters(planted: tuple) -> None:
    # given the production hybrid (no EASE) fitted on planted clusters
    X, user_cluster, item_cluster = planted
    config = dataclasses.replace(CONFIG, hybrid_weights={**CONFIG.hybrid_weights, "ease": 0.0})
    model = production_model(config, n_items=X.shape[1]).fit(X)
    users = np.arange(X.shape[0])
    # when feeds come from retrieved candidates instead of full score rows
    full = recommend(model, X, users, 10)
    fast = recommend_candidates(model, X, users, 10, index=build_index(model), n_candidates=40)
    # then they are nearly the same lists, unseen, and mostly the user's own cluster
    overlap = np.mean(
        [np.intersect1d(a, b).size / 10 for a, b in zip(full.indices, fast.indices, strict=False)]
    )
    assert overlap >= 0.9
    assert not any(X[u, i] for u in users for i in fast.indices[u] if i >= 0)
    assert np.mean(item_cluster[fast.indices] == user_cluster[:, None]) >= 0.8


def test_fold_in_puts_a_new_item_next_to_its_look_alikes(planted_with_new_item: tuple) -> None:
    # given a hybrid fitted while item 0 had no views
    X, user_cluster, item_cluster = planted_with_new_item
    config = dataclasses.replace(CONFIG, hybrid_weights={**CONFIG.hybrid_weights, "ease": 0.0})
    model = production_model(config, n_items=X.shape[1]).fit(X)
    index = build_index(model)
    assert index is not None
    assert 0 in model.cold_items_
    # when five viewers from item 0's cluster watch it and it is folded in
    fans = np.flatnonzero(user_cluster == item_cluster[0])[:5]
    fresh = sp.lil_matrix(X)
    fresh[fans, 0] = 1.0
    fresh = fresh.tocsr()
    factors = model.fold_in(fresh, np.array([0]))
    index.replace(np.array([0]), factors)
    # then its factors' nearest items are its own cluster's
    als = next(m for m, _ in model.members if isinstance(m, ALS))
    near = [s.index for s in als.similar_items(0, 10)]
    assert np.mean(item_cluster[near] == item_cluster[0]) >= 0.8
    assert 0 not in model.cold_items_
    # and it enters the candidate feeds of that cluster's other viewers, not of others
    others = np.flatnonzero(user_cluster == item_cluster[0])[5:]
    strangers = np.flatnonzero(user_cluster != item_cluster[0])
    top = recommend_candidates(model, fresh, np.arange(X.shape[0]), 20, index=index)
    has_new = (top.indices == 0).any(axis=1)
    assert has_new[others].mean() >= 0.5
    assert has_new[strangers].mean() <= 0.1


def test_a_new_item_without_views_reaches_feeds_through_content(
    planted_with_new_item: tuple,
) -> None:
    # given a hybrid with content, item 0 published but never watched; a content
    # match ranks like a hit (cold_items 1.0, as in test_models)
    X, user_cluster, item_cluster = planted_with_new_item
    weights = {**CONFIG.hybrid_weights, "ease": 0.0, "cold_items": 1.0}
    config = dataclasses.replace(CONFIG, hybrid_weights=weights)
    model = production_model(config, n_items=X.shape[1], content=_content(item_cluster))
    model.fit(X)
    users = np.arange(X.shape[0])
    # when candidate feeds are built
    top = recommend_candidates(model, X, users, 10, index=build_index(model))
    # then item 0 reaches viewers of its cluster through its content neighbours only,
    # as often as in the full feed
    has_new = (top.indices == 0).any(axis=1)
    in_full = (recommend(model, X, users, 10).indices == 0).any(axis=1)
    own = user_cluster == item_cluster[0]
    assert has_new[own].mean() >= 0.5
    assert has_new[own].mean() >= in_full[own].mean() - 0.1
    assert has_new[~own].mean() <= 0.1


def test_dense_members_join_only_within_the_memory_budget() -> None:
    # given a 64 MiB dense budget: 4,096^2 x 4 B x 1 = 64 MiB fits, one item more does not
    config = dataclasses.replace(CONFIG, dense_memory_budget_mib=64, dense_memory_factor=1.0)
    # when
    fits, over = production_model(config, n_items=4096), production_model(config, n_items=4097)
    # then the switch is recorded in the model's notes with the reason
    assert dense_fits(4096, config)
    assert not dense_fits(4097, config)
    assert "ease" in [m.name for m, _ in fits.members]
    assert fits.notes == ()
    assert "ease" not in [m.name for m, _ in over.members]
    assert len(over.notes) == 1
    assert over.notes[0].startswith(DENSE_DROPPED_PREFIX)
    assert "4,097 items" in over.notes[0]
    assert "0.1 GiB" in over.notes[0]


def test_content_and_session_neighbours_stay_sparse_per_item(planted: tuple) -> None:
    # given
    X, _, item_cluster = planted
    times = np.arange(X.nnz, dtype=np.float64) * 60.0
    # when
    content = ContentModel(_content(item_cluster), neighbours=5).fit(X).similarity_
    session = SessionKNN(neighbours=5).fit(X, times).similarity_
    # then each keeps at most k neighbours per item (memory O(items * k))
    assert np.diff(content.indptr).max() <= 5
    assert np.diff(session.indptr).max() <= 5
    assert top_k_rows(np.array([[1.0, 3.0]], dtype=np.float32), 1).indices.tolist() == [[1]]
