"""The recommender's Django side: retrain, promotion gate, crash safety, serving rules."""

import dataclasses
import json
import sys
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import User
from common.exceptions import ApplicationError
from courses.engagement import not_interested_mark
from courses.models import Enrollment, ShortVideo, WatchState
from recommendations import services
from recommendations.engine.models import DENSE_DROPPED_PREFIX
from recommendations.engine.spark_als import SPARK_MISSING
from recommendations.models import ItemNeighbours, ModelVersion, UserRecommendation
from recommendations.serving import MAX_RUN_PER_CREATOR, Served, _diversify, recommend_for_user
from tests.conftest import rows_kept_for_the_scope
from tests.factories import UserFactory

# On one worker, so the module's demo world is seeded once (conftest.py, ``seeded_demo``).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seeded-retrain-and-serve")]


@pytest.fixture
def platform(seeded_demo) -> None:
    """The module's seeded demo world (tests/recommendations/conftest.py)."""


@pytest.fixture(scope="class")
def trained(seeded_demo, django_db_blocker) -> Iterator[ModelVersion]:
    """One retrain on the module's demo world, kept for a class of tests, rolled back after it."""
    yield from rows_kept_for_the_scope(django_db_blocker, services.recommender_retrain)


def _active_viewer() -> User:
    return User.objects.filter(pk__in=UserRecommendation.objects.values("user_id")).order_by("pk")[
        0
    ]


def test_a_crash_mid_training_leaves_the_old_version_serving(platform, monkeypatch) -> None:
    # given
    first = services.recommender_retrain()

    def crash(*args: object, **kwargs: object) -> None:
        raise MemoryError("killed")

    monkeypatch.setattr(services, "_write_lists", crash)
    # when
    with pytest.raises(MemoryError):
        services.recommender_retrain()
    # then
    assert ModelVersion.objects.get(status="active").pk == first.pk
    failed = ModelVersion.objects.exclude(pk=first.pk).get()
    assert failed.status == ModelVersion.Status.FAILED
    assert (
        recommend_for_user(user_id=_active_viewer().pk, kind="video", limit=5).version_id
        == first.pk
    )


def test_the_gate_rejects_a_worse_model(platform) -> None:
    # given: an active model that scored far better
    ModelVersion.objects.create(algorithm="old", status="active", metrics={"ndcg@10": 0.99})
    # when
    version = services.recommender_retrain()
    # then
    assert version.status == ModelVersion.Status.REJECTED
    assert ModelVersion.objects.get(status="active").algorithm == "old"


def test_diversity_allows_at_most_two_in_a_row_per_creator() -> None:
    # given: creator 1 dominates the ranking
    items = [Served(f"v{i}", 10 - i) for i in range(8)]
    creators = {f"v{i}": 1 if i < 6 else 2 for i in range(8)}
    # when
    ranked = _diversify(items, creators)
    # then
    runs = [creators[s.key] for s in ranked]
    assert all(
        len(set(runs[i : i + MAX_RUN_PER_CREATOR + 1])) > 1
        for i in range(len(runs) - MAX_RUN_PER_CREATOR - 1)
    )
    assert [s.key for s in ranked][:3] == ["v0", "v1", "v6"]


def test_admin_can_roll_back_to_the_previous_version(platform) -> None:
    # given: two trained versions, the second active
    first = services.recommender_retrain()
    second = services.recommender_retrain()
    assert second.status == ModelVersion.Status.ACTIVE
    # when
    services.model_version_rollback(version_id=first.pk)
    # then
    assert ModelVersion.objects.get(status="active").pk == first.pk
    with pytest.raises(ApplicationError):
        services.model_version_rollback(version_id=first.pk)  # already serving


def test_a_dense_member_over_the_memory_budget_is_dropped_and_shown(
    platform, admin_client, monkeypatch
) -> None:
    # given a dense budget no catalogue fits (52 items need 16 KiB)
    config = dataclasses.replace(services.engine_config(), dense_memory_budget_mib=0)
    monkeypatch.setattr(services, "engine_config", lambda: config)
    # when
    version = services.recommender_retrain()
    # then the version records the blend without EASE and why, and admin shows it
    assert "ease" not in version.params["members"]
    assert "als" in version.params["members"]
    assert version.params["model_notes"][0].startswith(DENSE_DROPPED_PREFIX)
    html = admin_client.get("/admin/recommendations/modelversion/").content.decode()
    assert DENSE_DROPPED_PREFIX in html
    assert "52 items need" in html


