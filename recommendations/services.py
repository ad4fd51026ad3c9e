"""Retrain the recommender and publish a new serving version.

selector → engine fit → temporal-holdout evaluation → ModelVersion →
promotion gate → top-N and neighbours written under the new version →
atomic switch. A crash or a kill anywhere before the switch leaves the
previous version active and this one in ``training``, never half-served.
"""

import dataclasses
import hashlib
import logging
import time
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.exceptions import ApplicationError
from common.locks import advisory_lock, advisory_locks_supported
from recommendations.engine.als import ALS
from recommendations.engine.evaluation import evaluate, split_temporal
from recommendations.engine.hybrid import Hybrid
from recommendations.engine.models import (
    SPARK_SETTINGS,
    config_with_overrides,
    production_model,
)
from recommendations.engine.ranking import recommend, top_k_rows
from recommendations.engine.sasrec import SASRec
from recommendations.engine.torch_support import TORCH_MISSING
from recommendations.engine.tuning import tune_config
from recommendations.engine.types import EngineConfig, Split
from recommendations.engine.watch_ranker import WatchTimeRanker

from .experiments import running_experiment_forget
from .models import Experiment, ItemNeighbours, ModelVersion, UpNext, UserRecommendation
from .second_stage import FeatureSource, ranker_train, rerank
from .selectors import TrainingData, model_version_active, training_data_load
from .serving import ACTIVE_VERSION_CACHE_KEY

logger = logging.getLogger(__name__)
ALGORITHM = "hybrid_v1"
RETRAIN_LOCK = "recommendations.retrain"
UP_NEXT_LENGTH = 20
SEQUENCE_OFF = "sequence model off (RECOMMENDATIONS_SEQUENCE=False)"
SEQUENCE_UNAVAILABLE = (TORCH_MISSING, SEQUENCE_OFF)


def engine_config() -> EngineConfig:
    """The engine's parameters from settings (``RECOMMENDATIONS_*``).

    The sequence model (SASRec) trains at every retrain for "up next" when
    ``RECOMMENDATIONS_SEQUENCE`` is on and torch is installed; its epochs
    are capped by ``RECOMMENDATIONS_SEQUENCE_MAX_EPOCHS`` (early stopping
    usually ends it sooner), which keeps it inside the task's time limit.
    ``RECOMMENDATIONS_SPARK_*`` say when the ALS member trains on Spark.
    """
    return EngineConfig(
        num_threads=settings.RECOMMENDATIONS_THREADS,
        sequence_up_next=settings.RECOMMENDATIONS_SEQUENCE,
        sequence_max_epochs=settings.RECOMMENDATIONS_SEQUENCE_MAX_EPOCHS,
        als_spark_master=settings.RECOMMENDATIONS_SPARK_MASTER,
        als_spark_min_interactions=settings.RECOMMENDATIONS_SPARK_MIN_INTERACTIONS,
        als_spark_driver_memory=settings.RECOMMENDATIONS_SPARK_DRIVER_MEMORY,
        als_spark_executor_memory=settings.RECOMMENDATIONS_SPARK_EXECUTOR_MEMORY,
        als_spark_partitions=settings.RECOMMENDATIONS_SPARK_PARTITIONS,
        als_spark_bind_address=settings.RECOMMENDATIONS_SPARK_DRIVER_HOST,
        als_spark_checkpoint_dir=settings.RECOMMENDATIONS_SPARK_CHECKPOINT_DIR,
        seed=0,
    )


class RetrainAlreadyRunning(ApplicationError):
    """Another process is retraining; the task tries again later."""

    def __init__(self) -> None:
        super().__init__("Another retrain is running.", code="retrain_running", status=409)


def recommender_retrain(*, now: datetime | None = None) -> ModelVersion:
    """Fit, evaluate, gate and publish a new version; returns it whatever its fate.

    Retrains never overlap: each holds a PostgreSQL advisory lock on its own
    connection for the whole run, which a killed worker cannot leave behind
    (``common.locks``). Raises :class:`RetrainAlreadyRunning` when another
    run holds it.

    While an A/B test runs, its treatment is then trained on the same data
    and served to the test's treatment viewers (:func:`_train_treatment`).
    """
    with advisory_lock(RETRAIN_LOCK) as acquired:
        if not acquired:
            raise RetrainAlreadyRunning()
        return _retrain(now=now or timezone.now())


