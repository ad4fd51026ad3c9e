"""Build models by name from an :class:`EngineConfig`, and the production model."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from recommendations.engine.als import ALS
from recommendations.engine.base import Recommender
from recommendations.engine.content import ContentModel
from recommendations.engine.ease import EASE
from recommendations.engine.hybrid import Hybrid
from recommendations.engine.itemknn import ItemKNN
from recommendations.engine.popularity import Popularity
from recommendations.engine.sasrec import SASRec
from recommendations.engine.sequences import MarkovChain
from recommendations.engine.session import SessionKNN
from recommendations.engine.spark_als import SparkOptions
from recommendations.engine.torch_support import TORCH_MISSING, torch_available
from recommendations.engine.types import EngineConfig, ItemContent

ALGORITHMS = (
    "popularity",
    "itemknn",
    "session",
    "ease",
    "als",
    "content",
    "hybrid",
    "als-default",
    "markov",
    "sequence",
)
# Models that read the order of a viewer's history (the rest are order-free).
SEQUENTIAL_ALGORITHMS = frozenset({"markov", "sequence"})


def make_model(
    name: str, config: EngineConfig, *, n_items: int, content: ItemContent | None = None
) -> Recommender:
    """Return an unfitted model called ``name`` (one of :data:`ALGORITHMS`).

    ``"sequence"`` (SASRec) needs torch: its ``fit`` raises
    :class:`~recommendations.engine.torch_support.TorchMissingError` without
    it (check :func:`~recommendations.engine.torch_support.torch_available`).
    ``"als"`` follows ``config.als_weighting`` (plain confidences or BM25);
    ``"als-default"`` is implicit's ALS at the library defaults
    (regularisation 0.01, alpha 1, plain confidences), kept as an untuned
    peer baseline.
    """
    categories = content.categories if content is not None else None
    builders: dict[str, Callable[[], Recommender]] = {
        "popularity": lambda: Popularity(categories),
        "itemknn": lambda: ItemKNN(config.knn_neighbours, config.knn_shrink),
        "session": lambda: _session(config),
        "ease": lambda: _ease(config),
        "als": lambda: _als(config),
        "als-default": lambda: ALS(
            config.als_factors,
            config.als_iterations,
            regularization=0.01,
            alpha=1.0,
            num_threads=config.num_threads,
            seed=config.seed,
        ),
        "content": lambda: _content(config, content),
        "hybrid": lambda: production_model(config, n_items=n_items, content=content),
        "markov": lambda: MarkovChain(seed=config.seed),
        "sequence": lambda: sequence_model(config),
    }
    if name not in builders:
        raise ValueError(f"unknown algorithm {name!r}; choose from {', '.join(ALGORITHMS)}")
    return builders[name]()


def production_model(
    config: EngineConfig, *, n_items: int, content: ItemContent | None = None
) -> Hybrid:
    """Return the production hybrid for a catalogue of ``n_items`` items.

    EASE's fit grows with ``n_items^3`` and its weights with ``n_items^2``,
    so when :func:`dense_memory_bytes` passes ``config.dense_memory_budget_mib``
    the hybrid drops EASE, keeps ALS plus the sparse neighbour members, whose
    costs are linear in the interactions, and says so in ``Hybrid.notes``.
    ItemKNN is fitted even at blend weight 0: ``similar_items`` blends its
    neighbours with the session model's and content's
    (``config.similar_weights``).

    The sequence model (SASRec) is fitted when torch is installed and either
    its feed weight is above 0 (it joins the blend) or
    ``config.sequence_up_next`` is set (it serves ``Hybrid.up_next`` only);
    without torch it is left out and ``Hybrid.notes`` says so
    (:data:`~recommendations.engine.torch_support.TORCH_MISSING`), for the
    glue to show beside the version, and up next falls back to the latest
    item's similar items.
    """
    weights, similar = config.hybrid_weights, config.similar_weights
    knn = ItemKNN(config.knn_neighbours, config.knn_shrink)
    session = _session(config)
    members: list[tuple[Recommender, float]] = [
        (_als(config), weights.get("als", 0.0)),
        (knn, weights.get("itemknn", 0.0)),
        (session, weights.get("session", 0.0)),
    ]
    notes: list[str] = []
    if weights.get("ease", 0.0) > 0:
        if dense_fits(n_items, config):
            members.insert(0, (_ease(config), weights["ease"]))
        else:
            notes.append(dense_dropped_note(n_items, config))
    sequence: SASRec | None = None
    if weights.get("sequence", 0.0) > 0 or config.sequence_up_next:
        candidate = sequence_model(config)  # the constructor checks its settings either way
        if torch_available():
            sequence = candidate
            if weights.get("sequence", 0.0) > 0:
                members.append((sequence, weights["sequence"]))
        else:
            notes.append(TORCH_MISSING)
    categories = content.categories if content is not None else None
    return Hybrid(
        members,
        popularity=Popularity(categories),
        neighbours=[
            (knn, similar.get("itemknn", 0.0)),
            (session, similar.get("session", 0.0)),
        ],
        content=_content(config, content) if content is not None else None,
        cold_item_weight=weights.get("cold_items", 0.0),
        similar_content_weight=similar.get("content", 0.0),
        popularity_exponent=config.hybrid_popularity_exponent,
        notes=notes,
        sequence=sequence,
    )


def dense_memory_bytes(n_items: int, config: EngineConfig) -> float:
    """Bytes a dense item x item member needs: ``items^2 * 4 * dense_memory_factor``."""
    return float(n_items) ** 2 * 4 * config.dense_memory_factor


def dense_fits(n_items: int, config: EngineConfig) -> bool:
    """Whether the dense members (EASE/DLAE) fit ``config.dense_memory_budget_mib``."""
    return dense_memory_bytes(n_items, config) <= config.dense_memory_budget_mib * 2**20


def dense_dropped_note(n_items: int, config: EngineConfig) -> str:
    """The operator's line for a dense member left out: what, and why."""
    need = dense_memory_bytes(n_items, config) / 2**30
    budget = config.dense_memory_budget_mib / 1024
    return (
        f"{DENSE_DROPPED_PREFIX} {n_items:,} items need {need:,.1f} GiB "
        f"(items² × 4 B × {config.dense_memory_factor:g}), over the dense budget of "
        f"{budget:,.1f} GiB; feed from ALS, item and session neighbours."
    )


