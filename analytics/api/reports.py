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
