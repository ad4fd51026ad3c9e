"""Honest tuning at retrain: weights chosen on a temporal carve, a like-with-like gate."""

import pytest

from recommendations import services
from recommendations.engine.tuning import RETRAIN_BLEND_GRID
from recommendations.models import ModelVersion

# On one worker, so the module's demo world is seeded once (conftest.py, ``seeded_demo``).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seeded-retrain-tuning")]


@pytest.fixture
def platform(seeded_demo, settings) -> None:
    """The module's seeded demo world (tests/recommendations/conftest.py)."""
    settings.RECOMMENDATIONS_SEQUENCE = False  # not what these tests are about


def test_retrain_chooses_blend_weights_on_a_temporal_carve_and_admin_shows_them(
    platform, admin_client
) -> None:
    # when
    version = services.recommender_retrain()
    # then: the weights served are the best-scoring blend on the carve
    tuning = version.tuning
    assert tuning["carve"] == "temporal"
    blends = [t for t in tuning["trials"] if t["stage"] == "blend"]
    grid_size = 1
    for values in RETRAIN_BLEND_GRID.values():
        grid_size *= len(values)
    assert len(blends) == grid_size
    best = max(blends, key=lambda t: t["ndcg"])
    assert tuning["validation_ndcg"] == best["ndcg"]
    assert version.params["hybrid_weights"] == tuning["weights"]
    for member, weight in best["overrides"]["hybrid_weights"].items():
        assert tuning["weights"][member] == weight
    # and the member parameters chosen are the ones fitted
    ease = max((t for t in tuning["trials"] if t["stage"] == "ease"), key=lambda t: t["ndcg"])
    assert version.params["ease_lambda"] == ease["overrides"]["ease_lambda"]
    # and the admin shows them beside the version
    page = admin_client.get("/admin/recommendations/modelversion/").content.decode()
    assert "chosen on a temporal carve" in page
    assert f"als {tuning['weights']['als']:g}" in page


def test_the_gate_scores_the_active_configuration_on_the_same_holdout(platform) -> None:
    # given: an active version whose recorded figure came from an easier, older holdout
    first = services.recommender_retrain()
    ModelVersion.objects.filter(pk=first.pk).update(metrics={**first.metrics, "ndcg@10": 0.99})
    # when: the same data and settings train again
    second = services.recommender_retrain()
    # then: judged against the active configuration on this holdout (the same figure), it passes
    assert second.metrics["active_ndcg@10"] == second.metrics["ndcg@10"]
    assert second.status == ModelVersion.Status.ACTIVE


def test_retrain_without_tuning_keeps_the_configured_weights(platform, settings) -> None:
    settings.RECOMMENDATIONS_TUNE = False
    version = services.recommender_retrain()
    assert version.tuning == {}
    assert version.params["hybrid_weights"] == services.engine_config().hybrid_weights
