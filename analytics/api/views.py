"""Event ingestion: ``POST /api/v1/events/batch``."""

import json
import re
import uuid
from datetime import datetime

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.models import Event
from analytics.services import (
    events_ingest_batch,
    subject_key_for_anonymous,
    subject_key_for_user,
)
from common.api.errors import ErrorSerializer
from common.api.fields import AwareDateTimeField

from .event_check import YEARS, check_events

ANON_COOKIE = "kf_anon"
ANON_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Business events (money, signup, enrollment, login, lesson completion) are
# recorded by the server only; a page cannot claim a purchase.
SERVER_ONLY = {
    # ... and so are the actions the server stores and records itself (likes,
    # follows, comments, shares, favourites, "not interested"): a page sending
    # them too would count each twice, or count what never happened.
    Event.Type.LIKE,
    Event.Type.FAVORITE,
    Event.Type.SHARE,
    Event.Type.COMMENT,
    Event.Type.NOT_INTERESTED,
    Event.Type.FOLLOW,
    Event.Type.CHECKOUT,
    Event.Type.PURCHASE,
    Event.Type.REFUND,
    Event.Type.ENROLLMENT,
    Event.Type.LESSON_COMPLETE,
    Event.Type.SIGNUP,
    Event.Type.LOGIN,
    Event.Type.REVIEW,
    Event.Type.SURVEY_ANSWER,
    Event.Type.SURVEY_SKIP,
}
CLIENT_TYPES = [(value, label) for value, label in Event.Type.choices if value not in SERVER_ONLY]
CLIENT_TYPE_VALUES = {value for value, _ in CLIENT_TYPES}
MAX_PROPS_CHARS = 2000


class EventInSerializer(serializers.Serializer):
    """One client event of a batch."""

    type = serializers.ChoiceField(choices=CLIENT_TYPES)
    ts = AwareDateTimeField(help_text="When it happened, by the client's clock, with its offset.")
    client_event_id = serializers.RegexField(
        r"^[A-Za-z0-9_.:-]{1,64}$", help_text="Unique per viewer; a uuid4 is fine."
    )
    session_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    video_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    course_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    creator_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    value = serializers.FloatField(
        required=False,
        default=0,
        min_value=-1e12,
        max_value=1e12,
        help_text="video.progress: watched seconds of this play so far (cumulative).",
    )
    props = serializers.DictField(
        required=False,
        default=dict,
        help_text="Small, non-personal extras, e.g. position, model_version.",
    )

    class Meta:
        ref_name = "AnalyticsEventIn"

    def validate_props(self, value: dict) -> dict:
        if len(json.dumps(value, ensure_ascii=False)) > MAX_PROPS_CHARS:
            raise serializers.ValidationError(
                f"props must be at most {MAX_PROPS_CHARS} characters of JSON."
            )
        return value


class EventBatchApi(APIView):
    """Store a batch of viewer events from a page or app.

    Logged-in viewers' events carry their pseudonym; logged-out viewers are
    keyed by the ``kf_anon`` cookie (or the ``anonymous_id`` field), which
    the response sets when missing and the login flow merges into the
    account. Retried batches are harmless: ``client_event_id`` is unique per
    viewer. Client clocks are corrected by ``sent_at``; events older than
    ``ANALYTICS_MAX_EVENT_AGE_DAYS`` after that are dropped (``too_old``).
    Business events (orders, signup, login, enrollment, lesson completion)
    and the actions the server records itself (likes, favourites, shares,
    comments, "not interested", follows) are refused here, and an event's
    creator is the owner of its video or course, whatever the client says.
    Logged-in pages must send the CSRF header
    (``fetch`` with ``keepalive: true`` also works while the page unloads).
    """

    class InputSerializer(serializers.Serializer):
        events = serializers.ListField(allow_empty=False)  # checked by check_events
        sent_at = AwareDateTimeField(
            required=False, help_text="The client's clock when the batch was sent, with its offset."
        )
        anonymous_id = serializers.RegexField(
            ANON_PATTERN.pattern, required=False, help_text="Used when no kf_anon cookie."
        )

        class Meta:
            ref_name = "AnalyticsEventBatchIn"

        def validate_sent_at(self, value: datetime) -> datetime:
            if value.year not in YEARS:
                raise serializers.ValidationError("Use a date in the years 1971-2999.")
            return value

        def validate_events(self, value: list) -> list:
            limit = settings.ANALYTICS_EVENTS_MAX_BATCH
            if len(value) > limit:
                raise serializers.ValidationError(f"At most {limit} events per batch.")
            return check_events(value, CLIENT_TYPE_VALUES, MAX_PROPS_CHARS)

    class DocInputSerializer(InputSerializer):
        events = serializers.ListField(child=EventInSerializer(), allow_empty=False, max_length=500)

        class Meta:
            ref_name = "AnalyticsEventBatch"

    class OutputSerializer(serializers.Serializer):
        received = serializers.IntegerField()
        stored = serializers.IntegerField()
        duplicates = serializers.IntegerField()
        too_old = serializers.IntegerField(
            help_text="Events older than ANALYTICS_MAX_EVENT_AGE_DAYS, dropped."
        )
        skew_seconds = serializers.FloatField()

        class Meta:
            ref_name = "AnalyticsEventBatchResult"

    @extend_schema(
        operation_id="events_batch_create",
        request=DocInputSerializer,
        responses={202: OutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Two events",
                request_only=True,
                value={
                    "sent_at": "2026-11-28T08:00:05Z",
                    "events": [
                        {
                            "type": "video.played",
                            "ts": "2026-11-28T08:00:00Z",
                            "client_event_id": "3f1c…-1",
                            "video_id": 12,
                            "creator_id": 3,
                            "course_id": 4,
                            "session_id": "s-1",
                        },
                        {
                            "type": "video.progress",
                            "ts": "2026-11-28T08:00:04Z",
                            "client_event_id": "3f1c…-2",
                            "video_id": 12,
                            "value": 4.0,
                            "props": {"position": 4.0},
                        },
                    ],
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new_cookie = None
        if request.user.is_authenticated:
            subject = subject_key_for_user(user_id=request.user.pk)
        else:
            anonymous_id = request.COOKIES.get(ANON_COOKIE, "")
            if not ANON_PATTERN.match(anonymous_id):
                anonymous_id = data.validated_data.get("anonymous_id") or uuid.uuid4().hex
                new_cookie = anonymous_id
            subject = subject_key_for_anonymous(anonymous_id=anonymous_id)
        result = events_ingest_batch(
            events=data.validated_data["events"],
            subject_id=subject,
            sent_at=data.validated_data.get("sent_at"),
        )
        response = Response(self.OutputSerializer(result).data, status=202)
        if new_cookie:
            response.set_cookie(
                ANON_COOKIE, new_cookie, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
            )
        return response
