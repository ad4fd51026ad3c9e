"""Candidate retrieval for large catalogues: an ANN index over item embeddings.

At a million items a user's full score row is 4 MB per member, so the feed is
built in two steps instead: a few hundred candidates per user from

* the approximate nearest neighbours of the user's ALS factors among the item
  factors (faiss HNSW, maximum inner product turned into L2 search by one
  extra coordinate, Bachrach et al. 2014), plus a small exact "fresh" set for
  items folded in since the index was built;
* the sparse item-neighbour members (ItemKNN, session co-occurrence) and
  content neighbours of the user's history: the entries of
  ``X[u] @ S`` with the highest values;

then every member scores only those candidates, blended as
:class:`~recommendations.engine.hybrid.Hybrid` blends full rows (each member
scaled by its best candidate score instead of its best item score).
"""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.als import ALS
from recommendations.engine.base import binarize, entry_rows
from recommendations.engine.hybrid import Hybrid
from recommendations.engine.itemknn import ItemKNN
from recommendations.engine.neighbours import top_per_row
from recommendations.engine.ranking import top_k_rows
from recommendations.engine.session import SessionKNN
from recommendations.engine.types import TopK

# Below this many items an exact (flat) index is as fast as HNSW and exact.
EXACT_BELOW_ITEMS = 20_000


