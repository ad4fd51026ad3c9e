"""The order state machine: guarded transitions, closing and fulfilment.

Every state change is a locked, guarded transition (``_transition``). Locks
are taken in one order — order row, then payment row, then coupon — so two
requests never deadlock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.services import event_record
from common.exceptions import ApplicationError
from courses.services import enrollment_grant

from ..models import EarningEntry, Order, Payment
from .coupons import _coupon_release

logger = logging.getLogger("commerce")

# analytics.Event.Type values; spelled out so commerce imports only services.
EVENT_CHECKOUT = "order.created"
EVENT_PURCHASE = "order.paid"
EVENT_REFUND = "order.refunded"


class IllegalTransition(ApplicationError):
    def __init__(self, order: Order, target: str) -> None:
        super().__init__(
            f"Order {order.number} cannot go from {order.status} to {target}.",
            code="illegal_transition",
            status=409,
        )


def _transition(order: Order, target: str, **fields: Any) -> Order:
    """Move a locked order along ``Order.TRANSITIONS``; anything else raises."""
    if target not in Order.TRANSITIONS[order.status]:
        raise IllegalTransition(order, target)
    updated = Order.objects.filter(pk=order.pk, status=order.status).update(
        status=target, updated_at=timezone.now(), **fields
    )
    if updated != 1:  # only possible without the row lock; refuse rather than guess
        raise IllegalTransition(order, target)
    logger.info("order %s: %s -> %s", order.number, order.status, target)
    order.status = target
    for name, value in fields.items():
        setattr(order, name, value)
    return order


def _locked(order_id: int) -> Order:
    return Order.objects.select_for_update().select_related("course").get(pk=order_id)


@transaction.atomic
def _order_close(*, order_id: int, target: str) -> Order:
    order = _locked(order_id)
    if order.status != Order.Status.PENDING:
        return order
    _transition(order, target, closed_at=timezone.now())
    Payment.objects.filter(order=order, status=Payment.Status.PENDING).update(
        status=Payment.Status.FAILED
    )
    _coupon_release(order)
    return order


@transaction.atomic
def order_fulfil(*, order_id: int, payment_id: str, captured_minor: int) -> Order:
    """Paid → enrollment → ledger line → ``order.paid`` event, in one transaction.

    Safe to call many times and concurrently (webhook, redirect, reconciler):
    a paid order is already fulfilled, which counts as success.
    """
    order = _locked(order_id)
    if order.status != Order.Status.PENDING:
        return order
    if captured_minor != order.amount_minor:
        logger.error(
            "order %s: captured %s != %s", order.number, captured_minor, order.amount_minor
        )
        return order
    now = timezone.now()
    _transition(order, Order.Status.PAID, paid_at=now)
    Payment.objects.filter(order=order).update(
        status=Payment.Status.CAPTURED,
        provider_payment_id=payment_id,
        captured_minor=captured_minor,
        captured_at=now,
        updated_at=now,
    )
    enrollment_grant(user_id=order.user_id, course=order.course)
    sale_earning(order, creator_id=order.course.creator_id, paid_at=now).save()
    event_record(
        type=EVENT_PURCHASE,
        user_id=order.user_id,
        course_id=order.course_id,
        creator_id=order.course.creator_id,
        video_id=order.attributed_video_id,
        value=order.amount_minor,
        props={"order": order.number},
    )
    return order


def sale_earning(order: Order, *, creator_id: int, paid_at: datetime) -> EarningEntry:
    """The creator's ledger line for a paid order, unsaved: gross, platform fee, net.

    It becomes available once the order's refund window has passed.
    """
    fee = _fee(order.amount_minor)
    return EarningEntry(
        creator_id=creator_id,
        order=order,
        kind=EarningEntry.Kind.SALE,
        gross_minor=order.amount_minor,
        fee_minor=fee,
        net_minor=order.amount_minor - fee,
        currency=order.currency,
        available_at=paid_at + timedelta(days=order.refund_days),
    )


def _fee(amount_minor: int) -> int:
    return amount_minor * int(settings.COMMERCE_PLATFORM_FEE_PERCENT) // 100
