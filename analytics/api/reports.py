"""Read-only report APIs for the dashboards: JSON over the rollups (staff with the dashboard permission)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import rollups, selectors
from analytics.models import Event
from analytics.rollups.breakdowns import DIMENSIONS
from analytics.selectors.event_retention import GRAINS
from common.api.errors import ErrorSerializer

DASHBOARD_PERMISSION = "analytics.view_dashboard"


class CanViewDashboard(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.has_perm(DASHBOARD_PERMISSION))


class RangeSerializer(serializers.Serializer):
    first = serializers.DateField(
        required=False, help_text="First local day; default 29 days before last."
    )
    last = serializers.DateField(required=False, help_text="Last local day; default yesterday.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        last = attrs.get("last") or rollups.local_today() - timedelta(days=1)
        first = attrs.get("first") or last - timedelta(days=29)
        if first > last:
            raise serializers.ValidationError({"first": "The range must run forward."})
        if (last - first).days + 1 > rollups.MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"first": f"A range lasts at most {rollups.MAX_RANGE_DAYS} days."}
            )
        return {**attrs, "first": first, "last": last}


class TableSerializer(serializers.Serializer):
    """A report table: the same numbers as the dashboard's chart, data table and CSV."""

    name = serializers.CharField()
    caption = serializers.CharField()
    columns = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    rows = serializers.ListField(child=serializers.DictField())


def table_json(table: selectors.Table) -> dict[str, Any]:
    return {
        "name": table.name,
        "caption": table.caption,
        "columns": [list(c) for c in table.columns],
        "rows": table.rows,
    }


