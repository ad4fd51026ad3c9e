"""The video and course card shapes every list endpoint returns."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from courses.models import ShortVideo
from courses.selectors import creator_page_url
from courses.viewer import ViewerMarks


class CreatorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="public_name")
    url = serializers.SerializerMethodField(help_text="Their public page; null without one.")

    def get_url(self, user: Any) -> str | None:
        return creator_page_url(user)

    class Meta:
        ref_name = "Creator"


class CourseLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    price_minor = serializers.IntegerField()
    currency = serializers.CharField()

    class Meta:
        ref_name = "CourseLink"


class ViewerStateSerializer(serializers.Serializer):
    liked = serializers.BooleanField()
    favorited = serializers.BooleanField()
    following_creator = serializers.BooleanField()
    position_seconds = serializers.FloatField()
    playback_rate = serializers.FloatField()

    class Meta:
        ref_name = "ViewerState"


class CaptionsLinkSerializer(serializers.Serializer):
    url = serializers.CharField()
    language = serializers.CharField()

    class Meta:
        ref_name = "CaptionsLink"


class VideoCardSerializer(serializers.Serializer):
    """A video card; ``viewer`` is filled when the context carries ``marks``."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    category_name = serializers.CharField(source="category.display_name")
    tags = serializers.ListField(child=serializers.CharField(), source="tags.all")
    creator = CreatorSerializer()
    course = CourseLinkSerializer(allow_null=True)
    duration_seconds = serializers.FloatField()
    video_url = serializers.FileField(source="asset.file", use_url=True)
    poster_url = serializers.ImageField(
        source="asset.poster", use_url=True, allow_null=True, help_text="Null until processed."
    )
    captions = serializers.SerializerMethodField(help_text="WebVTT subtitles; null without.")
    like_count = serializers.IntegerField()
    comment_count = serializers.IntegerField()
    favorite_count = serializers.IntegerField()
    share_count = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    viewer = serializers.SerializerMethodField()

    class Meta:
        ref_name = "VideoCard"

    @extend_schema_field(CaptionsLinkSerializer(allow_null=True))
    def get_captions(self, video: ShortVideo) -> dict[str, str] | None:
        language = video.asset.captions_language
        if not language:
            return None
        return {"url": reverse("courses:captions", args=[video.asset_id]), "language": language}

    @extend_schema_field(ViewerStateSerializer(allow_null=True))
    def get_viewer(self, video: ShortVideo) -> dict[str, object] | None:
        marks: ViewerMarks | None = self.context.get("marks")
        if marks is None:
            return None
        position, rate = marks.positions.get(video.pk, (0.0, 1.0))
        return {
            "liked": video.pk in marks.liked,
            "favorited": video.pk in marks.favorited,
            "following_creator": video.creator_id in marks.following,
            "position_seconds": position,
            "playback_rate": rate,
        }


class CourseCardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    category_name = serializers.CharField(source="category.display_name")
    creator = CreatorSerializer()
    price_minor = serializers.IntegerField()
    currency = serializers.CharField()
    enrollment_count = serializers.IntegerField()
    rating_average = serializers.FloatField(allow_null=True)
    cover_url = serializers.ImageField(
        source="cover", use_url=True, allow_null=True, help_text="16:9 JPEG; null without one."
    )
    cover_tone = serializers.IntegerField(
        help_text="0-11: the placeholder gradient to draw when there is no cover."
    )

    class Meta:
        ref_name = "CourseCard"
