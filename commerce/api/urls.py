from django.urls import path

from .views import (
    CouponQuoteApi,
    OrderCreateApi,
    OrderDetailApi,
    OrderListApi,
    PaymentWebhookView,
    RefundRequestApi,
)

urlpatterns = [
    path("orders", OrderCreateApi.as_view(), name="commerce-order-create"),
    path("orders/mine", OrderListApi.as_view(), name="commerce-order-list"),
    path("orders/<order_number:number>", OrderDetailApi.as_view(), name="commerce-order-detail"),
    path(
        "orders/<order_number:number>/refunds",
        RefundRequestApi.as_view(),
        name="commerce-refund-request",
    ),
    path("coupons/quote", CouponQuoteApi.as_view(), name="commerce-coupon-quote"),
    path(
        "payments/webhook/<str:provider>/",
        PaymentWebhookView.as_view(),
        name="commerce-webhook",
    ),
]
