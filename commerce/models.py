"""Orders for courses. Money is integer minor units plus an ISO currency."""

from django.conf import settings
from django.db import models

from common.models import BaseModel


class Order(BaseModel):
    """One attempt to buy one course, with the price copied at checkout.

    ``pending → paid → partially_refunded | refunded`` and
    ``pending → failed | cancelled | expired``.

    .. no_pii: buyer id, amounts and times.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

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

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_recent"),
            models.Index(fields=["course", "status"], name="order_course_status"),
            models.Index(fields=["status", "paid_at"], name="order_status_paid"),
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
        return f"Order #{self.pk} ({self.status})"
