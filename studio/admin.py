"""The review queue in Django admin: approve, or reject with a reason the creator sees.

Videos and courses appear through proxy models (no tables of their own);
viewers' reports (courses.Report) sit in the same "Creator studio" section,
and upholding one hides the reported video or comment.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from courses.selectors import (
    ReviewSignals,
    course_changes_in_review,
    course_review_signals,
    courses_for_review,
    video_review_signals,
    videos_for_review,
)

from .models import CourseReview, PublishSchedule, ReportReview, UploadSession, VideoReview
from .services import moderation_decide, report_resolve


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=300, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), strip=True
    )


def _reject_with_reason(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, decide: Any
) -> HttpResponse | None:
    """The usual two-step admin action: ask for the reason, then apply it."""
    form = RejectForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        count = 0
        for item in queryset:
            decide(item, form.cleaned_data["reason"])
            count += 1
        modeladmin.message_user(request, f"{count} rejected.", messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Reject with a reason",
        "form": form,
        "queryset": queryset,
        "action": request.POST.get("action"),
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "studio/admin_reject.html", context)


class ReviewAdmin(admin.ModelAdmin):
    list_display = ["title", "creator", "status", "moderation", "moderation_reason", "updated_at"]
    list_filter = ["moderation", "status"]
    search_fields = ["title", "creator__username"]
    readonly_fields = ["moderation", "moderation_reason"]
    actions = ["approve", "reject"]
    list_select_related = ["creator"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Approve selected")
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        for item in queryset:
            moderation_decide(item=item, approve=True)
        self.message_user(request, f"{queryset.count()} approved.", messages.SUCCESS)

    @admin.action(description="Reject selected, with a reason…")
    def reject(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return _reject_with_reason(
            self,
            request,
            queryset,
            lambda item, reason: moderation_decide(item=item, approve=False, reason=reason),
        )


def _risk_cell(risk: float) -> SafeString:
    return format_html("{}", f"{risk:.2f}")


def _flagged_html(signals: ReviewSignals, *, size: int) -> SafeString:
    """The keyframes that scored, each with its second, risk and the detector's labels."""
    if not signals.flagged:
        return mark_safe("-")
    return format_html_join(
        mark_safe(" "),
        '<a href="{0}" target="_blank" rel="noopener" title="{2} s · {3} · {4}">'
        '<img src="{0}" alt="{1}" width="{5}" loading="lazy"></a>',
        (
            (
                frame.image_url,
                _("Flagged frame"),
                f"{frame.timestamp:.1f}",
                f"{frame.risk:.2f}",
                ", ".join(frame.labels),
                size,
            )
            for frame in signals.flagged
        ),
    )


def _duplicates_html(signals: ReviewSignals) -> SafeString:
    """Another creator's earlier upload this one repeats, with how much of it matches."""
    if not signals.duplicates:
        return mark_safe("-")
    return format_html_join(
        mark_safe("<br>"),
        '<a href="{}">{}</a> ({} {}, {} {})',
        (
            (
                dup.url or "#",
                dup.title or _("unused upload #%(id)s") % {"id": dup.asset_id},
                _("similarity"),
                f"{dup.similarity:.0%}",
                _("contained"),
                f"{dup.containment:.0%}",
            )
            for dup in signals.duplicates
        ),
    )


@admin.register(VideoReview)
class VideoReviewAdmin(ReviewAdmin):
    """Riskiest first (the pre-screen's score); a moderator still decides every item."""

    list_display = [
        *ReviewAdmin.list_display,
        "open_reports",
        "risk",
        "flagged_frames",
        "duplicate_of",
    ]
    readonly_fields = [*ReviewAdmin.readonly_fields, "risk", "flagged_frames", "duplicate_of"]
    list_select_related = ["creator", "asset__analysis"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Not super(): it orders by get_ordering() before the risk is annotated.
        qs = videos_for_review(self.model._default_manager.get_queryset()).annotate(
            open_report_count=Count("reports", filter=Q(reports__status="open"), distinct=True)
        )
        return qs.order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return ["-risk", "-updated_at"]

    @admin.display(ordering="open_report_count", description=_("Open reports"))
    def open_reports(self, obj: Any) -> int:
        return int(obj.open_report_count)

    @admin.display(ordering="risk", description=_("Risk"))
    def risk(self, obj: Any) -> SafeString:
        return _risk_cell(float(obj.risk))

    @admin.display(description=_("Flagged frames"))
    def flagged_frames(self, obj: Any) -> SafeString:
        return _flagged_html(video_review_signals(obj), size=96)

    @admin.display(description=_("Duplicate of"))
    def duplicate_of(self, obj: Any) -> SafeString:
        return _duplicates_html(video_review_signals(obj))


@admin.register(CourseReview)
class CourseReviewAdmin(ReviewAdmin):
    """A course that was approved stays live in review; the queue shows what changed,
    riskiest lesson video first."""

    list_display = [*ReviewAdmin.list_display, "approved_at", "risk"]
    readonly_fields = [
        *ReviewAdmin.readonly_fields,
        "approved_at",
        "changes_in_review",
        "flagged_frames",
        "duplicate_of",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = courses_for_review(self.model._default_manager.get_queryset())
        return qs.order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return ["-risk", "-updated_at"]

    @admin.display(ordering="risk", description=_("Risk"))
    def risk(self, obj: Any) -> SafeString:
        return _risk_cell(float(obj.risk))

    @admin.display(description=_("Flagged frames"))
    def flagged_frames(self, obj: Any) -> SafeString:
        return _flagged_html(course_review_signals(obj), size=160)

    @admin.display(description=_("Duplicate of"))
    def duplicate_of(self, obj: Any) -> SafeString:
        return _duplicates_html(course_review_signals(obj))

    @admin.display(description="Changes waiting for review")
    def changes_in_review(self, obj: Any) -> str:
        lines = course_changes_in_review(obj)
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) or "-"


@admin.register(ReportReview)
class ReportReviewAdmin(admin.ModelAdmin):
    list_display = ["id", "video", "comment", "reason", "details", "status", "created_at"]
    list_filter = ["status", "reason"]
    list_select_related = ["video", "comment"]
    actions = ["uphold", "dismiss"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Uphold: hide the video or comment…")
    def uphold(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return _reject_with_reason(
            self,
            request,
            queryset,
            lambda report, reason: report_resolve(report=report, uphold=True, reason=reason),
        )

    @admin.action(description="Dismiss selected")
    def dismiss(self, request: HttpRequest, queryset: QuerySet) -> None:
        closed = sum(report_resolve(report=r, uphold=False) for r in queryset)
        self.message_user(request, f"{closed} report(s) dismissed.", messages.SUCCESS)


@admin.register(UploadSession)
class UploadSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "purpose", "filename", "offset", "size_bytes", "status"]
    list_filter = ["status", "purpose"]
    readonly_fields = [f.name for f in UploadSession._meta.fields]


@admin.register(PublishSchedule)
class PublishScheduleAdmin(admin.ModelAdmin):
    list_display = ["id", "course", "video", "publish_at", "done_at", "failure_reason"]
