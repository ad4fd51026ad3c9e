"""People API: follow creators, read and change one's preferences."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import MAX_INTERESTS, CreatorProfile, User
from accounts.services import follow_create, follow_delete, preferences_update
from common.api.auth import user_id_of
from common.api.errors import ErrorSerializer

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class FollowStateSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    count = serializers.IntegerField(help_text="The creator's follower count.")

    class Meta:
        ref_name = "FollowState"


def _follower_count(creator_id: int) -> int:
    return (
        CreatorProfile.objects.filter(user_id=creator_id)
        .values_list("follower_count", flat=True)
        .first()
        or 0
    )


class CreatorFollowApi(APIView):
    """Follow or unfollow a creator; repeating either is harmless."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: FollowStateSerializer, **ERRORS})
    def post(self, request: Request, creator_id: int) -> Response:
        if not User.objects.filter(pk=creator_id, is_active=True).exists():
            raise Http404("No such creator.")
        follow_create(follower_id=user_id_of(request), creator_id=creator_id)
        return Response({"active": True, "count": _follower_count(creator_id)})

    @extend_schema(request=None, responses={200: FollowStateSerializer, **ERRORS})
    def delete(self, request: Request, creator_id: int) -> Response:
        follow_delete(follower_id=user_id_of(request), creator_id=creator_id)
        return Response({"active": False, "count": _follower_count(creator_id)})


class PreferencesApi(APIView):
    """Interest tags and the personalisation switch (off: the feed is trending)."""

    permission_classes = [IsAuthenticated]

    class PreferencesSerializer(serializers.Serializer):
        interests = serializers.ListField(
            child=serializers.SlugField(max_length=60, allow_unicode=True),
            max_length=MAX_INTERESTS,
            required=False,
        )
        is_personalization_enabled = serializers.BooleanField(required=False)
        language = serializers.ChoiceField(choices=["", "en", "zh-hans"], required=False)

        class Meta:
            ref_name = "Preferences"

    @extend_schema(responses={200: PreferencesSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(self.PreferencesSerializer(request.user).data)

    @extend_schema(request=PreferencesSerializer, responses={200: PreferencesSerializer, **ERRORS})
    def patch(self, request: Request) -> Response:
        data = self.PreferencesSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = preferences_update(
            user=User.objects.get(pk=user_id_of(request)), **data.validated_data
        )
        return Response(self.PreferencesSerializer(user).data)
