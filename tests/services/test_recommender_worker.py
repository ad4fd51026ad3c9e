"""Retraining on a real Celery worker, and a training process killed mid-write."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command

from demo import seed
from kfplatform.celery import app
from recommendations.models import ModelVersion, UserRecommendation
from recommendations.services import recommender_retrain
from recommendations.serving import recommend_for_user
from recommendations.tasks import recommender_retrain_task
from tests.conftest import _database_url, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SMALL = ["--users", "30", "--videos", "40", "--courses", "3", "--events", "1200", "--no-ab-tests"]

# Runs in a separate process: write half the lists, then die like an OOM kill.
KILL_MID_WRITE = """
import os, signal, django
django.setup()
from recommendations import services
from recommendations.models import UserRecommendation
real_bulk_create = UserRecommendation.objects.bulk_create
def half_then_die(rows, **kwargs):
    real_bulk_create(rows[: len(rows) // 2], **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
UserRecommendation.objects.bulk_create = half_then_die
services.recommender_retrain()
"""


@pytest.fixture
def platform(monkeypatch) -> None:
    monkeypatch.setattr(seed, "DISTINCT_CLIPS", 2)
    call_command("seed_demo", *SMALL)


def test_retraining_runs_on_a_real_worker(platform, celery_worker: str, monkeypatch) -> None:
    # given
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    # when
    recommender_retrain_task.apply_async(queue=celery_worker)
    # then
    assert wait_until(lambda: ModelVersion.objects.filter(status="active").exists(), timeout=90)
    version = ModelVersion.objects.get(status="active")
    assert version.n_users > 0
    assert UserRecommendation.objects.filter(version=version).count() == version.n_users


def test_a_training_process_killed_mid_write_leaves_the_old_version_serving(
    platform, postgres
) -> None:
    # given: a serving version
    first = recommender_retrain()
    viewer_id = UserRecommendation.objects.filter(version=first).values_list("user_id", flat=True)[
        0
    ]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kfplatform.settings.test",
        "DATABASE_URL": _database_url(),
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    # when: another process trains and is killed half-way through writing
    killed = subprocess.run(
        [sys.executable, "-c", KILL_MID_WRITE], env=env, check=False, timeout=120
    )
    # then
    assert killed.returncode == -9
    orphan = ModelVersion.objects.exclude(pk=first.pk).get()
    assert orphan.status == ModelVersion.Status.TRAINING
    assert 0 < UserRecommendation.objects.filter(version=orphan).count() < first.n_users
    assert ModelVersion.objects.get(status="active").pk == first.pk
    assert recommend_for_user(user_id=viewer_id, kind="video", limit=5).version_id == first.pk
    # and a run after the time limit replaces it, leaving no half-written version behind
    an_hour_ago = orphan.created_at - timedelta(hours=1)
    ModelVersion.objects.filter(pk=orphan.pk).update(created_at=an_hour_ago)
    second = recommender_retrain()
    orphan.refresh_from_db()
    assert second.status == ModelVersion.Status.ACTIVE
    assert orphan.status == ModelVersion.Status.FAILED
    assert not UserRecommendation.objects.filter(version=orphan).exists()
