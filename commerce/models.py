"""Orders, payments, provider webhooks, coupons, refunds and the creator ledger.

Money is integer minor units plus an ISO currency. Every money invariant that
concurrency could break is a database constraint, not a Python check.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.models import BaseModel


def new_order_number() -> str:
    """A public order number, generated before any provider is called."""
    return f"KF{timezone.now():%y%m%d}{secrets.token_hex(5).upper()}"


class Order(BaseModel):
    """One attempt to buy one course, with the price copied at checkout.

    ``pending → paid → partially_refunded → refunded`` (or ``paid → refunded``)
    and ``pending → failed | cancelled | expired``; see ``TRANSITIONS``.

    .. no_pii: buyer id, amounts and times.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    LIVE = ("pending", "paid", "partially_refunded")
    TRANSITIONS: dict[str, frozenset[str]] = {
        "pending": frozenset({"paid", "failed", "cancelled", "expired"}),
        "paid": frozenset({"partially_refunded", "refunded"}),
        "partially_refunded": frozenset({"partially_refunded", "refunded"}),
        "refunded": frozenset(),
        "failed": frozenset(),
        "cancelled": frozenset(),
        "expired": frozenset(),
    }

    number = models.CharField(max_length=24, unique=True, default=new_order_number)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    list_price_minor = models.PositiveIntegerField()
    discount_minor = models.PositiveIntegerField(default=0)
    amount_minor = models.PositiveIntegerField(help_text="What the buyer pays.")
    refunded_minor = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="CNY")
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)
    attributed_video_id = models.BigIntegerField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    coupon = models.ForeignKey(
        "commerce.Coupon", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    provider = models.CharField(max_length=16, default="sandbox")
    provider_session_id = models.CharField(max_length=120, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=500, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    refund_days = models.PositiveSmallIntegerField(default=7)
    refund_max_watched_percent = models.PositiveSmallIntegerField(default=30)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_recent"),
            models.Index(fields=["course", "status"], name="order_course_status"),
            models.Index(fields=["status", "paid_at"], name="order_status_paid"),
            models.Index(fields=["status", "expires_at"], name="order_status_expires"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="order_idempotency_once",
            ),
            # One live purchase per course and buyer: a double click cannot pay twice.
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=models.Q(status__in=["pending", "paid", "partially_refunded"]),
                name="order_one_live_per_course",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    amount_minor=models.F("list_price_minor") - models.F("discount_minor")
                ),
                name="order_amount_is_price_less_discount",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_minor__lte=models.F("amount_minor")),
                name="order_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="order_currency_iso"
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.number} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


class Payment(BaseModel):
    """Our record of the provider's charge for one order; one per order.

    .. no_pii: ids and amounts.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CAPTURED = "captured", _("Captured")
        FAILED = "failed", _("Failed")

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="payment")
    provider = models.CharField(max_length=16)
    provider_payment_id = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    amount_minor = models.PositiveIntegerField()
    captured_minor = models.PositiveIntegerField(default=0)
    refunded_minor = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3)
    idempotency_key = models.CharField(max_length=120, help_text="{order_number}:charge")
    captured_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refunded_minor__lte=models.F("captured_minor")),
                name="payment_refund_within_captured",
            ),
            models.CheckConstraint(
                condition=models.Q(captured_minor__lte=models.F("amount_minor")),
                name="payment_capture_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} payment for order {self.order_id} ({self.status})"


class WebhookEvent(models.Model):
    """A provider notification we accepted; the unique id makes duplicates no-ops.

    .. no_pii: provider payloads carry order numbers and amounts only.
    """

    provider = models.CharField(max_length=16)
    event_id = models.CharField(max_length=120)
    type = models.CharField(max_length=80)
    payload = models.JSONField()
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")
        ]
        indexes = [models.Index(fields=["-received_at"], name="webhook_recent")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.type}"


class Coupon(BaseModel):
    """A discount code: percent or fixed, for one course or all of a creator's.

    ``redeemed_count`` is reserved when an order is created and released when
    that order fails, is cancelled or expires; a CHECK keeps it within the cap.

    .. no_pii: creator id and code.
    """

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percent off")
        FIXED = "fixed", _("Fixed amount off")

    code = models.CharField(max_length=32, unique=True, help_text="Stored upper-case.")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coupons"
    )
    course = models.ForeignKey(
        "courses.Course",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="coupons",
        help_text="Empty: every course of the creator.",
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PERCENT)
    value = models.PositiveIntegerField(help_text="Percent (1-100) or minor units.")
    currency = models.CharField(max_length=3, default="CNY")
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    per_user_limit = models.PositiveIntegerField(default=1)
    redeemed_count = models.PositiveIntegerField(default=0)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    min_charge_minor = models.PositiveIntegerField(
        default=0, help_text="The discounted price never goes below this."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_redemptions__isnull=True)
                | models.Q(redeemed_count__lte=models.F("max_redemptions")),
                name="coupon_within_cap",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="percent") | models.Q(value__lte=100, value__gte=1),
                name="coupon_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CouponRedemption(models.Model):
    """One order's use of a coupon; deleted when the order does not go through.

    .. no_pii: ids.
    """

    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="redemptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coupon_redemptions"
    )
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="redemption")
    discount_minor = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coupon redemption")
        verbose_name_plural = _("coupon redemptions")
        indexes = [models.Index(fields=["coupon", "user"], name="redemption_coupon_user")]

    def __str__(self) -> str:
        return f"{self.coupon_id} on order {self.order_id}"


class RefundPolicy(models.Model):
    """A course's own refund rule, overriding the platform default.

    .. no_pii:
    """

    course = models.OneToOneField(
        "courses.Course", on_delete=models.CASCADE, related_name="refund_policy"
    )
    days = models.PositiveSmallIntegerField(default=7)
    max_watched_percent = models.PositiveSmallIntegerField(default=30)

    class Meta:
        verbose_name = _("refund policy")
        verbose_name_plural = _("refund policies")

    def __str__(self) -> str:
        return f"{self.days} days, < {self.max_watched_percent}% watched"


class Refund(BaseModel):
    """A request to give money back, and what became of it.

    ``requested → succeeded | denied``; ``succeeded`` is also reached directly
    when a provider reports a refund we did not ask for (dashboard refunds).

    .. pii: the buyer's free-text reason.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SUCCEEDED = "succeeded", _("Refunded")
        DENIED = "denied", _("Denied")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(max_length=500, blank=True)
    eligible = models.BooleanField(default=False)
    eligibility_note = models.CharField(max_length=200, blank=True)
    sequence = models.PositiveSmallIntegerField(default=1)
    provider = models.CharField(max_length=16)
    provider_refund_id = models.CharField(max_length=120, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="refund_decisions",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_refund_id"],
                condition=models.Q(provider_refund_id__isnull=False),
                name="refund_provider_id_once",
            ),
            models.UniqueConstraint(fields=["order", "sequence"], name="refund_sequence_once"),
            # At most one open request per order.
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status="requested"),
                name="refund_one_open_per_order",
            ),
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="refund_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.sequence} of order {self.order_id} ({self.status})"


