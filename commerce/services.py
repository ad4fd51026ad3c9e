"""Writes for commerce: orders, fulfilment, provider events, refunds, payouts.

Every state change is a locked, guarded transition (``_transition``). Locks
are taken in one order — order row, then payment row, then coupon — so two
requests never deadlock. Provider events converge our rows onto the
provider's snapshot, which makes duplicates and reordering harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.services import event_record
from common.exceptions import ApplicationError
from courses.selectors import course_list_published, user_has_course_access
from courses.services import enrollment_grant, enrollment_revoke

from .gateways import GatewayError, ProviderState, WebhookSignatureError, gateway_get
from .gateways.base import ProviderRefund
from .models import (
    Coupon,
    CouponRedemption,
    EarningEntry,
    Order,
    Payment,
    Payout,
    Refund,
    WebhookEvent,
)
from .selectors import refund_eligibility, refund_rule_for_course

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


# --- Checkout ----------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseResult:
    """What a purchase request led to: a new or existing order, or owned access."""

    order: Order | None
    created: bool
    enrollment_id: int | None = None


def order_create(
    *,
    user_id: int,
    course_id: int,
    coupon_code: str = "",
    video_id: int | None = None,
    success_url: str = "",
    cancel_url: str = "",
    now: datetime | None = None,
) -> PurchaseResult:
    """Start (or resume) buying a course; never a second charge.

    Owning the course already returns the enrollment. A live order for the
    same course is returned as is: the partial unique index makes the
    database, not this code, decide which of many parallel requests wins.
    """
    now = now or timezone.now()
    course = course_list_published().filter(pk=course_id).first()
    if course is None:
        raise ApplicationError(_("No such course."), code="not_found", status=404)
    if user_has_course_access(user_id=user_id, course=course):
        enrollment = (
            enrollment_grant(user_id=user_id, course=course)
            if course.creator_id != user_id
            else None
        )
        return PurchaseResult(
            order=_live_order(user_id, course_id),
            created=False,
            enrollment_id=enrollment.pk if enrollment else None,
        )
    if course.is_free:
        enrollment = enrollment_grant(user_id=user_id, course=course, source="free")
        return PurchaseResult(order=None, created=False, enrollment_id=enrollment.pk)
    existing = _live_order(user_id, course_id)
    if (
        existing is not None
        and existing.status == Order.Status.PENDING
        and existing.expires_at
        and existing.expires_at <= now
    ):
        order_expire(order_id=existing.pk, now=now)
        existing = None
    if existing is not None and _wants_other_coupon(existing, coupon_code):
        coupon_quote(
            code=coupon_code, course=course, user_id=user_id, now=now
        )  # raises if unusable
        order_cancel(order_id=existing.pk, user_id=user_id)
        existing = _live_order(user_id, course_id)  # None, unless it was paid meanwhile
    order, created = existing, False
    if order is None:
        try:
            order, created = _order_insert(user_id, course, coupon_code, video_id, now), True
        except IntegrityError:
            order = _live_order(user_id, course_id)
            if order is None:  # the winner failed between our insert and this read
                raise ApplicationError(
                    _("Another checkout just changed; try again."), code="conflict", status=409
                ) from None
    if order.status == Order.Status.PENDING and not order.checkout_url:
        order = _checkout_start(order, success_url=success_url, cancel_url=cancel_url)
    return PurchaseResult(order=order, created=created)


def _wants_other_coupon(order: Order, coupon_code: str) -> bool:
    """A pending checkout asked again with a different coupon starts afresh."""
    code = coupon_code.strip().upper()
    if order.status != Order.Status.PENDING or not code:
        return False
    return code != (order.coupon.code if order.coupon else "")


def _live_order(user_id: int, course_id: int) -> Order | None:
    return (
        Order.objects.filter(user_id=user_id, course_id=course_id, status__in=Order.LIVE)
        .select_related("course", "coupon")
        .first()
    )


@transaction.atomic
def _order_insert(
    user_id: int, course: Any, coupon_code: str, video_id: int | None, now: datetime
) -> Order:
    days, watched = refund_rule_for_course(course_id=course.pk)
    order = Order(
        user_id=user_id,
        course=course,
        list_price_minor=course.price_minor,
        amount_minor=course.price_minor,
        currency=course.currency,
        attributed_video_id=video_id,
        provider=str(settings.COMMERCE_GATEWAY),
        expires_at=now + timedelta(minutes=int(settings.COMMERCE_ORDER_TTL_MINUTES)),
        refund_days=days,
        refund_max_watched_percent=watched,
    )
    with transaction.atomic():  # savepoint: the unique index decides the winner here
        order.save()
    if coupon_code.strip():
        _coupon_redeem(order=order, code=coupon_code, now=now)
    Payment.objects.create(
        order=order,
        provider=order.provider,
        amount_minor=order.amount_minor,
        currency=order.currency,
        idempotency_key=f"{order.number}:charge",
    )
    event_record(
        type=EVENT_CHECKOUT,
        user_id=user_id,
        course_id=course.pk,
        creator_id=course.creator_id,
        video_id=video_id,
        value=order.amount_minor,
        props={"order": order.number},
    )
    return order


def coupon_quote(
    *, code: str, course: Any, user_id: int | None, now: datetime | None = None
) -> int:
    """The discount a coupon would give on ``course`` now; raises if it cannot apply."""
    from .selectors import coupon_get_by_code

    coupon = coupon_get_by_code(code=code)
    if coupon is None:
        raise ApplicationError(_("No such coupon."), code="coupon_invalid")
    _coupon_check(coupon, course, user_id, now or timezone.now())
    return _coupon_discount(coupon, course.price_minor)


def _coupon_check(coupon: Coupon, course: Any, user_id: int | None, now: datetime) -> None:
    problem = ""
    if not coupon.is_active:
        problem = _("This coupon is no longer active.")
    elif coupon.valid_from and now < coupon.valid_from:
        problem = _("This coupon is not valid yet.")
    elif coupon.valid_until and now > coupon.valid_until:
        problem = _("This coupon has expired.")
    elif coupon.course_id is not None and coupon.course_id != course.pk:
        problem = _("This coupon is for another course.")
    elif coupon.creator_id != course.creator_id:
        problem = _("This coupon is for another creator's courses.")
    elif coupon.kind == Coupon.Kind.FIXED and coupon.currency != course.currency:
        problem = _("This coupon is in another currency.")
    elif coupon.max_redemptions is not None and coupon.redeemed_count >= coupon.max_redemptions:
        problem = _("This coupon has been used up.")
    elif user_id is not None and (
        CouponRedemption.objects.filter(coupon=coupon, user_id=user_id).count()
        >= coupon.per_user_limit
    ):
        problem = _("You have already used this coupon.")
    if problem:
        raise ApplicationError(problem, code="coupon_invalid", extra={"coupon": coupon.code})


def _coupon_discount(coupon: Coupon, price_minor: int) -> int:
    if coupon.kind == Coupon.Kind.PERCENT:
        discount = price_minor * coupon.value // 100
    else:
        discount = coupon.value
    floor = min(coupon.min_charge_minor, price_minor)
    return max(0, min(discount, price_minor - floor))


def _coupon_redeem(*, order: Order, code: str, now: datetime) -> None:
    """Reserve one use of a coupon for ``order`` under the coupon's row lock."""
    coupon = Coupon.objects.select_for_update().filter(code=code.strip().upper()).first()
    if coupon is None:
        raise ApplicationError(_("No such coupon."), code="coupon_invalid")
    _coupon_check(coupon, order.course, order.user_id, now)
    discount = _coupon_discount(coupon, order.list_price_minor)
    Coupon.objects.filter(pk=coupon.pk).update(redeemed_count=F("redeemed_count") + 1)
    CouponRedemption.objects.create(
        coupon=coupon, user_id=order.user_id, order=order, discount_minor=discount
    )
    order.coupon = coupon
    order.discount_minor = discount
    order.amount_minor = order.list_price_minor - discount
    order.save(update_fields=["coupon", "discount_minor", "amount_minor", "updated_at"])


