"""Trained recommender versions and the top-N lists they serve.

Rows of a version are written before the version is switched active, in
one transaction that retires the previous one, so readers always see one
complete version; a crash mid-training leaves a ``training`` row and the
old version serving.
"""

from django.db import models

from common.models import BaseModel


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
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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
        constraints = [
            models.UniqueConstraint(fields=["version", "item_key"], name="item_neighbours_once"),
        ]

    def __str__(self) -> str:
        return f"v{self.version_id} {self.item_key}"
