"""A/B tests of the recommender: assignment, serving, retraining, the report, the admin."""

import json
from datetime import timedelta

import numpy as np
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.models import User
from analytics.models import Event, Subject
from common.exceptions import ApplicationError
from recommendations import insights, services
from recommendations.experiment_admin import ExperimentForm
from recommendations.experiments import (
    CONTROL,
    STATS_COLUMNS,
    TREATMENT,
    ExperimentReport,
    VariantResult,
    experiment_report,
    experiment_start,
    experiment_stop,
    report_statistics,
    variant_of,
)
from recommendations.models import Experiment, ModelVersion, UserRecommendation
from recommendations.serving import recommend_for_user

# On one worker, so the module's demo world is seeded once (conftest.py, ``seeded_demo``).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seeded-experiments")]

ALS_ONLY = {"hybrid_weights": {"ease": 0.0, "als": 1.0, "session": 0.0}}


@pytest.fixture
def platform(seeded_demo) -> None:
    """The module's seeded demo world (tests/recommendations/conftest.py)."""
    cache.clear()


def _start(name: str = "als-only", percent: int = 50, params: dict | None = None) -> Experiment:
    return experiment_start(
        Experiment(
            name=name,
            treatment_params=ALS_ONLY if params is None else params,
            treatment_percent=percent,
        )
    )


def _viewers_by_variant(experiment: Experiment, version: ModelVersion) -> dict[str, list[int]]:
    users = UserRecommendation.objects.filter(version=version).values_list("user_id", flat=True)
    found: dict[str, list[int]] = {CONTROL: [], TREATMENT: []}
    for user_id in users:
        variant = variant_of(
            user_id=user_id,
            experiment=experiment.name,
            treatment_percent=experiment.treatment_percent,
        )
        found[variant].append(user_id)
    return found


def test_assignment_is_stable_follows_the_percent_and_differs_between_tests() -> None:
    users = range(1, 20_001)
    first = [variant_of(user_id=u, experiment="a", treatment_percent=30) for u in users]
    again = [variant_of(user_id=u, experiment="a", treatment_percent=30) for u in users]
    other = [variant_of(user_id=u, experiment="b", treatment_percent=30) for u in users]
    assert first == again
    assert 0.28 < first.count(TREATMENT) / len(users) < 0.32
    both = sum(f == o == TREATMENT for f, o in zip(first, other, strict=True)) / len(users)
    assert 0.07 < both < 0.11  # independent tests: about 0.3 x 0.3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"seed": 3}, "Unknown engine setting 'seed'"),
        ({"ease_lambda": "big"}, "ease_lambda must be a number"),
        ({"ease_dropout": 1.5}, "dropout must be in [0, 1)"),
        ({"hybrid_weights": {"ease": -1}}, "must be a finite number from 0"),
        ({"hybrid_weights": {"magic": 1}}, "hybrid_weights takes weights for"),
        ([1, 2], "must be an object"),
        ([], "must be an object"),  # empty: field validators skip it, the model does not
        ({"ease_lambda": 10**400}, "from 0 to 1,000,000"),
        ({"knn_neighbours": 10**9}, "from 1 to 1,000,000"),
    ],
)
def test_the_admin_form_refuses_treatment_settings_the_engine_cannot_use(
    params: object, message: str
) -> None:
    form = ExperimentForm(
        {"name": "t", "treatment_params": json.dumps(params), "treatment_percent": 10}
    )
    assert not form.is_valid()
    assert message in " ".join(str(e) for e in form.errors["treatment_params"])


def test_only_one_test_runs_at_a_time() -> None:
    _start("first")
    with pytest.raises(ApplicationError, match="Another A/B test is running"):
        _start("second")
    form = ExperimentForm({"name": "second", "treatment_params": "{}", "treatment_percent": 10})
    assert not form.is_valid()
    assert "Another A/B test is running" in str(form.errors)


