"""Payment providers behind one interface; ``gateway_get`` picks one by name.

A provider this deployment has not enabled is refused everywhere
(``GatewayDisabled``): the sandbox pays for a click, so production runs it
only when ``COMMERCE_SANDBOX_ENABLED`` says so.
"""

from django.conf import settings

from .base import (
    Gateway,
    GatewayError,
    ProviderEvent,
    ProviderState,
    WebhookSignatureError,
)

__all__ = [
    "Gateway",
    "GatewayDisabled",
    "GatewayError",
    "ProviderEvent",
    "ProviderState",
    "WebhookSignatureError",
    "gateway_enabled",
    "gateway_get",
    "gateway_names",
]


class GatewayDisabled(GatewayError):
    """A known provider that this deployment does not use; nothing may go through it."""


def gateway_names() -> tuple[str, ...]:
    return ("sandbox", "stripe")


def gateway_enabled(name: str) -> bool:
    """Whether payments and webhooks may go through provider ``name`` here.

    The sandbox only with ``COMMERCE_SANDBOX_ENABLED``; Stripe when it is the
    configured gateway or its webhook secret is set (orders made before a switch).
    """
    if name == "sandbox":
        return bool(settings.COMMERCE_SANDBOX_ENABLED)
    if name == "stripe":
        return settings.COMMERCE_GATEWAY == "stripe" or bool(
            settings.COMMERCE_STRIPE_WEBHOOK_SECRET
        )
    return False


def gateway_get(name: str | None = None) -> Gateway:
    """The adapter for ``name``, or the configured default.

    Raises:
        LookupError: an unknown name.
        GatewayDisabled: a known provider this deployment has not enabled.
    """
    name = name or str(settings.COMMERCE_GATEWAY)
    if name not in gateway_names():
        raise LookupError(f"Unknown payment provider {name!r}.")
    if not gateway_enabled(name):
        raise GatewayDisabled(f"The {name} payment provider is not enabled here.")
    if name == "sandbox":
        from .sandbox import SandboxGateway

        return SandboxGateway()
    from .stripe_gateway import StripeGateway

    return StripeGateway()
