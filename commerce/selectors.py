"""Reads for commerce: a buyer's orders, refund eligibility, a creator's ledger."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.selectors import course_watched_ratio

from .models import (
    Coupon,
    EarningEntry,
    Order,
    Payout,
    RefundPolicy,
    SandboxWebhook,
    WebhookEvent,
)

WatchedRatio = Callable[[int, int], float]


def order_list_for_user(*, user_id: int) -> QuerySet[Order]:
    """A buyer's orders, newest first, with what the history page shows."""
    return (
        Order.objects.filter(user_id=user_id)
        .select_related("course", "coupon")
        .order_by("-created_at", "-id")
    )


def order_get_for_user(*, user_id: int | None, number: str) -> Order | None:
    """The buyer's own order, or None; someone else's order is never found."""
    if user_id is None:
        return None
    return (
        Order.objects.filter(user_id=user_id, number=number)
        .select_related("course", "coupon", "payment")
        .prefetch_related("refunds")
        .first()
    )


def order_paid_for_course(*, user_id: int | None, course_id: int) -> Order | None:
    """The buyer's latest paid (or partly refunded) order for a course, or None."""
    if user_id is None:
        return None
    return (
        Order.objects.filter(
            user_id=user_id,
            course_id=course_id,
            status__in=(Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED),
        )
        .order_by("-paid_at")
        .first()
    )


def refund_rule_for_course(*, course_id: int) -> tuple[int, int]:
    """(days, max watched percent): the course's override, else the platform's."""
    policy = RefundPolicy.objects.filter(course_id=course_id).first()
    if policy is not None:
        return policy.days, policy.max_watched_percent
    return int(settings.COMMERCE_REFUND_DAYS), int(settings.COMMERCE_REFUND_MAX_WATCHED_PERCENT)


@dataclass(frozen=True)
class RefundEligibility:
    eligible: bool
    deadline: datetime | None
    days_left: int
    watched_percent: int
    max_watched_percent: int
    refund_days: int
    refundable_minor: int
    reason: str

    @property
    def meter_percent(self) -> int:
        """How much of the watch allowance is used, for the meter (0..100)."""
        if self.max_watched_percent <= 0:
            return 100
        return min(100, round(100 * self.watched_percent / self.max_watched_percent))


def refund_eligibility(
    *, order: Order, now: datetime | None = None, watched_ratio: WatchedRatio | None = None
) -> RefundEligibility:
    """Whether the buyer may have their money back now, and why (not).

    The rule is copied onto the order at checkout, so a later policy change
    never changes a past purchase's promise.
    """
    now = now or timezone.now()
    ratio = (
        watched_ratio(order.user_id, order.course_id)
        if watched_ratio
        else course_watched_ratio(
            user_id=order.user_id, course_id=order.course_id, since=order.paid_at
        )
    )
    watched = round(ratio * 100)
    deadline = order.paid_at + timedelta(days=order.refund_days) if order.paid_at else None
    days_left = (
        max(0, (deadline - now).days + (1 if (deadline - now).seconds else 0))
        if (deadline and deadline > now)
        else 0
    )
    reason = ""
    if order.status not in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED):
        reason = _("Only a paid order can be refunded.")
    elif deadline is None or now > deadline:
        reason = _("The %(days)s-day refund window has closed.") % {"days": order.refund_days}
    elif watched >= order.refund_max_watched_percent:
        reason = _("%(watched)s%% of the course is watched; the limit is %(limit)s%%.") % {
            "watched": watched,
            "limit": order.refund_max_watched_percent,
        }
    return RefundEligibility(
        eligible=not reason,
        deadline=deadline,
        days_left=days_left,
        watched_percent=watched,
        max_watched_percent=order.refund_max_watched_percent,
        refund_days=order.refund_days,
        refundable_minor=order.refundable_minor,
        reason=reason or _("Eligible for a refund."),
    )


def coupon_get_by_code(*, code: str) -> Coupon | None:
    return Coupon.objects.filter(code=code.strip().upper()).first()