def test_a_retrain_trains_the_treatment_and_serves_it_to_its_viewers(platform) -> None:
    # given
    experiment = _start(percent=50)
    # when
    production = services.recommender_retrain()
    # then
    experiment.refresh_from_db()
    treatment = experiment.treatment_version
    assert production.status == ModelVersion.Status.ACTIVE
    assert treatment is not None
    assert treatment.status == ModelVersion.Status.TREATMENT
    assert treatment.experiment_id == experiment.pk
    assert treatment.params["hybrid_weights"]["ease"] == 0.0
    assert "ndcg@10" in treatment.metrics
    assert experiment.live_at is not None
    groups = _viewers_by_variant(experiment, treatment)
    assert groups[CONTROL]
    assert groups[TREATMENT]
    for variant, expected in ((CONTROL, production.pk), (TREATMENT, treatment.pk)):
        for user_id in groups[variant][:5]:
            page = recommend_for_user(user_id=user_id, kind="video", limit=5)
            assert page.version_id in (expected, None)  # None: trending, nothing left unseen
            client = Client()
            client.force_login(User.objects.get(pk=user_id))
            body = client.get("/api/v1/recommendations/feed").json()
            assert body["model_version"] in (expected, None)
    served = [
        recommend_for_user(user_id=u, kind="video", limit=5).version_id for u in groups[TREATMENT]
    ]
    assert treatment.pk in served


def test_the_next_retrain_replaces_the_treatment_and_drops_the_old_lists(platform) -> None:
    experiment = _start()
    services.recommender_retrain()
    experiment.refresh_from_db()
    first = experiment.treatment_version
    assert first is not None
    # when
    services.recommender_retrain()
    # then
    experiment.refresh_from_db()
    first.refresh_from_db()
    assert experiment.treatment_version_id != first.pk
    assert first.status == ModelVersion.Status.RETIRED
    assert not UserRecommendation.objects.filter(version=first).exists()
    kept = set(UserRecommendation.objects.values_list("version_id", flat=True).distinct())
    production = ModelVersion.objects.filter(
        experiment__isnull=True, status__in=["active", "retired"]
    )
    assert kept == {*production.values_list("pk", flat=True), experiment.treatment_version_id}
    with pytest.raises(ApplicationError, match="treatment versions serve only"):
        services.model_version_rollback(version_id=first.pk)


def test_the_heatmap_offers_the_versions_that_still_have_lists(platform) -> None:
    experiment = _start()
    first = services.recommender_retrain()
    services.recommender_retrain()
    services.recommender_retrain()
    experiment.refresh_from_db()
    offered = set(insights._versions_with_lists().values_list("pk", flat=True))
    assert experiment.treatment_version_id in offered
    assert first.pk not in offered  # pruned: two newer production versions
    with_lists = set(UserRecommendation.objects.values_list("version_id", flat=True))
    assert offered == with_lists


def test_stopping_returns_everyone_to_the_active_version(platform) -> None:
    experiment = _start(percent=99)
    production = services.recommender_retrain()
    experiment.refresh_from_db()
    treatment = experiment.treatment_version
    assert treatment is not None
    treated = _viewers_by_variant(experiment, treatment)[TREATMENT][:5]
    # when
    experiment_stop(experiment_id=experiment.pk)
    # then
    treatment.refresh_from_db()
    assert treatment.status == ModelVersion.Status.RETIRED
    assert {recommend_for_user(user_id=u, kind="video", limit=5).version_id for u in treated} <= {
        production.pk,
        None,
    }
    with pytest.raises(ApplicationError, match="Only a running A/B test"):
        experiment_stop(experiment_id=experiment.pk)


def test_a_failing_treatment_leaves_production_published(platform, monkeypatch) -> None:
    _start()

    def crash(*args: object, **kwargs: object) -> None:
        raise MemoryError("killed")

    monkeypatch.setattr(services, "_serve_treatment", crash)
    # when
    production = services.recommender_retrain()
    # then
    assert production.status == ModelVersion.Status.ACTIVE
    failed = ModelVersion.objects.get(experiment__isnull=False)
    assert failed.status == ModelVersion.Status.FAILED
    assert "MemoryError" in failed.note
    assert Experiment.objects.get().treatment_version is None


