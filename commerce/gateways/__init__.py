"""Payment providers behind one interface; ``gateway_get`` picks one by name."""

from django.conf import settings

from .base import Gateway, GatewayError, ProviderEvent, ProviderState, WebhookSignatureError

__all__ = [
    "Gateway",
    "GatewayError",
    "ProviderEvent",
    "ProviderState",
    "WebhookSignatureError",
    "gateway_get",
    "gateway_names",
]


def gateway_names() -> tuple[str, ...]:
    return ("sandbox", "stripe")


def gateway_get(name: str | None = None) -> Gateway:
    """The adapter for ``name``, or the configured default (``sandbox``)."""
    name = name or str(settings.COMMERCE_GATEWAY)
    if name == "sandbox":
        from .sandbox import SandboxGateway

        return SandboxGateway()
    if name == "stripe":
        from .stripe_gateway import StripeGateway

        return StripeGateway()
    raise LookupError(f"Unknown payment provider {name!r}.")
