"""Hypothesis state machine over orders, provider events and refunds.

The provider (sandbox) moves on its own; its signed events are delivered in
any order, any number of times. Invariants: only declared transitions,
refunds never exceed the captured amount, access exactly when paid and not
fully refunded, the ledger matches, and an event applied twice = once.
"""

import contextlib
import json
import os

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from commerce.gateways.base import GatewayError, signature_header
from commerce.gateways.sandbox import SIGNATURE_HEADER, SandboxGateway, session_transition
from commerce.models import EarningEntry, Order, Payment, Refund, SandboxSession, SandboxWebhook
from commerce.services import (
    order_create,
    order_expire,
    order_sync,
    refund_approve,
    webhook_receive,
)
from common.exceptions import ApplicationError
from courses.selectors import user_has_course_access
from tests.factories import UserFactory

from .conftest import paid_course

PRICE = 10000


def _reachable(status: str) -> set[str]:
    seen, todo = {status}, [status]
    while todo:
        for nxt in Order.TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


class OrderMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.user = UserFactory.create()
        self.course = paid_course(price=PRICE, lessons=1)
        order = order_create(user_id=self.user.pk, course_id=self.course.pk).order
        assert order is not None
        self.order = order
        self.status = order.status
        self.refund_seq = 0

    # --- the provider moves -------------------------------------------------
    @rule(outcome=st.sampled_from(["paid", "failed", "cancelled"]))
    def provider_checkout(self, outcome: str) -> None:
        session_transition(order_number=self.order.number, status=outcome)

    @rule(amount=st.integers(min_value=1, max_value=PRICE))
    def provider_dashboard_refund(self, amount: int) -> None:
        self.refund_seq += 1
        with contextlib.suppress(GatewayError):  # nothing captured, or too much
            SandboxGateway().refund_create(
                order=self.order, amount_minor=amount, key=f"dash-{self.refund_seq}"
            )

    # --- events reach us ------------------------------------------------------
    @rule(pick=st.integers(min_value=0, max_value=50), twice=st.booleans())
    def deliver(self, pick: int, twice: bool) -> None:
        hooks = list(
            SandboxWebhook.objects.filter(
                payload__data__object__order_number=self.order.number
            ).order_by("id")
        )
        if not hooks:
            return
        hook = hooks[pick % len(hooks)]
        body = json.dumps(hook.payload).encode()
        headers = {
            SIGNATURE_HEADER: signature_header(
                body, django_settings.COMMERCE_SANDBOX_WEBHOOK_SECRET
            )
        }
        status, _ = webhook_receive(provider="sandbox", body=body, headers=headers)
        assert status == 200
        if twice:  # the same event again, and the same state under a new id
            before = self._fingerprint()
            webhook_receive(provider="sandbox", body=body, headers=headers)
            again = dict(hook.payload, id=hook.payload["id"] + "-copy")
            body2 = json.dumps(again).encode()
            webhook_receive(
                provider="sandbox",
                body=body2,
                headers={
                    SIGNATURE_HEADER: signature_header(
                        body2, django_settings.COMMERCE_SANDBOX_WEBHOOK_SECRET
                    )
                },
            )
            assert self._fingerprint() == before

    @rule()
    def buyer_returns(self) -> None:
        order_sync(order_id=self.order.pk)

    @rule()
    def expire(self) -> None:
        order_expire(order_id=self.order.pk)

    @rule(amount=st.one_of(st.none(), st.integers(min_value=1, max_value=PRICE)))
    def staff_refund(self, amount: int | None) -> None:
        order = Order.objects.get(pk=self.order.pk)
        if order.status not in ("paid", "partially_refunded"):
            return
        refund = Refund.objects.create(
            order=order,
            amount_minor=order.refundable_minor,
            sequence=Refund.objects.filter(order=order).count() + 1,
            provider="sandbox",
        )
        with contextlib.suppress(ApplicationError):
            refund_approve(refund_id=refund.pk, decided_by_id=None, amount_minor=amount)
        Refund.objects.filter(pk=refund.pk, status="requested").update(status="denied")

    # --- invariants -----------------------------------------------------------
    def _fingerprint(self) -> tuple:
        order = Order.objects.get(pk=self.order.pk)
        return (
            order.status,
            order.refunded_minor,
            Refund.objects.filter(order=order, status="succeeded").count(),
            EarningEntry.objects.filter(order=order).count(),
        )

    @invariant()
    def holds(self) -> None:
        order = Order.objects.get(pk=self.order.pk)
        self._transitions_are_declared(order)
        self._refunds_within_captured(order)
        self._access_exactly_when_paid_and_not_fully_refunded(order)
        self._ledger_matches(order)

    def _transitions_are_declared(self, order: Order) -> None:
        # one step may chain moves (paid, then refunded); each must be declared
        assert order.status in _reachable(self.status), (self.status, order.status)
        self.status = order.status

    def _refunds_within_captured(self, order: Order) -> None:
        payment = Payment.objects.get(order=order)
        refunded = sum(
            Refund.objects.filter(order=order, status="succeeded").values_list(
                "amount_minor", flat=True
            )
        )
        assert refunded == order.refunded_minor <= payment.captured_minor <= order.amount_minor
        session = SandboxSession.objects.get(order_number=order.number)
        assert (
            order.refunded_minor <= session.amount_refunded
        )  # never more than the provider gave back

    def _access_exactly_when_paid_and_not_fully_refunded(self, order: Order) -> None:
        has_access = user_has_course_access(user_id=self.user.pk, course=self.course)
        assert has_access == (order.status in ("paid", "partially_refunded"))

    def _ledger_matches(self, order: Order) -> None:
        entries = EarningEntry.objects.filter(order=order)
        gross = sum(e.gross_minor for e in entries)
        expected = order.amount_minor - order.refunded_minor if order.paid_at else 0
        assert gross == expected


@pytest.mark.django_db
def test_order_payment_refund_invariants() -> None:
    run_state_machine_as_test(
        OrderMachine,
        settings=settings(
            max_examples=int(os.environ.get("KF_HYPOTHESIS_EXAMPLES", "30")),
            stateful_step_count=int(os.environ.get("KF_HYPOTHESIS_STEPS", "12")),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
