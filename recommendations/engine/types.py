"""Frozen value types shared by the engine and its Django glue.

The engine speaks in dense indices: user ``u`` is row ``u`` and item ``i``
is column ``i`` of an :class:`InteractionMatrix`. Mapping database ids to
indices and back is the glue's job (``recommendations.selectors``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .spark_als import SparkOptions

# The Spark trainer's defaults are its own (engine.spark_als); the config repeats none.
_SPARK = SparkOptions()


@dataclass(frozen=True)
class InteractionMatrix:
    """Aggregated user-item weights.

    Attributes:
        matrix: CSR ``(n_users, n_items)`` float32 with sorted indices and one
            entry per pair; values are summed (decayed) event weights.
        timestamps: ``(nnz,)`` float64 unix seconds of the latest event of
            each stored pair, aligned with ``matrix.data``; ``None`` if the
            source had no times.
    """

    matrix: sp.csr_matrix
    timestamps: NDArray[np.float64] | None = None

    @property
    def n_users(self) -> int:
        """Number of user rows."""
        return int(self.matrix.shape[0])

    @property
    def n_items(self) -> int:
        """Number of item columns."""
        return int(self.matrix.shape[1])


@dataclass(frozen=True)
class ScoredItem:
    """One recommended item index with the score that ranked it."""

    index: int
    score: float


@dataclass(frozen=True)
class TopK:
    """Top-k lists for a batch of users (or items).

    Attributes:
        indices: ``(n_rows, k)`` int64 item indices, best first; rows with
            fewer than ``k`` admissible items are padded with ``-1``.
        scores: ``(n_rows, k)`` float32 matching scores, ``-inf`` where padded.
    """

    indices: NDArray[np.int64]
    scores: NDArray[np.float32]

    def items(self, row: int) -> list[ScoredItem]:
        """Return row ``row`` as scored items, padding dropped."""
        keep = self.indices[row] >= 0
        return [
            ScoredItem(index=int(i), score=float(s))
            for i, s in zip(self.indices[row][keep], self.scores[row][keep], strict=True)
        ]


@dataclass(frozen=True)
class Split:
    """A train/test pair of CSR ``(n_users, n_items)`` matrices of equal shape.

    A user's test items are the relevant items to retrieve; their train
    items are what the model sees and are excluded from the ranking.
    ``train_times`` are the unix seconds of the train entries, aligned with
    ``train.data``, when the source had times.
    """

    train: sp.csr_matrix
    test: sp.csr_matrix
    train_times: NDArray[np.float64] | None = None


@dataclass(frozen=True)
class ItemContent:
    """Text and category of every item, in item-index order.

    Attributes:
        titles: one title per item (Chinese and/or English).
        descriptions: one description per item (may be empty strings).
        tags: a tuple of tag strings per item.
        categories: ``(n_items,)`` int64 category code per item, ``-1`` if
            none; ``None`` when the catalogue has no categories.
    """

    titles: Sequence[str]
    descriptions: Sequence[str]
    tags: Sequence[Sequence[str]]
    categories: NDArray[np.int64] | None = None


@dataclass(frozen=True)
class EngineConfig:
    """Hyper-parameters of every model; defaults are tuned on MovieLens-100K.

    The glue builds one from ``settings.RECOMMENDATIONS_*``. See
    docs/recommender.md for the grids behind each default.
    """

    knn_neighbours: int = 200
    knn_shrink: float = 10.0
    ease_lambda: float = 20.0
    ease_dropout: float = 0.6
    ease_variant: str = "dlae"
    ease_user_exponent: float = 0.5
    # Dense item x item members (EASE/DLAE) join the hybrid only while
    # items^2 * 4 bytes * dense_memory_factor <= dense_memory_budget_mib
    # (one float32 weight matrix plus the temporaries of its fit and scoring).
    dense_memory_budget_mib: int = 1024
    dense_memory_factor: float = 1.5
    als_factors: int = 64
    als_iterations: int = 30
    als_regularization: float = 100.0
    als_alpha: float = 10.0
    als_weighting: str = "bm25"
    als_bm25_k1: float = 1.2
    als_bm25_b: float = 0.75
    # Training beyond one machine (engine.spark_als): with a Spark master URL, an ALS
    # fit of at least als_spark_min_interactions interactions runs on Spark MLlib.
    # Empty master: always single-node. Operational, like num_threads (not overridable).
    als_spark_master: str = _SPARK.master
    als_spark_min_interactions: int = _SPARK.min_interactions
    als_spark_driver_memory: str = _SPARK.driver_memory
    als_spark_executor_memory: str = _SPARK.executor_memory
    als_spark_partitions: int = _SPARK.shuffle_partitions
    als_spark_bind_address: str = _SPARK.bind_address
    als_spark_checkpoint_dir: str = _SPARK.checkpoint_dir
    content_neighbours: int = 50
    session_tau: float = 1080.0
    session_neighbours: int = 200
    # SASRec (engine.sasrec); torch optional. One thread by default: on a shared
    # 2-core machine two OpenMP threads ran 4x slower than one (docs/recommender.md).
    sequence_dim: int = 64
    sequence_blocks: int = 2
    sequence_heads: int = 2
    sequence_max_length: int = 50
    sequence_dropout: float = 0.2
    sequence_learning_rate: float = 0.005
    sequence_batch_size: int = 128
    sequence_max_epochs: int = 100
    sequence_patience: int = 5
    # Training positions over all epochs (SASRec.position_budget): 10 epochs at
    # the 1M-interaction retrain, no bound on MovieLens-100K (docs/recommender.md 9.6).
    sequence_position_budget: int = 10_000_000
    sequence_validation_users: int = 1000
    sequence_negatives: int = 1024
    sequence_full_softmax_items: int = 5000
    sequence_threads: int = 1
    # Fit the sequence model for Hybrid.up_next even at feed weight 0. Off until
    # the glue serves up next (it adds a SASRec fit to every retrain).
    sequence_up_next: bool = False
    hybrid_weights: dict[str, float] = field(
        default_factory=lambda: {
            "ease": 1.0,
            "als": 1.5,
            "itemknn": 0.0,
            "session": 0.25,
            "sequence": 0.0,
            "cold_items": 0.5,
        }
    )
    hybrid_popularity_exponent: float = 0.0
    similar_weights: dict[str, float] = field(
        default_factory=lambda: {"itemknn": 1.0, "session": 2.0, "content": 0.3}
    )
    num_threads: int = 2
    seed: int = 0


@dataclass(frozen=True)
class EvaluationResult:
    """Ranking quality of one model on one split, averaged over test users.

    Attributes:
        precision, recall, ndcg, map, hit_rate: metrics at ``k`` as defined
            in reference protocol A (docs/recommender.md).
        coverage: distinct recommended items / catalogue size.
        fit_seconds: wall-clock time of ``fit`` on the training matrix.
        n_users: users with at least one test item (the averaging base).
    """

    model: str
    k: int
    precision: float
    recall: float
    ndcg: float
    map: float
    hit_rate: float
    coverage: float
    fit_seconds: float
    n_users: int

    def as_dict(self) -> dict[str, float | int | str]:
        """Return the fields as a JSON-ready dict."""
        return asdict(self)
