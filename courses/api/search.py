"""Search API: ``GET /api/v1/search`` over videos, courses and creators."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.errors import ErrorSerializer
from courses.search.query import SEARCH_MAX_LIMIT, highlight, search
from courses.search.text import search_terms

QUERY_MAX_LENGTH = 100
SEARCH_TYPES = ["all", "videos", "courses", "creators"]


class SearchCreatorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="public_name")

    class Meta:
        ref_name = "SearchCreatorRef"


class SearchCategorySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "SearchCategory"


class SearchHighlightMixin(serializers.Serializer):
    """Adds ``title_highlighted``: escaped HTML with matches in <mark>."""

    title_highlighted = serializers.SerializerMethodField()

    def get_title_highlighted(self, obj: Any) -> str:
        return str(highlight(obj.title, self.context.get("terms", [])))


class SearchVideoSerializer(SearchHighlightMixin):
    id = serializers.IntegerField()
    title = serializers.CharField()
    category = SearchCategorySerializer()
    tags = serializers.ListField(child=serializers.CharField(), source="tags.all")
    creator = SearchCreatorSerializer()
    course_slug = serializers.CharField(source="course.slug", allow_null=True, default=None)
    duration_seconds = serializers.FloatField()
    poster_url = serializers.ImageField(source="asset.poster", use_url=True)
    like_count = serializers.IntegerField()
    view_count = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    score = serializers.FloatField(source="search_score")
    screen_seconds = serializers.FloatField(
        source="screen_moment.seconds",
        allow_null=True,
        default=None,
        help_text="Where a searched word is first on screen (the title lacks it); else null.",
    )
    screen_text = serializers.CharField(
        source="screen_moment.text",
        allow_null=True,
        default=None,
        help_text="The on-screen line showing it.",
    )

    class Meta:
        ref_name = "SearchVideo"


class SearchCourseSerializer(SearchHighlightMixin):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    category = SearchCategorySerializer()
    creator = SearchCreatorSerializer()
    price_minor = serializers.IntegerField(help_text="In minor units (fen, cents).")
    currency = serializers.CharField()
    is_free = serializers.BooleanField()
    enrollment_count = serializers.IntegerField()
    rating_average = serializers.FloatField(allow_null=True)
    score = serializers.FloatField(source="search_score")

    class Meta:
        ref_name = "SearchCourse"


class SearchCreatorResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="public_name")
    name_highlighted = serializers.SerializerMethodField()
    handle = serializers.CharField(source="creator_profile.handle")
    bio = serializers.CharField(source="creator_profile.bio")
    is_verified = serializers.BooleanField(source="creator_profile.is_verified")
    follower_count = serializers.IntegerField(source="creator_profile.follower_count")
    score = serializers.FloatField(source="search_score")

    class Meta:
        ref_name = "SearchCreator"

    def get_name_highlighted(self, obj: Any) -> str:
        return str(highlight(obj.public_name, self.context.get("terms", [])))


class SearchVideoSectionSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    matched_all_terms = serializers.BooleanField(
        help_text="False when nothing had every term, so any-term matches are shown."
    )
    results = SearchVideoSerializer(many=True)

    class Meta:
        ref_name = "SearchVideoSection"


class SearchCourseSectionSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    matched_all_terms = serializers.BooleanField()
    results = SearchCourseSerializer(many=True)

    class Meta:
        ref_name = "SearchCourseSection"


class SearchCreatorSectionSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    matched_all_terms = serializers.BooleanField()
    results = SearchCreatorResultSerializer(many=True)

    class Meta:
        ref_name = "SearchCreatorSection"


class SearchApi(APIView):
    """Search published videos and courses and creators, in Chinese or English."""

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(
            max_length=QUERY_MAX_LENGTH, help_text="Words to find; Chinese is segmented."
        )
        type = serializers.ChoiceField(choices=SEARCH_TYPES, default="all")
        category = serializers.SlugField(required=False, help_text="Category slug.")
        pricing = serializers.ChoiceField(
            choices=["free", "paid"], required=False, help_text="Courses only."
        )
        price_min_minor = serializers.IntegerField(
            required=False, min_value=0, help_text="Courses only; minor units (fen): 4900 = ¥49."
        )
        price_max_minor = serializers.IntegerField(
            required=False, min_value=0, help_text="Courses only; minor units (fen): 4900 = ¥49."
        )
        limit = serializers.IntegerField(
            default=10, min_value=1, max_value=SEARCH_MAX_LIMIT, help_text="Rows per section."
        )
        offset = serializers.IntegerField(default=0, min_value=0, max_value=10_000)

        class Meta:
            ref_name = "SearchInput"

        def validate_q(self, value: str) -> str:
            if not search_terms(value):
                raise serializers.ValidationError("Enter at least one word or character to find.")
            return value

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            low, high = attrs.get("price_min_minor"), attrs.get("price_max_minor")
            if low is not None and high is not None and low > high:
                raise serializers.ValidationError(
                    {"price_max_minor": "Must be at least price_min_minor."}
                )
            return attrs

    class OutputSerializer(serializers.Serializer):
        query = serializers.CharField()
        terms = serializers.ListField(child=serializers.CharField())
        videos = SearchVideoSectionSerializer(allow_null=True, help_text="Null unless asked for.")
        courses = SearchCourseSectionSerializer(allow_null=True)
        creators = SearchCreatorSectionSerializer(allow_null=True)

        class Meta:
            ref_name = "SearchResults"

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer, 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        results = search(
            query=data["q"],
            type=data["type"],
            category_slug=data.get("category"),
            pricing=data.get("pricing"),
            price_min_minor=data.get("price_min_minor"),
            price_max_minor=data.get("price_max_minor"),
            limit=data["limit"],
            offset=data["offset"],
        )
        context = {"request": request, "terms": results.terms}
        return Response(self.OutputSerializer(results, context=context).data)
