"""Stripe-like Idempotency-Key handling for POST endpoints.

Same key and same request body → the first response is replayed (errors too)
with ``Idempotent-Replayed: true``. Same key, different body → 422. The first
request still running → 409. A key whose request crashed (locked for longer
than ``STALE_AFTER``) may run again: the operations behind it are themselves
idempotent (the live-order index, provider keys derived from the order
number), so re-running resumes rather than repeats.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.exceptions import ApplicationError

from .models import IdempotencyKey

STALE_AFTER = timedelta(seconds=60)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    status: int
    body: Any


def request_fingerprint(*, method: str, path: str, body: Any) -> str:
    """SHA-256 of method, path and the canonical JSON of the parsed body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


def idempotency_begin(
    *, user_id: int, scope: str, key: str, fingerprint: str, now: datetime | None = None
) -> tuple[IdempotencyKey, Replay | None]:
    """Claim ``key`` for this request, or say how to answer instead.

    Returns the row and, when the first request finished, its stored answer.
    Raises ApplicationError 422 (other body) or 409 (still in flight).
    """
    now = now or timezone.now()
    if not key or len(key) > MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise ApplicationError(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
            code="invalid_idempotency_key",
        )
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                user_id=user_id, scope=scope, key=key, fingerprint=fingerprint, locked_at=now
            )
        return row, None
    except IntegrityError:
        pass
    with transaction.atomic():
        row = IdempotencyKey.objects.select_for_update().get(user_id=user_id, scope=scope, key=key)
        if row.fingerprint != fingerprint:
            raise ApplicationError(
                "This Idempotency-Key was used with a different request body.",
                code="idempotency_key_reused",
                status=422,
            )
        if row.state == IdempotencyKey.State.DONE:
            return row, Replay(status=int(row.response_status or 200), body=row.response_body)
        if now - row.locked_at < STALE_AFTER:
            raise ApplicationError(
                "A request with this Idempotency-Key is still in progress.",
                code="idempotency_in_progress",
                status=409,
            )
        row.locked_at = now  # the first attempt died: this one takes over
        row.save(update_fields=["locked_at"])
        return row, None


def idempotency_finish(*, row: IdempotencyKey, status: int, body: Any) -> None:
    """Store the answer so a retry with the same key gets it back."""
    IdempotencyKey.objects.filter(pk=row.pk).update(
        state=IdempotencyKey.State.DONE, response_status=status, response_body=body
    )


def idempotency_abandon(*, row: IdempotencyKey) -> None:
    """Forget a key whose request failed unexpectedly, so a retry runs anew."""
    IdempotencyKey.objects.filter(pk=row.pk, state=IdempotencyKey.State.IN_PROGRESS).delete()


def idempotency_keys_prune(*, now: datetime | None = None) -> int:
    """Delete keys older than the TTL; afterwards the same key executes anew."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=int(settings.COMMERCE_IDEMPOTENCY_TTL_HOURS))
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
