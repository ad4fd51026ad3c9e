"""Refunds: requests, staff decisions, and recording what the provider refunded."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import Kind, notification_create
from analytics.services import event_record
from common.converters import ascii_int
from common.exceptions import ApplicationError
from courses.services import enrollment_revoke

from ..gateways import GatewayError, gateway_get
from ..gateways.base import ProviderRefund
from ..models import EarningEntry, Order, Payment, Refund, RefundPolicy
from ..selectors import refund_eligibility
from .orders import EVENT_REFUND, _fee, _locked, _transition

logger = logging.getLogger("commerce")


@transaction.atomic
def refund_apply(*, order_id: int, provider_refund: ProviderRefund) -> Refund | None:
    """Record a refund the provider made, exactly once per provider refund id.

    Matches our own request by its idempotency key; a refund we did not ask
    for (made in the provider's dashboard) gets its own row. A full refund
    ends access in this same transaction.
    """
    order = _locked(order_id)
    if Refund.objects.filter(
        provider=order.provider, provider_refund_id=provider_refund.id
    ).exists():
        return None
    if order.status not in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED):
        logger.error(
            "order %s: refund %s on a %s order", order.number, provider_refund.id, order.status
        )
        return None
    amount = min(provider_refund.amount_minor, order.refundable_minor)
    if amount <= 0:
        return None
    refund = _refund_for_key(order, provider_refund.key)
    if refund is None:
        refund = Refund(order=order, provider=order.provider, sequence=_next_sequence(order))
    refund.amount_minor = amount
    refund.status = Refund.Status.SUCCEEDED
    refund.provider_refund_id = provider_refund.id
    refund.decided_at = refund.decided_at or timezone.now()
    refund.save()
    _refund_effects(order, refund)
    # Here, not in refund_approve: the provider's webhook often records the
    # refund first (refund_approve then finds it applied), and this runs
    # exactly once per provider refund whoever records it.
    notification_create(
        recipient_id=order.user_id,
        kind=Kind.REFUND_APPROVED,
        order_id=order.pk,
        course_id=order.course_id,
    )
    return refund


def _refund_for_key(order: Order, key: str) -> Refund | None:
    prefix = f"{order.number}:refund:"
    sequence = ascii_int(key.removeprefix(prefix)) if key.startswith(prefix) else None
    if sequence is None:
        return None
    return Refund.objects.filter(
        order=order, sequence=sequence, provider_refund_id__isnull=True
    ).first()


def _next_sequence(order: Order) -> int:
    last = Refund.objects.filter(order=order).order_by("-sequence").first()
    return (last.sequence if last else 0) + 1


def _refund_effects(order: Order, refund: Refund) -> None:
    refunded_before = order.refunded_minor
    refunded_after = refunded_before + refund.amount_minor
    full = refunded_after >= order.amount_minor
    target = Order.Status.REFUNDED if full else Order.Status.PARTIALLY_REFUNDED
    _transition(
        order, target, refunded_minor=refunded_after, closed_at=timezone.now() if full else None
    )
    Payment.objects.filter(order=order).update(refunded_minor=refunded_after)
    if full:
        enrollment_revoke(user_id=order.user_id, course_id=order.course_id)
    sale = EarningEntry.objects.filter(order=order, kind=EarningEntry.Kind.SALE).first()
    if sale is not None:
        fee_delta = _fee(order.amount_minor - refunded_before) - _fee(
            order.amount_minor - refunded_after
        )
        EarningEntry.objects.create(
            creator_id=sale.creator_id,
            order=order,
            refund=refund,
            kind=EarningEntry.Kind.REFUND,
            gross_minor=-refund.amount_minor,
            fee_minor=-fee_delta,
            net_minor=-refund.amount_minor + fee_delta,
            currency=order.currency,
            available_at=max(sale.available_at, timezone.now()),
        )
    event_record(
        type=EVENT_REFUND,
        user_id=order.user_id,
        course_id=order.course_id,
        creator_id=order.course.creator_id,
        video_id=order.attributed_video_id,
        value=refund.amount_minor,
        props={"order": order.number, "full": full},
    )


def refund_request(
    *, user_id: int, order_number: str, reason: str = "", now: datetime | None = None
) -> Refund:
    """A buyer asks for their money back; granted at once when the rule allows.

    The eligibility and its reason are stored with the request so staff see
    what the buyer saw. Ineligible requests wait for staff to decide.
    """
    now = now or timezone.now()
    order = Order.objects.filter(user_id=user_id, number=order_number).first()
    if order is None:
        raise ApplicationError(_("No such order."), code="not_found", status=404)
    if order.status not in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED):
        raise ApplicationError(
            _("Only a paid order can be refunded."), code="not_refundable", status=409
        )
    eligibility = refund_eligibility(order=order, now=now)
    try:
        with transaction.atomic():
            order = _locked(order.pk)
            refund = Refund.objects.create(
                order=order,
                amount_minor=order.refundable_minor,
                reason=reason[:500],
                eligible=eligibility.eligible,
                eligibility_note=eligibility.reason[:200],
                sequence=_next_sequence(order),
                provider=order.provider,
            )
    except IntegrityError:
        raise ApplicationError(
            _("A refund request for this order is already open."), code="refund_open", status=409
        ) from None
    if eligibility.eligible and settings.COMMERCE_REFUND_AUTO_APPROVE:
        refund = refund_approve(refund_id=refund.pk, decided_by_id=None)
    return refund


def refund_approve(
    *, refund_id: int, decided_by_id: int | None, amount_minor: int | None = None
) -> Refund:
    """Grant a requested refund through the provider (full or partial)."""
    refund = Refund.objects.select_related("order").get(pk=refund_id)
    if refund.status != Refund.Status.REQUESTED:
        return refund
    order = refund.order
    amount = min(amount_minor or refund.amount_minor, order.refundable_minor)
    if amount <= 0:
        raise ApplicationError(_("Nothing is left to refund."), code="not_refundable", status=409)
    if amount != refund.amount_minor:
        Refund.objects.filter(pk=refund.pk).update(amount_minor=amount)
    Refund.objects.filter(pk=refund.pk).update(
        decided_by_id=decided_by_id, decided_at=timezone.now()
    )
    key = f"{order.number}:refund:{refund.sequence}"
    try:
        provider_refund = gateway_get(order.provider).refund_create(
            order=order, amount_minor=amount, key=key
        )
    except GatewayError as exc:
        raise ApplicationError(str(exc), code="gateway_refused", status=502) from exc
    refund_apply(order_id=order.pk, provider_refund=provider_refund)  # notifies the buyer
    refund.refresh_from_db()
    return refund


@transaction.atomic
def refund_deny(*, refund_id: int, decided_by_id: int | None) -> Refund:
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.status == Refund.Status.REQUESTED:
        refund.status = Refund.Status.DENIED
        refund.decided_by_id = decided_by_id
        refund.decided_at = timezone.now()
        refund.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        _refund_denied_notify(refund)
    return refund


def _refund_denied_notify(refund: Refund) -> None:
    order = Order.objects.only("user_id", "course_id").get(pk=refund.order_id)
    notification_create(
        recipient_id=order.user_id,
        kind=Kind.REFUND_DENIED,
        order_id=order.pk,
        course_id=order.course_id,
    )


REFUND_DAYS_MAX = 60


def refund_policy_set(
    *, creator_id: int, course: object, days: int, max_watched_percent: int
) -> RefundPolicy:
    """A creator's own refund rule for their course, at least as generous as the platform's.

    The platform rule (``COMMERCE_REFUND_DAYS``, ``COMMERCE_REFUND_MAX_WATCHED_PERCENT``) is
    the buyers' floor: a creator may give more days (up to ``REFUND_DAYS_MAX``) or let more of
    the course be watched, never less. Orders keep the rule they were bought under.
    """
    if getattr(course, "creator_id", None) != creator_id:
        raise ApplicationError(_("No such course."), code="not_found", status=404)
    floor_days = int(settings.COMMERCE_REFUND_DAYS)
    floor_percent = int(settings.COMMERCE_REFUND_MAX_WATCHED_PERCENT)
    if not floor_days <= days <= REFUND_DAYS_MAX:
        raise ApplicationError(
            _("Refund days are between %(low)s (the platform's) and %(high)s.")
            % {"low": floor_days, "high": REFUND_DAYS_MAX},
            code="refund_rule_invalid",
        )
    if not floor_percent <= max_watched_percent <= 100:
        raise ApplicationError(
            _("The share watched is between %(low)s%% (the platform's) and 100%%.")
            % {"low": floor_percent},
            code="refund_rule_invalid",
        )
    policy, _created = RefundPolicy.objects.update_or_create(
        course_id=course.pk,  # type: ignore[attr-defined]
        defaults={"days": days, "max_watched_percent": max_watched_percent},
    )
    return policy


@transaction.atomic
def refunds_user_retire(*, user_id: int) -> dict[str, int]:
    """Account deletion: clear the free text buyers wrote on their refund requests
    (a reason can hold a phone number). Amounts, dates and decisions stay: they are
    payment records. Returns ``{"refund_reasons": rows cleared}``."""
    cleared = Refund.objects.filter(order__user_id=user_id).exclude(reason="").update(reason="")
    return {"refund_reasons": cleared}
