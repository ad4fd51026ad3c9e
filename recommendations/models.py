"""Trained recommender versions and the top-N lists they serve.

Rows of a version are written before the version is switched active, in
one transaction that retires the previous one, so readers always see one
complete version; a crash mid-training leaves a ``training`` row and the
old version serving.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import BaseModel
from recommendations.engine.models import config_with_overrides
from recommendations.engine.types import EngineConfig


class ModelVersion(BaseModel):
    """One training run: what was fit, on how much data, how well, and its state.

    .. no_pii: sizes, metrics and parameters only.
    """

    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        ACTIVE = "active", "Active (serving)"
        REJECTED = "rejected", "Rejected by the promotion gate"
        RETIRED = "retired", "Retired"
        FAILED = "failed", "Failed"
        TREATMENT = "treatment", "Serving an A/B test's treatment"

    algorithm = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=40, blank=True)
    params = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(
        default=dict, blank=True, help_text="Temporal-holdout metrics at 10."
    )
    n_users = models.PositiveIntegerField(default=0)
    n_items = models.PositiveIntegerField(default=0)
    n_interactions = models.PositiveIntegerField(default=0)
    fit_seconds = models.FloatField(default=0)
    total_seconds = models.FloatField(default=0)
    artifact_checksum = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=300, blank=True)
    sequence_status = models.CharField(
        max_length=300,
        blank=True,
        help_text="The sequence model (up next) of this run: how it trained, or why it did not.",
    )
    tuning = models.JSONField(
        default=dict,
        blank=True,
        help_text="Blend weights chosen on a temporal carve of this run's data, and their figures.",
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    experiment = models.ForeignKey(
        "Experiment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="versions",
        help_text="Set on the versions trained for an A/B test's treatment.",
    )

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="one_active_model"
            ),
            models.CheckConstraint(
                condition=models.Q(progress_percent__lte=100), name="model_progress_le_100"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.pk} {self.algorithm} ({self.status})"

    @property
    def ndcg(self) -> float | None:
        value = self.metrics.get("ndcg@10")
        return float(value) if value is not None else None


def validate_treatment_params(value: object) -> None:
    """Only known engine settings of the right type (see ``EngineConfig``)."""
    try:
        config_with_overrides(EngineConfig(), value)  # type: ignore[arg-type]
    except ValueError as error:
        raise ValidationError(str(error), code="invalid_treatment_params") from error


class Experiment(BaseModel):
    """An A/B test of the recommender: a share of viewers gets a variant model.

    The treatment is an engine configuration (``treatment_params``, overrides
    of ``EngineConfig``; ``{}`` makes an A/A test); every retrain also trains
    it on the same data and serves it, under its own version, to the viewers
    whose deterministic bucket (``name`` and user id hashed) falls below
    ``treatment_percent``. Everyone else is the control and gets the active
    version. Impressions carry the version served, so CTR, watch time and
    purchases split by variant (``recommendations.experiments``).

    .. no_pii: settings and dates only.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"

    name = models.SlugField(
        max_length=50, unique=True, help_text="Also salts the assignment: a new name reshuffles."
    )
    description = models.CharField(max_length=300, blank=True)
    treatment_params = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_treatment_params],
        help_text='Engine settings of the treatment, e.g. {"hybrid_weights": {"ease": 1, '
        '"als": 0}} or {"ease_lambda": 50}; {} is an A/A test.',
    )
    treatment_ranker = models.BooleanField(
        default=False,
        help_text="Re-order the treatment's lists with the second-stage ranker (expected watch "
        "time and purchases, trained on logged impressions at each retrain).",
    )
    treatment_percent = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    treatment_version = models.ForeignKey(
        ModelVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The treatment version serving now; none until the first retrain.",
    )
    live_at = models.DateTimeField(
        null=True, blank=True, help_text="When a treatment version first served."
    )
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("A/B test")
        verbose_name_plural = _("A/B tests")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="running"),
                name="one_running_experiment",
            ),
            models.CheckConstraint(
                condition=models.Q(treatment_percent__gte=1, treatment_percent__lte=99),
                name="experiment_percent_1_99",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.treatment_percent}% treatment, {self.status})"

    def clean(self) -> None:
        # Field validators skip "empty" values ([] or ""); the engine needs an object.
        if not isinstance(self.treatment_params, dict):
            raise ValidationError(
                {
                    "treatment_params": "Engine settings must be an object of setting names to values."
                }
            )


class UserRecommendation(models.Model):
    """A viewer's precomputed top-N of one version: ``[[item_key, score], ...]``.

    Item keys are ``"v<id>"`` for short videos and ``"c<id>"`` for courses:
    one item space, so watching videos recommends courses.

    .. no_pii: a user id and item ids.
    """

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="user_lists")
    user_id = models.BigIntegerField()
    items = models.JSONField(default=list)

    class Meta:
        verbose_name = _("user recommendation")
        verbose_name_plural = _("user recommendations")
        constraints = [
            models.UniqueConstraint(fields=["version", "user_id"], name="user_rec_once"),
        ]

    def __str__(self) -> str:
        return f"v{self.version_id} user {self.user_id}"


class ItemNeighbours(models.Model):
    """An item's most similar items in one version: ``[[item_key, score], ...]``.

    .. no_pii:
    """

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="neighbours")
    item_key = models.CharField(max_length=24)
    items = models.JSONField(default=list)

    class Meta:
        verbose_name = _("item neighbours")
        verbose_name_plural = _("item neighbours")
        constraints = [
            models.UniqueConstraint(fields=["version", "item_key"], name="item_neighbours_once"),
        ]

    def __str__(self) -> str:
        return f"v{self.version_id} {self.item_key}"


class UpNext(models.Model):
    """What the sequence model plays after ``item_key``: ``[[item_key, score], ...]``.

    ``user_id`` 0 is the list after the one-item history ``[item_key]``
    (anyone); a viewer's own row is the list after their whole time-ordered
    history at training, which ended with ``item_key``. Written only when
    the version fitted the sequence model (torch installed).

    .. no_pii: a user id and item ids.
    """

    ANYONE = 0

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="up_next")
    item_key = models.CharField(max_length=24)
    user_id = models.BigIntegerField(default=ANYONE)
    items = models.JSONField(default=list)

    class Meta:
        verbose_name = _("up-next list")
        verbose_name_plural = _("up-next lists")
        constraints = [
            models.UniqueConstraint(fields=["version", "item_key", "user_id"], name="up_next_once"),
        ]

    def __str__(self) -> str:
        return f"v{self.version_id} after {self.item_key} ({self.user_id or 'anyone'})"