class BreakdownApi(APIView):
    """``GET /api/v1/analytics/breakdown``: one KPI per platform, channel, visitor, category, creator or course."""

    permission_classes = [CanViewDashboard]

    class InputSerializer(RangeSerializer):
        metric = serializers.ChoiceField(choices=sorted(selectors.BREAKDOWN_METRICS))
        dimension = serializers.ChoiceField(choices=DIMENSIONS)

        class Meta:
            ref_name = "AnalyticsBreakdownIn"

    class OutputSerializer(serializers.Serializer):
        totals = TableSerializer()
        series = TableSerializer()

        class Meta:
            ref_name = "AnalyticsBreakdownOut"

    @extend_schema(
        operation_id="analytics_breakdown",
        parameters=[InputSerializer],
        responses={200: OutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        description=(
            "The metric over the range per value of the dimension, against the previous period "
            "of the same length (`totals`), and per day (`series`). Computed from daily rollups; "
            "`avg_dau` averages daily actives (a subject using two platforms counts in both)."
        ),
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        args: dict[str, Any] = {
            "metric": data["metric"],
            "dimension": data["dimension"],
            "first": data["first"],
            "last": data["last"],
        }
        return Response(
            {
                "totals": table_json(selectors.kpi_breakdown(**args)),
                "series": table_json(selectors.kpi_breakdown_series(**args)),
            }
        )


class EventRetentionApi(APIView):
    """``GET /api/v1/analytics/retention``: cohorts of any start event returning with any event."""

    permission_classes = [CanViewDashboard]

    class InputSerializer(serializers.Serializer):
        start_event = serializers.ChoiceField(choices=Event.Type.choices)
        return_event = serializers.ChoiceField(choices=Event.Type.choices)
        grain = serializers.ChoiceField(choices=sorted(GRAINS), default="day")
        first = serializers.DateField(required=False)
        last = serializers.DateField(required=False)

        class Meta:
            ref_name = "AnalyticsRetentionIn"

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            first, last = attrs.get("first"), attrs.get("last")
            if (first is None) != (last is None):
                raise serializers.ValidationError(
                    {"first": "Give both first and last, or neither (the mature default)."}
                )
            if (
                first
                and last
                and (last < first or (last - first).days + 1 > rollups.MAX_RANGE_DAYS)
            ):
                raise serializers.ValidationError(
                    {
                        "first": f"The range must run forward and last at most {rollups.MAX_RANGE_DAYS} days."
                    }
                )
            return attrs

    @extend_schema(
        operation_id="analytics_event_retention",
        parameters=[InputSerializer],
        responses={200: TableSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        description=(
            "Share of each cohort (first `start_event` in the range, by day, week or month) "
            "that sent `return_event` k periods later; null cells are still in progress. "
            "Without a range: the latest cohorts whose last shown period has ended."
        ),
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        table = selectors.event_retention_table(**params.validated_data)
        return Response(table_json(table))


class CanSeeSubjects(BasePermission):
    """Pseudonymous drop-off lists: staff with the dashboard permission only."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_staff and user.has_perm(DASHBOARD_PERMISSION))


class FunnelStepSerializer(serializers.Serializer):
    event = serializers.CharField()
    subjects = serializers.IntegerField()
    to_convert = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Subjects per time-to-convert bucket (see `buckets_seconds`); empty for step 1.",
    )


class CustomFunnelApi(APIView):
    """``GET /api/v1/analytics/funnel``: an ordered funnel of 2–5 known events within a window."""

    permission_classes = [CanViewDashboard]

    class InputSerializer(RangeSerializer):
        steps = serializers.CharField(help_text="2–5 event types, comma-separated, in order.")
        window_hours = serializers.IntegerField(
            min_value=1, max_value=30 * 24, help_text="From entry (step 1), 1 hour to 30 days."
        )
        course_id = serializers.IntegerField(required=False, min_value=1)
        creator_id = serializers.IntegerField(required=False, min_value=1)
        drop_off_step = serializers.IntegerField(
            required=False, min_value=2, help_text="List who reached the step before but not this."
        )

        class Meta:
            ref_name = "AnalyticsFunnelIn"

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            attrs = super().validate(attrs)
            try:
                attrs["query"] = selectors.funnel_query(
                    steps=[s.strip() for s in attrs["steps"].split(",") if s.strip()],
                    window_seconds=attrs["window_hours"] * 3600,
                    first=attrs["first"],
                    last=attrs["last"],
                    course_id=attrs.get("course_id"),
                    creator_id=attrs.get("creator_id"),
                )
            except ValueError as error:
                raise serializers.ValidationError({"steps": str(error)}) from error
            step = attrs.get("drop_off_step")
            if step is not None and step > len(attrs["query"].steps):
                raise serializers.ValidationError(
                    {"drop_off_step": "Pick a step of the funnel after the first."}
                )
            return attrs

    class OutputSerializer(serializers.Serializer):
        steps = FunnelStepSerializer(many=True)
        buckets_seconds = serializers.ListField(child=serializers.IntegerField())
        in_progress = serializers.BooleanField()
        drop_offs = serializers.ListField(child=serializers.CharField(), required=False)

        class Meta:
            ref_name = "AnalyticsFunnelOut"

    @extend_schema(
        operation_id="analytics_custom_funnel",
        parameters=[InputSerializer],
        responses={200: OutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        description=(
            "Subjects entering with the first step in the range (their first one) and reaching "
            "each later step in order before entry + window; a course or creator filter holds "
            "for every step except signup, login and search. `to_convert` buckets the time from "
            "entry, with upper edges `buckets_seconds`. With `drop_off_step`, also the pseudonyms "
            "of up to 100 subjects who reached the step before but not it (staff only). Read "
            "from the first-of-day rollup (docs/metrics.md §Custom funnels)."
        ),
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data["query"]
        funnel = selectors.custom_funnel(query=query)
        body: dict[str, Any] = {
            "steps": [
                {"event": s.event, "subjects": s.subjects, "to_convert": s.to_convert}
                for s in funnel.steps
            ],
            "buckets_seconds": list(selectors.CONVERT_BUCKETS),
            "in_progress": not funnel.closed,
        }
        step = params.validated_data.get("drop_off_step")
        if step is not None:
            if not CanSeeSubjects().has_permission(request, self):
                self.permission_denied(request, message="Drop-off lists are for staff.")
            body["drop_offs"] = selectors.custom_funnel_drop_offs(query=query, step=step)
        return Response(body)
