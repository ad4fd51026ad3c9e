"""The built-in sandbox provider: a hosted checkout page and signed webhooks.

It behaves like a real provider: it keeps its own session records
(``SandboxSession``), honours idempotency keys, and tells our webhook endpoint
about every change with an HMAC-signed event, retried until delivered. It
works offline, so ``make run`` and the tests need nothing external.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from commerce.models import SandboxSession, SandboxWebhook

from . import GatewayDisabled
from .base import (
    CheckoutStart,
    GatewayError,
    ProviderEvent,
    ProviderRefund,
    ProviderState,
    WebhookSignatureError,
    signature_header,
    signature_verify,
)

if TYPE_CHECKING:
    from commerce.models import Order

SIGNATURE_HEADER = "Kf-Sandbox-Signature"
EVENT_TYPES = {
    SandboxSession.Status.PAID: "checkout.session.completed",
    SandboxSession.Status.FAILED: "checkout.session.async_payment_failed",
    SandboxSession.Status.CANCELLED: "checkout.session.cancelled",
    SandboxSession.Status.EXPIRED: "checkout.session.expired",
}


class WebhookDeliveryError(Exception):
    """Our endpoint did not answer 2xx; the task retries with backoff."""


def _secret() -> str:
    return str(settings.COMMERCE_SANDBOX_WEBHOOK_SECRET)


def session_snapshot(session: SandboxSession) -> dict[str, Any]:
    """The provider object an event carries, like Stripe's ``data.object``."""
    return {
        "id": session.session_id,
        "order_number": session.order_number,
        "status": session.status,
        "charge_id": session.charge_id,
        "amount_total": session.amount_minor,
        "amount_captured": session.amount_minor if session.charge_id else 0,
        "currency": session.currency,
        "refunds": session.refunds,
    }


def state_from_snapshot(obj: Mapping[str, Any]) -> ProviderState:
    refunds = tuple(
        ProviderRefund(id=str(r["id"]), amount_minor=int(r["amount"]), key=str(r.get("key", "")))
        for r in obj.get("refunds", [])
    )
    return ProviderState(
        order_number=str(obj["order_number"]),
        session_id=str(obj["id"]),
        status=str(obj["status"]),
        payment_id=str(obj.get("charge_id", "")),
        amount_captured_minor=int(obj.get("amount_captured", 0)),
        currency=str(obj.get("currency", "")),
        refunds=refunds,
    )


def _webhook_url(success_url: str) -> str:
    """Our endpoint on the host the buyer used, unless a setting names one."""
    parts = urlsplit(success_url)
    if not parts.scheme or not parts.netloc:
        return ""
    path = reverse("api:commerce-webhook", args=["sandbox"])
    return f"{parts.scheme}://{parts.netloc}{path}"


class SandboxGateway:
    name = "sandbox"

    def checkout_create(self, *, order: Order, success_url: str, cancel_url: str) -> CheckoutStart:
        key = f"{order.number}:charge"
        session, _ = SandboxSession.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "session_id": f"cs_sbx_{secrets.token_hex(10)}",
                "order_number": order.number,
                "amount_minor": order.amount_minor,
                "currency": order.currency,
                "success_url": success_url,
                "cancel_url": cancel_url,
                "webhook_url": _webhook_url(success_url),
            },
        )
        url = reverse("commerce:sandbox-checkout", args=[session.session_id])
        return CheckoutStart(session_id=session.session_id, url=url)

    def checkout_retrieve(self, *, order: Order) -> ProviderState | None:
        session = SandboxSession.objects.filter(order_number=order.number).first()
        return state_from_snapshot(session_snapshot(session)) if session else None

    def checkout_expire(self, *, order: Order) -> ProviderState | None:
        session = session_transition(
            order_number=order.number, status=SandboxSession.Status.EXPIRED, notify=False
        )
        return state_from_snapshot(session_snapshot(session)) if session else None

    def refund_create(self, *, order: Order, amount_minor: int, key: str) -> ProviderRefund:
        with transaction.atomic():
            session = (
                SandboxSession.objects.select_for_update().filter(order_number=order.number).first()
            )
            if session is None or session.status != SandboxSession.Status.PAID:
                raise GatewayError("Nothing was captured for this order.")
            for existing in session.refunds:  # same key: the same refund, not a second one
                if existing.get("key") == key:
                    return ProviderRefund(str(existing["id"]), int(existing["amount"]), key)
            if session.amount_refunded + amount_minor > session.amount_minor:
                raise GatewayError("Refund exceeds the captured amount.")
            refund_id = f"re_sbx_{secrets.token_hex(8)}"
            refund = {"id": refund_id, "amount": amount_minor, "key": key}
            session.refunds = [*session.refunds, refund]
            session.save(update_fields=["refunds", "updated_at"])
            _emit(session, "charge.refunded")
        return ProviderRefund(refund_id, amount_minor, key)

    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        header = headers.get(SIGNATURE_HEADER, "")
        tolerance = int(settings.COMMERCE_WEBHOOK_TOLERANCE_SECONDS)
        signature_verify(body, header, _secret(), tolerance=tolerance)
        try:
            payload = json.loads(body)
            event_id, event_type = str(payload["id"]), str(payload["type"])
            obj = payload["data"]["object"]
            known = event_type in set(EVENT_TYPES.values()) | {"charge.refunded"}
            state = state_from_snapshot(obj) if known else None
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise WebhookSignatureError("Signed but unreadable payload.") from exc
        return ProviderEvent(id=event_id, type=event_type, state=state, payload=payload)