def _coupon_release(order: Order) -> None:
    redemption = CouponRedemption.objects.filter(order=order).first()
    if redemption is None:
        return
    Coupon.objects.filter(pk=redemption.coupon_id, redeemed_count__gt=0).update(
        redeemed_count=F("redeemed_count") - 1
    )
    redemption.delete()


def _checkout_start(order: Order, *, success_url: str, cancel_url: str) -> Order:
    """Open the provider's checkout; the key ``{number}:charge`` makes retries safe."""
    gateway = gateway_get(order.provider)
    try:
        start = gateway.checkout_create(order=order, success_url=success_url, cancel_url=cancel_url)
    except GatewayError as exc:
        raise ApplicationError(
            _("The payment provider is not reachable; try again in a moment."),
            code="gateway_unavailable",
            status=503,
        ) from exc
    Order.objects.filter(pk=order.pk, status=Order.Status.PENDING).update(
        provider_session_id=start.session_id, checkout_url=start.url
    )
    order.provider_session_id, order.checkout_url = start.session_id, start.url
    return order


def order_cancel(*, order_id: int, user_id: int) -> Order:
    """The buyer gives up a pending checkout; the provider session is closed too."""
    order = Order.objects.filter(pk=order_id, user_id=user_id).first()
    if order is None:
        raise ApplicationError(_("No such order."), code="not_found", status=404)
    state = gateway_get(order.provider).checkout_expire(order=order)
    if state is not None and state.status == "paid":  # paid meanwhile: honour it
        order_apply_state(state=state)
        return Order.objects.get(pk=order_id)
    return _order_close(order_id=order_id, target=Order.Status.CANCELLED)


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


