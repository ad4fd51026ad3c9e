"""Thin Celery tasks for commerce; each calls one service and is safe to repeat."""

from celery import shared_task
from django.db import OperationalError

from commerce.gateways.sandbox import WebhookDeliveryError


@shared_task(
    autoretry_for=(WebhookDeliveryError, OperationalError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def sandbox_webhook_deliver_task(*, event_id: str) -> None:
    """Deliver one sandbox webhook to our endpoint; retried with backoff."""
    from commerce.gateways.sandbox import webhook_deliver

    webhook_deliver(event_id=event_id)


@shared_task
def sandbox_webhooks_resend_task() -> int:
    """Re-send sandbox webhooks still undelivered after their retries."""
    from commerce.gateways.sandbox import webhooks_resend

    return webhooks_resend()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def orders_expire_task() -> int:
    """Close pending orders whose checkout window passed."""
    from commerce.services import orders_expire_due

    return orders_expire_due()


@shared_task
def idempotency_keys_prune_task() -> int:
    """Forget idempotency keys older than their TTL."""
    from commerce.idempotency import idempotency_keys_prune

    return idempotency_keys_prune()
