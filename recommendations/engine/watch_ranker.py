"""Second stage: rank the members' candidates by expected watch time and purchases.

The hybrid's members retrieve candidates; what the platform wants from a
feed slot is watch time and, for course cards, a purchase. Following
YouTube's ranker (Covington, Adams & Sargin, RecSys 2016), a model trained
on **logged impressions** predicts both from candidate features:

* **expected watch seconds per impression**, where an impression that was
  not clicked counts as 0 s (a negative): by default a gradient-boosted
  regressor with a Poisson loss, whose prediction is that expectation;
  ``watch_objective="weighted_logistic"`` is YouTube's form instead, a
  classifier of click vs no click with clicks weighted by their watch
  seconds, whose odds ``p / (1 - p)`` estimate ``E[T] / (1 - CTR)``, close
  to ``E[T]`` at feed click-through rates;
* **purchase probability per impression**, a gradient-boosted classifier.

The ranking score is ``E[watch s] + purchase_value_seconds * P(purchase)``:
``purchase_value_seconds`` is the exchange rate between the two goals, a
product decision, not something the logs can learn.

Pure engine: features and labels in as arrays (:class:`CandidateFeatures`,
:class:`ImpressionLog`), scores out. Building the features from the
database and logging impressions is the glue's job.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

WATCH_OBJECTIVES = ("poisson", "weighted_logistic")


@dataclass(frozen=True)
class CandidateFeatures:
    """Features of ``n`` (viewer, candidate) pairs, one row each.

    Attributes:
        member_scores: ``(n, m)`` float32, each retrieval member's score of the
            candidate for that viewer (row-scaled as the hybrid scales
            them; 0 when a member did not propose it).
        item_age_days: ``(n,)`` days since the item was published.
        creator_followed: ``(n,)`` whether the viewer follows its creator.
        video_seconds: ``(n,)`` video length (0 for a course card).
        viewer_watch_ratio: ``(n,)`` the viewer's mean watched fraction of
            past videos (NaN when they have none: the trees route missing
            values themselves).
        is_course: ``(n,)`` course card (True) or video.
        course_price: ``(n,)`` price in yuan (0 for a video or a free course).
        course_affinity: ``(n,)`` the viewer's affinity to the course (e.g.
            engaged views of videos linking it, content similarity to their
            profile); 0 for a video.
    """

    member_scores: NDArray[np.float32]
    item_age_days: NDArray[np.float64]
    creator_followed: NDArray[np.bool_]
    video_seconds: NDArray[np.float64]
    viewer_watch_ratio: NDArray[np.float64]
    is_course: NDArray[np.bool_]
    course_price: NDArray[np.float64]
    course_affinity: NDArray[np.float64]

    def __post_init__(self) -> None:
        n = self.member_scores.shape[0]
        if self.member_scores.ndim != 2:
            raise ValueError("member_scores must be (n, members)")
        for spec in fields(self)[1:]:
            if np.shape(getattr(self, spec.name)) != (n,):
                raise ValueError(f"{spec.name} must have shape ({n},)")

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.member_scores.shape[0])

    def matrix(self) -> NDArray[np.float64]:
        """``(n, m + 7)`` feature matrix: member scores, then the fields in order."""
        columns = [
            np.asarray(getattr(self, spec.name), dtype=np.float64) for spec in fields(self)[1:]
        ]
        return np.column_stack([self.member_scores.astype(np.float64), *columns])

    def names(self) -> list[str]:
        """Column names of :meth:`matrix`."""
        members = [f"member_{j}" for j in range(self.member_scores.shape[1])]
        return members + [spec.name for spec in fields(self)[1:]]


@dataclass(frozen=True)
class ImpressionLog:
    """Logged impressions with their outcomes.

    Attributes:
        features: what the ranker would have seen at serving time.
        clicked: ``(n,)`` the viewer opened the card.
        watch_seconds: ``(n,)`` seconds watched after the impression (0 if
            not clicked).
        purchased: ``(n,)`` the impression led to a purchase (attribution is
            the glue's: e.g. the purchase followed the click within a day).
    """

    features: CandidateFeatures
    clicked: NDArray[np.bool_]
    watch_seconds: NDArray[np.float64]
    purchased: NDArray[np.bool_]

    def __post_init__(self) -> None:
        n = self.features.n
        for name in ("clicked", "watch_seconds", "purchased"):
            if np.shape(getattr(self, name)) != (n,):
                raise ValueError(f"{name} must have shape ({n},)")
        if np.any(np.asarray(self.watch_seconds) < 0):
            raise ValueError("watch_seconds must be >= 0")


class WatchTimeRanker:
    """Gradient-boosted expected watch time plus purchase probability; see the module docs.

    Args:
        purchase_value_seconds: watch seconds one purchase is worth in the score.
        watch_objective: ``"poisson"`` or ``"weighted_logistic"``.
        max_iter, learning_rate, max_leaf_nodes, l2_regularization: the
            boosted trees' settings (both heads).
        num_threads: OpenMP threads of the trees (bounded: a worker shares its
            cores; on the loaded 2-core machine two threads were far slower than one).
        seed: the trees' random state.
    """

    def __init__(
        self,
        *,
        purchase_value_seconds: float = 600.0,
        watch_objective: str = "poisson",
        max_iter: int = 200,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        l2_regularization: float = 1.0,
        num_threads: int = 1,
        seed: int = 0,
    ) -> None:
        if watch_objective not in WATCH_OBJECTIVES:
            raise ValueError(f"watch_objective must be one of {WATCH_OBJECTIVES}")
        if purchase_value_seconds < 0:
            raise ValueError("purchase_value_seconds must be >= 0")
        self.purchase_value_seconds = purchase_value_seconds
        self.watch_objective = watch_objective
        self.num_threads = num_threads
        self._trees: dict[str, Any] = {
            "max_iter": max_iter,
            "learning_rate": learning_rate,
            "max_leaf_nodes": max_leaf_nodes,
            "l2_regularization": l2_regularization,
            "early_stopping": False,
            "random_state": seed,
        }
        self.watch_: Any = None
        self.purchase_: Any = None
        self.purchase_rate_ = 0.0

    def fit(self, log: ImpressionLog) -> Self:
        """Fit both heads on the logged impressions (unclicked ones are the negatives)."""
        X = log.features.matrix()
        watch = np.where(
            np.asarray(log.clicked), np.asarray(log.watch_seconds, dtype=np.float64), 0.0
        )
        purchased = np.asarray(log.purchased, dtype=bool)
        # Imported here: scikit-learn takes half a second to import, and every web process
        # imports this module without ever fitting.
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        with threadpool_limits(limits=self.num_threads, user_api="openmp"):
            if self.watch_objective == "poisson":
                self.watch_ = HistGradientBoostingRegressor(loss="poisson", **self._trees)
                self.watch_.fit(X, watch)
            else:
                clicked = watch > 0
                self.watch_ = HistGradientBoostingClassifier(**self._trees)
                self.watch_.fit(X, clicked, sample_weight=np.where(clicked, watch, 1.0))
            self.purchase_rate_ = float(purchased.mean())
            self.purchase_ = None
            if 0 < purchased.sum() < purchased.size:
                self.purchase_ = HistGradientBoostingClassifier(**self._trees)
                self.purchase_.fit(X, purchased)
        return self

    def predict_watch_seconds(self, features: CandidateFeatures) -> NDArray[np.float64]:
        """``(n,)`` expected watch seconds per impression."""
        self._check_fitted()
        X = features.matrix()
        with threadpool_limits(limits=self.num_threads, user_api="openmp"):
            if self.watch_objective == "poisson":
                return np.asarray(self.watch_.predict(X), dtype=np.float64)
            p = np.asarray(self.watch_.predict_proba(X)[:, 1], dtype=np.float64)
        return p / np.maximum(1.0 - p, 1e-12)

    def predict_purchase(self, features: CandidateFeatures) -> NDArray[np.float64]:
        """``(n,)`` purchase probability per impression (the base rate if the log had none)."""
        self._check_fitted()
        if self.purchase_ is None:
            return np.full(features.n, self.purchase_rate_)
        with threadpool_limits(limits=self.num_threads, user_api="openmp"):
            return np.asarray(
                self.purchase_.predict_proba(features.matrix())[:, 1], dtype=np.float64
            )

    def score(self, features: CandidateFeatures) -> NDArray[np.float64]:
        """``(n,)`` ``E[watch s] + purchase_value_seconds * P(purchase)``; higher ranks first."""
        return self.predict_watch_seconds(features) + self.purchase_value_seconds * (
            self.predict_purchase(features)
        )

    def rank(self, features: CandidateFeatures) -> NDArray[np.int64]:
        """Row indices of ``features`` best first (ties to the lower row)."""
        scores = self.score(features)
        return np.lexsort((np.arange(scores.size), -scores)).astype(np.int64)

    def _check_fitted(self) -> None:
        if self.watch_ is None:
            raise ValueError("the ranker is not fitted")