def test_spark_asked_for_without_pyspark_trains_single_node_and_admin_says_so(
    platform, admin_client, monkeypatch, settings
) -> None:
    # given a Spark master and a threshold this catalogue passes, and pyspark not installed
    settings.RECOMMENDATIONS_SPARK_MASTER = "spark://trainer.internal:7077"
    settings.RECOMMENDATIONS_SPARK_MIN_INTERACTIONS = 1
    monkeypatch.setitem(sys.modules, "pyspark", None)
    # when
    version = services.recommender_retrain()
    # then the version is published from single-node ALS, and the admin shows why
    assert version.status == ModelVersion.Status.ACTIVE
    assert version.params["als_trainer"] == "implicit"
    assert SPARK_MISSING in version.params["model_notes"]
    assert not any(name.startswith("als_spark_") for name in version.params)  # operational
    html = admin_client.get("/admin/recommendations/modelversion/").content.decode()
    assert SPARK_MISSING in html


def test_rec_evaluate_prints_every_algorithm_on_platform_data(platform, capsys) -> None:
    # when
    call_command("rec_evaluate", "--json", "--algorithms", "popularity", "ease", "hybrid")
    # then
    results = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in results] == ["popularity", "ease", "hybrid"]
    assert all(0 <= r["ndcg"] <= 1 and r["n_users"] > 0 for r in results)
    with pytest.raises(CommandError):
        call_command("rec_evaluate", "--holdout", "1.5")


def test_rec_evaluate_next_item_ranks_each_viewers_latest_item(platform, capsys) -> None:
    # when: leave-last-out by time, the Markov baseline and the sequence model included
    call_command(
        "rec_evaluate",
        "--split",
        "next-item",
        "--json",
        "--algorithms",
        "ease",
        "markov",
        "sequence",
    )
    # then
    results = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in results] == ["ease", "markov", "sequence"]
    assert all(0 <= r["ndcg"] <= 1 and r["n_users"] > 0 for r in results)


