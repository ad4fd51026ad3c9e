"""Coupons: quoting a discount, reserving a use for an order, releasing it."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError

from ..models import Coupon, CouponRedemption, Order

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]{3,31}")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread

# The discount kinds coupon_create takes (the studio's coupon form offers them).
CouponKind = Coupon.Kind


def coupon_create(
    *,
    creator_id: int,
    code: str = "",
    course: Any | None = None,
    kind: str = Coupon.Kind.PERCENT,
    value: int,
    currency: str = "CNY",
    max_redemptions: int | None = None,
    per_user_limit: int = 1,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    min_charge_minor: int = 0,
) -> Coupon:
    """A creator's new discount code, for one of their courses or all of them.

    An empty ``code`` gets a random 8-character one. A fixed discount is in
    ``currency`` minor units and must match the course's currency.

    Raises:
        ApplicationError: the code is malformed or taken, the course is
            someone else's, or the value or dates make no sense.
    """
    code = code.strip().upper() or "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    problem = ""
    if not CODE_PATTERN.fullmatch(code):
        problem = _("Codes are 4 to 32 letters, digits, - or _, starting with a letter or digit.")
    elif course is not None and course.creator_id != creator_id:
        problem = _("You can only make coupons for your own courses.")
    elif kind == Coupon.Kind.PERCENT and not 1 <= value <= 100:
        problem = _("A percentage is between 1 and 100.")
    elif kind == Coupon.Kind.FIXED and value < 1:
        problem = _("The amount off must be more than zero.")
    elif kind == Coupon.Kind.FIXED and course is not None and course.currency != currency:
        problem = _("The amount must be in the course's currency.")
    elif valid_from and valid_until and valid_until <= valid_from:
        problem = _("The end must come after the start.")
    if problem:
        raise ApplicationError(problem, code="coupon_invalid")
    try:
        with transaction.atomic():
            return Coupon.objects.create(
                code=code,
                creator_id=creator_id,
                course=course,
                kind=kind,
                value=value,
                currency=course.currency if course is not None else currency,
                max_redemptions=max_redemptions,
                per_user_limit=per_user_limit,
                valid_from=valid_from,
                valid_until=valid_until,
                min_charge_minor=min_charge_minor,
            )
    except IntegrityError:  # the code is unique across the platform
        raise ApplicationError(
            _("That code is taken; choose another."), code="coupon_code_taken"
        ) from None


def coupon_set_active(*, creator_id: int, coupon_id: int, active: bool) -> Coupon:
    """Pause or resume one of the creator's coupons (orders already placed keep theirs)."""
    coupon = Coupon.objects.filter(pk=coupon_id, creator_id=creator_id).first()
    if coupon is None:
        raise ApplicationError(_("No such coupon."), code="not_found", status=404)
    coupon.is_active = active
    coupon.save(update_fields=["is_active", "updated_at"])
    return coupon


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