def _retrain(*, now: datetime) -> ModelVersion:
    started = time.perf_counter()
    _abandon_stale_runs(now=now)
    version = ModelVersion.objects.create(algorithm=ALGORITHM, stage="loading")
    try:
        data = training_data_load(now=now, half_life_days=settings.RECOMMENDATIONS_HALF_LIFE_DAYS)
        version, config = _publish(version, data, started)
    except Exception as exc:
        _finish(version, ModelVersion.Status.FAILED, started, note=_failure_note(exc))
        raise
    _train_treatment(data, config, now=now)
    return version


def _publish(
    version: ModelVersion, data: TrainingData, started: float
) -> tuple[ModelVersion, EngineConfig]:
    """Tune, evaluate, fit, gate, write and activate the production model.

    Returns the version and the configuration it was fitted with (the
    tuned one), which the A/B treatment starts from.
    """
    _progress(
        version,
        20,
        "evaluating",
        n_users=data.interactions.n_users,
        n_items=data.interactions.n_items,
        n_interactions=int(data.interactions.matrix.nnz),
    )
    config = engine_config()
    if data.interactions.matrix.nnz == 0:
        note = "No interactions yet."
        return _finish(version, ModelVersion.Status.REJECTED, started, note=note), config
    config, version.tuning = _tuned(data, config)
    version.metrics = _holdout_metrics(data, config)
    version.params = _params(config)
    active = model_version_active()
    if active is not None:
        same_holdout = _active_on_this_holdout(active, data)
        if same_holdout is not None:
            version.metrics["active_ndcg@10"] = same_holdout
    _progress(version, 45, "fitting")
    model, fit_seconds = _fit(data, config)
    version.fit_seconds = round(fit_seconds, 3)
    version.params = {**version.params, **_members(model)}
    version.sequence_status = sequence_status_of(model, config)
    if not _passes_gate(version, active):
        note = "NDCG@10 below the active model's."
        return _finish(version, ModelVersion.Status.REJECTED, started, note=note), config
    _progress(version, 65, "writing")
    version.artifact_checksum = _write_lists(version, data, model)
    _activate(version)
    return _finish(version, ModelVersion.Status.ACTIVE, started), config


def _holdout_split(data: TrainingData) -> Split | None:
    """The gate's holdout: the latest 20 % of the interactions, cut at one time."""
    stamps = data.interactions.timestamps
    if stamps is None or stamps.size < 10:
        return None
    split = split_temporal(data.interactions, float(np.quantile(stamps, 0.8)))
    return split if split.test.nnz else None


def _tuned(data: TrainingData, config: EngineConfig) -> tuple[EngineConfig, dict[str, Any]]:
    """Choose member parameters and blend weights on a temporal carve of the
    holdout's training part (``engine.tuning.tune_config``), never on the holdout.

    The carve cuts the latest 20 % of that part, as the holdout cuts the
    whole: the choice is made on the kind of test the gate then applies.
    Off (``RECOMMENDATIONS_TUNE``), or with too little data to carve, the
    configuration stays as set.
    """
    split = _holdout_split(data)
    if not settings.RECOMMENDATIONS_TUNE or split is None or split.train_times is None:
        return config, {}
    feed_only = dataclasses.replace(config, sequence_up_next=False)
    try:
        result = tune_config(
            split.train, split.train_times, feed_only, content=data.catalogue.content
        )
    except ValueError as error:  # e.g. a carve without validation items
        logger.info("tuning skipped: %s", error)
        return config, {"note": f"not tuned: {error}"[:200]}
    chosen = dataclasses.replace(result.config, sequence_up_next=config.sequence_up_next)
    tuning = {
        "carve": result.member_carve,
        "weights": result.chosen_weights(),
        "validation_ndcg": round(result.validation_ndcg, 4),
        "validation_users": result.validation_users,
        "seconds": round(result.seconds, 3),
        "trials": [
            {"stage": t.stage, "overrides": t.overrides, "ndcg": round(t.ndcg, 4)}
            for t in result.trials
        ],
    }
    return chosen, tuning


def _active_on_this_holdout(active: ModelVersion, data: TrainingData) -> float | None:
    """The active version's configuration refitted and scored on this run's holdout,
    so the gate compares like with like (its own recorded figure came from an
    older holdout); None when its configuration is unknown."""
    known = {f.name for f in dataclasses.fields(EngineConfig)}
    params = {k: v for k, v in active.params.items() if k in known}
    if not params:
        return None
    try:
        config = dataclasses.replace(engine_config(), **params)
    except TypeError:
        return None
    return _holdout_metrics(data, config).get("ndcg@10")