# Notes starting with this mark a dense member dropped for memory (the glue shows it).
DENSE_DROPPED_PREFIX = "EASE/DLAE left out:"


def sequence_model(config: EngineConfig) -> SASRec:
    """Return the SASRec member at ``config``'s settings (unfitted; needs torch to fit)."""
    return SASRec(
        dim=config.sequence_dim,
        blocks=config.sequence_blocks,
        heads=config.sequence_heads,
        max_length=config.sequence_max_length,
        dropout=config.sequence_dropout,
        learning_rate=config.sequence_learning_rate,
        batch_size=config.sequence_batch_size,
        max_epochs=config.sequence_max_epochs,
        patience=config.sequence_patience,
        position_budget=config.sequence_position_budget,
        validation_users=config.sequence_validation_users,
        negatives=config.sequence_negatives,
        full_softmax_items=config.sequence_full_softmax_items,
        num_threads=config.sequence_threads,
        seed=config.seed,
    )


# Where the ALS member trains: operational, and a URL an experiment must not point elsewhere.
SPARK_SETTINGS = frozenset(
    f.name for f in dataclasses.fields(EngineConfig) if f.name.startswith("als_spark_")
)
# Operational settings, not model variants: an experiment cannot change them.
# The dense budget protects the worker's memory, so an experiment cannot raise it.
# The sequence model's position budget bounds the retrain's time, as the dense
# budget bounds its memory.
_NOT_OVERRIDABLE = frozenset(
    {
        "num_threads",
        "sequence_threads",
        "seed",
        "dense_memory_budget_mib",
        "dense_memory_factor",
        "sequence_position_budget",
        *SPARK_SETTINGS,
    }
)
# No setting needs more (neighbours, factors, lambda, the EASE item cap); comparing
# first also keeps a 400-digit integer away from float conversion.
_LARGEST = 1_000_000


