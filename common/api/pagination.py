"""The OpenAPI shape of a cursor-paginated list, written once.

An ``APIView`` that paginates by hand returns ``{"next", "previous",
"results"}``; drf-spectacular cannot see that from ``Serializer(many=True)``
and would document a bare array (schemathesis found three such lists).
"""

from typing import Any

from rest_framework import serializers


def cursor_page_serializer(item: type[serializers.Serializer], name: str) -> Any:
    """A serializer class documenting one cursor page of ``item`` rows, named ``name``."""
    fields: dict[str, Any] = {
        "next": serializers.CharField(allow_null=True, help_text="The next page; null at the end."),
        "previous": serializers.CharField(
            allow_null=True, help_text="The page before; null first."
        ),
        "results": item(many=True),
        "Meta": type("Meta", (), {"ref_name": name}),
    }
    return type(name, (serializers.Serializer,), fields)
