"""Model versions in Django admin: metrics, retrain and roll back; and two
read-only screens of what the recommender sees (recommendations.insights):
the similarity heatmap of popular items and one viewer's profile."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from common.converters import MAX_ID
from common.exceptions import ApplicationError

from . import insights
from .models import ModelVersion
from .services import SEQUENCE_UNAVAILABLE as UNAVAILABLE
from .services import model_version_rollback
from .tasks import recommender_retrain_task

_MAY_HAVE_LISTS = (
    ModelVersion.Status.ACTIVE,
    ModelVersion.Status.RETIRED,
    ModelVersion.Status.TREATMENT,
)


class HeatmapQueryForm(forms.Form):
    """``?version=&n=``: an invalid value falls back to its default, with the error shown."""

    version = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    n = forms.IntegerField(
        required=False,
        min_value=insights.HEATMAP_SIZE_MIN,
        max_value=insights.HEATMAP_SIZE_MAX,
        label=gettext_lazy("Items"),
    )


class ViewerSearchForm(forms.Form):
    q = forms.CharField(max_length=150, required=False, label=gettext_lazy("User id or username"))


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
        "sequence_model",
        "blend_weights",
        "similarity",
        "members",
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

    @admin.display(description=gettext_lazy("Sequence model (up next)"))
    def sequence_model(self, version: ModelVersion) -> str:
        """How SASRec trained for this version, or that it is unavailable (torch absent, off)."""
        if not version.sequence_status:
            return "-"
        if version.sequence_status in UNAVAILABLE:
            return gettext("Unavailable: %(why)s") % {"why": version.sequence_status}
        return version.sequence_status

    @admin.display(description=gettext_lazy("Blend weights"))
    def blend_weights(self, version: ModelVersion) -> str:
        """The feed blend's member weights this version serves, and where they came from."""
        weights = version.tuning.get("weights") or version.params.get("hybrid_weights") or {}
        shown = ", ".join(f"{name} {weight:g}" for name, weight in weights.items() if weight)
        if not shown:
            return "-"
        if version.tuning.get("carve"):
            return gettext("%(weights)s (chosen on a %(carve)s carve, NDCG@10 %(ndcg).4f)") % {
                "weights": shown,
                "carve": version.tuning["carve"],
                "ndcg": version.tuning.get("validation_ndcg", 0.0),
            }
        return shown

    @admin.display(description="Members")
    def members(self, version: ModelVersion) -> str:
        """The blend's members, and any member left out with the reason (dense budget, torch)."""
        names = ", ".join(version.params.get("members", [])) or "-"
        notes = version.params.get("model_notes", [])
        if not notes:
            return names
        return format_html("{}<br><small>{}</small>", names, " ".join(notes))

    @admin.display(description="Similarity")
    def similarity(self, version: ModelVersion) -> str:
        if version.status not in _MAY_HAVE_LISTS:
            return "-"  # lists are written for the versions that serve (and kept for rollback)
        url = reverse("admin:recommendations_modelversion_heatmap")
        return format_html('<a href="{}?version={}">heatmap</a>', url, version.pk)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view  # staff only: others go to the login page
        custom = [
            path(
                "heatmap/",
                view(self.heatmap_view),
                name="recommendations_modelversion_heatmap",
            ),
            path(
                "viewer/",
                view(self.viewer_search_view),
                name="recommendations_modelversion_viewer_search",
            ),
            path(
                "viewer/<int:user_id>/",
                view(self.viewer_profile_view),
                name="recommendations_modelversion_viewer",
            ),
        ]
        return custom + super().get_urls()  # before "<path:object_id>/" swallows them

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **extra,
        }

    def heatmap_view(self, request: HttpRequest) -> HttpResponse:
        """Similarity among the most popular items of a version (default: the active one)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = HeatmapQueryForm(request.GET)
        form.is_valid()  # cleaned_data keeps the valid fields; errors are shown
        heatmap = insights.similarity_heatmap(
            version_id=form.cleaned_data.get("version"), size=form.cleaned_data.get("n")
        )
        asked = form.cleaned_data.get("version")
        context = self._context(
            request,
            gettext("Item similarity heatmap"),
            form=form,
            heatmap=heatmap,
            asked_version=asked,
        )
        return TemplateResponse(request, "admin/recommendations/heatmap.html", context)

    def _require_viewer_access(self, request: HttpRequest) -> None:
        # A viewer's profile is personal data: the user admin's view right too.
        if not (self.has_view_permission(request) and request.user.has_perm("accounts.view_user")):
            raise PermissionDenied

    def viewer_search_view(self, request: HttpRequest) -> HttpResponse:
        """Find a viewer by id or username; one exact match opens their profile."""
        self._require_viewer_access(request)
        form = ViewerSearchForm(request.GET)
        query = form.cleaned_data["q"] if form.is_valid() else ""
        matches = insights.viewer_search(query=query)
        exact = [m for m in matches if m.is_exact]
        if len(exact) == 1 or (len(matches) == 1 and query):
            target = (exact or matches)[0]
            return HttpResponseRedirect(
                reverse("admin:recommendations_modelversion_viewer", args=[target.id])
            )
        context = self._context(
            request, gettext("Viewer profile: find a user"), form=form, matches=matches, query=query
        )
        return TemplateResponse(request, "admin/recommendations/viewer_search.html", context)

    def viewer_profile_view(self, request: HttpRequest, user_id: int) -> HttpResponse:
        """A viewer's interests, hours, watch time, likes and served list."""
        self._require_viewer_access(request)
        profile = insights.viewer_profile(user_id=user_id)
        if profile is None:
            raise Http404("No such user.")
        context = self._context(
            request,
            gettext("Viewer profile: %(username)s") % {"username": profile.username},
            profile=profile,
            search_form=ViewerSearchForm(),
            picked_weight=insights.PICKED_TAG_WEIGHT,
            half_life=settings.RECOMMENDATIONS_HALF_LIFE_DAYS,
        )
        return TemplateResponse(request, "admin/recommendations/viewer_profile.html", context)

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