class Payout(BaseModel):
    """Money sent to a creator for ledger entries past the refund window.

    .. no_pii: creator id, amounts and a bank reference.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reference = models.CharField(max_length=120, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="payout_positive")
        ]

    def __str__(self) -> str:
        return f"Payout {self.pk} to {self.creator_id} ({self.status})"


class EarningEntry(models.Model):
    """One line of a creator's ledger: a sale, or the reversal of a refund.

    Reversals carry negative amounts. ``available_at`` is when the refund
    window closes; a payout may include only entries available by then.

    .. no_pii: ids and amounts.
    """

    class Kind(models.TextChoices):
        SALE = "sale", _("Sale")
        REFUND = "refund", _("Refund reversal")

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="earnings"
    )
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="earnings")
    refund = models.OneToOneField(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="earning"
    )
    payout = models.ForeignKey(
        Payout, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    gross_minor = models.IntegerField()
    fee_minor = models.IntegerField()
    net_minor = models.IntegerField()
    currency = models.CharField(max_length=3)
    available_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("earning entry")
        verbose_name_plural = _("earning entries")
        indexes = [models.Index(fields=["creator", "-created_at"], name="earning_creator_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=models.Q(kind="sale"), name="earning_one_sale_per_order"
            ),
            models.CheckConstraint(
                condition=models.Q(net_minor=models.F("gross_minor") - models.F("fee_minor")),
                name="earning_net_is_gross_less_fee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.net_minor} for {self.creator_id}"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key and the first response it produced.

    .. no_pii: user id, a hash and our own response body.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    locked_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_key_once")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class SandboxSession(BaseModel):
    """The sandbox provider's own record of a checkout: the provider side.

    It lives in our database only because the sandbox is built in; the
    commerce code talks to it through the gateway interface, never directly.

    .. no_pii: order number and amounts.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    session_id = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    order_number = models.CharField(max_length=24)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    charge_id = models.CharField(max_length=40, blank=True)
    refunds = models.JSONField(default=list, help_text="[{id, amount, key}]")
    success_url = models.URLField(max_length=500)
    cancel_url = models.URLField(max_length=500)
    webhook_url = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("sandbox session")
        verbose_name_plural = _("sandbox sessions")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="paid") | ~models.Q(charge_id=""),
                name="sandbox_paid_has_charge",
            )
        ]

    def __str__(self) -> str:
        return f"{self.session_id} ({self.status})"

    @property
    def amount_refunded(self) -> int:
        return sum(int(r["amount"]) for r in self.refunds)


class SandboxWebhook(models.Model):
    """A webhook the sandbox provider owes our endpoint, retried until delivered.

    .. no_pii:
    """

    event_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField()
    target_url = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox webhook")
        verbose_name_plural = _("sandbox webhooks")

    def __str__(self) -> str:
        return self.event_id
