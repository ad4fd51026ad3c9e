"""Retrains never overlap: a PostgreSQL advisory lock held on the run's own connection."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from common.locks import advisory_lock
from recommendations import services
from recommendations.models import ModelVersion
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db


def _hold_retrain_lock_elsewhere():
    """Another session (another worker process) holding the retrain lock."""
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [services.RETRAIN_LOCK]
        )
        assert cursor.fetchone()[0] is True
    return other


def test_a_second_retrain_steps_aside_while_one_runs(postgres) -> None:
    # given: a retrain running in another process
    other = _hold_retrain_lock_elsewhere()
    try:
        # when / then: this one refuses before touching anything
        with pytest.raises(services.RetrainAlreadyRunning):
            services.recommender_retrain()
        assert not ModelVersion.objects.exists()
        with pytest.raises(CommandError, match="Another retrain is running"):
            call_command("rec_train")
    finally:
        other.close()  # the holder's connection ends: PostgreSQL frees the lock
    # and once the holder's session is gone (its backend exits) the lock is free again
    assert wait_until(_lock_is_free, timeout=10)


def _lock_is_free() -> bool:
    with advisory_lock(services.RETRAIN_LOCK) as acquired:
        return acquired


def test_the_lock_is_released_after_a_run_even_when_it_fails(postgres, monkeypatch) -> None:
    def crash(**kwargs: object) -> None:
        raise MemoryError("killed")

    monkeypatch.setattr(services, "_retrain", crash)
    with pytest.raises(MemoryError):
        services.recommender_retrain()
    other = _hold_retrain_lock_elsewhere()  # would fail if this session still held it
    other.close()
    # closing only sends the goodbye: the lock is free once that backend has exited,
    # and the next test takes it at once
    assert wait_until(_lock_is_free, timeout=10)


def test_under_the_lock_every_run_left_in_training_is_abandoned_at_once(postgres) -> None:
    # given: a run a killed worker left in "training" a moment ago
    orphan = ModelVersion.objects.create(algorithm=services.ALGORITHM, stage="fitting")
    # when: the next run holds the lock (no live run can exist)
    services.recommender_retrain()
    # then: the orphan is failed without waiting for the task time limit
    orphan.refresh_from_db()
    assert orphan.status == ModelVersion.Status.FAILED
    assert "died" in orphan.note