def _event(subject: str, kind: str, minutes_ago: int, **fields: object) -> Event:
    return Event(
        subject_id=subject,
        type=kind,
        ts=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


def test_the_report_splits_viewers_outcomes_by_variant(django_assert_num_queries) -> None:
    # given: two logged-in viewers per variant, one anonymous, and events before the test
    experiment = _start("report", percent=50)
    experiment.live_at = timezone.now() - timedelta(hours=2)
    experiment.save()
    users: dict[str, list[int]] = {CONTROL: [], TREATMENT: []}
    user_id = 1
    while min(len(v) for v in users.values()) < 2:
        users[variant_of(user_id=user_id, experiment="report", treatment_percent=50)].append(
            user_id
        )
        user_id += 1
    events = []
    for variant, version in ((CONTROL, 1), (TREATMENT, 2)):
        for n, uid in enumerate(users[variant][:2]):
            key = f"s-{variant}-{n}"
            Subject.objects.create(key=key, user_id=uid)
            rec = {"model_version": version, "tab": "for_you"}
            events += [_event(key, Event.Type.IMPRESSION, 30, props=rec, video_id=1)] * 4
            events += [_event(key, Event.Type.PLAY, 29, props=rec, video_id=1)] * (n + 1)
            events.append(_event(key, Event.Type.IMPRESSION, 29, props={"model_version": None}))
            events.append(_event(key, Event.Type.IMPRESSION, 300, props=rec))  # before the test
            # heartbeats are cumulative: the largest one per video and day counts
            events += [
                _event(key, Event.Type.PROGRESS, 28, video_id=1, value=10.0),
                _event(key, Event.Type.PROGRESS, 27, video_id=1, value=25.0),
                _event(key, Event.Type.PROGRESS, 27, video_id=2, value=5.0),
            ]
            if variant == TREATMENT and n == 0:
                events.append(_event(key, Event.Type.PURCHASE, 20, course_id=1))
    Subject.objects.create(key="anon", anonymous_id="a-1")
    events.append(_event("anon", Event.Type.IMPRESSION, 30, props={"model_version": 1}))
    Event.objects.bulk_create(events)
    # when
    with django_assert_num_queries(5):  # the fifth finds no exploration impressions
        report = experiment_report(experiment)
    # then
    results = {v.variant: v for v in report.variants}
    for variant in (CONTROL, TREATMENT):
        assert results[variant].viewers == 2
        assert results[variant].impressions == 8
        assert results[variant].plays == 3
        assert results[variant].ctr == pytest.approx(3 / 8)
        assert results[variant].watch_seconds_per_viewer == pytest.approx(30.0)
    assert results[CONTROL].buyers == 0
    assert results[CONTROL].conversion == 0
    assert results[TREATMENT].buyers == 1
    assert results[TREATMENT].conversion == pytest.approx(0.5)
    assert report.exploration is None


def test_the_report_estimates_a_uniform_exploration_policy_off_policy() -> None:
    # given: exploration impressions logged by a known policy over three fresh videos
    # (serving probabilities 0.7 / 0.2 / 0.1) whose true click-through rates are known
    experiment = _start("explore", percent=50)
    experiment.live_at = timezone.now() - timedelta(hours=2)
    experiment.save()
    rng = np.random.default_rng(7)
    logging_policy, ctr = np.array([0.7, 0.2, 0.1]), np.array([0.3, 0.1, 0.05])
    events = []
    for n in range(3000):
        video = int(rng.choice(3, p=logging_policy))
        props = {
            "model_version": 1,
            "propensity": float(logging_policy[video]),
            "explore_candidates": 3,
        }
        key = f"s-{n}"
        events.append(_event(key, Event.Type.IMPRESSION, 30, props=props, video_id=video + 1))
        if rng.random() < ctr[video]:
            events.append(_event(key, Event.Type.PLAY, 29, video_id=video + 1))
    # and impressions whose props a page could have forged: ignored
    events.append(
        _event("s-bad", Event.Type.IMPRESSION, 30, props={"propensity": 0, "explore_candidates": 3})
    )
    events.append(
        _event(
            "s-bad", Event.Type.IMPRESSION, 30, props={"propensity": "x", "explore_candidates": 3}
        )
    )
    Event.objects.bulk_create(events)
    # when
    report = experiment_report(experiment)
    # then: the uniform pick's true value (the mean CTR) is recovered within its interval
    assert report.exploration is not None
    estimate = report.exploration.uniform
    truth = float(ctr.mean())
    assert report.exploration.impressions == 3000
    assert estimate.low <= truth <= estimate.high
    assert abs(estimate.value - truth) < 0.03
    # and it differs from what the logging policy earned
    assert report.exploration.logged_ctr == pytest.approx(float(logging_policy @ ctr), abs=0.03)
    assert report.exploration.logged_ctr - estimate.value > 0.05


def test_a_test_that_has_not_served_reports_nothing_yet() -> None:
    report = experiment_report(_start())
    assert report.since is None
    assert report.variants == []


def test_the_dashboard_and_the_admin_show_the_results(admin_client: Client) -> None:
    experiment = _start("shown", percent=20)
    experiment.live_at = timezone.now() - timedelta(hours=1)
    experiment.save()
    cache.clear()
    dashboard = admin_client.get("/dashboard/")
    change = admin_client.get(f"/admin/recommendations/experiment/{experiment.pk}/change/")
    listing = admin_client.get("/admin/recommendations/experiment/")
    assert dashboard.status_code == 200
    assert "shown" in dashboard.content.decode()
    assert "Purchase conversion" in dashboard.content.decode()
    assert change.status_code == 200
    assert "Results per variant" in change.content.decode()
    assert listing.status_code == 200


def test_the_admin_starts_and_stops_a_test(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/recommendations/experiment/add/",
        {"name": "from-admin", "treatment_params": '{"ease_lambda": 50}', "treatment_percent": 10},
    )
    assert response.status_code == 302
    experiment = Experiment.objects.get(name="from-admin")
    assert experiment.status == Experiment.Status.RUNNING
    delete_page = f"/admin/recommendations/experiment/{experiment.pk}/delete/"
    assert admin_client.get(delete_page).status_code == 403  # tests are stopped, not deleted
    response = admin_client.post(
        "/admin/recommendations/experiment/",
        {"action": "stop", "_selected_action": [experiment.pk]},
    )
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.STOPPED
    assert admin_client.get(delete_page).status_code == 403


def test_report_statistics_give_intervals_p_values_and_a_verdict() -> None:
    # given a finished 50/50 test: 10 % against 13 % conversion over 20,000 viewers each
    experiment = Experiment(name="decided", treatment_percent=50)
    now = timezone.now()
    report = ExperimentReport(
        experiment,
        now - timedelta(days=14),
        now,
        [
            VariantResult(CONTROL, 20_000, 400_000, 40_000, 1e6, 2000),
            VariantResult(TREATMENT, 20_000, 400_000, 40_400, 1e6, 2600),
        ],
    )
    # when
    rows = report_statistics(report)
    # then conversion ships the treatment, with a lift interval around +30 %
    conversion = dict(zip(STATS_COLUMNS, rows[0], strict=True))
    assert conversion["Metric"] == "Conversion"
    assert conversion["Lift (95% CI)"].startswith("+30.0% (+23.8% – +36.2%)")
    assert conversion["Verdict"].startswith("ship")
    assert conversion["Needed per variant"] == "14751"
    # and CTR's +1 % is not (yet) a decision
    assert rows[1][0] == "CTR"
    assert not rows[1][-1].startswith(("ship", "stop"))
