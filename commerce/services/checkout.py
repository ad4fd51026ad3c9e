"""Checkout: start (or resume) an order, cancel it, expire it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.services import event_record
from common.exceptions import ApplicationError
from courses.selectors import course_list_published, user_has_course_access, video_is_by_creator
from courses.services import enrollment_grant

from ..gateways import GatewayDisabled, GatewayError, ProviderState, gateway_get
from ..models import Order, Payment
from ..selectors import refund_rule_for_course
from .coupons import _coupon_redeem, coupon_quote
from .orders import EVENT_CHECKOUT, _order_close
from .webhooks import order_apply_state


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


def _attributable(video_id: int | None, course: Any) -> int | None:
    """The video a purchase is credited to: one of the course creator's videos, or none."""
    if video_id is None:
        return None
    owned = video_is_by_creator(video_id=video_id, creator_id=course.creator_id)
    return video_id if owned else None


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
        attributed_video_id=_attributable(video_id, course),
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
    state = _provider_expire(order)
    if state is not None and state.status == "paid":  # paid meanwhile: honour it
        order_apply_state(state=state)
        return Order.objects.get(pk=order_id)
    return _order_close(order_id=order_id, target=Order.Status.CANCELLED)


def order_expire(*, order_id: int, now: datetime | None = None) -> Order:
    """Close a pending order past its window, unless the provider took the money."""
    order = Order.objects.get(pk=order_id)
    if order.status != Order.Status.PENDING:
        return order
    state = _provider_expire(order)
    if state is not None and state.status == "paid":
        order_apply_state(state=state)
        return Order.objects.get(pk=order_id)
    return _order_close(order_id=order_id, target=Order.Status.EXPIRED)


def _provider_expire(order: Order) -> ProviderState | None:
    """Close the provider's checkout; a provider no longer enabled here took nothing."""
    try:
        gateway = gateway_get(order.provider)
    except GatewayDisabled:
        return None
    return gateway.checkout_expire(order=order)


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