# --- The provider side: what the hosted checkout page does ----------------


@transaction.atomic
def session_transition(
    *, order_number: str = "", session_id: str = "", status: str, notify: bool = True
) -> SandboxSession | None:
    """Move an open session to paid/failed/cancelled/expired, then notify us.

    Only an open session moves; anything else is returned unchanged, as a
    provider refuses to pay an expired checkout twice.
    """
    if not settings.COMMERCE_SANDBOX_ENABLED:
        raise GatewayDisabled("The sandbox payment provider is not enabled here.")
    qs = SandboxSession.objects.select_for_update()
    qs = qs.filter(session_id=session_id) if session_id else qs.filter(order_number=order_number)
    session = qs.first()
    if session is None or session.status != SandboxSession.Status.OPEN:
        return session
    session.status = status
    if status == SandboxSession.Status.PAID:
        session.charge_id = f"ch_sbx_{secrets.token_hex(8)}"
    session.save(update_fields=["status", "charge_id", "updated_at"])
    if notify:
        _emit(session, EVENT_TYPES[SandboxSession.Status(status)])
    return session


def _emit(session: SandboxSession, event_type: str) -> None:
    """Queue a signed event for our endpoint once the provider's write commits."""
    from commerce.tasks import sandbox_webhook_deliver_task

    event_id = f"evt_sbx_{secrets.token_hex(10)}"
    payload = {
        "id": event_id,
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": session_snapshot(session)},
    }
    target = str(settings.COMMERCE_SANDBOX_WEBHOOK_URL or session.webhook_url)
    SandboxWebhook.objects.create(event_id=event_id, payload=payload, target_url=target)
    transaction.on_commit(lambda: _enqueue(sandbox_webhook_deliver_task, event_id))


def _enqueue(task: Any, event_id: str) -> None:
    try:
        task.delay(event_id=event_id)
    except Exception:  # the sweeper re-sends anything undelivered
        import logging

        logging.getLogger(__name__).warning("sandbox webhook %s not delivered yet", event_id)


def webhook_deliver(*, event_id: str) -> bool:
    """Send one sandbox event to our endpoint, signed now. True when delivered.

    Raises WebhookDeliveryError on a non-2xx answer so the task retries.
    """
    from django.utils import timezone

    hook = SandboxWebhook.objects.get(event_id=event_id)
    if hook.delivered_at is not None:
        return True
    body = json.dumps(hook.payload, separators=(",", ":")).encode()
    headers = {SIGNATURE_HEADER: signature_header(body, _secret())}
    try:
        status = _post(hook.target_url, body, headers)
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except (OSError, urllib.error.URLError) as exc:
        error = str(exc)[:300]
    SandboxWebhook.objects.filter(pk=hook.pk).update(
        attempts=hook.attempts + 1,
        last_error=error,
        delivered_at=None if error else timezone.now(),
    )
    if error:
        raise WebhookDeliveryError(error)
    return True


def _post(target_url: str, body: bytes, headers: dict[str, str]) -> int:
    transport = str(settings.COMMERCE_SANDBOX_WEBHOOK_TRANSPORT)
    if transport == "inprocess" or not target_url:
        from commerce.services import webhook_receive

        status, _ = webhook_receive(provider="sandbox", body=body, headers=headers)
        return status
    request = urllib.request.Request(
        target_url, data=body, headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def webhooks_resend(*, older_than_seconds: int = 30, limit: int = 200) -> int:
    """Try once more every undelivered sandbox webhook older than a few seconds."""
    from datetime import timedelta

    from django.utils import timezone

    if not settings.COMMERCE_SANDBOX_ENABLED:  # nothing may reach our endpoint from it
        return 0
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        SandboxWebhook.objects.filter(delivered_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("event_id", flat=True)[:limit]
    )
    sent = 0
    for event_id in ids:
        try:
            webhook_deliver(event_id=event_id)
            sent += 1
        except WebhookDeliveryError:
            continue
    return sent