class TestOnceTrained:
    """Tests that read what one retrain on the seeded world published (and may write, which
    their own savepoint rolls back): they share one retrain, ``trained``."""

    def test_retrain_publishes_a_version_with_lists_and_metrics(
        self, trained: ModelVersion
    ) -> None:
        # when: the class's retrain ran
        version = trained
        # then
        assert version.status == ModelVersion.Status.ACTIVE
        assert version.n_users > 0
        assert version.n_items == 52
        assert 0 <= version.metrics["ndcg@10"] <= 1
        assert version.artifact_checksum
        assert UserRecommendation.objects.filter(version=version).count() == version.n_users

    def test_served_feed_skips_seen_owned_and_hidden(self, trained: ModelVersion) -> None:
        # given
        viewer = _active_viewer()
        page = recommend_for_user(user_id=viewer.pk, kind="video", limit=6)
        hidden = page.items[0].id
        not_interested_mark(user_id=viewer.pk, video=ShortVideo.objects.get(pk=hidden))
        # when
        videos = recommend_for_user(user_id=viewer.pk, kind="video", limit=50).items
        courses = recommend_for_user(user_id=viewer.pk, kind="course", limit=50).items
        # then
        seen = set(WatchState.objects.filter(user=viewer).values_list("video_id", flat=True))
        owned = set(Enrollment.objects.filter(user=viewer).values_list("course_id", flat=True))
        served = {v.id for v in videos}
        assert hidden not in served
        assert not served & seen
        assert not {c.id for c in courses} & owned
        assert all(item.reason.get("kind") for item in videos)

    def test_feed_api_personal_then_trending_when_switched_off(self, trained: ModelVersion) -> None:
        # given
        version = trained
        viewer = _active_viewer()
        client = APIClient()
        client.force_authenticate(viewer)
        # when
        personal = client.get("/api/v1/recommendations/feed?limit=5").json()
        viewer.is_personalization_enabled = False
        viewer.save(update_fields=["is_personalization_enabled"])
        plain = client.get("/api/v1/recommendations/feed?limit=5").json()
        # then
        assert personal["model_version"] == version.pk
        assert personal["results"][0]["reason"]
        assert plain["model_version"] is None
        assert {r["reason_kind"] for r in plain["results"]} == {"trending"}

    def test_serving_survives_a_cache_outage(self, trained: ModelVersion, monkeypatch) -> None:
        viewer = _active_viewer()

        def down(*args: object, **kwargs: object) -> None:
            raise ConnectionError("redis is down")

        monkeypatch.setattr(cache, "get", down)
        page = recommend_for_user(user_id=viewer.pk, kind="video", limit=5)
        assert page.items

    def test_the_feed_api_answers_during_a_cache_outage(
        self, trained: ModelVersion, monkeypatch
    ) -> None:
        # given a trained model, and then every cache call failing
        client = APIClient()
        client.force_authenticate(_active_viewer())

        def down(*args: object, **kwargs: object) -> None:
            raise ConnectionError("redis is down")

        for method in ("get", "get_many", "set", "add", "incr"):
            monkeypatch.setattr(cache, method, down)
        # when
        response = client.get("/api/v1/recommendations/feed?limit=5")
        # then the page is computed from the database
        assert response.status_code == 200
        assert response.json()["results"]

    def test_similar_items_cross_videos_and_courses(self, trained: ModelVersion) -> None:
        video = ShortVideo.objects.filter(course__isnull=False).first()
        assert video is not None
        body = APIClient().get(f"/api/v1/recommendations/similar/v{video.pk}?limit=20").json()
        assert body["results"]
        assert APIClient().get("/api/v1/recommendations/similar/x1").status_code == 404

    def test_similar_items_skip_what_the_viewer_saw_owns_or_made(
        self, trained: ModelVersion
    ) -> None:
        # given: a video's neighbours as anyone sees them
        version = trained
        source = ItemNeighbours.objects.filter(version=version, item_key__startswith="v").first()
        assert source is not None
        video_id = int(source.item_key[1:])
        url = f"/api/v1/recommendations/similar/v{video_id}?limit=50"

        def keys(body: dict) -> list[str]:
            return [
                f"v{r['video']['id']}" if r["type"] == "video" else f"c{r['course']['id']}"
                for r in body["results"]
            ]

        anonymous = keys(APIClient().get(url).json())
        videos = [k for k in anonymous if k[0] == "v"]
        courses = [k for k in anonymous if k[0] == "c"]
        assert len(videos) >= 2
        assert courses
        # and a viewer who watched one of them, owns one course and made another video
        viewer = UserFactory.create()
        WatchState.objects.create(user=viewer, video_id=int(videos[0][1:]), position_seconds=3)
        Enrollment.objects.create(user=viewer, course_id=int(courses[0][1:]))
        ShortVideo.objects.filter(pk=int(videos[1][1:])).update(creator=viewer)
        client = APIClient()
        client.force_authenticate(viewer)
        # when
        theirs = keys(client.get(url).json())
        # then
        assert theirs
        assert not {videos[0], videos[1], courses[0]} & set(theirs)
        assert set(theirs) <= set(anonymous)

    def test_a_like_refreshes_the_cached_feed_page(self, trained: ModelVersion) -> None:
        # given: a served (and now cached) first page
        viewer = _active_viewer()
        client = APIClient()
        client.force_authenticate(viewer)
        first = client.get("/api/v1/recommendations/feed?limit=5").json()
        top = first["results"][0]["video"]["id"]
        assert client.get("/api/v1/recommendations/feed?limit=5").json() == first
        # when: the viewer hides the top video
        client.post(f"/api/v1/videos/{top}/not-interested")
        # then: the next page is recomputed without it
        again = client.get("/api/v1/recommendations/feed?limit=5").json()
        assert top not in {r["video"]["id"] for r in again["results"]}

    def test_an_uncached_feed_page_costs_the_same_queries_whatever_its_length(
        self, trained: ModelVersion
    ) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        viewer = _active_viewer()
        client = APIClient()
        client.force_authenticate(viewer)
        counts = []
        for limit in (3, 12):
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                assert (
                    len(client.get(f"/api/v1/recommendations/feed?limit={limit}").json()["results"])
                    == limit
                )
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_admin_lists_versions_with_progress(self, trained: ModelVersion, admin_client) -> None:
        page = admin_client.get("/admin/recommendations/modelversion/")
        assert page.status_code == 200
        assert "NDCG@10" in page.content.decode()

    def test_a_version_within_the_budget_keeps_ease(self, trained: ModelVersion) -> None:
        version = trained
        assert "ease" in version.params["members"]
        assert version.params["model_notes"] == []
