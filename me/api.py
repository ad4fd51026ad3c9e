from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import notification_list
from accounts.services import notifications_mark_read
from common.api.auth import user_id_of
from common.api.errors import ErrorSerializer
from common.api.pagination import cursor_page_serializer
from common.converters import MAX_ID

from .inbox import notification_items
from .views import export_response


class MeExportApi(APIView):
    """Everything kept about the requester, as a JSON file download (streamed)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='{"format", "exported_at", "user_id", "sections": '
                '{model label: [row, ...], "analytics.Event": [event, ...]}}',
            ),
            403: ErrorSerializer,
        }
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return export_response(request.user)  # type: ignore[arg-type]  # authenticated


class NotificationCursorPagination(CursorPagination):
    """Newest first; a cursor stays valid while new notifications arrive."""

    page_size = 20
    max_page_size = 50
    page_size_query_param = "limit"
    ordering = ("-created_at", "-id")


class NotificationListApi(APIView):
    """The requester's notifications, worded in the request's language, newest first."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.CharField()
        text = serializers.CharField()
        url = serializers.CharField(help_text='Where it leads; "" when the target is gone.')
        created_at = serializers.DateTimeField()
        is_unread = serializers.BooleanField()

        class Meta:
            ref_name = "Notification"

    @extend_schema(
        responses={
            200: cursor_page_serializer(OutputSerializer, "NotificationPage"),
            403: ErrorSerializer,
        }
    )
    def get(self, request: Request) -> Response:
        paginator = NotificationCursorPagination()
        page = paginator.paginate_queryset(
            notification_list(user_id=user_id_of(request)), request, view=self
        )
        items = notification_items(page or [])
        return paginator.get_paginated_response(self.OutputSerializer(items, many=True).data)


class NotificationReadApi(APIView):
    """Mark notifications read: the listed ``ids``, or all when ``ids`` is left out."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
            max_length=500,
            required=False,
        )

        class Meta:
            ref_name = "NotificationRead"

    class OutputSerializer(serializers.Serializer):
        marked = serializers.IntegerField(help_text="How many were unread and now are read.")

        class Meta:
            ref_name = "NotificationReadResult"

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = notifications_mark_read(
            user_id=user_id_of(request), ids=data.validated_data.get("ids")
        )
        return Response({"marked": marked})
