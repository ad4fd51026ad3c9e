"""A/B tests of the recommender: assignment, start and stop, and the per-variant report.

A viewer's variant is a pure function of the experiment's name and their
user id, so serving, analytics and a later audit agree without storing an
assignment row: the first 8 bytes of ``sha256("{name}:{user_id}")`` modulo
100 is the viewer's bucket, and buckets below ``treatment_percent`` are the
treatment. Only personalised, logged-in viewers are in a test (everyone
else gets trending, which no model variant changes).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from analytics import selectors
from analytics.selectors import EventType, exploration_impressions, recommended_exposure
from common.cache import cache_read_through
from common.exceptions import ApplicationError
from recommendations.engine.exploration import OffPolicyEstimate, snips_estimate

from .models import Experiment, ModelVersion

CONTROL, TREATMENT = "control", "treatment"
RUNNING_CACHE_KEY = "rec:experiment"
_NONE_RUNNING = ()  # cached when no test runs (None would read as a miss)


@dataclass(frozen=True)
class RunningExperiment:
    """What serving needs of the running test, small enough to cache."""

    name: str
    treatment_percent: int
    treatment_version_id: int | None  # None until the first retrain trained it


def variant_of(*, user_id: int, experiment: str, treatment_percent: int) -> str:
    """The viewer's variant: stable for one experiment, reshuffled by another name."""
    digest = hashlib.sha256(f"{experiment}:{user_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % 100
    return TREATMENT if bucket < treatment_percent else CONTROL


def running_experiment() -> RunningExperiment | None:
    """The running test, cached for 30 s like the active version."""

    def load() -> RunningExperiment | tuple[()]:
        row = (
            Experiment.objects.filter(status=Experiment.Status.RUNNING)
            .values_list("name", "treatment_percent", "treatment_version_id")
            .first()
        )
        return RunningExperiment(*row) if row else _NONE_RUNNING

    return cache_read_through(RUNNING_CACHE_KEY, load, timeout=30) or None


def version_for(
    *, user_id: int, active_version_id: int | None, experiment: RunningExperiment | None
) -> int | None:
    """The version a viewer is served: the treatment's if they are in it, else the active one."""
    if experiment is None or experiment.treatment_version_id is None:
        return active_version_id
    variant = variant_of(
        user_id=user_id,
        experiment=experiment.name,
        treatment_percent=experiment.treatment_percent,
    )
    return experiment.treatment_version_id if variant == TREATMENT else active_version_id


def running_experiment_forget() -> None:
    """After commit, drop the cached running test (started, stopped or re-pointed)."""
    transaction.on_commit(lambda: cache.delete(RUNNING_CACHE_KEY))


@transaction.atomic
def experiment_start(experiment: Experiment) -> Experiment:
    """Save and start a new test; its treatment serves from the next retrain on.

    Raises:
        ApplicationError: another test is running.
        ValidationError: a field is invalid (name taken, unknown engine setting...).
    """
    if Experiment.objects.select_for_update().filter(status=Experiment.Status.RUNNING).exists():
        raise ApplicationError(
            "Another A/B test is running; stop it first.", code="experiment_running"
        )
    experiment.status = Experiment.Status.RUNNING
    experiment.full_clean()
    experiment.save()
    running_experiment_forget()
    return experiment


@transaction.atomic
def experiment_stop(*, experiment_id: int) -> Experiment:
    """Stop a test: everyone gets the active version again; its treatment versions
    retire (the next retrain prunes their lists)."""
    experiment = Experiment.objects.select_for_update().filter(pk=experiment_id).first()
    if experiment is None or experiment.status != Experiment.Status.RUNNING:
        raise ApplicationError("Only a running A/B test can be stopped.", code="not_running")
    experiment.status = Experiment.Status.STOPPED
    experiment.stopped_at = timezone.now()
    experiment.save(update_fields=["status", "stopped_at", "updated_at"])
    ModelVersion.objects.filter(experiment=experiment, status=ModelVersion.Status.TREATMENT).update(
        status=ModelVersion.Status.RETIRED
    )
    running_experiment_forget()
    return experiment


@dataclass(frozen=True)
class VariantResult:
    """One variant's viewers and outcomes over the test's live window."""

    variant: str
    viewers: int  # logged-in viewers with a recommended impression
    impressions: int
    plays: int
    watch_seconds: float
    buyers: int

    @property
    def ctr(self) -> float | None:
        return self.plays / self.impressions if self.impressions else None

    @property
    def watch_seconds_per_viewer(self) -> float | None:
        return self.watch_seconds / self.viewers if self.viewers else None

    @property
    def conversion(self) -> float | None:
        return self.buyers / self.viewers if self.viewers else None


@dataclass(frozen=True)
class ExplorationReport:
    """The feed's exploration slots over a window, and an off-policy estimate.

    ``logged_ctr`` is what Thompson sampling earned (plays / exploration
    impressions); ``uniform`` estimates, from the same logs and their
    logged propensities, what a uniformly random pick among the same fresh
    candidates would have earned: self-normalised IPS with a 95 % interval
    (``engine.exploration.snips_estimate``). A play of the video by the
    same viewer in the window counts as the impression's click.
    """

    impressions: int
    logged_ctr: float
    uniform: OffPolicyEstimate


@dataclass(frozen=True)
class ExperimentReport:
    experiment: Experiment
    since: datetime | None  # None: no treatment version has served yet
    until: datetime
    variants: list[VariantResult]
    exploration: ExplorationReport | None = None


def exploration_report(*, since: datetime, until: datetime) -> ExplorationReport | None:
    """Exploration impressions (those logged with ``explore_candidates``) in the
    window, in two queries; None when there are none."""
    logged = exploration_impressions(since=since, until=until)
    rows = [
        (played, float(props["propensity"]), int(props["explore_candidates"]))
        for played, props in logged
        if _valid_exploration_props(props)
    ]
    if not rows:
        return None
    rewards = np.asarray([r[0] for r in rows], float)
    propensities = np.asarray([r[1] for r in rows])
    uniform = np.asarray([1.0 / r[2] for r in rows])
    return ExplorationReport(
        impressions=len(rows),
        logged_ctr=float(rewards.mean()),
        uniform=snips_estimate(rewards, propensities, uniform),
    )


def _valid_exploration_props(props: object) -> bool:
    """Props come from pages: only a propensity in (0, 1] and a positive count are read."""
    if not isinstance(props, dict):
        return False
    propensity, candidates = props.get("propensity"), props.get("explore_candidates")
    return (
        isinstance(propensity, int | float)
        and not isinstance(propensity, bool)
        and 0 < propensity <= 1
        and isinstance(candidates, int)
        and not isinstance(candidates, bool)
        and candidates >= 1
    )


def experiment_report(experiment: Experiment) -> ExperimentReport:
    """CTR, watch time and purchase conversion per variant, in five queries (six
    with exploration impressions, :func:`exploration_report`).

    The window runs from the first treatment version serving to the stop
    (or now). Viewers are the logged-in subjects with at least one
    recommended impression (one carrying ``props.model_version``) in the
    window, split by their assigned variant. CTR = recommended plays /
    recommended impressions; watch time follows the analytics rule (the
    largest cumulative ``video.progress`` per video and local day, summed);
    conversion = viewers with a purchase in the window / viewers.
    """
    until = experiment.stopped_at or timezone.now()
    since = experiment.live_at
    if since is None:
        return ExperimentReport(experiment, None, until, [])
    exposure = recommended_exposure(since=since, until=until)
    totals = {v: [0, 0, 0, 0.0, 0] for v in (CONTROL, TREATMENT)}
    for subject_id, user_id in exposure.user_of.items():
        variant = variant_of(
            user_id=user_id,
            experiment=experiment.name,
            treatment_percent=experiment.treatment_percent,
        )
        seen = exposure.counts.get(subject_id, {})
        row = totals[variant]
        row[0] += 1
        row[1] += seen.get(EventType.IMPRESSION, 0)
        row[2] += seen.get(EventType.PLAY, 0)
        row[3] += exposure.watched_seconds.get(subject_id, 0.0)
        row[4] += subject_id in exposure.buyers
    variants = [
        VariantResult(variant, int(v), int(i), int(p), float(w), int(b))
        for variant, (v, i, p, w, b) in totals.items()
    ]
    exploration = exploration_report(since=since, until=until)
    return ExperimentReport(experiment, since, until, variants, exploration)


REPORT_COLUMNS = (
    "Variant",
    "Viewers",
    "Impressions",
    "CTR",
    "Watch s / viewer",
    "Buyers",
    "Conversion",
)


def report_rows(report: ExperimentReport) -> list[list[str | int]]:
    """The report as table cells (``REPORT_COLUMNS``): rates in percent, "–" for no data."""

    def share(value: float | None) -> str:
        return "–" if value is None else f"{value * 100:.2f}%"

    return [
        [
            v.variant,
            v.viewers,
            v.impressions,
            share(v.ctr),
            "–" if v.watch_seconds_per_viewer is None else f"{v.watch_seconds_per_viewer:.1f}",
            v.buyers,
            share(v.conversion),
        ]
        for v in report.variants
    ]


STATS_COLUMNS = (
    "Metric",
    "Control",
    "Treatment (95% CI)",
    "Lift (95% CI)",
    "p, fixed horizon",
    "p, always valid",
    "Needed per variant",
    "Verdict",
)
MINIMUM_LIFT = 0.1  # the smallest relative change worth shipping, for sample size and mSPRT


def report_statistics(report: ExperimentReport) -> list[list[str]]:
    """Per metric: rates, the lift's interval, both p-values, the size needed and the verdict.

    Conversion (buyers / viewers) and CTR (plays / impressions) are
    proportions; impressions of one viewer are not independent, so the CTR
    row's p-values are optimistic and the decision rests on conversion. The
    rule (analytics.stats): ship or stop when the always-valid mSPRT p-value
    is below 0.05, which stays valid however often the page is read; a
    sample-ratio mismatch (p < 0.001) voids the test.
    """
    by = {v.variant: v for v in report.variants}
    if CONTROL not in by or TREATMENT not in by:
        return []
    a, b = by[CONTROL], by[TREATMENT]
    share = report.experiment.treatment_percent / 100
    rows = []
    for label, (xa, na), (xb, nb) in (
        ("Conversion", (a.buyers, a.viewers), (b.buyers, b.viewers)),
        ("CTR", (a.plays, a.impressions), (b.plays, b.impressions)),
    ):
        # the sample-ratio check is about viewers, whatever the metric's unit
        decision = selectors.ab_statistics(
            control=(xa, na), treatment=(xb, nb), treatment_share=share, minimum_lift=MINIMUM_LIFT
        )
        if label == "CTR":
            srm = selectors.ab_statistics(
                control=(a.buyers, a.viewers),
                treatment=(b.buyers, b.viewers),
                treatment_share=share,
            )
            decision = decision if srm.verdict != "broken" else srm
        rows.append(_statistics_row(label, xa, na, xb, nb, decision))
    return rows


def _statistics_row(
    label: str, xa: int, na: int, xb: int, nb: int, decision: selectors.ABDecision
) -> list[str]:
    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value * 100:.2f}%"

    test = decision.test
    interval = selectors.ab_interval(xb, nb)
    return [
        label,
        pct(xa / na if na else None),
        "–" if interval is None else f"{pct(xb / nb)} ({pct(interval[0])} – {pct(interval[1])})",
        "–"
        if test is None or test.lift is None or test.lift_ci is None
        else f"{test.lift * 100:+.1f}% ({test.lift_ci[0] * 100:+.1f}% – {test.lift_ci[1] * 100:+.1f}%)",
        "–" if test is None else f"{test.p_value:.3g}",
        "–" if decision.always_valid_p is None else f"{decision.always_valid_p:.3g}",
        "–" if decision.needed_per_variant is None else str(decision.needed_per_variant),
        f"{decision.verdict}: {decision.reason}",
    ]


REPORT_CACHE_SECONDS = 300


def experiment_report_cached(experiment: Experiment) -> ExperimentReport:
    """:func:`experiment_report`, computed at most every five minutes: it reads the
    window's raw events, so staff pages reuse it like a rollup."""
    key = f"rec:experiment-report:{experiment.pk}:{experiment.status}"
    return cache_read_through(
        key, lambda: experiment_report(experiment), timeout=REPORT_CACHE_SECONDS
    )


def experiment_report_latest() -> ExperimentReport | None:
    """The running test's report, else the most recently started one's, else None (cached)."""
    running = Experiment.objects.filter(status=Experiment.Status.RUNNING)
    experiment = running.first() or Experiment.objects.order_by("-created_at").first()
    return experiment_report_cached(experiment) if experiment else None
