"""Commerce pages: buy, order history and receipt, refunds, the sandbox
provider's hosted checkout, and the creator ledger."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.api.auth import user_id_of
from common.converters import ascii_int
from common.exceptions import ApplicationError
from courses.selectors import course_list_published, user_has_course_access

from .api.views import checkout_urls
from .gateways import gateway_enabled
from .gateways.sandbox import session_transition
from .models import Order, SandboxSession
from .selectors import (
    LEDGER_CSV_COLUMNS,
    creator_ledger,
    creator_ledger_rows,
    order_get_for_user,
    order_list_for_user,
    refund_eligibility,
)
from .services import order_cancel, order_create, order_sync, refund_request


def _parse_video_id(raw: str | None) -> int | None:
    return ascii_int(raw, 17)


@login_required
@require_POST
def buy(request: HttpRequest, course_id: int) -> HttpResponse:
    """The buy box posts here; a double click lands on the same order."""
    course = course_list_published().filter(pk=course_id).first()
    if course is None:
        raise Http404("No such course.")
    urls = checkout_urls(request)
    try:
        result = order_create(
            user_id=user_id_of(request),
            course_id=course.pk,
            coupon_code=request.POST.get("coupon", "")[:32],
            video_id=_parse_video_id(request.POST.get("video_id")),
            success_url=urls[0],
            cancel_url=urls[1],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("courses:course-detail", course.slug)
    order = result.order
    if order is not None and order.status == Order.Status.PENDING and order.checkout_url:
        return HttpResponseRedirect(order.checkout_url)
    messages.info(request, _("You already have access to this course."))
    return redirect("courses:course-detail", course.slug)


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    orders = order_list_for_user(user_id=user_id_of(request))[:100]
    return render(request, "commerce/order_list.html", {"orders": orders})


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The receipt, with the refund rule and a live eligibility meter."""
    order = order_get_for_user(user_id=user_id_of(request), number=number)
    if order is None:
        raise Http404("No such order.")
    closed_unpaid = order.status in (
        Order.Status.FAILED,
        Order.Status.CANCELLED,
        Order.Status.EXPIRED,
    )
    context = {
        "order": order,
        "closed_unpaid": closed_unpaid,
        # A closed order offers a new checkout, unless the course is theirs by now.
        "owns_course": closed_unpaid
        and user_has_course_access(user_id=user_id_of(request), course=order.course),
        "eligibility": refund_eligibility(order=order),
        "refunds": list(order.refunds.all()),
        "open_refund": any(r.status == "requested" for r in order.refunds.all()),
    }
    return render(request, "commerce/order_detail.html", context)


@login_required
@require_POST
def order_refund(request: HttpRequest, number: str) -> HttpResponse:
    if order_get_for_user(user_id=user_id_of(request), number=number) is None:
        raise Http404("No such order.")
    try:
        refund = refund_request(
            user_id=user_id_of(request), order_number=number, reason=request.POST.get("reason", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if refund.status == "succeeded":
            messages.success(request, _("Your refund was granted."))
        else:
            messages.info(request, _("Your refund request was sent for review."))
    return redirect("commerce:order-detail", number)


@login_required
@require_POST
def order_cancel_view(request: HttpRequest, number: str) -> HttpResponse:
    order = order_get_for_user(user_id=user_id_of(request), number=number)
    if order is None:
        raise Http404("No such order.")
    order_cancel(order_id=order.pk, user_id=user_id_of(request))
    return redirect("commerce:order-detail", number)


@login_required
def checkout_return(request: HttpRequest) -> HttpResponse:
    """The provider sends the buyer back here; converge before showing the order."""
    session_id = request.GET.get("session_id", "")[:120]
    order = (
        Order.objects.filter(user_id=user_id_of(request), provider_session_id=session_id).first()
        if session_id
        else None
    )
    if order is None:
        return redirect("commerce:order-list")
    order = order_sync(order_id=order.pk)
    return redirect("commerce:order-detail", order.number)


def sandbox_checkout(request: HttpRequest, session_id: str) -> HttpResponse:
    """The sandbox provider's hosted page: pay, fail or cancel.

    Its Pay button hands out a course for a click, so it exists only where
    the sandbox is enabled (development, tests, a staging site).
    """
    if not gateway_enabled("sandbox"):
        raise Http404("No such checkout.")
    session = SandboxSession.objects.filter(session_id=session_id).first()
    if session is None:
        raise Http404("No such checkout.")
    if request.method == "POST":
        action = request.POST.get("action", "")
        status = {"pay": "paid", "fail": "failed", "cancel": "cancelled"}.get(action)
        if status is None:
            return render(
                request, "commerce/sandbox_checkout.html", {"session": session}, status=400
            )
        session = session_transition(session_id=session_id, status=status) or session
        target = session.cancel_url if status == "cancelled" else session.success_url
        return HttpResponseRedirect(target.replace("{CHECKOUT_SESSION_ID}", session.session_id))
    return render(request, "commerce/sandbox_checkout.html", {"session": session})


@login_required
def creator_ledger_page(request: HttpRequest) -> HttpResponse:
    ledger = creator_ledger(creator_id=user_id_of(request))
    return render(request, "commerce/creator_ledger.html", {"ledger": ledger})


@login_required
def creator_ledger_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="ledger-{stamp}.csv"'
    writer = csv.writer(response)
    columns = LEDGER_CSV_COLUMNS
    writer.writerow(
        [c.replace("order__", "order_").replace("course__", "course_") for c in columns]
    )
    for row in creator_ledger_rows(creator_id=user_id_of(request)):
        writer.writerow([_csv_safe(row[c]) for c in columns])
    return response


def _csv_safe(value: object) -> object:
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
