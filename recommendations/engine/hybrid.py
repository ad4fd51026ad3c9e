"""Score fusion of the personal models with cold-start routing."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.als import ALS
from recommendations.engine.base import ItemSimilarity, Recommender
from recommendations.engine.content import ContentModel
from recommendations.engine.itemknn import ItemKNN
from recommendations.engine.popularity import Popularity
from recommendations.engine.sasrec import SASRec
from recommendations.engine.session import SessionKNN
from recommendations.engine.types import ScoredItem


def scale_rows(scores: NDArray[np.float32]) -> NDArray[np.float32]:
    """Divide each row by its largest absolute value, in place (zero rows stay 0).

    Puts models with different score ranges on one scale without moving
    zero, so "no evidence" stays neutral in the blend.
    """
    peak = np.maximum(scores.max(axis=1), -scores.min(axis=1))[:, None]
    np.divide(scores, peak, out=scores, where=peak > 0)
    return scores


def _at_typical_norm(
    factors: NDArray[np.float32], als: ALS, cold: NDArray[np.int64]
) -> NDArray[np.float32]:
    """Stretch short folded-in factors to the known items' median factor length."""
    known = np.ones(als.item_factors_.shape[0], dtype=bool)
    known[cold] = False
    lengths = np.linalg.norm(als.item_factors_[known], axis=1)
    typical = np.float32(np.median(lengths)) if lengths.size else np.float32(1.0)
    own = np.linalg.norm(factors, axis=1, keepdims=True)
    stretch = np.where((own > 0) & (own < typical), typical / np.maximum(own, 1e-12), 1.0)
    return (factors * stretch).astype(np.float32)