def _train_treatment(
    data: TrainingData, production: EngineConfig, *, now: datetime
) -> ModelVersion | None:
    """Train the running A/B test's treatment on ``data`` and serve it to its viewers.

    The treatment is the production configuration (as tuned by this
    retrain) with the test's overrides applied; with ``treatment_ranker``
    its lists are re-ordered by the second-stage ranker trained on the
    logged impressions (``recommendations.second_stage``).

    The treatment is not gated (measuring it is the point of the test). A
    failure is recorded on its version and leaves the previous treatment
    version serving; it never undoes the production version just published.
    """
    experiment = Experiment.objects.filter(status=Experiment.Status.RUNNING).first()
    if experiment is None or data.interactions.matrix.nnz == 0:
        return None
    started = time.perf_counter()
    version = ModelVersion.objects.create(
        algorithm=ALGORITHM,
        stage="fitting",
        experiment=experiment,
        n_users=data.interactions.n_users,
        n_items=data.interactions.n_items,
        n_interactions=int(data.interactions.matrix.nnz),
    )
    try:
        config = config_with_overrides(production, experiment.treatment_params)
        version.params = _params(config)
        version.metrics = _holdout_metrics(data, config)
        model, fit_seconds = _fit(data, config)
        version.fit_seconds = round(fit_seconds, 3)
        version.sequence_status = sequence_status_of(model, config)
        ranker = None
        if experiment.treatment_ranker:
            ranker = ranker_train(data, model, now=now)
            version.params["second_stage"] = (
                "watch-time ranker" if ranker[0] is not None else "too few logged impressions"
            )
        version.artifact_checksum = _write_lists(
            version, data, model, ranker=ranker if ranker and ranker[0] else None
        )
        status = _serve_treatment(experiment.pk, version)
        return _finish(version, status, started)
    except Exception as exc:
        logger.exception("treatment of A/B test %s failed", experiment.name)
        return _finish(version, ModelVersion.Status.FAILED, started, note=_failure_note(exc))


@transaction.atomic
def _serve_treatment(experiment_id: int, version: ModelVersion) -> str:
    """Switch the test's treatment viewers to ``version``; return the version's status.

    A test stopped while this version trained keeps it retired.
    """
    experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
    if experiment.status != Experiment.Status.RUNNING:
        return ModelVersion.Status.RETIRED
    ModelVersion.objects.filter(experiment=experiment, status=ModelVersion.Status.TREATMENT).update(
        status=ModelVersion.Status.RETIRED
    )
    version.status = ModelVersion.Status.TREATMENT
    version.activated_at = timezone.now()
    version.save(update_fields=["status", "activated_at", "updated_at"])
    experiment.treatment_version = version
    experiment.live_at = experiment.live_at or version.activated_at
    experiment.save(update_fields=["treatment_version", "live_at", "updated_at"])
    running_experiment_forget()
    _prune_lists()
    return ModelVersion.Status.TREATMENT


def _params(config: EngineConfig) -> dict[str, object]:
    """What a version records of its configuration.

    The seed and where ALS trains are operational: a refit of the active
    version's configuration (the gate) trains where this process is told to,
    and the trainer a version used is recorded by :func:`_members`.
    """
    return {k: v for k, v in asdict(config).items() if k != "seed" and k not in SPARK_SETTINGS}


