from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language

from common.exceptions import ApplicationError
from common.money import format_money

from .models import (
    Coupon,
    CouponRedemption,
    EarningEntry,
    Order,
    Payment,
    Payout,
    Refund,
    RefundPolicy,
    WebhookEvent,
)
from .services import payout_create, payout_mark_paid, refund_approve, refund_deny


def _money(field: str, label: str, currency: str = "currency") -> Callable[[Any], str]:
    """A list column showing ``field`` (minor units) as money in the admin's language."""

    @admin.display(description=label, ordering=field)
    def column(obj: Any) -> str:
        code = obj.order.currency if currency == "order" else getattr(obj, currency)
        return format_money(getattr(obj, field), code, language=get_language() or "en")

    column.__name__ = field.removesuffix("_minor")
    return column


class PaymentInline(admin.StackedInline):
    model = Payment
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in Payment._meta.fields]


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = (
        "sequence",
        "amount_minor",
        "status",
        "eligible",
        "eligibility_note",
        "provider_refund_id",
    )
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "user",
        "course",
        "status",
        _money("amount_minor", "Amount"),
        _money("refunded_minor", "Refunded"),
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "currency", "provider")
    search_fields = ("=number", "=id", "user__username", "course__title", "idempotency_key")
    raw_id_fields = ("user", "course", "coupon")
    list_select_related = ("user", "course")
    date_hierarchy = "created_at"
    inlines = [PaymentInline, RefundInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        # Money and state move only through services (guarded transitions).
        return [f.name for f in Order._meta.fields] if obj else []


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "provider",
        "status",
        "amount_minor",
        "captured_minor",
        "refunded_minor",
        "captured_at",
    )
    list_filter = ("provider", "status")
    search_fields = ("=order__number", "provider_payment_id")
    list_select_related = ("order",)
    readonly_fields = [f.name for f in Payment._meta.fields]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "provider", "type", "outcome", "order", "received_at")
    list_filter = ("provider", "type")
    search_fields = ("=event_id", "=order__number")
    list_select_related = ("order",)
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]


@admin.action(description="Approve and refund through the provider")
def approve_refunds(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    for refund in queryset.filter(status=Refund.Status.REQUESTED):
        try:
            refund_approve(refund_id=refund.pk, decided_by_id=request.user.pk)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{refund}: {exc.message}", messages.ERROR)


@admin.action(description="Deny")
def deny_refunds(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    for refund in queryset.filter(status=Refund.Status.REQUESTED):
        refund_deny(refund_id=refund.pk, decided_by_id=request.user.pk)


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "sequence",
        _money("amount_minor", "Amount", currency="order"),
        "status",
        "eligible",
        "eligibility_note",
        "created_at",
    )
    list_filter = ("status", "eligible")
    search_fields = ("=order__number", "provider_refund_id")
    list_select_related = ("order",)
    actions = [approve_refunds, deny_refunds]
    raw_id_fields = ("order", "decided_by")

    def get_readonly_fields(self, request: HttpRequest, obj: Refund | None = None) -> list[str]:
        # Staff may lower the amount of an open request (partial refund) before approving.
        editable = {"amount_minor"} if obj and obj.status == Refund.Status.REQUESTED else set()
        return [f.name for f in Refund._meta.fields if f.name not in editable]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "creator",
        "course",
        "kind",
        "value",
        "redeemed_count",
        "max_redemptions",
        "valid_until",
        "is_active",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("code", "creator__username")
    raw_id_fields = ("creator", "course")
    readonly_fields = ("redeemed_count",)


@admin.register(CouponRedemption)
class CouponRedemptionAdmin(admin.ModelAdmin):
    list_display = ("coupon", "user", "order", "discount_minor", "created_at")
    raw_id_fields = ("coupon", "user", "order")
    list_select_related = ("coupon", "user", "order")


@admin.register(RefundPolicy)
class RefundPolicyAdmin(admin.ModelAdmin):
    list_display = ("course", "days", "max_watched_percent")
    raw_id_fields = ("course",)


@admin.action(description="Mark paid")
def mark_payouts_paid(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    for payout in queryset:
        payout_mark_paid(payout_id=payout.pk)


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "creator",
        _money("amount_minor", "Amount"),
        "status",
        "created_at",
        "paid_at",
        "reference",
    )
    list_filter = ("status",)
    search_fields = ("creator__username", "reference")
    raw_id_fields = ("creator",)
    readonly_fields = ("creator", "amount_minor", "currency", "status", "paid_at")
    actions = [mark_payouts_paid]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created from the ledger, so the amount always matches its lines


@admin.action(description="Create payouts for these creators' payable balance")
def create_payouts(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    for creator_id in set(queryset.values_list("creator_id", flat=True)):
        payout = payout_create(creator_id=creator_id)
        if payout is not None:
            modeladmin.message_user(request, f"Payout #{payout.pk}: {payout.amount_minor}")


@admin.register(EarningEntry)
class EarningEntryAdmin(admin.ModelAdmin):
    list_display = (
        "creator",
        "order",
        "kind",
        _money("gross_minor", "Gross"),
        _money("fee_minor", "Platform fee"),
        _money("net_minor", "Net"),
        "available_at",
        "payout",
    )
    list_filter = ("kind",)
    search_fields = ("creator__username", "=order__number")
    list_select_related = ("creator", "order", "payout")
    readonly_fields = [f.name for f in EarningEntry._meta.fields]
    actions = [create_payouts]
