"""The one interface every payment provider adapter implements.

Adapters translate a provider's objects into ``ProviderState``: a snapshot of
the provider's current view of one checkout (paid or not, refunds so far).
The commerce services only ever converge our rows onto such snapshots, which
is why duplicated and reordered webhooks are harmless.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from common.converters import ascii_int

if TYPE_CHECKING:
    from commerce.models import Order


class WebhookSignatureError(Exception):
    """The signature or its timestamp did not verify; answer 400, change nothing."""


class GatewayError(Exception):
    """The provider refused or could not be reached; safe to retry with the same key."""


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    amount_minor: int
    key: str = ""  # our idempotency key, e.g. "KF…:refund:2", when the refund was ours


@dataclass(frozen=True)
class ProviderState:
    """What the provider says about one checkout, at the time of the event."""

    order_number: str
    session_id: str = ""
    status: str = "open"  # open | paid | failed | cancelled | expired
    payment_id: str = ""
    amount_captured_minor: int = 0
    currency: str = ""  # ISO code as the provider wrote it ("cny" at Stripe)
    refunds: tuple[ProviderRefund, ...] = ()


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    type: str
    state: ProviderState | None  # None: a type we do not act on
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CheckoutStart:
    session_id: str
    url: str


class Gateway(Protocol):
    name: str

    def checkout_create(
        self, *, order: Order, success_url: str, cancel_url: str
    ) -> CheckoutStart: ...

    def checkout_retrieve(self, *, order: Order) -> ProviderState | None: ...

    def checkout_expire(self, *, order: Order) -> ProviderState | None: ...

    def refund_create(self, *, order: Order, amount_minor: int, key: str) -> ProviderRefund: ...

    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent: ...


def webhook_now() -> float:
    """The clock webhook timestamps are checked against (tests replace it)."""
    return time.time()


def signature_header(payload: bytes, secret: str, *, t: int | None = None) -> str:
    """Build a Stripe-format ``t=<unix>,v1=<hex>`` header for ``payload``."""
    t = int(webhook_now()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def signature_verify(
    payload: bytes, header: str, secret: str, *, tolerance: int, now: float | None = None
) -> None:
    """Check a Stripe-format header on the raw body; raise WebhookSignatureError.

    Any ``v1`` may match (secret rotation); ``|now - t|`` must be within
    ``tolerance`` seconds so a captured request cannot be replayed later.
    """
    t_value, candidates = _signature_parts(header)
    timestamp_check(t_value, tolerance=tolerance, now=now)
    expected = hmac.new(
        secret.encode(), f"{t_value}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise WebhookSignatureError("No signature matches.")


def timestamp_check(t_value: int, *, tolerance: int, now: float | None = None) -> None:
    """Refuse a signed timestamp more than ``tolerance`` seconds from now, either way."""
    now = webhook_now() if now is None else now
    if abs(now - t_value) > tolerance:
        raise WebhookSignatureError("Timestamp outside the tolerance window.")


def signature_timestamp(header: str) -> int:
    """The ``t=`` of a Stripe-format header; WebhookSignatureError when malformed."""
    return _signature_parts(header)[0]


def _signature_parts(header: str) -> tuple[int, list[str]]:
    t_value: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and (seconds := ascii_int(value, 12)) is not None:
            t_value = seconds
        elif name == "v1" and value and value.isascii():
            candidates.append(value)
    if t_value is None or not candidates:
        raise WebhookSignatureError("Malformed signature header.")
    return t_value, candidates