def _members(model) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What the fitted hybrid blends, what it left out and why, and where ALS trained
    (Spark, or Spark asked for without pyspark): shown in admin."""
    als = [member for member, _ in model.members if isinstance(member, ALS)]
    trainer_notes = [member.trainer_note_ for member in als if member.trainer_note_]
    return {
        "members": [member.name for member, _ in model.members],
        "model_notes": [*model.notes, *trainer_notes],
        **({"als_trainer": als[0].trainer_} if als else {}),
    }


def _failure_note(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _abandon_stale_runs(*, now: datetime) -> None:
    """Mark runs left in ``training`` by a killed process as failed, and drop their rows.

    Under the advisory lock every other run in ``training`` is dead (a live
    one would hold the lock). Without advisory locks (SQLite), a run older
    than the task's hard time limit cannot still be alive.
    """
    cutoff = timezone.now()
    if not advisory_locks_supported():
        cutoff = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    stale = ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING, created_at__lt=cutoff)
    stale_ids = list(stale.values_list("pk", flat=True))
    if stale_ids:
        UserRecommendation.objects.filter(version_id__in=stale_ids).delete()
        ItemNeighbours.objects.filter(version_id__in=stale_ids).delete()
        UpNext.objects.filter(version_id__in=stale_ids).delete()
        stale.update(
            status=ModelVersion.Status.FAILED, note="Abandoned: the training process died."
        )


def _holdout_metrics(data: TrainingData, config: EngineConfig) -> dict[str, float]:
    """Fit on all but the latest 20% of interactions and score on them."""
    split = _holdout_split(data)
    if split is None:
        return {}
    # The gate scores the feed blend; up next is the sequence model's own
    # validation (``ModelVersion.sequence_status``), so the holdout skips its fit.
    feed_only = dataclasses.replace(config, sequence_up_next=False)
    model = production_model(
        feed_only, n_items=data.interactions.n_items, content=data.catalogue.content
    )
    result = evaluate(model, split, k=10, label=ALGORITHM)
    return {
        "ndcg@10": round(result.ndcg, 4),
        "recall@10": round(result.recall, 4),
        "precision@10": round(result.precision, 4),
        "map@10": round(result.map, 4),
        "hit_rate@10": round(result.hit_rate, 4),
        "coverage": round(result.coverage, 4),
        "test_users": result.n_users,
    }


def _fit(data: TrainingData, config: EngineConfig):  # type: ignore[no-untyped-def]
    model = production_model(
        config, n_items=data.interactions.n_items, content=data.catalogue.content
    )
    start = time.perf_counter()
    model.fit(data.interactions.matrix, data.interactions.timestamps)
    return model, time.perf_counter() - start


def sequence_status_of(model: Hybrid, config: EngineConfig) -> str:
    """One line for the admin: how the sequence model trained, or why it is unavailable."""
    if model.sequence is None:
        return TORCH_MISSING if TORCH_MISSING in model.notes else SEQUENCE_OFF
    log = model.sequence.log_
    return log.status[:300] if log is not None else "not trained"


def _passes_gate(version: ModelVersion, active: ModelVersion | None) -> bool:
    """Promote unless the active model's NDCG@10 is better beyond the tolerance.

    Like with like: the active model's figure is its configuration scored on
    this run's holdout (``metrics["active_ndcg@10"]``); only a version whose
    configuration is unknown is judged by its own recorded figure.
    """
    if active is None or version.ndcg is None:
        return True
    reference = version.metrics.get("active_ndcg@10", active.ndcg)
    if reference is None:
        return True
    return version.ndcg >= float(reference) - settings.RECOMMENDATIONS_PROMOTION_TOLERANCE


def _write_lists(  # type: ignore[no-untyped-def]
    version: ModelVersion,
    data: TrainingData,
    model,
    *,
    ranker: tuple[WatchTimeRanker | None, FeatureSource] | None = None,
) -> str:
    """Bulk-write top-N per user and neighbours per item; return their checksum.

    With a ``ranker`` (an A/B treatment's second stage), each user's top-N
    is re-ordered by it and scored in expected seconds.
    """
    keys = data.catalogue.keys
    top = recommend(
        model,
        data.interactions.matrix,
        np.arange(data.interactions.n_users),
        settings.RECOMMENDATIONS_TOP_N,
        extra_exclude=data.exclusions,
    )
    lists = [[(s.index, s.score) for s in top.items(row)] for row in range(len(data.user_ids))]
    if ranker is not None and ranker[0] is not None:
        lists = rerank(ranker[0], ranker[1], [[i for i, _ in items] for items in lists])
    digest = hashlib.sha256()
    rows = []
    for row, user_id in enumerate(data.user_ids):
        items = [[keys[index], round(score, 5)] for index, score in lists[row]]
        digest.update(repr((int(user_id), items)).encode())
        rows.append(UserRecommendation(version=version, user_id=int(user_id), items=items))
    UserRecommendation.objects.bulk_create(rows, batch_size=2000)
    neighbours = [
        ItemNeighbours(
            version=version,
            item_key=key,
            items=[[keys[s.index], round(s.score, 5)] for s in model.similar_items(i, 20)],
        )
        for i, key in enumerate(keys)
    ]
    ItemNeighbours.objects.bulk_create(neighbours, batch_size=2000)
    if model.sequence is not None:
        _write_up_next(version, data, model.sequence, digest)
    return digest.hexdigest()


def _write_up_next(
    version: ModelVersion,
    data: TrainingData,
    sequence: SASRec,
    digest: "hashlib._Hash",
) -> None:
    """Bulk-write "up next" lists: after each item alone, and after each viewer's history.

    A viewer's row is keyed by the latest item of their time-ordered
    history, so serving uses it exactly when the video being watched is
    where their history ended; otherwise the one-item list of that video.
    Both exclude the items the history already holds; the viewer's row
    also excludes what they own, hid or made.
    """
    keys = data.catalogue.keys
    rows: list[UpNext] = []
    for start in range(0, len(keys), 1000):
        items = np.arange(start, min(start + 1000, len(keys)), dtype=np.int64)
        scores = sequence.score_sequences([items[i : i + 1] for i in range(items.size)])
        scores[np.arange(items.size), items] = -np.inf
        top = top_k_rows(scores, min(UP_NEXT_LENGTH, len(keys)))
        for row, item in enumerate(items):
            after = [[keys[s.index], round(s.score, 5)] for s in top.items(row)]
            digest.update(repr((keys[item], after)).encode())
            rows.append(UpNext(version=version, item_key=keys[item], items=after))
    users = np.flatnonzero(sequence.sequences_.lengths() > 0)
    top = recommend(
        sequence,
        data.interactions.matrix,
        users,
        min(UP_NEXT_LENGTH, len(keys)),
        extra_exclude=data.exclusions,
    )
    for row, user in enumerate(users):
        latest = keys[int(sequence.sequences_.of(int(user))[-1])]
        after = [[keys[s.index], round(s.score, 5)] for s in top.items(row)]
        user_id = int(data.user_ids[user])
        digest.update(repr((user_id, latest, after)).encode())
        rows.append(UpNext(version=version, item_key=latest, user_id=user_id, items=after))
    UpNext.objects.bulk_create(rows, batch_size=2000)


@transaction.atomic
def _activate(version: ModelVersion) -> None:
    """Retire the active version and activate this one, in one transaction."""
    ModelVersion.objects.select_for_update().filter(status=ModelVersion.Status.ACTIVE).update(
        status=ModelVersion.Status.RETIRED
    )
    version.status = ModelVersion.Status.ACTIVE
    version.activated_at = timezone.now()
    version.save(update_fields=["status", "activated_at", "updated_at"])
    transaction.on_commit(lambda: cache.delete(ACTIVE_VERSION_CACHE_KEY))
    _prune_lists()


def _prune_lists() -> None:
    """Keep the lists of the last two production versions (serving and rollback)
    and of the treatments serving now; delete the rest."""
    production = ModelVersion.objects.filter(
        status__in=[ModelVersion.Status.ACTIVE, ModelVersion.Status.RETIRED],
        experiment__isnull=True,
    ).order_by(F("activated_at").desc(nulls_last=True))
    keep = [
        *production.values_list("pk", flat=True)[:2],
        *ModelVersion.objects.filter(status=ModelVersion.Status.TREATMENT).values_list(
            "pk", flat=True
        ),
    ]
    UserRecommendation.objects.exclude(version__in=keep).delete()
    ItemNeighbours.objects.exclude(version__in=keep).delete()
    UpNext.objects.exclude(version__in=keep).delete()


def model_version_rollback(*, version_id: int) -> ModelVersion:
    """Serve a retired version again (its lists are kept for the last two versions)."""
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None or version.status != ModelVersion.Status.RETIRED:
        raise ApplicationError("Only a retired version can serve again.", code="not_retired")
    if version.experiment_id is not None:
        raise ApplicationError(
            "A/B treatment versions serve only their test's viewers; to adopt a treatment, "
            "make its settings the production ones and retrain.",
            code="treatment_version",
        )
    if not UserRecommendation.objects.filter(version=version).exists():
        raise ApplicationError("That version's lists were already deleted.", code="no_lists")
    _activate(version)
    return version


def _progress(version: ModelVersion, percent: int, stage: str, **fields: int) -> None:
    for name, value in fields.items():
        setattr(version, name, value)
    version.progress_percent, version.stage = percent, stage
    version.save(update_fields=["progress_percent", "stage", *fields, "updated_at"])


def _finish(version: ModelVersion, status: str, started: float, *, note: str = "") -> ModelVersion:
    if status != ModelVersion.Status.ACTIVE:
        version.status = status
    version.note = note
    version.progress_percent, version.stage = 100, "done"
    version.total_seconds = round(time.perf_counter() - started, 3)
    version.save()
    logger.info("recommender v%s %s %s", version.pk, version.status, note)
    return version


def user_recommendations_delete(*, user_id: int) -> int:
    """Delete the lists every version stored for a user (account deletion).

    Their events no longer map to them once the analytics subject goes, so
    the next training writes nothing for them. Returns the rows deleted.
    """
    deleted, _ = UserRecommendation.objects.filter(user_id=user_id).delete()
    up_next, _ = UpNext.objects.filter(user_id=user_id).delete()
    return deleted + up_next
