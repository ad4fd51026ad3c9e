"""Recommendation endpoints: the feed, courses for you, similar items, up next."""

from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.http import Http404, HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.auth import user_id_of, user_id_or_none
from common.api.errors import ErrorSerializer
from courses.api.cards import CourseCardSerializer, VideoCardSerializer
from courses.selectors import viewer_marks

from ..presenting import Presented, present
from ..serving import (
    Served,
    active_version_id,
    page_slot,
    page_store,
    recommend_for_user,
    similar_items,
    trending,
    up_next,
    viewer_version_id,
)

if TYPE_CHECKING:
    from courses.models import ShortVideo  # a type only: the rows present() loaded


class PageQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)
    offset = serializers.IntegerField(min_value=0, max_value=1000, default=0)

    class Meta:
        ref_name = "RecommendationPageQuery"


class RecommendedSerializer(serializers.Serializer):
    type = serializers.CharField(source="kind")
    video = serializers.SerializerMethodField()
    course = serializers.SerializerMethodField()
    score = serializers.FloatField()
    reason = serializers.CharField(source="reason_text")
    reason_kind = serializers.CharField()
    because_of = serializers.CharField(source="reason_item", allow_null=True)
    propensity = serializers.FloatField(
        help_text="Probability serving had of this pick in this place: below 1 for an "
        "exploration pick. Log it on the impression (props.propensity)."
    )
    explore_candidates = serializers.IntegerField(
        allow_null=True, help_text="Fresh videos an exploration pick was drawn from."
    )

    class Meta:
        ref_name = "Recommended"

    @extend_schema_field(VideoCardSerializer(allow_null=True))
    def get_video(self, item: Presented) -> dict[str, Any] | None:
        return (
            VideoCardSerializer(item.obj, context=self.context).data
            if item.kind == "video"
            else None
        )

    @extend_schema_field(CourseCardSerializer(allow_null=True))
    def get_course(self, item: Presented) -> dict[str, Any] | None:
        return (
            CourseCardSerializer(item.obj, context=self.context).data
            if item.kind == "course"
            else None
        )


class RecommendationListSerializer(serializers.Serializer):
    model_version = serializers.IntegerField(allow_null=True)
    results = RecommendedSerializer(many=True)

    class Meta:
        ref_name = "RecommendationList"


def _personal(request: Request) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_personalization_enabled)


def _respond(request: Request, items: list[Served], version_id: int | None) -> Response:
    presented = present(items)
    videos = [cast("ShortVideo", p.obj) for p in presented if p.kind == "video"]
    user_id = user_id_or_none(request)
    context = {"request": request, "marks": viewer_marks(user_id=user_id, videos=videos)}
    body = {"model_version": version_id, "results": presented}
    return Response(RecommendationListSerializer(body, context=context).data)


class _ForYouApi(APIView):
    kind = "video"

    @extend_schema(
        parameters=[PageQuerySerializer],
        responses={200: RecommendationListSerializer, 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response | HttpResponse:
        query = PageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit, offset = query.validated_data["limit"], query.validated_data["offset"]
        if not _personal(request):  # logged out, or personalisation switched off
            return _respond(request, trending(kind=self.kind, limit=limit, offset=offset), None)
        user_id = user_id_of(request)
        # A hit costs one cache round trip (after the session's) and no query
        # beyond the user's, which also brings the personalisation flag.
        slot = page_slot(user_id=user_id, kind=self.kind, limit=limit, offset=offset)
        rendered = slot.rendered
        if rendered is None:  # cache the JSON bytes, not the objects
            page = recommend_for_user(user_id=user_id, kind=self.kind, limit=limit, offset=offset)
            body = _respond(request, page.items, page.version_id).data
            rendered = JSONRenderer().render(body)
            page_store(slot, rendered, timeout=settings.RECOMMENDATIONS_PAGE_CACHE_SECONDS)
        return HttpResponse(rendered, content_type="application/json")


class FeedRecommendationsApi(_ForYouApi):
    """Short videos for the "For you" feed, each with its reason."""

    kind = "video"


class CourseRecommendationsApi(_ForYouApi):
    """Courses for this viewer: students who watched these bought that."""

    kind = "course"


# The two lists about one item (``v12`` or ``c3``): similar items and up next.
_ITEM_LIST_SCHEMA = extend_schema(
    parameters=[PageQuerySerializer],
    responses={200: RecommendationListSerializer, 404: ErrorSerializer},
)


def _item_list_limit(request: Request) -> int:
    query = PageQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return int(query.validated_data["limit"])


def _item_version_or_404(version_id: int | None, item_key: str) -> int:
    """The model version to answer from; 404 without one or for a malformed item key."""
    if version_id is None or not item_key[1:].isdigit() or item_key[0] not in "vc":
        raise Http404("No such item.")
    return version_id


class SimilarItemsApi(APIView):
    """Items like a video (``v12``) or a course (``c3``): videos and courses alike.

    For a logged-in viewer, minus what they have seen, own, refused or created.
    """

    @_ITEM_LIST_SCHEMA
    def get(self, request: Request, item_key: str) -> Response:
        limit = _item_list_limit(request)
        version_id = _item_version_or_404(active_version_id(), item_key)
        items = similar_items(
            version_id=version_id, item_key=item_key, user_id=user_id_or_none(request), limit=limit
        )
        return _respond(request, items, version_id)


class UpNextApi(APIView):
    """What to watch after a video (``v12``) or course (``c3``), from the sequence model.

    For a personalised viewer the list reads their time-ordered history
    when it ended with this item at the last training (else the item
    alone), from the version they are served (an A/B treatment's too), and
    drops what they have seen, own, refused or created. Without a sequence
    model it is the item's similar items. Impressions of these cards carry
    ``surface: "up_next"`` and ``model_version`` (static/js/surfaces.js).
    """

    @_ITEM_LIST_SCHEMA
    def get(self, request: Request, item_key: str) -> Response:
        limit = _item_list_limit(request)
        user_id = user_id_of(request) if _personal(request) else None
        version_id = _item_version_or_404(
            viewer_version_id(user_id=user_id) if user_id is not None else active_version_id(),
            item_key,
        )
        items = up_next(version_id=version_id, item_key=item_key, user_id=user_id, limit=limit)
        return _respond(request, items, version_id)
