from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


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
