"""Catalogue API: one APIView per operation, plain serializers."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.errors import ErrorSerializer
from courses.selectors import course_get_published, video_list_published


class VideoCursorPagination(CursorPagination):
    """Cursor on (published_at, id): stable while new videos are published."""

    page_size = 12
    max_page_size = 50
    page_size_query_param = "limit"
    ordering = ("-published_at", "-id")


class CreatorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="public_name")


class CourseLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    price_minor = serializers.IntegerField()
    currency = serializers.CharField()


class VideoListApi(APIView):
    """Published short videos, newest first."""

    class FilterSerializer(serializers.Serializer):
        category = serializers.SlugField(required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        title = serializers.CharField()
        description = serializers.CharField()
        category = serializers.CharField(source="category.slug")
        tags = serializers.ListField(child=serializers.CharField(), source="tags.all")
        creator = CreatorSerializer()
        course = CourseLinkSerializer(allow_null=True)
        duration_seconds = serializers.FloatField()
        video_url = serializers.FileField(source="asset.file", use_url=True)
        poster_url = serializers.ImageField(source="asset.poster", use_url=True)
        like_count = serializers.IntegerField()
        comment_count = serializers.IntegerField()
        favorite_count = serializers.IntegerField()
        share_count = serializers.IntegerField()
        published_at = serializers.DateTimeField()

        class Meta:
            ref_name = "VideoCard"

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: OutputSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        videos = video_list_published(category_slug=filters.validated_data.get("category"))
        paginator = VideoCursorPagination()
        page = paginator.paginate_queryset(videos, request, view=self)
        data = self.OutputSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class LessonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    is_preview = serializers.BooleanField()
    duration_seconds = serializers.IntegerField()


class SectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    lessons = LessonSerializer(many=True, source="lessons.all")


class CourseDetailApi(APIView):
    """A published course with its syllabus."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        slug = serializers.CharField()
        title = serializers.CharField()
        summary = serializers.CharField()
        category = serializers.CharField(source="category.slug")
        creator = CreatorSerializer()
        price_minor = serializers.IntegerField()
        currency = serializers.CharField()
        published_at = serializers.DateTimeField()
        sections = SectionSerializer(many=True, source="sections.all")

        class Meta:
            ref_name = "CourseDetail"

    @extend_schema(responses={200: OutputSerializer, 404: ErrorSerializer})
    def get(self, request: Request, slug: str) -> Response:
        course = course_get_published(slug=slug)
        if course is None:
            raise Http404("No such course.")
        return Response(self.OutputSerializer(course).data)