class Hybrid:
    """Weighted sum of row-scaled scores of several personal models.

    ``popularity_exponent = beta > 0`` then divides item ``i``'s blended
    score by ``n_i^beta``, ``n_i`` its number of users at fit time (at
    least 1), as RP3beta does: a mild push from the head of the catalogue
    toward equally well-matched but less popular items.

    Weights only steer scoring: a member with weight 0 is dropped. The
    ``neighbours`` models serve :meth:`similar_items` whatever their blend
    weights (one may also be a member; it is fitted once).

    Routing:
      * a user with no interactions gets item popularity;
      * an item with no interactions at fit time (a new item) gets no
        collaborative score; it is scored by content similarity to the
        user's profile, ``cold_item_weight * best_u * scaled``, where
        ``best_u`` is the user's highest blended (and debiased) score of
        any known item: a new item matching the profile as well as the
        best-matching item does ranks like an item with
        ``cold_item_weight`` of the user's best blended score. Reading
        ``best_u`` after debiasing keeps both on one scale (measured
        against ``sum(weights)`` instead, beta 0.1 let new items flood
        the MovieLens lists: NDCG 0.33 -> 0.14).

    Args:
        members: ``(model, weight)`` pairs; weights need not sum to 1.
        popularity: the cold-user fallback (fitted here on ``X``).
        neighbours: ``(model, weight)`` item-item models blended by
            :meth:`similar_items`.
        content: optional content model for cold items and similar lists.
        cold_item_weight: see routing above.
        popularity_exponent: beta of the popularity debiasing above.
        similar_content_weight: weight of content next to ``neighbours``
            in :meth:`similar_items`.
        notes: status lines for operators, e.g. a member left out because
            torch is not installed (``production_model`` fills them).
        sequence: the sequence model behind :meth:`up_next` (fitted here
            even when it is not a feed member); ``None``: up next falls back
            to the similar items of the latest item.
    """

    name = "hybrid"

    def __init__(
        self,
        members: Sequence[tuple[Recommender, float]],
        *,
        popularity: Popularity,
        neighbours: Sequence[tuple[ItemKNN | SessionKNN, float]] = (),
        content: ContentModel | None = None,
        cold_item_weight: float = 0.5,
        similar_content_weight: float = 0.3,
        popularity_exponent: float = 0.0,
        notes: Sequence[str] = (),
        sequence: SASRec | None = None,
    ) -> None:
        self.members = [(model, weight) for model, weight in members if weight > 0]
        self.notes = tuple(notes)
        self.sequence = sequence
        self.neighbours = [(model, weight) for model, weight in neighbours if weight > 0]
        self.popularity = popularity
        self.content = content
        self.cold_item_weight = cold_item_weight
        self.similar_content_weight = similar_content_weight
        self.popularity_exponent = popularity_exponent
        self.cold_items_ = np.zeros(0, dtype=np.int64)
        self.item_discount_ = np.ones(0, dtype=np.float32)

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> Self:
        """Fit every member, popularity and content; remember the cold items."""
        for model, _ in self.members:
            model.fit(X, timestamps)
        extras: list[Recommender] = [source for source, _ in self.neighbours]
        if self.sequence is not None:
            extras.append(self.sequence)
        for extra in extras:
            if all(member is not extra for member, _ in self.members):
                extra.fit(X, timestamps)
        self.popularity.fit(X)
        if self.content is not None:
            self.content.fit(X)
        item_users = X.getnnz(axis=0)
        self.cold_items_ = np.flatnonzero(item_users == 0)
        self.item_discount_ = np.power(
            np.maximum(item_users, 1), -self.popularity_exponent, dtype=np.float32
        )
        return self

    def score_users(self, X: sp.csr_matrix, user_indices: NDArray[np.int64]) -> NDArray[np.float32]:
        """Return ``(n, n_items)`` float32 blended scores, routed as above."""
        blend = np.zeros((len(user_indices), X.shape[1]), dtype=np.float32)
        for model, weight in self.members:
            blend += weight * scale_rows(model.score_users(X, user_indices))
        if self.popularity_exponent:
            blend *= self.item_discount_
        blend[:, self.cold_items_] = 0.0
        if self.content is not None and self.cold_items_.size:
            content = scale_rows(self.content.score_users(X, user_indices))
            best = np.maximum(blend.max(axis=1, keepdims=True), 0.0)
            blend[:, self.cold_items_] = self.cold_item_weight * best * content[:, self.cold_items_]
        no_history = np.flatnonzero(X[user_indices].getnnz(axis=1) == 0)
        blend[no_history] = self.popularity.scores_
        return blend

    def fold_in(self, X: sp.csr_matrix, items: NDArray[np.int64]) -> NDArray[np.float32]:
        """Let ``items`` (new since the fit) reach feeds before the next retrain.

        ``X`` is the current interaction matrix (same users and items as at
        fit time, with the new items' first interactions). The ALS member
        solves their factors from those interactions
        (:meth:`~recommendations.engine.als.ALS.fold_in_items`), and items
        that now have interactions stop being routed as cold. Returns the
        new factors (``(len(items), f)``, empty without an ALS member) for
        the candidate index (:meth:`~recommendations.engine.retrieval.VectorIndex.replace`).
        An item still without interactions stays cold: content places it.
        """
        items = np.asarray(items, dtype=np.int64)
        factors = np.zeros((items.size, 0), dtype=np.float32)
        for model, _ in self.members:
            if isinstance(model, ALS):
                factors = _at_typical_norm(
                    model.fold_in_items(X[:, items]), model, self.cold_items_
                )
                model.item_factors_[items] = factors
        warm = items[X[:, items].getnnz(axis=0) > 0]
        self.cold_items_ = np.setdiff1d(self.cold_items_, warm)
        return factors

    def reweighted(self, weights: Mapping[str, float]) -> Hybrid:
        """Return this fitted hybrid with new member weights, keyed by model name.

        The models are shared, not refitted, so a grid of blend weights
        costs one fit. A member missing from ``weights`` or weighted 0
        drops out; one that was not a member cannot join (it was never
        fitted).
        """
        known = {model.name for model, _ in self.members}
        joining = {name for name, weight in weights.items() if weight > 0} - known
        if joining:
            raise ValueError(f"not fitted as members: {', '.join(sorted(joining))}")
        clone = copy.copy(self)
        clone.members = [
            (model, weights[model.name])
            for model, _ in self.members
            if weights.get(model.name, 0.0) > 0
        ]
        return clone

    def up_next(
        self, history: Sequence[int], k: int, *, exclude: Sequence[int] = ()
    ) -> list[ScoredItem]:
        """What to play after the latest item of ``history`` (oldest first), best first.

        The sequence model reads the whole recent history when there is
        one; otherwise the similar items of the latest item stand in.
        Items of ``history`` and ``exclude`` (owned, hidden) never come back.
        """
        if not history:
            return []
        if self.sequence is not None:
            return self.sequence.up_next(
                np.asarray(history, dtype=np.int64), k, exclude=np.asarray(exclude, dtype=np.int64)
            )
        dropped = set(history) | set(exclude)
        found = self.similar_items(int(history[-1]), k + len(dropped))
        return [item for item in found if item.index not in dropped][:k]

    def similar_items(self, item_index: int, k: int) -> list[ScoredItem]:
        """Blend the neighbour models and content, each scaled by its best score.

        A new item has no collaborative neighbours, so its list is pure content.
        """
        totals: dict[int, float] = {}
        for source, weight in self._similarity_sources():
            found = source.similar_items(item_index, k)
            for item in found:
                share = weight * item.score / found[0].score
                totals[item.index] = totals.get(item.index, 0.0) + share
        ranked = sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))[:k]
        return [ScoredItem(index=index, score=score) for index, score in ranked]

    def _similarity_sources(self) -> list[tuple[ItemSimilarity, float]]:
        sources: list[tuple[ItemSimilarity, float]] = list(self.neighbours)
        if self.content is not None:
            sources.append((self.content, self.similar_content_weight))
        return sources
