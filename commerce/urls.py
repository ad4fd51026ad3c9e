from django.urls import path

from . import views

app_name = "commerce"

urlpatterns = [
    path("buy/<id:course_id>/", views.buy, name="buy"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/<order_number:number>/", views.order_detail, name="order-detail"),
    path("orders/<order_number:number>/refund/", views.order_refund, name="order-refund"),
    path("orders/<order_number:number>/cancel/", views.order_cancel_view, name="order-cancel"),
    path("checkout/return/", views.checkout_return, name="checkout-return"),
    path("sandbox/checkout/<str:session_id>/", views.sandbox_checkout, name="sandbox-checkout"),
    path("creator/ledger/", views.creator_ledger_page, name="creator-ledger"),
    path("creator/ledger.csv", views.creator_ledger_csv, name="creator-ledger-csv"),
]
