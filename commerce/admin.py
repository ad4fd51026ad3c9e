from django.contrib import admin

from .models import Order


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "course",
        "status",
        "amount_minor",
        "refunded_minor",
        "currency",
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "currency")
    search_fields = ("=id", "user__username", "course__title", "idempotency_key")
    raw_id_fields = ("user", "course")
    list_select_related = ("user", "course")
    date_hierarchy = "created_at"
