"""Writes for commerce: orders, fulfilment, provider events, refunds, payouts.

Every state change is a locked, guarded transition (``orders._transition``).
Locks are taken in one order — order row, then payment row, then coupon — so
two requests never deadlock. Provider events converge our rows onto the
provider's snapshot, which makes duplicates and reordering harmless.

Modules, lowest first (each imports only those above it):

- ``coupons``: quote, redeem and release coupons.
- ``orders``: the state machine (``_transition``), closing and fulfilment.
- ``refunds``: refund requests, decisions and provider refunds.
- ``webhooks``: provider snapshots and webhooks applied to orders.
- ``checkout``: create, cancel and expire orders.
- ``payouts``: creator payouts.
"""

from .checkout import order_cancel, order_create, order_expire, orders_expire_due
from .coupons import CouponKind, coupon_create, coupon_quote, coupon_set_active
from .payouts import payout_create, payout_mark_paid
from .refunds import (
    refund_approve,
    refund_deny,
    refund_policy_set,
    refund_request,
    refunds_user_retire,
)
from .webhooks import order_apply_state, order_sync, webhook_receive

__all__ = [
    "CouponKind",
    "coupon_create",
    "coupon_quote",
    "coupon_set_active",
    "order_apply_state",
    "order_cancel",
    "order_create",
    "order_expire",
    "order_sync",
    "orders_expire_due",
    "payout_create",
    "payout_mark_paid",
    "refund_approve",
    "refund_deny",
    "refund_policy_set",
    "refund_request",
    "refunds_user_retire",
    "webhook_receive",
]
