"""Catalogue API: one APIView per operation, plain serializers."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.auth import user_id_or_none
from common.api.errors import ErrorSerializer
from common.api.pagination import cursor_page_serializer
from common.cache import cache_get, cache_set
from courses.shortcuts import course_published_or_404
from courses.viewer import video_list_for_tab, viewer_marks

from .cards import CreatorSerializer, VideoCardSerializer

# Logged-out visitors all see the same list pages; this long they may be stale.
PUBLIC_PAGE_SECONDS = 30


class VideoCursorPagination(CursorPagination):
    """Cursor on the sort's columns plus id: stable while new videos are published."""

    page_size = 12
    max_page_size = 50
    page_size_query_param = "limit"
    ordering = ("-published_at", "-id")

    def get_ordering(self, request: Request, queryset: QuerySet, view: APIView) -> tuple[str, ...]:
        return tuple(str(field) for field in queryset.query.order_by) or self.ordering

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        """A cursor whose position is not a value of the sort column is invalid, not a 500."""
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, DjangoValidationError) as exc:
            raise NotFound(self.invalid_cursor_message) from exc


class VideoListApi(APIView):
    """Published short videos, newest first."""

    class FilterSerializer(serializers.Serializer):
        category = serializers.SlugField(required=False)
        sort = serializers.ChoiceField(choices=["latest", "trending"], default="latest")
        following = serializers.BooleanField(default=False, help_text="Only creators I follow.")

        class Meta:
            ref_name = "VideoListFilter"

    @extend_schema(
        parameters=[FilterSerializer],
        responses={
            200: cursor_page_serializer(VideoCardSerializer, "VideoCardPage"),
            400: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response | HttpResponse:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        user_id = user_id_or_none(request)
        if filters.validated_data["following"] and user_id is None:
            raise NotAuthenticated("Log in to see videos from creators you follow.")
        if user_id is None:  # the same page for every visitor: cache its JSON briefly
            key = f"videos:public:{request.build_absolute_uri()}"
            rendered = cache_get(key)
            if rendered is None:
                rendered = JSONRenderer().render(
                    self._page(request, filters.validated_data, None).data
                )
                cache_set(key, rendered, timeout=PUBLIC_PAGE_SECONDS)
            return HttpResponse(rendered, content_type="application/json")
        return self._page(request, filters.validated_data, user_id)

    def _page(self, request: Request, filters: dict[str, Any], user_id: int | None) -> Response:
        videos = video_list_for_tab(
            sort=filters["sort"],
            category_slug=filters.get("category"),
            following_user_id=user_id if filters["following"] else None,
        )
        paginator = VideoCursorPagination()
        page = paginator.paginate_queryset(videos, request, view=self) or []
        context = {"request": request, "marks": viewer_marks(user_id=user_id, videos=page)}
        return paginator.get_paginated_response(
            VideoCardSerializer(page, many=True, context=context).data
        )


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
        course = course_published_or_404(slug)
        return Response(self.OutputSerializer(course).data)