def config_with_overrides(config: EngineConfig, overrides: Mapping[str, Any]) -> EngineConfig:
    """Return ``config`` with ``overrides`` applied, or raise ``ValueError`` saying why not.

    Each value must have its default's type (ints may stand for floats; a
    weights dict may name only the default's members, with finite weights
    >= 0, and is merged into the default's), and the models must accept the
    result (their constructors check ranges such as the EASE dropout).
    """
    if not isinstance(overrides, Mapping):
        raise ValueError("Engine settings must be an object of setting names to values.")
    defaults = dataclasses.asdict(config)
    for name, value in overrides.items():
        if name not in defaults or name in _NOT_OVERRIDABLE:
            raise ValueError(f"Unknown engine setting {name!r}.")
        _check_type(name, value, defaults[name])
    merged_values: dict[str, Any] = {
        name: {**defaults[name], **value} if isinstance(value, dict) else value
        for name, value in overrides.items()
    }
    merged = dataclasses.replace(config, **merged_values)
    production_model(merged, n_items=1)  # the constructors check ranges
    return merged


def _check_type(name: str, value: Any, default: Any) -> None:
    if isinstance(default, dict):
        if not isinstance(value, dict) or not set(value) <= set(default):
            raise ValueError(f"{name} takes weights for {', '.join(sorted(default))}.")
        for member, weight in value.items():
            _check_type(f"{name}.{member}", weight, default[member])
        return
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} must be a number.")
        if not 0 <= value <= _LARGEST:  # NaN fails every comparison, inf the bound
            raise ValueError(f"{name} must be a finite number from 0 to {_LARGEST:,}.")
    elif isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _LARGEST:
            raise ValueError(f"{name} must be a whole number from 1 to {_LARGEST:,}.")
    elif not isinstance(value, type(default)):
        raise ValueError(f"{name} must be a {type(default).__name__}.")


def _ease(config: EngineConfig) -> EASE:
    return EASE(
        config.ease_lambda,
        dropout=config.ease_dropout,
        variant=config.ease_variant,
        user_exponent=config.ease_user_exponent,
    )


def _session(config: EngineConfig) -> SessionKNN:
    return SessionKNN(config.session_tau, config.session_neighbours)


def _als(config: EngineConfig) -> ALS:
    return ALS(
        config.als_factors,
        config.als_iterations,
        config.als_regularization,
        config.als_alpha,
        weighting=config.als_weighting,
        bm25_k1=config.als_bm25_k1,
        bm25_b=config.als_bm25_b,
        num_threads=config.num_threads,
        seed=config.seed,
        spark=spark_options(config),
    )


def spark_options(config: EngineConfig) -> SparkOptions | None:
    """Where the ALS member trains beyond one machine (``None``: no master set)."""
    if not config.als_spark_master:
        return None
    return SparkOptions(
        master=config.als_spark_master,
        min_interactions=config.als_spark_min_interactions,
        driver_memory=config.als_spark_driver_memory,
        executor_memory=config.als_spark_executor_memory,
        shuffle_partitions=config.als_spark_partitions,
        bind_address=config.als_spark_bind_address,
        checkpoint_dir=config.als_spark_checkpoint_dir,
    )


def _content(config: EngineConfig, content: ItemContent | None) -> ContentModel:
    if content is None:
        raise ValueError("the content model needs item content")
    return ContentModel(content, config.content_neighbours)
