"""Commerce API: one view per operation; services do the work."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.auth import user_id_of
from common.api.errors import ErrorSerializer
from common.error_pages import api_error
from common.exceptions import ApplicationError

from ..idempotency import (
    idempotency_abandon,
    idempotency_begin,
    idempotency_finish,
    request_fingerprint,
)
from ..models import Order, Refund
from ..selectors import order_get_for_user, order_list_for_user, refund_eligibility
from ..services import coupon_quote, order_create, refund_request, webhook_receive

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Same key and body replay the first answer; another body gives 422.",
)


class OrderOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CommerceOrder"

    number = serializers.CharField()
    status = serializers.CharField()
    course_id = serializers.IntegerField()
    list_price_minor = serializers.IntegerField()
    discount_minor = serializers.IntegerField()
    amount_minor = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    currency = serializers.CharField()
    coupon = serializers.CharField(source="coupon.code", default=None, allow_null=True)
    attributed_video_id = serializers.IntegerField(allow_null=True)
    checkout_url = serializers.CharField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)


def _run_idempotent(request: Request, scope: str, work: Any) -> Response:
    """Run ``work()`` once per Idempotency-Key; replay its stored answer after."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return work()
    fingerprint = request_fingerprint(
        method=request.method or "POST", path=request.path, body=request.data
    )
    row, replay = idempotency_begin(
        user_id=user_id_of(request), scope=scope, key=key, fingerprint=fingerprint
    )
    if replay is not None:
        response = Response(replay.body, status=replay.status)
        response["Idempotent-Replayed"] = "true"
        return response
    try:
        response = work()
    except ApplicationError as exc:
        body = {"code": exc.code, "message": exc.message, "extra": exc.extra}
        idempotency_finish(row=row, status=exc.status, body=body)
        return Response(body, status=exc.status)
    except Exception:
        idempotency_abandon(row=row)
        raise
    idempotency_finish(row=row, status=response.status_code, body=response.data)
    return response


class OrderCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CommerceOrderCreateInput"

        course_id = serializers.IntegerField(min_value=1, max_value=2**62)
        coupon_code = serializers.CharField(max_length=32, required=False, allow_blank=True)
        video_id = serializers.IntegerField(
            min_value=1, max_value=2**62, required=False, allow_null=True
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CommerceOrderCreateOutput"

        result = serializers.ChoiceField(choices=["created", "existing", "owned"])
        order = OrderOutputSerializer(allow_null=True)
        checkout_url = serializers.CharField(allow_blank=True)
        enrollment_id = serializers.IntegerField(allow_null=True)

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            201: OutputSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
            422: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _run_idempotent(
            request, "order_create", lambda: self._create(request, data.validated_data)
        )

    def _create(self, request: Request, data: dict[str, Any]) -> Response:
        urls = checkout_urls(request)
        result = order_create(
            user_id=user_id_of(request),
            course_id=data["course_id"],
            coupon_code=data.get("coupon_code") or "",
            video_id=data.get("video_id"),
            success_url=urls[0],
            cancel_url=urls[1],
        )
        order = result.order
        pending = order is not None and order.status == Order.Status.PENDING
        if not pending or result.enrollment_id is not None:
            kind = "owned"
        else:
            kind = "created" if result.created else "existing"
        checkout_url = ""
        if order is not None and pending and order.checkout_url:
            checkout_url = request.build_absolute_uri(order.checkout_url)
        body = {
            "result": kind,
            "order": OrderOutputSerializer(order).data if order else None,
            "checkout_url": checkout_url,
            "enrollment_id": result.enrollment_id,
        }
        return Response(body, status=201 if result.created else 200)


def checkout_urls(request: HttpRequest) -> tuple[str, str]:
    """Where the provider sends the buyer back; the order page syncs on return."""
    success = request.build_absolute_uri(reverse("commerce:checkout-return"))
    return (
        success + "?session_id={CHECKOUT_SESSION_ID}",
        request.build_absolute_uri(reverse("commerce:order-list")),
    )


class OrderListApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(OrderOutputSerializer):
        class Meta:
            ref_name = "CommerceOrderListItem"

    @extend_schema(responses={200: OutputSerializer(many=True), 403: ErrorSerializer})
    def get(self, request: Request) -> Response:
        orders = order_list_for_user(user_id=user_id_of(request))[:100]
        return Response(self.OutputSerializer(orders, many=True).data)


class EligibilitySerializer(serializers.Serializer):
    class Meta:
        ref_name = "CommerceRefundEligibility"

    eligible = serializers.BooleanField()
    reason = serializers.CharField()
    deadline = serializers.DateTimeField(allow_null=True)
    days_left = serializers.IntegerField()
    watched_percent = serializers.IntegerField()
    max_watched_percent = serializers.IntegerField()
    refundable_minor = serializers.IntegerField()


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(OrderOutputSerializer):
        class Meta:
            ref_name = "CommerceOrderDetail"

        refund_eligibility = EligibilitySerializer()

    @extend_schema(responses={200: OutputSerializer, 404: ErrorSerializer})
    def get(self, request: Request, number: str) -> Response:
        order = order_get_for_user(user_id=user_id_of(request), number=number)
        if order is None:
            raise ApplicationError("No such order.", code="not_found", status=404)
        order.refund_eligibility = refund_eligibility(order=order)  # type: ignore[attr-defined]
        return Response(self.OutputSerializer(order).data)


class RefundRequestApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CommerceRefundRequestInput"

        reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CommerceRefund"

        status = serializers.ChoiceField(choices=Refund.Status.choices)
        amount_minor = serializers.IntegerField()
        eligible = serializers.BooleanField()
        eligibility_note = serializers.CharField()
        order_status = serializers.CharField(source="order.status")

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
            422: ErrorSerializer,
        },
    )
    def post(self, request: Request, number: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def work() -> Response:
            refund = refund_request(
                user_id=user_id_of(request),
                order_number=number,
                reason=data.validated_data.get("reason", ""),
            )
            refund.order.refresh_from_db()
            return Response(self.OutputSerializer(refund).data, status=201)

        return _run_idempotent(request, f"refund:{number}", work)


class CouponQuoteApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CommerceCouponQuoteInput"

        code = serializers.CharField(max_length=32)
        course_id = serializers.IntegerField(min_value=1, max_value=2**62)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CommerceCouponQuote"

        code = serializers.CharField()
        list_price_minor = serializers.IntegerField()
        discount_minor = serializers.IntegerField()
        amount_minor = serializers.IntegerField()
        currency = serializers.CharField()

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        from courses.selectors import course_list_published

        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        course = course_list_published().filter(pk=data.validated_data["course_id"]).first()
        if course is None:
            raise ApplicationError("No such course.", code="not_found", status=404)
        user_id = request.user.pk if request.user.is_authenticated else None
        discount = coupon_quote(code=data.validated_data["code"], course=course, user_id=user_id)
        body = {
            "code": data.validated_data["code"].strip().upper(),
            "list_price_minor": course.price_minor,
            "discount_minor": discount,
            "amount_minor": course.price_minor - discount,
            "currency": course.currency,
        }
        return Response(self.OutputSerializer(body).data)


@method_decorator(csrf_exempt, name="dispatch")
class PaymentWebhookView(View):
    """The only CSRF-exempt endpoint: the provider's signature on the raw body
    is the authentication. Bad or stale signature → 400, nothing changes."""

    http_method_names = ["post"]

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        response = api_error(405, "method_not_allowed", "Webhooks are POSTed.")
        response["Allow"] = "POST"
        return response

    def post(self, request: HttpRequest, provider: str) -> HttpResponse:
        if request.content_type == "multipart/form-data":  # providers sign raw JSON bodies
            return JsonResponse({"received": False, "note": "bad body"}, status=400)
        status, note = webhook_receive(
            provider=provider, body=request.body, headers=request.headers
        )
        return JsonResponse({"received": status < 300, "note": note}, status=status)
