"""Payouts: gather a creator's payable ledger lines, mark them paid."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ..models import EarningEntry, Payout


@transaction.atomic
def payout_create(*, creator_id: int, now: datetime | None = None) -> Payout | None:
    """Gather a creator's payable ledger lines into one pending payout."""
    now = now or timezone.now()
    entries = EarningEntry.objects.select_for_update().filter(
        creator_id=creator_id, payout__isnull=True, available_at__lte=now
    )
    total = entries.aggregate(s=Sum("net_minor"))["s"] or 0
    if total <= 0:
        return None
    payout = Payout.objects.create(
        creator_id=creator_id, amount_minor=total, currency=str(settings.KF_DEFAULT_CURRENCY)
    )
    entries.update(payout=payout)
    return payout


@transaction.atomic
def payout_mark_paid(*, payout_id: int, reference: str = "") -> Payout:
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.status != Payout.Status.PAID:
        payout.status = Payout.Status.PAID
        payout.paid_at = timezone.now()
        payout.reference = reference[:120] or payout.reference
        payout.save(update_fields=["status", "paid_at", "reference", "updated_at"])
    return payout