class VectorIndex:
    """Maximum-inner-product search over item vectors.

    Args:
        vectors: ``(n_items, d)`` item embeddings (ALS item factors).
        m: HNSW links per node (memory ``n_items * m * 8`` bytes on top of
            the vectors).
        ef_construction, ef_search: HNSW beam widths at build and query
            time; ``ef_search`` trades query time for recall.
        exact: flat (exact) index instead of HNSW; ``None`` picks exact
            below :data:`EXACT_BELOW_ITEMS` items.
        num_threads: OpenMP threads faiss may use.
    """

    def __init__(
        self,
        vectors: NDArray[np.float32],
        *,
        m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 256,
        exact: bool | None = None,
        num_threads: int = 2,
    ) -> None:
        faiss.omp_set_num_threads(num_threads)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.n_items, self.dim = vectors.shape
        self.exact = self.n_items < EXACT_BELOW_ITEMS if exact is None else exact
        norms_sq = np.einsum("ij,ij->i", vectors, vectors)
        self._max_norm_sq = float(norms_sq.max(initial=0.0))
        self._index: Any
        if self.exact:
            self._index = faiss.IndexFlatIP(self.dim)
            self._index.add(vectors)
        else:
            self._index = faiss.IndexHNSWFlat(self.dim + 1, m)
            self._index.hnsw.efConstruction = ef_construction
            self._index.hnsw.efSearch = ef_search
            self._index.add(self._lift(vectors, norms_sq))
        self._fresh_ids = np.zeros(0, dtype=np.int64)
        self._fresh_vectors = np.zeros((0, self.dim), dtype=np.float32)

    def _lift(self, vectors: NDArray[np.float32], norms_sq: NDArray[np.float32]) -> Any:
        """Append ``sqrt(max|v|^2 - |v|^2)``: L2 order on lifted items = inner-product order."""
        extra = np.sqrt(np.maximum(self._max_norm_sq - norms_sq, 0.0)).astype(np.float32)
        return np.ascontiguousarray(np.hstack([vectors, extra[:, None]]))

    def replace(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        """Give items ``ids`` new vectors (fold-in) without rebuilding the graph.

        They are searched exactly in a small side set, and their old entries
        in the graph are ignored, until the next retrain builds a new index.
        """
        ids = np.asarray(ids, dtype=np.int64)
        keep = ~np.isin(self._fresh_ids, ids)
        self._fresh_ids = np.concatenate([self._fresh_ids[keep], ids])
        self._fresh_vectors = np.vstack(
            [self._fresh_vectors[keep], np.asarray(vectors, dtype=np.float32)]
        )

    def search(self, queries: NDArray[np.float32], k: int) -> TopK:
        """Return the ``k`` items with the highest inner product per query (``-1`` pads)."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = min(k, self.n_items)
        wanted = min(k + self._fresh_ids.size, self.n_items)
        if self.exact:
            scores, ids = self._index.search(queries, wanted)
        else:
            lifted = np.hstack([queries, np.zeros((queries.shape[0], 1), dtype=np.float32)])
            _, ids = self._index.search(np.ascontiguousarray(lifted), wanted)
            scores = exact_scores(queries, self._vectors_of(ids), ids)
        ids = ids.astype(np.int64)
        scores = np.where(ids < 0, -np.inf, scores).astype(np.float32)
        if self._fresh_ids.size:
            scores[np.isin(ids, self._fresh_ids)] = -np.inf
            fresh = (queries @ self._fresh_vectors.T).astype(np.float32)
            ids = np.hstack([ids, np.broadcast_to(self._fresh_ids, fresh.shape)])
            scores = np.hstack([scores, fresh])
        top = top_k_rows(scores, k)
        found = np.take_along_axis(ids, np.maximum(top.indices, 0), axis=1)
        found[top.indices < 0] = -1
        return TopK(indices=found, scores=top.scores)

    def _vectors_of(self, ids: NDArray[np.int64]) -> NDArray[np.float32]:
        stored = self._index.reconstruct_batch(np.maximum(ids, 0).ravel())[:, : self.dim]
        return np.asarray(stored, dtype=np.float32).reshape(*ids.shape, self.dim)


def exact_scores(
    queries: NDArray[np.float32], vectors: NDArray[np.float32], ids: NDArray[np.int64]
) -> NDArray[np.float32]:
    """Inner products of each query with its own candidates' vectors ``(n, c, d)``."""
    scores = np.einsum("nd,ncd->nc", queries, vectors).astype(np.float32)
    scores[ids < 0] = -np.inf
    return scores


def exact_search(
    vectors: NDArray[np.float32], queries: NDArray[np.float32], k: int, batch_size: int = 256
) -> TopK:
    """Exact maximum inner product, in query batches (the reference for recall)."""
    parts = [
        top_k_rows((queries[start : start + batch_size] @ vectors.T).astype(np.float32), k)
        for start in range(0, queries.shape[0], batch_size)
    ]
    return TopK(
        indices=np.vstack([p.indices for p in parts]), scores=np.vstack([p.scores for p in parts])
    )


def recall(found: TopK, truth: TopK) -> float:
    """Share of the exact top-k that the approximate search also returned."""
    hits = sum(
        np.intersect1d(f[f >= 0], t[t >= 0]).size
        for f, t in zip(found.indices, truth.indices, strict=True)
    )
    return hits / max(int((truth.indices >= 0).sum()), 1)


def factor_member(model: Hybrid) -> ALS | None:
    """The hybrid's ALS member, whose factors the index serves (``None`` without one)."""
    for member, _ in model.members:
        if isinstance(member, ALS):
            return member
    return None


def build_index(model: Hybrid, **options: Any) -> VectorIndex | None:
    """Index the item factors of a fitted hybrid's ALS member."""
    als = factor_member(model)
    return None if als is None else VectorIndex(als.item_factors_, **options)


def sparse_top_rows(product: sp.csr_matrix, k: int) -> NDArray[np.int64]:
    """The columns of each row's ``k`` largest positive entries, ``(n, k)``, ``-1`` pads.

    The columns come in index order, not by value: they are candidates.
    """
    product = sp.csr_matrix(product)
    product.data[product.data <= 0] = 0
    product.eliminate_zeros()
    best = top_per_row(product, k)
    rows = entry_rows(best)
    out = np.full((product.shape[0], k), -1, dtype=np.int64)
    out[rows, np.arange(best.nnz) - best.indptr[rows]] = best.indices
    return out


def gather(product: sp.csr_matrix, items: NDArray[np.int64]) -> NDArray[np.float32]:
    """``product[r, items[r, j]]`` as a dense ``items``-shaped array (0 where ``items`` is -1)."""
    rows = np.repeat(np.arange(items.shape[0]), items.shape[1])
    values = np.asarray(product[rows, np.maximum(items, 0).ravel()], dtype=np.float32)
    out = values.reshape(items.shape)
    out[items < 0] = 0.0
    return out


def _unique_rows(candidates: NDArray[np.int64]) -> NDArray[np.int64]:
    """Sort each row and turn repeats into ``-1`` (kept sorted, pads first)."""
    ordered = np.sort(candidates, axis=1)
    repeat = np.zeros_like(ordered, dtype=bool)
    repeat[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
    ordered[repeat] = -1
    return ordered


def _neighbour_scorer(member: Any) -> sp.csr_matrix | None:
    """``S^T`` of an item-neighbour member (ItemKNN, SessionKNN), whose ``X[u] @ S^T`` is sparse."""
    if isinstance(member, ItemKNN | SessionKNN):
        scorer: sp.csr_matrix = member._scorer
        return scorer
    return None


def _member_scores(
    member: Any, X: sp.csr_matrix, users: NDArray[np.int64], items: NDArray[np.int64]
) -> NDArray[np.float32]:
    """One member's scores of each user's own candidates."""
    if isinstance(member, ALS):
        vectors = member.item_factors_[np.maximum(items, 0)]
        return exact_scores(member.user_factors_[users], vectors, items)
    scorer = _neighbour_scorer(member)
    if scorer is not None:
        return gather(binarize(X[users]) @ scorer, items)
    full = np.asarray(member.score_users(X, users), dtype=np.float32)  # dense members
    picked = np.take_along_axis(full, np.maximum(items, 0), axis=1)
    picked[items < 0] = 0.0
    return picked


def _scale(scores: NDArray[np.float32], valid: NDArray[np.bool_]) -> NDArray[np.float32]:
    peak = np.where(valid, np.abs(scores), 0.0).max(axis=1, keepdims=True)
    return np.divide(scores, peak, out=np.zeros_like(scores), where=peak > 0)


def recommend_candidates(
    model: Hybrid,
    X: sp.csr_matrix,
    user_indices: NDArray[np.int64],
    k: int,
    *,
    index: VectorIndex | None,
    n_candidates: int = 300,
    extra_exclude: sp.csr_matrix | None = None,
    blocked_items: NDArray[np.int64] | None = None,
    batch_size: int = 2000,
) -> TopK:
    """Top-``k`` per user from retrieved candidates; never scores users x items.

    Candidates: ``n_candidates`` from the index (ALS factors) and as many
    from each sparse neighbour source (members with item neighbours, and
    content neighbours when the hybrid has content, which is how an item
    without interactions reaches a feed). Users with no history get the
    most popular items. Seen items, ``extra_exclude`` and ``blocked_items``
    are dropped as in :func:`~recommendations.engine.ranking.recommend`.
    Memory is ``batch_size x candidates`` per member.
    """
    users = np.asarray(user_indices, dtype=np.int64)
    k = min(k, X.shape[1])
    popular = np.argsort(-model.popularity.scores_, kind="stable")[:k]
    sparse_sources = [
        s for s in map(_neighbour_scorer, (m for m, _ in model.members)) if s is not None
    ]
    content = model.content.similarity_.T.tocsr() if model.content is not None else None
    cold = np.zeros(X.shape[1], dtype=bool)
    cold[model.cold_items_] = True
    indices = np.full((users.size, k), -1, dtype=np.int64)
    scores = np.full((users.size, k), -np.inf, dtype=np.float32)
    for start in range(0, users.size, batch_size):
        batch = users[start : start + batch_size]
        history = binarize(X[batch])
        parts = [np.broadcast_to(popular, (batch.size, popular.size))]
        if index is not None:
            als = factor_member(model)
            assert als is not None
            parts.append(index.search(als.user_factors_[batch], n_candidates).indices)
        parts += [sparse_top_rows(history @ scorer, n_candidates) for scorer in sparse_sources]
        content_product = history @ content if content is not None else None
        if content_product is not None:
            parts.append(sparse_top_rows(content_product, n_candidates))
        items = _unique_rows(np.hstack(parts))
        has_history = history.getnnz(axis=1) > 0
        block = _blend(model, X, batch, items, cold, content_product)
        block[~has_history] = np.where(
            items[~has_history] >= 0,
            model.popularity.scores_[np.maximum(items[~has_history], 0)],
            -np.inf,
        )
        excluded = gather(history, items) > 0
        if extra_exclude is not None:
            excluded |= gather(extra_exclude[batch], items) != 0
        if blocked_items is not None:
            excluded |= np.isin(items, blocked_items)
        block[excluded | (items < 0)] = -np.inf
        top = top_k_rows(block, min(k, items.shape[1]))
        chosen = np.take_along_axis(items, np.maximum(top.indices, 0), axis=1)
        chosen[top.indices < 0] = -1
        width = chosen.shape[1]
        indices[start : start + batch.size, :width] = chosen
        scores[start : start + batch.size, :width] = top.scores
    return TopK(indices=indices, scores=scores)


def _blend(
    model: Hybrid,
    X: sp.csr_matrix,
    users: NDArray[np.int64],
    items: NDArray[np.int64],
    cold: NDArray[np.bool_],
    content_product: sp.csr_matrix | None,
) -> NDArray[np.float32]:
    """The hybrid's blend on candidates (``Hybrid.score_users`` restricted to ``items``)."""
    valid = items >= 0
    blend = np.zeros(items.shape, dtype=np.float32)
    for member, weight in model.members:
        blend += weight * _scale(_member_scores(member, X, users, items), valid)
    if model.popularity_exponent:
        blend *= model.item_discount_[np.maximum(items, 0)]
    is_cold = cold[np.maximum(items, 0)] & valid
    blend[is_cold] = 0.0
    if content_product is not None and is_cold.any():
        best = np.maximum(np.where(valid, blend, -np.inf).max(axis=1, keepdims=True), 0.0)
        similar = _scale(gather(content_product, items), valid)
        blend = np.where(is_cold, model.cold_item_weight * best * similar, blend)
    return blend