def order_expire(*, order_id: int, now: datetime | None = None) -> Order:
    """Close a pending order past its window, unless the provider took the money."""
    order = Order.objects.get(pk=order_id)
    if order.status != Order.Status.PENDING:
        return order
    state = gateway_get(order.provider).checkout_expire(order=order)
    if state is not None and state.status == "paid":
        order_apply_state(state=state)
        return Order.objects.get(pk=order_id)
    return _order_close(order_id=order_id, target=Order.Status.EXPIRED)


def orders_expire_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Expire every pending order whose checkout window has passed."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(status=Order.Status.PENDING, expires_at__lt=now).values_list(
            "pk", flat=True
        )[:limit]
    )
    for order_id in ids:
        order_expire(order_id=order_id, now=now)
    return len(ids)


# --- Fulfilment and provider events -----------------------------------------


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
    fee = _fee(order.amount_minor)
    EarningEntry.objects.create(
        creator_id=order.course.creator_id,
        order=order,
        kind=EarningEntry.Kind.SALE,
        gross_minor=order.amount_minor,
        fee_minor=fee,
        net_minor=order.amount_minor - fee,
        currency=order.currency,
        available_at=now + timedelta(days=order.refund_days),
    )
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


def _fee(amount_minor: int) -> int:
    return amount_minor * int(settings.KF_PLATFORM_FEE_PERCENT) // 100


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


def webhook_receive(*, provider: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
    """Verify, record and apply one provider event. Returns (HTTP status, note).

    The event row and its effect commit together; a duplicate id answers 200
    and does nothing. Unknown event types are recorded and answered 200.
    """
    try:
        gateway = gateway_get(provider)
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
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = WebhookEvent.objects.create(
                        provider=provider, event_id=event.id, type=event.type, payload=event.payload
                    )
            except IntegrityError:
                return 200, "duplicate"
            state = event.state
            outcome = "ignored type" if state is None else order_apply_state(state=state)
            order = _order_for_state(state) if state else None
            WebhookEvent.objects.filter(pk=record.pk).update(outcome=outcome[:200], order=order)
    except GatewayError:  # could not re-fetch: nothing is kept, the provider retries
        return 503, "provider unreachable"
    return 200, outcome


# --- Refunds ----------------------------------------------------------------


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
    return refund


def _refund_for_key(order: Order, key: str) -> Refund | None:
    prefix = f"{order.number}:refund:"
    if not key.startswith(prefix) or not key[len(prefix) :].isdigit():
        return None
    return Refund.objects.filter(
        order=order, sequence=int(key[len(prefix) :]), provider_refund_id__isnull=True
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
    refund_apply(order_id=order.pk, provider_refund=provider_refund)
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
    return refund


# --- Payouts ----------------------------------------------------------------


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
