"""Studio API: the resumable upload protocol and media status for the upload page.

One APIView per operation; every lookup goes through a selector scoped to the
requesting creator, so another creator's session or asset is a 404.
"""

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_is_creator
from common.api.auth import user_id_of, user_id_or_none
from common.api.errors import ErrorSerializer
from common.converters import ascii_int
from courses.services import media_asset_is_retryable, media_asset_retry

from ..models import UploadSession
from ..selectors import asset_get_own, upload_session_get_own
from ..services import upload_chunk_receive, upload_session_cancel, upload_session_create


class IsCreator(BasePermission):
    """Studio endpoints are for users with a creator profile."""

    message = "Open a creator profile first."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_is_creator(user_id=user_id_or_none(request))


class AssetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    failure_reason = serializers.CharField()
    retryable = serializers.SerializerMethodField()
    is_private = serializers.BooleanField()
    duration_seconds = serializers.FloatField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    size_bytes = serializers.IntegerField()

    class Meta:
        ref_name = "StudioAsset"

    def get_retryable(self, asset: Any) -> bool:  # a courses MediaAsset row
        return media_asset_is_retryable(asset, now=timezone.now())


class UploadSessionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    purpose = serializers.CharField()
    filename = serializers.CharField()
    size_bytes = serializers.IntegerField()
    offset = serializers.IntegerField()
    status = serializers.CharField()
    failure_reason = serializers.CharField()
    expires_at = serializers.DateTimeField()
    chunk_bytes = serializers.SerializerMethodField()
    upload_url = serializers.SerializerMethodField()
    asset = AssetSerializer(allow_null=True)

    class Meta:
        ref_name = "StudioUploadSession"

    def get_chunk_bytes(self, session: UploadSession) -> int:
        return int(settings.STUDIO_UPLOAD_CHUNK_BYTES)

    def get_upload_url(self, session: UploadSession) -> str:
        return reverse("api:studio:upload-detail", kwargs={"session_id": session.id})


def _session_response(session: UploadSession, *, status: int = 200) -> Response:
    response = Response(UploadSessionSerializer(session).data, status=status)
    # tus and PeerTube/Google resumable clients read the acknowledged offset here.
    response["Upload-Offset"] = str(session.offset)
    if session.offset:
        response["Range"] = f"bytes=0-{session.offset - 1}"
    return response


class UploadCreateApi(APIView):
    """Open a resumable upload session."""

    permission_classes = [IsAuthenticated, IsCreator]

    class InputSerializer(serializers.Serializer):
        purpose = serializers.ChoiceField(choices=UploadSession.Purpose.choices)
        filename = serializers.CharField(max_length=255)
        size_bytes = serializers.IntegerField(min_value=0)

        class Meta:
            ref_name = "StudioUploadCreateInput"

    @extend_schema(
        request=InputSerializer,
        responses={201: UploadSessionSerializer, 400: ErrorSerializer, 413: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = upload_session_create(owner_id=user_id_of(request), **data.validated_data)
        return _session_response(session, status=201)


class UploadDetailApi(APIView):
    """Read (to resume), append a chunk to, or cancel an upload session."""

    permission_classes = [IsAuthenticated, IsCreator]

    @extend_schema(responses={200: UploadSessionSerializer, 404: ErrorSerializer})
    def get(self, request: Request, session_id: str) -> Response:
        return _session_response(
            upload_session_get_own(owner_id=user_id_of(request), session_id=session_id)
        )

    @extend_schema(
        request={"application/octet-stream": {"type": "string", "format": "binary"}},
        parameters=[
            OpenApiParameter(
                "Content-Range",
                location=OpenApiParameter.HEADER,
                required=True,
                description="bytes <start>-<end>/<total>; start must equal the offset.",
            )
        ],
        responses={
            200: UploadSessionSerializer,
            201: UploadSessionSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
            410: ErrorSerializer,
            413: ErrorSerializer,
            415: ErrorSerializer,
        },
    )
    def put(self, request: Request, session_id: str) -> Response:
        session = upload_session_get_own(owner_id=user_id_of(request), session_id=session_id)
        length = request.META.get("CONTENT_LENGTH")
        session = upload_chunk_receive(
            session=session,
            content_range=request.headers.get("Content-Range"),
            content_length=ascii_int(length),
            stream=request.stream,
        )
        done = session.status == UploadSession.Status.COMPLETE
        return _session_response(session, status=201 if done else 200)

    @extend_schema(responses={200: UploadSessionSerializer, 404: ErrorSerializer})
    def delete(self, request: Request, session_id: str) -> Response:
        session = upload_session_get_own(owner_id=user_id_of(request), session_id=session_id)
        return _session_response(upload_session_cancel(session=session))


class AssetDetailApi(APIView):
    """Where an uploaded video's processing stands (the upload page polls this)."""

    permission_classes = [IsAuthenticated, IsCreator]

    @extend_schema(responses={200: AssetSerializer, 404: ErrorSerializer})
    def get(self, request: Request, asset_id: int) -> Response:
        asset = asset_get_own(owner_id=user_id_of(request), asset_id=asset_id)
        return Response(AssetSerializer(asset).data)


class AssetRetryApi(APIView):
    """Queue a failed or stuck video again."""

    permission_classes = [IsAuthenticated, IsCreator]

    @extend_schema(
        request=None, responses={202: AssetSerializer, 404: ErrorSerializer, 409: ErrorSerializer}
    )
    def post(self, request: Request, asset_id: int) -> Response:
        asset = asset_get_own(owner_id=user_id_of(request), asset_id=asset_id)
        asset = media_asset_retry(asset=asset)
        asset.refresh_from_db()
        return Response(AssetSerializer(asset).data, status=202)
