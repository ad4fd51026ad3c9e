"""The sequence model in the platform: trained at retrain, "up next" served, torch optional."""

import sys

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from recommendations import services
from recommendations.engine.torch_support import TORCH_MISSING
from recommendations.models import ItemNeighbours, ModelVersion, UpNext

# On one worker, so the module's demo world is seeded once (conftest.py, ``seeded_demo``).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seeded-sequence-up-next")]


@pytest.fixture
def platform(seeded_demo) -> None:
    """The module's seeded demo world (tests/recommendations/conftest.py)."""


def _keys(body: dict) -> list[str]:
    return [
        f"v{r['video']['id']}" if r["type"] == "video" else f"c{r['course']['id']}"
        for r in body["results"]
    ]


def test_retrain_trains_the_sequence_model_and_writes_up_next_deterministically(
    platform, settings
) -> None:
    # given: a small epoch cap (early stopping may end sooner)
    settings.RECOMMENDATIONS_SEQUENCE_MAX_EPOCHS = 3
    # when: two retrains on the same data under the same seed
    first = services.recommender_retrain()
    second = services.recommender_retrain()
    # then: the sequence model trained with a temporal validation, within its cap
    assert first.status == second.status == ModelVersion.Status.ACTIVE
    assert first.sequence_status.startswith("trained ")
    assert "validation NDCG@10" in first.sequence_status
    assert int(first.sequence_status.split()[1]) <= 3
    # and every item has an "after this alone" list, each viewer one after their history
    anyone = UpNext.objects.filter(version=first, user_id=UpNext.ANYONE)
    assert anyone.count() == first.n_items
    assert UpNext.objects.filter(version=first).exclude(user_id=UpNext.ANYONE).exists()
    assert all(row.item_key not in {k for k, _ in row.items} for row in anyone)
    # and the same seed gave the same lists (the feed's scores decay with the clock: not those)
    lists = [
        list(
            UpNext.objects.filter(version=version)
            .order_by("item_key", "user_id")
            .values_list("item_key", "user_id", "items")
        )
        for version in (first, second)
    ]
    assert lists[0] == lists[1]


def test_a_retrain_with_torch_absent_still_promotes_and_admin_says_so(
    platform, monkeypatch, admin_client
) -> None:
    # given: torch made unimportable
    monkeypatch.setitem(sys.modules, "torch", None)
    # when
    version = services.recommender_retrain()
    # then: a model serves, without sequence lists, and the admin says why
    assert version.status == ModelVersion.Status.ACTIVE
    assert version.sequence_status == TORCH_MISSING
    assert not UpNext.objects.exists()
    page = admin_client.get("/admin/recommendations/modelversion/").content.decode()
    assert f"Unavailable: {TORCH_MISSING}" in page
    # and "up next" falls back to the similar items
    key = ItemNeighbours.objects.filter(version=version, item_key__startswith="v")
    item_key = key.values_list("item_key", flat=True).first()
    body = APIClient().get(f"/api/v1/recommendations/up-next/{item_key}?limit=5").json()
    similar = APIClient().get(f"/api/v1/recommendations/similar/{item_key}?limit=5").json()
    assert body["results"]
    assert _keys(body) == _keys(similar)
    assert {r["reason_kind"] for r in body["results"]} == {"because_you_watched"}


def test_up_next_serves_the_viewers_own_list_after_their_latest_item(platform, settings) -> None:
    # given: a trained version and a viewer whose history ended with an item
    settings.RECOMMENDATIONS_SEQUENCE_MAX_EPOCHS = 2
    version = services.recommender_retrain()
    own = (
        UpNext.objects.filter(version=version, item_key__startswith="v")
        .exclude(user_id=UpNext.ANYONE)
        .exclude(items=[])
        .first()
    )
    assert own is not None
    viewer = User.objects.get(pk=own.user_id)
    client = APIClient()
    client.force_authenticate(viewer)
    # when
    body = client.get(f"/api/v1/recommendations/up-next/{own.item_key}?limit=50").json()
    # then: their list, in order, minus what serving hides, with the version and reason
    served = _keys(body)
    assert served
    assert served == [k for k, _ in own.items if k in served]
    assert body["model_version"] == version.pk
    assert {r["reason_kind"] for r in body["results"]} == {"up_next"}
    # and anyone else gets the one-item list of that video
    anonymous = _keys(
        APIClient().get(f"/api/v1/recommendations/up-next/{own.item_key}?limit=50").json()
    )
    alone = UpNext.objects.get(version=version, item_key=own.item_key, user_id=UpNext.ANYONE)
    assert anonymous == [k for k, _ in alone.items if k in anonymous]
    assert APIClient().get("/api/v1/recommendations/up-next/x1").status_code == 404
    assert APIClient().get("/api/v1/recommendations/up-next/v1?limit=0").status_code == 400


def test_up_next_costs_the_same_queries_whatever_its_length(platform, settings) -> None:
    settings.RECOMMENDATIONS_SEQUENCE_MAX_EPOCHS = 2
    version = services.recommender_retrain()
    row = UpNext.objects.filter(version=version, user_id=UpNext.ANYONE, item_key__startswith="v")
    item_key = row.values_list("item_key", flat=True).first()
    viewer = User.objects.filter(pk__in=UpNext.objects.values("user_id")).first()
    assert viewer is not None
    client = APIClient()
    client.force_authenticate(viewer)
    counts = []
    for limit in (2, 12):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/recommendations/up-next/{item_key}?limit={limit}")
        assert response.status_code == 200
        assert len(response.json()["results"]) > 1
        counts.append(len(queries))
    assert counts[0] == counts[1]
