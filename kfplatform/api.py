from django.db import connection
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from common.api.auth import user_id_of
from common.api.errors import ErrorSerializer

from .views import export_response


class HealthApi(APIView):
    """Liveness plus a database round trip, for load balancers."""

    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField()
        database = serializers.CharField()

        class Meta:
            ref_name = "Health"

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Response({"status": "ok", "database": connection.vendor})


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
        return export_response(User.objects.get(pk=user_id_of(request)))