def coupon_list_for_creator(*, creator_id: int) -> QuerySet[Coupon]:
    """The creator's coupons, newest first, with their course."""
    return Coupon.objects.filter(creator_id=creator_id).select_related("course").order_by("-pk")


@dataclass(frozen=True)
class CreatorLedger:
    entries: list[EarningEntry]
    payouts: list[Payout]
    balance_payable_minor: int
    pending_minor: int
    paid_out_minor: int
    currency: str


def creator_ledger(
    *, creator_id: int, now: datetime | None = None, limit: int = 200
) -> CreatorLedger:
    """A creator's ledger: lines, payouts, and what is payable now.

    Payable = net of entries whose refund window has closed and that no
    payout has taken yet; pending = the rest of the unpaid entries.
    """
    now = now or timezone.now()
    unpaid = EarningEntry.objects.filter(creator_id=creator_id, payout__isnull=True)
    payable = unpaid.filter(available_at__lte=now).aggregate(s=Sum("net_minor"))["s"] or 0
    pending = unpaid.filter(available_at__gt=now).aggregate(s=Sum("net_minor"))["s"] or 0
    paid = (
        Payout.objects.filter(creator_id=creator_id, status=Payout.Status.PAID).aggregate(
            s=Sum("amount_minor")
        )["s"]
        or 0
    )
    entries = list(
        EarningEntry.objects.filter(creator_id=creator_id)
        .select_related("order__course", "payout")
        .order_by("-created_at", "-id")[:limit]
    )
    payouts = list(Payout.objects.filter(creator_id=creator_id).order_by("-created_at")[:limit])
    return CreatorLedger(
        entries=entries,
        payouts=payouts,
        balance_payable_minor=int(payable),
        pending_minor=int(pending),
        paid_out_minor=int(paid),
        currency=str(settings.KF_DEFAULT_CURRENCY),
    )


# The ledger export's columns, in order; the view names its header from them.
LEDGER_CSV_COLUMNS = (
    "created_at",
    "kind",
    "order__number",
    "order__course__title",
    "gross_minor",
    "fee_minor",
    "net_minor",
    "currency",
    "available_at",
    "payout_id",
)


def creator_ledger_rows(*, creator_id: int) -> list[dict[str, Any]]:
    """Every ledger line as plain values, for the CSV export."""
    values = (
        EarningEntry.objects.filter(creator_id=creator_id)
        .order_by("created_at", "id")
        .values(*LEDGER_CSV_COLUMNS)
    )
    return [dict(row) for row in values]


def creator_has_open_money(*, creator_id: int) -> bool:
    """True when money still ties a creator to the platform.

    That is: an order for one of their courses (orders protect the course),
    ledger lines no payout has taken whose net is not zero, or a payout
    not yet paid.
    """
    if Order.objects.filter(course__creator_id=creator_id).exists():
        return True
    if Payout.objects.filter(creator_id=creator_id, status=Payout.Status.PENDING).exists():
        return True
    unpaid = EarningEntry.objects.filter(creator_id=creator_id, payout__isnull=True)
    return bool(unpaid.aggregate(s=Sum("net_minor"))["s"])


def order_counts_by_status() -> dict[str, int]:
    """How many orders are in each state, every state present (metrics)."""
    counts = dict.fromkeys(Order.Status.values, 0)
    rows = Order.objects.order_by().values_list("status").annotate(n=Count("id"))
    counts.update({str(status): int(n) for status, n in rows})
    return counts


def webhook_event_counts() -> dict[tuple[str, str], int]:
    """Accepted provider events by (provider, type) (metrics)."""
    rows = WebhookEvent.objects.order_by().values_list("provider", "type").annotate(n=Count("id"))
    return {(str(provider), str(type_)): int(n) for provider, type_, n in rows}


def sandbox_webhook_counts() -> dict[str, int]:
    """The sandbox provider's outgoing webhooks: delivered, and still pending (metrics)."""
    pending = SandboxWebhook.objects.filter(delivered_at__isnull=True).count()
    return {"delivered": SandboxWebhook.objects.count() - pending, "pending": pending}
