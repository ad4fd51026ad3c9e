"""Provider events: converge our rows onto the provider's snapshot.

Applying a snapshot only moves forward, which makes duplicate and reordered
webhooks harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction

from common.api.parsers import unstorable_text

from ..gateways import (
    GatewayDisabled,
    GatewayError,
    ProviderEvent,
    ProviderState,
    WebhookSignatureError,
    gateway_get,
)
from ..models import Order, Payment, WebhookEvent
from .orders import _order_close, order_fulfil
from .refunds import refund_apply

logger = logging.getLogger("commerce")


def _order_for_state(state: ProviderState) -> Order | None:
    if state.order_number:
        order = Order.objects.filter(number=state.order_number).first()
        if order is not None:
            return order
    if state.payment_id:
        payment = Payment.objects.filter(provider_payment_id=state.payment_id).first()
        if payment is not None:
            return Order.objects.get(pk=payment.order_id)
    if state.session_id:
        return Order.objects.filter(provider_session_id=state.session_id).first()
    return None


def order_apply_state(*, state: ProviderState) -> str:
    """Converge our order onto the provider's snapshot; returns what was done.

    Only forward moves happen: paid before refunds, refunds by provider id
    (a set union), closing only a pending order. Applying the same snapshot
    twice, or an older one after a newer, changes nothing.
    """
    order = _order_for_state(state)
    if order is None:
        return "unknown order"
    if state.status in ("failed", "cancelled", "expired") and not state.refunds:
        # Closing is the one move a late "paid" could not undo, so ask the
        # provider first: an older failure must not shut out a capture.
        fresh = gateway_get(order.provider).checkout_retrieve(order=order)
        if fresh is None or fresh.status == "open":
            return "no change (provider still open)"
        state = fresh
    done: list[str] = []
    if state.status == "paid" or state.amount_captured_minor > 0 or state.refunds:
        before = order.status
        order = order_fulfil(
            order_id=order.pk,
            payment_id=state.payment_id,
            captured_minor=state.amount_captured_minor or order.amount_minor,
        )
        if order.status != before:
            done.append("paid")
    elif state.status in ("failed", "cancelled", "expired"):
        before = order.status
        order = _order_close(order_id=order.pk, target=state.status)
        if order.status != before:
            done.append(state.status)
    for provider_refund in state.refunds:
        if refund_apply(order_id=order.pk, provider_refund=provider_refund) is not None:
            done.append(f"refund {provider_refund.id}")
    return ", ".join(done) or "no change"


def order_sync(*, order_id: int) -> Order:
    """Re-read the provider's view of a checkout and converge (success redirect)."""
    order = Order.objects.get(pk=order_id)
    if order.status == Order.Status.PENDING:
        try:
            state = gateway_get(order.provider).checkout_retrieve(order=order)
        except GatewayError:
            return order
        if state is not None:
            order_apply_state(state=state)
            order.refresh_from_db()
    return order


def _unstorable(event: ProviderEvent) -> str | None:
    """Why a verified event cannot be recorded as is (column sizes, jsonb), or None."""
    refund_ids = [refund.id for refund in event.state.refunds] if event.state else []
    if len(event.id) > 120 or len(event.type) > 80 or any(len(r) > 120 for r in refund_ids):
        return "an id or type longer than its column"
    return unstorable_text(event.payload)


def event_problem(*, provider: str, state: ProviderState, order: Order | None) -> str | None:
    """Why a verified event may not touch ``order``, or None when it may.

    An event acts only on an order that this very provider created, for the
    checkout it opened, and only with the order's own amount and currency: a
    signature proves who sent the event, not that it belongs to this order.
    """
    if order is None:
        return "unknown order"
    if order.provider != provider:
        return f"order {order.number} belongs to the {order.provider} gateway"
    if state.session_id and order.provider_session_id != state.session_id:
        return f"order {order.number} has another checkout session"
    moves_money = state.status == "paid" or state.amount_captured_minor > 0 or bool(state.refunds)
    if (moves_money or state.currency) and state.currency.upper() != order.currency:
        return f"currency {state.currency[:8]!r} is not the order's {order.currency}"
    if moves_money and state.amount_captured_minor != order.amount_minor:
        return f"amount {state.amount_captured_minor} is not the order's {order.amount_minor}"
    return None


def webhook_receive(*, provider: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
    """Verify, record and apply one provider event. Returns (HTTP status, note).

    Refused with 400, logged, and nothing recorded: a provider this site has
    not enabled, a bad or stale signature, and an event for an order that
    provider did not create or with another amount or currency
    (``event_problem``). The event row and its effect commit together; a
    duplicate id answers 200 and does nothing. Unknown event types are
    recorded and answered 200.
    """
    try:
        gateway = gateway_get(provider)
    except GatewayDisabled:
        logger.warning("webhook %s refused: provider not enabled here", provider)
        return 400, "provider not enabled"
    except LookupError:
        return 404, "unknown provider"
    try:
        event = gateway.webhook_parse(body=body, headers=headers)
    except WebhookSignatureError as exc:
        logger.warning("webhook %s refused: %s", provider, exc)
        return 400, "bad signature"
    except GatewayError as exc:
        logger.error("webhook %s cannot be verified: %s", provider, exc)
        return 503, "not configured"
    problem = _unstorable(event)
    if problem:
        logger.warning("webhook %s refused: %s", provider, problem)
        return 400, "unreadable payload"
    state = event.state
    order = _order_for_state(state) if state else None
    if state is not None:
        problem = event_problem(provider=provider, state=state, order=order)
        if problem:
            logger.warning("webhook %s event %s refused: %s", provider, event.id[:120], problem)
            return 400, "event does not match an order of this gateway"
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = WebhookEvent.objects.create(
                        provider=provider, event_id=event.id, type=event.type, payload=event.payload
                    )
            except IntegrityError:
                return 200, "duplicate"
            outcome = "ignored type" if state is None else order_apply_state(state=state)
            WebhookEvent.objects.filter(pk=record.pk).update(outcome=outcome[:200], order=order)
    except GatewayError:  # could not re-fetch: nothing is kept, the provider retries
        return 503, "provider unreachable"
    return 200, outcome
