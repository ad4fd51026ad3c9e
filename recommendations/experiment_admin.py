"""Admin for A/B tests: start one, follow its per-variant results, stop it."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from common.exceptions import ApplicationError

from .experiments import (
    REPORT_COLUMNS,
    STATS_COLUMNS,
    experiment_report_cached,
    experiment_start,
    experiment_stop,
    report_rows,
    report_statistics,
)
from .models import Experiment
from .tasks import recommender_retrain_task


class ExperimentForm(forms.ModelForm):
    class Meta:
        model = Experiment
        fields = [
            "name",
            "description",
            "treatment_params",
            "treatment_ranker",
            "treatment_percent",
        ]

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        running = Experiment.objects.filter(status=Experiment.Status.RUNNING)
        if self.instance.pk is None and running.exists():
            raise ValidationError("Another A/B test is running; stop it first.")
        return cleaned


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    """Start a test (it serves from the next retrain), read its results, stop it."""

    form = ExperimentForm
    list_display = (
        "name",
        "status",
        "treatment_percent",
        "treatment_version",
        "live_at",
        "stopped_at",
        "created_at",
    )
    list_filter = ("status",)
    actions = ["stop", "retrain_now"]

    def has_delete_permission(self, request: HttpRequest, obj: Experiment | None = None) -> bool:
        # Tests are stopped, never deleted: their treatment versions would lose the
        # mark that keeps them out of rollback and out of the production lists kept.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Experiment | None = None) -> list[str]:
        if obj is None:
            return []
        return [
            "name",
            "treatment_params",
            "treatment_percent",
            "status",
            "treatment_version",
            "live_at",
            "stopped_at",
            "results",
        ]

    def get_fields(  # type: ignore[override]
        self, request: HttpRequest, obj: Experiment | None = None
    ) -> list[str]:
        if obj is None:
            return list(ExperimentForm.Meta.fields)
        return ["name", "description", *self.get_readonly_fields(request, obj)[1:]]

    def save_model(self, request: HttpRequest, obj: Experiment, form: Any, change: bool) -> None:
        if change:  # only the description is editable
            obj.save(update_fields=["description", "updated_at"])
            return
        try:
            experiment_start(obj)
        except ApplicationError as error:  # a test started since the form was checked
            raise ValidationError(error.message) from error
        self.message_user(
            request,
            "The A/B test runs: its treatment serves from the next retrain "
            "(or use “Retrain now” on it).",
        )

    @admin.display(description="Results per variant")
    def results(self, experiment: Experiment) -> SafeString:
        report = experiment_report_cached(experiment)
        if report.since is None:
            return format_html("{}", "No treatment version has served yet: retrain to start it.")
        head = format_html_join("", "<th>{}</th>", ((c,) for c in REPORT_COLUMNS))
        rows = format_html_join(
            "",
            "<tr>{}</tr>",
            (
                (format_html_join("", "<td>{}</td>", ((c,) for c in row)),)
                for row in report_rows(report)
            ),
        )
        stats_head = format_html_join("", "<th>{}</th>", ((c,) for c in STATS_COLUMNS))
        stats_rows = format_html_join(
            "",
            "<tr>{}</tr>",
            (
                (format_html_join("", "<td>{}</td>", ((c,) for c in row)),)
                for row in report_statistics(report)
            ),
        )
        table = format_html(
            "<p>{} – {}</p><table><tr>{}</tr>{}</table><table><tr>{}</tr>{}</table>",
            report.since,
            report.until,
            head,
            rows,
            stats_head,
            stats_rows,
        )
        explored = report.exploration
        if explored is None:
            return table
        estimate = explored.uniform
        return format_html(
            "{}<p>{}</p>",
            table,
            gettext(
                "Exploration slots: %(n)d impressions, CTR %(ctr).2f%% (Thompson sampling). "
                "Off-policy (SNIPS) estimate of a uniform pick instead: %(value).2f%%, "
                "95%% CI %(low).2f%%–%(high).2f%%, effective sample %(ess).0f."
            )
            % {
                "n": explored.impressions,
                "ctr": explored.logged_ctr * 100,
                "value": estimate.value * 100,
                "low": estimate.low * 100,
                "high": estimate.high * 100,
                "ess": estimate.effective_sample_size,
            },
        )

    @admin.action(description="Stop the selected A/B test")
    def stop(self, request: HttpRequest, queryset: QuerySet[Experiment]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one A/B test.", level=messages.ERROR)
            return
        try:
            experiment = experiment_stop(experiment_id=queryset.get().pk)
        except ApplicationError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return
        self.message_user(request, f"{experiment.name} stopped: everyone gets the active model.")

    @admin.action(description="Retrain now (production model, then the treatment)")
    def retrain_now(self, request: HttpRequest, queryset: QuerySet[Experiment]) -> None:
        recommender_retrain_task.delay()
        self.message_user(request, "Retraining was queued; refresh this page to follow it.")
