from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.exceptions import ApplicationError

from .models import ModelVersion
from .services import model_version_rollback
from .tasks import recommender_retrain_task


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    """Training runs: state, progress, data sizes and holdout metrics; retrain or roll back."""

    list_display = (
        "id",
        "algorithm",
        "status",
        "progress_percent",
        "stage",
        "ndcg",
        "n_users",
        "n_items",
        "n_interactions",
        "fit_seconds",
        "total_seconds",
        "created_at",
        "activated_at",
    )
    list_filter = ("status", "algorithm")
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
    actions = ["retrain_now", "roll_back_to"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="NDCG@10")
    def ndcg(self, version: ModelVersion) -> float | None:
        return version.ndcg

    @admin.action(description="Retrain the recommender now (queue ml)")
    def retrain_now(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        recommender_retrain_task.delay()
        self.message_user(request, "Retraining was queued; refresh this page to follow it.")

    @admin.action(description="Roll back: serve the selected (retired) version again")
    def roll_back_to(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", level=messages.ERROR)
            return
        try:
            version = model_version_rollback(version_id=queryset.get().pk)
        except ApplicationError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return
        self.message_user(request, f"Version {version.pk} is serving again.")


from . import experiment_admin  # noqa: E402, F401  (registers the A/B test admin)
