"""Stripe: Checkout Sessions through the stripe library; Stripe-signed webhooks.

Every call carries an idempotency key derived from the order number, so a
retried request never creates a second session or refund.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings

from .base import (
    CheckoutStart,
    GatewayError,
    ProviderEvent,
    ProviderRefund,
    ProviderState,
    WebhookSignatureError,
    signature_timestamp,
    timestamp_check,
)

if TYPE_CHECKING:
    from commerce.models import Order

SESSION_STATUS = {
    "checkout.session.completed": "paid",
    "checkout.session.async_payment_succeeded": "paid",
    "checkout.session.async_payment_failed": "failed",
    "checkout.session.expired": "expired",
}


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(str(settings.COMMERCE_STRIPE_SECRET_KEY))


def _session_state(obj: Mapping[str, Any], status: str | None = None) -> ProviderState:
    if status is None:
        paid = obj.get("payment_status") in ("paid", "no_payment_required")
        status = "paid" if paid else ("expired" if obj.get("status") == "expired" else "open")
    return ProviderState(
        order_number=str(obj.get("client_reference_id") or ""),
        session_id=str(obj.get("id", "")),
        status=status,
        payment_id=str(obj.get("payment_intent") or ""),
        amount_captured_minor=int(obj.get("amount_total") or 0) if status == "paid" else 0,
        currency=str(obj.get("currency") or ""),
    )


def _charge_state(obj: Mapping[str, Any]) -> ProviderState:
    refunds_obj = obj.get("refunds") or {}
    refunds = tuple(
        ProviderRefund(
            id=str(r["id"]),
            amount_minor=int(r["amount"]),
            key=str((r.get("metadata") or {}).get("kf_key", "")),
        )
        for r in refunds_obj.get("data", [])
        if r.get("status", "succeeded") == "succeeded"
    )
    metadata = obj.get("metadata") or {}
    return ProviderState(
        order_number=str(metadata.get("order_number", "")),
        status="paid" if obj.get("captured", True) else "open",
        payment_id=str(obj.get("payment_intent") or ""),
        amount_captured_minor=int(obj.get("amount_captured") or obj.get("amount") or 0),
        currency=str(obj.get("currency") or ""),
        refunds=refunds,
    )


class StripeGateway:
    name = "stripe"

    def checkout_create(self, *, order: Order, success_url: str, cancel_url: str) -> CheckoutStart:
        metadata = {"order_number": order.number}
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": order.number,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": order.currency.lower(),
                        "unit_amount": order.amount_minor,
                        "product_data": {"name": order.course.title[:120]},
                    },
                }
            ],
        }
        try:
            session = _client().v1.checkout.sessions.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": f"{order.number}:charge"},
            )
        except stripe.StripeError as exc:
            raise GatewayError(str(exc)) from exc
        return CheckoutStart(session_id=str(session.id), url=str(session.url))

    def checkout_retrieve(self, *, order: Order) -> ProviderState | None:
        if not order.provider_session_id:
            return None
        try:
            session = _client().v1.checkout.sessions.retrieve(order.provider_session_id)
        except stripe.StripeError as exc:
            raise GatewayError(str(exc)) from exc
        return _session_state(session.to_dict())

    def checkout_expire(self, *, order: Order) -> ProviderState | None:
        if not order.provider_session_id:
            return None
        try:
            session = _client().v1.checkout.sessions.expire(order.provider_session_id)
        except stripe.StripeError:  # already completed: report its real state instead
            return self.checkout_retrieve(order=order)
        return _session_state(session.to_dict())

    def refund_create(self, *, order: Order, amount_minor: int, key: str) -> ProviderRefund:
        payment_id = order.payment.provider_payment_id
        try:
            refund = _client().v1.refunds.create(
                {"payment_intent": payment_id, "amount": amount_minor, "metadata": {"kf_key": key}},
                {"idempotency_key": key},
            )
        except stripe.StripeError as exc:
            raise GatewayError(str(exc)) from exc
        return ProviderRefund(id=str(refund.id), amount_minor=int(refund.amount), key=key)

    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        secret = str(settings.COMMERCE_STRIPE_WEBHOOK_SECRET)
        if not secret:  # a deploy mistake, not the sender's: 503 so Stripe retries
            raise GatewayError("COMMERCE_STRIPE_WEBHOOK_SECRET is not configured.")
        header = headers.get("Stripe-Signature", "")
        # The library checks the signature; the window is ours, both ways (the
        # library only refuses old timestamps) and on the clock tests can fix.
        timestamp_check(
            signature_timestamp(header),
            tolerance=int(settings.COMMERCE_WEBHOOK_TOLERANCE_SECONDS),
        )
        try:
            # tolerance=None: the library's own window off (typed int, accepts None).
            event = stripe.Webhook.construct_event(body, header, secret, tolerance=None)  # type: ignore[arg-type]
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise WebhookSignatureError(str(exc)) from exc
        payload = event.to_dict()
        obj = payload.get("data", {}).get("object", {})
        event_type = str(payload.get("type", ""))
        state: ProviderState | None = None
        if event_type in SESSION_STATUS:
            state = _session_state(obj, SESSION_STATUS[event_type])
        elif event_type == "charge.refunded":
            state = _charge_state(obj)
        return ProviderEvent(
            id=str(payload.get("id", "")), type=event_type, state=state, payload=payload
        )
