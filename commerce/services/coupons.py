"""Coupons: quoting a discount, reserving a use for an order, releasing it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError

from ..models import Coupon, CouponRedemption, Order


def coupon_quote(
    *, code: str, course: Any, user_id: int | None, now: datetime | None = None
) -> int:
    """The discount a coupon would give on ``course`` now; raises if it cannot apply."""
    from ..selectors import coupon_get_by_code

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
