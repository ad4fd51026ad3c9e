"""The second-stage ranker on the platform's logs: impressions, the A/B variant, the report."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics.models import Event, Subject
from courses.models import ShortVideo
from recommendations import services
from recommendations.experiments import experiment_start
from recommendations.models import Experiment, ModelVersion, UserRecommendation
from recommendations.selectors import logged_impressions
from tests.factories import UserFactory

# On one worker, so the module's demo world is seeded once (conftest.py, ``seeded_demo``).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seeded-second-stage")]


@pytest.fixture
def platform(seeded_demo, settings) -> None:
    """The module's seeded demo world (tests/recommendations/conftest.py)."""
    settings.RECOMMENDATIONS_SEQUENCE = False
    settings.RECOMMENDATIONS_TUNE = False


def test_logged_impressions_carry_clicks_watch_time_and_unclicked_negatives(platform) -> None:
    # given: a viewer shown two videos, playing one for 12 s, and an anonymous impression
    viewer = UserFactory.create()
    Subject.objects.create(key="s-viewer", user_id=viewer.pk)
    played, skipped = ShortVideo.objects.order_by("pk").values_list("pk", flat=True)[:2]
    now = timezone.now()

    def event(kind: str, video: int, minutes: int, value: float = 0, subject: str = "s-viewer"):
        return Event(
            subject_id=subject,
            type=kind,
            video_id=video,
            ts=now - timedelta(minutes=minutes),
            value=value,
        )

    Event.objects.bulk_create(
        [
            event(Event.Type.IMPRESSION, played, 10),
            event(Event.Type.PLAY, played, 9),
            event(Event.Type.PROGRESS, played, 8, 5.0),
            event(Event.Type.PROGRESS, played, 7, 12.0),
            event(Event.Type.IMPRESSION, skipped, 10),
            event(Event.Type.PLAY, skipped, 30),  # before the impression: not its click
            event(Event.Type.IMPRESSION, played, 10, subject="s-anonymous"),
        ]
    )
    # when
    rows = {
        r.video_id: r
        for r in logged_impressions(since=now - timedelta(hours=1))
        if r.user_id == viewer.pk
    }
    # then
    assert rows[played].clicked
    assert rows[played].watch_seconds == 12.0
    assert not rows[skipped].clicked
    assert rows[skipped].watch_seconds == 0.0


def test_an_ab_treatment_with_the_ranker_serves_its_lists_reordered(platform) -> None:
    # given: a running test whose treatment is the same blend plus the second stage
    experiment_start(Experiment(name="ranker", treatment_params={}, treatment_ranker=True))
    # when
    production = services.recommender_retrain()
    # then: the treatment trained the ranker and holds the control's candidates, re-ordered
    treatment = ModelVersion.objects.get(status=ModelVersion.Status.TREATMENT)
    assert treatment.params["second_stage"] == "watch-time ranker"
    control_lists = dict(
        UserRecommendation.objects.filter(version=production).values_list("user_id", "items")
    )
    reordered = 0
    for user_id, items in UserRecommendation.objects.filter(version=treatment).values_list(
        "user_id", "items"
    ):
        scores = [score for _, score in items]
        assert scores == sorted(scores, reverse=True)
        assert {k for k, _ in items} == {k for k, _ in control_lists[user_id]}
        reordered += [k for k, _ in items] != [k for k, _ in control_lists[user_id]]
    assert reordered > 0


def test_the_offline_report_judges_the_ranker_on_newer_impressions(platform, capsys) -> None:
    call_command("rec_second_stage", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["train"] > report["test"] > 0
    assert report["impressions"] == report["train"] + report["test"]
    assert -1 <= report["spearman_ranker"] <= 1
    # the demo logs an impression only for a video it then plays (demo/behaviour.py)
    assert report["click_rate"] == 1.0
