"""One error shape for every 4xx: ``{"code", "message", "extra"}``."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from common.exceptions import ApplicationError


class ErrorSerializer(serializers.Serializer):
    """Documents the error body in the OpenAPI schema."""

    code = serializers.CharField()
    message = serializers.CharField()
    extra = serializers.DictField()


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn every known error into the shared body; unknown ones stay 500s."""
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "message": exc.message, "extra": exc.extra}
        return Response(body, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(as_serializer_error(exc))
    response = exception_handler(exc, context)  # also maps Http404 and PermissionDenied
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        fields = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        response.data = {
            "code": "invalid",
            "message": _first_message(fields),
            "extra": {"fields": fields},
        }
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        code = getattr(detail, "code", "error")
        response.data = {"code": code, "message": str(detail), "extra": {}}
    return response


def _first_message(fields: dict[str, Any]) -> str:
    """Name the first invalid field so a client can show one line."""
    for name, errors in fields.items():
        first = errors[0] if isinstance(errors, list) and errors else errors
        if isinstance(first, dict):
            return f"Invalid input in {name}."
        return f"{name}: {first}"
    return "Invalid input."
