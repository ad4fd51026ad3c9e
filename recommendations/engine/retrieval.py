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
from recommendations.engine.ranking import top_k_rows
from recommendations.engine.session import SessionKNN
from recommendations.engine.types import TopK

# Below this many items an exact (flat) index is as fast as HNSW and exact.
EXACT_BELOW_ITEMS = 20_000


def _lift(vectors: NDArray[np.float32], norms_sq: NDArray[np.float32]) -> Any:
    """Append ``sqrt(max|v|^2 - |v|^2)``: L2 order on lifted items = inner-product order."""
    extra = np.sqrt(np.maximum(norms_sq.max(initial=0.0) - norms_sq, 0.0)).astype(np.float32)
    return np.ascontiguousarray(np.hstack([vectors, extra[:, None]]))


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
        tiers: norm bands, each with its own graph (searched in turn).
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
        tiers: int = 8,
        num_threads: int = 2,
    ) -> None:
        faiss.omp_set_num_threads(num_threads)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.n_items, self.dim = vectors.shape
        self.exact = self.n_items < EXACT_BELOW_ITEMS if exact is None else exact
        norms_sq = np.einsum("ij,ij->i", vectors, vectors)
        self._tiers: list[tuple[NDArray[np.int64], Any]] = []
        if self.exact:
            flat = faiss.IndexFlatIP(self.dim)
            flat.add(vectors)
            self._tiers.append((np.arange(self.n_items), flat))
        else:
            # Norm-ranged tiers: one lifted HNSW per band of similar norms. A single
            # graph over ALS factors (Zipf norms: a dense clump of short tail vectors)
            # found 9 % of the exact top-100; within a band the lift barely moves points.
            by_norm = np.argsort(-norms_sq, kind="stable")
            for ids in np.array_split(by_norm, tiers):
                graph = faiss.IndexHNSWFlat(self.dim + 1, m)
                graph.hnsw.efConstruction = ef_construction
                graph.hnsw.efSearch = ef_search
                graph.add(_lift(vectors[ids], norms_sq[ids]))
                self._tiers.append((ids.astype(np.int64), graph))
        self._vectors = vectors
        self._fresh_ids = np.zeros(0, dtype=np.int64)
        self._fresh_vectors = np.zeros((0, self.dim), dtype=np.float32)

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
        lifted = np.hstack([queries, np.zeros((queries.shape[0], 1), dtype=np.float32)])
        found_ids = []
        for ids_of_tier, tier in self._tiers:
            wanted = min(k + self._fresh_ids.size, ids_of_tier.size)
            query = queries if self.exact else np.ascontiguousarray(lifted)
            _, local = tier.search(query, wanted)
            found_ids.append(np.where(local >= 0, ids_of_tier[np.maximum(local, 0)], -1))
        ids = np.hstack(found_ids)
        scores = exact_scores(queries, self._vectors[np.maximum(ids, 0)], ids)
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

    One float64 sort key per entry (row, then value scaled into ``[0, 1)``)
    instead of a three-key lexsort: these are candidates, so ties at the cut
    may fall either way.
    """
    product = sp.csr_matrix(product)
    product.data[product.data <= 0] = 0
    product.eliminate_zeros()
    rows = entry_rows(product)
    peak = np.zeros(product.shape[0])
    np.maximum.at(peak, rows, product.data)
    key = rows + 0.5 * (1.0 - product.data / peak[rows])
    order = np.argsort(key, kind="stable")
    rank = np.empty(product.nnz, dtype=np.int64)
    rank[order] = np.arange(product.nnz) - product.indptr[rows[order]]
    keep = rank < k
    out = np.full((product.shape[0], k), -1, dtype=np.int64)
    out[rows[keep], rank[keep]] = product.indices[keep]
    return out


def gather(product: sp.csr_matrix, items: NDArray[np.int64]) -> NDArray[np.float32]:
    """``product[r, items[r, j]]`` as a dense ``items``-shaped array (0 where absent or -1).

    One binary search over the sorted ``(row, column)`` keys of the stored
    entries; scipy's element lookup scans unsorted rows linearly.
    """
    product = sp.csr_matrix(product)
    product.sum_duplicates()  # sorts the indices of each row
    n_cols = np.int64(product.shape[1])
    stored = entry_rows(product) * n_cols + product.indices
    wanted = (np.arange(items.shape[0])[:, None] * n_cols + np.maximum(items, 0)).ravel()
    at = np.minimum(np.searchsorted(stored, wanted), max(stored.size - 1, 0))
    out = np.zeros(wanted.size, dtype=np.float32)
    if stored.size:
        found = stored[at] == wanted
        out[found] = product.data[at[found]]
    shaped = out.reshape(items.shape)
    shaped[items < 0] = 0.0
    return shaped


def _unique_rows(candidates: NDArray[np.int64]) -> NDArray[np.int64]:
    """Sort each row and turn repeats into ``-1`` (kept sorted, pads first)."""
    ordered = np.sort(candidates, axis=1)
    repeat = np.zeros_like(ordered, dtype=bool)
    repeat[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
    ordered[repeat] = -1
    return ordered


def _neighbours_of(member: Any) -> sp.csr_matrix | None:
    """``S`` (row ``i``: item ``i``'s top neighbours) of an item-neighbour member."""
    if isinstance(member, ItemKNN | SessionKNN):
        similarity: sp.csr_matrix = member.similarity_
        return similarity
    return None


class _PairLookup:
    """``S[i, j]`` for many pairs at once: one binary search over sorted ``(i, j)`` keys.

    ``score(u, i) = sum_j x_uj s_ij`` needs only item ``i``'s own (at most k)
    neighbours; the product ``X[u] @ S^T`` would list every item that has one
    of the user's items as a neighbour, which under Zipf popularity is most
    of the catalogue for anyone who watched a head item.
    """

    def __init__(self, similarity: sp.csr_matrix) -> None:
        similarity = sp.csr_matrix(similarity)
        similarity.sum_duplicates()
        self.n_cols = np.int64(similarity.shape[1])
        self.keys = entry_rows(similarity) * self.n_cols + similarity.indices
        self.values = similarity.data.astype(np.float32)

    def scores(self, history: sp.csr_matrix, items: NDArray[np.int64]) -> NDArray[np.float32]:
        """``sum over j in history[r] of S[items[r, c], j]``, shaped like ``items``."""
        rows = entry_rows(history)
        pair_item = items[rows]  # (history entries, candidates): each entry's row's candidates
        wanted = pair_item * self.n_cols + history.indices[:, None]
        out = np.zeros(wanted.shape, dtype=np.float32)
        if self.keys.size:
            at = np.minimum(np.searchsorted(self.keys, wanted), self.keys.size - 1)
            found = (self.keys[at] == wanted) & (pair_item >= 0)
            out[found] = self.values[at[found]]
        summed = np.zeros(items.shape, dtype=np.float32)
        filled = np.flatnonzero(np.diff(history.indptr))
        if filled.size:
            summed[filled] = np.add.reduceat(out, history.indptr[filled], axis=0)
        return summed


def _scale(scores: NDArray[np.float32], valid: NDArray[np.bool_]) -> NDArray[np.float32]:
    peak = np.where(valid, np.abs(scores), 0.0).max(axis=1, keepdims=True)
    return np.divide(scores, peak, out=np.zeros_like(scores), where=peak > 0)


class CandidateRanker:
    """A fitted hybrid's feeds from retrieved candidates; never scores users x items.

    Candidates: ``n_candidates`` from the index (ALS factors) and as many
    from each item-neighbour member (the neighbours of the user's items) and
    from content (the content neighbours of the user's items, which is how an
    item without interactions reaches a feed). Users with no history get the
    most popular items. Each member then scores only these candidates
    (``_PairLookup`` for the neighbour members), blended as the hybrid
    blends full rows. Build once per model and index: the pair lookups are
    ``O(items * k)``; a call costs ``O(batch * candidates * history)``.
    """

    def __init__(
        self, model: Hybrid, index: VectorIndex | None, *, n_candidates: int = 300
    ) -> None:
        self.model = model
        self.index = index
        self.n_candidates = n_candidates
        self.als = factor_member(model)
        self.sources = [
            (member, similarity)
            for member, _ in model.members
            if (similarity := _neighbours_of(member)) is not None
        ]
        self.lookups = {id(member): _PairLookup(similarity) for member, similarity in self.sources}
        self.content = model.content.similarity_ if model.content is not None else None
        self.popular = np.argsort(-model.popularity.scores_, kind="stable")

    def recommend(
        self,
        X: sp.csr_matrix,
        user_indices: NDArray[np.int64],
        k: int,
        *,
        extra_exclude: sp.csr_matrix | None = None,
        blocked_items: NDArray[np.int64] | None = None,
        batch_size: int = 500,
    ) -> TopK:
        """Top-``k`` per user; seen, ``extra_exclude`` and ``blocked_items`` dropped.

        As :func:`~recommendations.engine.ranking.recommend`; memory is about
        ``batch_size x candidates x history length`` pairs.
        """
        users = np.asarray(user_indices, dtype=np.int64)
        k = min(k, X.shape[1])
        indices = np.full((users.size, k), -1, dtype=np.int64)
        scores = np.full((users.size, k), -np.inf, dtype=np.float32)
        for start in range(0, users.size, batch_size):
            batch = users[start : start + batch_size]
            top_items, top_scores = self._batch(X, batch, k, extra_exclude, blocked_items)
            indices[start : start + batch.size, : top_items.shape[1]] = top_items
            scores[start : start + batch.size, : top_items.shape[1]] = top_scores
        return TopK(indices=indices, scores=scores)

    def _batch(
        self,
        X: sp.csr_matrix,
        batch: NDArray[np.int64],
        k: int,
        extra_exclude: sp.csr_matrix | None,
        blocked_items: NDArray[np.int64] | None,
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        history = binarize(X[batch])
        popular = self.popular[:k]
        parts = [np.broadcast_to(popular, (batch.size, popular.size))]
        if self.index is not None and self.als is not None:
            parts.append(
                self.index.search(self.als.user_factors_[batch], self.n_candidates).indices
            )
        parts += [sparse_top_rows(history @ s, self.n_candidates) for _, s in self.sources]
        content_product = history @ self.content if self.content is not None else None
        if content_product is not None:
            parts.append(sparse_top_rows(content_product, self.n_candidates))
        items = _unique_rows(np.hstack(parts))
        block = self._blend(X, batch, history, items, content_product)
        no_history = history.getnnz(axis=1) == 0
        block[no_history] = self.model.popularity.scores_[np.maximum(items[no_history], 0)]
        excluded = gather(history, items) > 0
        if extra_exclude is not None:
            excluded |= gather(extra_exclude[batch], items) != 0
        if blocked_items is not None:
            excluded |= np.isin(items, blocked_items)
        block[excluded | (items < 0)] = -np.inf
        top = top_k_rows(block, min(k, items.shape[1]))
        chosen = np.take_along_axis(items, np.maximum(top.indices, 0), axis=1)
        chosen[top.indices < 0] = -1
        return chosen, top.scores

    def _member_scores(
        self,
        member: Any,
        X: sp.csr_matrix,
        users: NDArray[np.int64],
        history: sp.csr_matrix,
        items: NDArray[np.int64],
    ) -> NDArray[np.float32]:
        """One member's scores of each user's own candidates."""
        if isinstance(member, ALS):
            vectors = member.item_factors_[np.maximum(items, 0)]
            return exact_scores(member.user_factors_[users], vectors, items)
        lookup = self.lookups.get(id(member))
        if lookup is not None:
            return lookup.scores(history, items)
        full = np.asarray(member.score_users(X, users), dtype=np.float32)  # dense members
        picked = np.take_along_axis(full, np.maximum(items, 0), axis=1)
        picked[items < 0] = 0.0
        return picked

    def _blend(
        self,
        X: sp.csr_matrix,
        users: NDArray[np.int64],
        history: sp.csr_matrix,
        items: NDArray[np.int64],
        content_product: sp.csr_matrix | None,
    ) -> NDArray[np.float32]:
        """The hybrid's blend on candidates (``Hybrid.score_users`` restricted to ``items``)."""
        model = self.model
        valid = items >= 0
        blend = np.zeros(items.shape, dtype=np.float32)
        for member, weight in model.members:
            member_scores = self._member_scores(member, X, users, history, items)
            blend += weight * _scale(member_scores, valid)
        if model.popularity_exponent:
            blend *= model.item_discount_[np.maximum(items, 0)]
        is_cold = np.isin(items, model.cold_items_) & valid
        blend[is_cold] = 0.0
        if content_product is not None and is_cold.any():
            best = np.maximum(np.where(valid, blend, -np.inf).max(axis=1, keepdims=True), 0.0)
            similar = _scale(gather(content_product, items), valid)
            blend = np.where(is_cold, model.cold_item_weight * best * similar, blend)
        return blend


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
) -> TopK:
    """One-off :class:`CandidateRanker` feeds (build the ranker once to serve many calls)."""
    ranker = CandidateRanker(model, index, n_candidates=n_candidates)
    return ranker.recommend(
        X, user_indices, k, extra_exclude=extra_exclude, blocked_items=blocked_items
    )
