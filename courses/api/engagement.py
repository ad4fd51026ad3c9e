"""Viewer actions on videos, comments, lessons and courses. Writes need a login."""

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from common.api.auth import user_id_of, user_id_or_none
from common.api.errors import ErrorSerializer
from courses import engagement
from courses.models import Comment, Report
from courses.satisfaction import survey_answer, survey_skip
from courses.selectors import lesson_can_play, lesson_get
from courses.shortcuts import course_published_or_404, video_published_or_404
from courses.viewer import comment_list

AUTH_ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class CountSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    count = serializers.IntegerField()

    class Meta:
        ref_name = "ToggleCount"


class VideoLikeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: CountSerializer, **AUTH_ERRORS})
    def post(self, request: Request, video_id: int) -> Response:
        count = engagement.like_set(
            user_id=user_id_of(request), video=video_published_or_404(video_id), liked=True
        )
        return Response({"active": True, "count": count})

    @extend_schema(request=None, responses={200: CountSerializer, **AUTH_ERRORS})
    def delete(self, request: Request, video_id: int) -> Response:
        count = engagement.like_set(
            user_id=user_id_of(request), video=video_published_or_404(video_id), liked=False
        )
        return Response({"active": False, "count": count})


class VideoFavoriteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: CountSerializer, **AUTH_ERRORS})
    def post(self, request: Request, video_id: int) -> Response:
        count = engagement.favorite_set(
            user_id=user_id_of(request), video=video_published_or_404(video_id), favorited=True
        )
        return Response({"active": True, "count": count})

    @extend_schema(request=None, responses={200: CountSerializer, **AUTH_ERRORS})
    def delete(self, request: Request, video_id: int) -> Response:
        count = engagement.favorite_set(
            user_id=user_id_of(request), video=video_published_or_404(video_id), favorited=False
        )
        return Response({"active": False, "count": count})


class VideoShareApi(APIView):
    """Count a share; anyone may share, the count is public.

    Throttled per viewer (or address when logged out) at
    ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["share"]``: the count is
    public and anonymous, so a loop must not be able to inflate it.
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "share"

    class InputSerializer(serializers.Serializer):
        channel = serializers.ChoiceField(
            choices=["link", "wechat", "weibo", "other"], default="link"
        )

        class Meta:
            ref_name = "ShareInput"

    @extend_schema(
        request=InputSerializer,
        responses={200: CountSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, video_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_id = user_id_or_none(request)
        count = engagement.share_record(
            user_id=user_id,
            video=video_published_or_404(video_id),
            channel=data.validated_data["channel"],
        )
        return Response({"active": True, "count": count})


class CommentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField()
    author = serializers.CharField(source="author.public_name")
    author_id = serializers.IntegerField()
    parent_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "Comment"


class CommentThreadSerializer(CommentOutputSerializer):
    replies = CommentOutputSerializer(many=True, source="replies.all")

    class Meta:
        ref_name = "CommentThread"


class CommentBodySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=2000, trim_whitespace=True)

    class Meta:
        ref_name = "CommentBody"


class VideoCommentsApi(APIView):
    """List a video's comments (anyone) or add one (logged in)."""

    class InputSerializer(CommentBodySerializer):
        parent_id = serializers.IntegerField(required=False, min_value=1)

        class Meta:
            ref_name = "CommentCreate"

    def get_permissions(self) -> list[BasePermission]:
        return [IsAuthenticated()] if self.request.method == "POST" else []

    @extend_schema(responses={200: CommentThreadSerializer(many=True), 404: ErrorSerializer})
    def get(self, request: Request, video_id: int) -> Response:
        video = video_published_or_404(video_id)
        return Response(CommentThreadSerializer(comment_list(video_id=video.pk), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: CommentOutputSerializer, **AUTH_ERRORS})
    def post(self, request: Request, video_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = engagement.comment_create(
            author_id=user_id_of(request),
            video=video_published_or_404(video_id),
            **data.validated_data,
        )
        return Response(CommentOutputSerializer(comment).data, status=201)


class CommentDetailApi(APIView):
    """Edit or delete one's own comment."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=CommentBodySerializer, responses={200: CommentOutputSerializer, **AUTH_ERRORS}
    )
    def patch(self, request: Request, comment_id: int) -> Response:
        data = CommentBodySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = engagement.comment_edit(
            comment_id=comment_id, user_id=user_id_of(request), body=data.validated_data["body"]
        )
        return Response(CommentOutputSerializer(comment).data)

    @extend_schema(request=None, responses={204: None, **AUTH_ERRORS})
    def delete(self, request: Request, comment_id: int) -> Response:
        engagement.comment_delete(comment_id=comment_id, user_id=user_id_of(request))
        return Response(status=204)


class ReportInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    details = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)

    class Meta:
        ref_name = "ReportInput"


class ReportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()

    class Meta:
        ref_name = "ReportOutput"


class VideoReportApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ReportInputSerializer, responses={201: ReportOutputSerializer, **AUTH_ERRORS}
    )
    def post(self, request: Request, video_id: int) -> Response:
        data = ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = engagement.report_create(
            reporter_id=user_id_of(request),
            video=video_published_or_404(video_id),
            **data.validated_data,
        )
        return Response(ReportOutputSerializer(report).data, status=201)


class CommentReportApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ReportInputSerializer, responses={201: ReportOutputSerializer, **AUTH_ERRORS}
    )
    def post(self, request: Request, comment_id: int) -> Response:
        data = ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = Comment.objects.filter(pk=comment_id, is_removed=False).first()
        if comment is None:
            raise Http404("No such comment.")
        report = engagement.report_create(
            reporter_id=user_id_of(request), comment=comment, **data.validated_data
        )
        return Response(ReportOutputSerializer(report).data, status=201)


class VideoNotInterestedApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, **AUTH_ERRORS})
    def post(self, request: Request, video_id: int) -> Response:
        engagement.not_interested_mark(
            user_id=user_id_of(request), video=video_published_or_404(video_id)
        )
        return Response(status=204)


class WatchStateApi(APIView):
    """Save where the viewer is in a video and the speed, to resume on any device."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        position_seconds = serializers.FloatField(min_value=0, max_value=24 * 3600)
        playback_rate = serializers.FloatField(min_value=0.25, max_value=4, default=1.0)

        class Meta:
            ref_name = "WatchStateInput"

    @extend_schema(request=InputSerializer, responses={200: InputSerializer, **AUTH_ERRORS})
    def put(self, request: Request, video_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        state = engagement.watch_state_save(
            user_id=user_id_of(request),
            video=video_published_or_404(video_id),
            **data.validated_data,
        )
        return Response(self.InputSerializer(state).data)


class LessonProgressApi(APIView):
    """Save a student's place in a lesson; 95% watched marks it complete."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        position_seconds = serializers.FloatField(min_value=0, max_value=24 * 3600)
        watched_seconds = serializers.FloatField(min_value=0, max_value=24 * 3600)
        playback_rate = serializers.FloatField(min_value=0.25, max_value=4, required=False)

        class Meta:
            ref_name = "LessonProgressInput"

    class OutputSerializer(serializers.Serializer):
        position_seconds = serializers.FloatField()
        watched_seconds = serializers.FloatField()
        playback_rate = serializers.FloatField()
        completed = serializers.SerializerMethodField(help_text="Watched to 95% at least once.")

        class Meta:
            ref_name = "LessonProgress"

        def get_completed(self, progress: Any) -> bool:
            return progress.completed_at is not None

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, **AUTH_ERRORS})
    def put(self, request: Request, lesson_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = lesson_get(lesson_id=lesson_id)
        if lesson is None or not lesson_can_play(user_id=user_id_of(request), lesson=lesson):
            raise Http404("No such lesson.")
        progress = engagement.lesson_progress_save(
            user_id=user_id_of(request), lesson=lesson, **data.validated_data
        )
        return Response(self.OutputSerializer(progress).data)


class CourseReviewApi(APIView):
    """Rate and review a course you are a student of (one review, editable)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        rating = serializers.IntegerField(min_value=1, max_value=5)
        body = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)

        class Meta:
            ref_name = "ReviewInput"

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        rating = serializers.IntegerField()
        body = serializers.CharField()

        class Meta:
            ref_name = "Review"

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, **AUTH_ERRORS})
    def put(self, request: Request, slug: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        course = course_published_or_404(slug)
        review = engagement.review_upsert(
            author_id=user_id_of(request), course=course, **data.validated_data
        )
        return Response(self.OutputSerializer(review).data)


class CourseSurveyApi(APIView):
    """Answer (0–10) or skip a course's one-question survey; once per student and course.

    400 for a score outside 0–10 or neither/both of ``score`` and ``skip``,
    403 for someone who is not a student of the course, 409 when the survey
    is not due yet (no completed lesson) or already answered or skipped.
    """

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        score = serializers.IntegerField(
            min_value=0, max_value=10, required=False, allow_null=True, default=None
        )
        skip = serializers.BooleanField(required=False, default=False)

        class Meta:
            ref_name = "CourseSurveyInput"

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if (attrs["score"] is None) == (not attrs["skip"]):
                raise serializers.ValidationError("Send a score from 0 to 10, or skip: true.")
            return attrs

    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField()
        score = serializers.IntegerField(allow_null=True)

        class Meta:
            ref_name = "CourseSurvey"

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, 409: ErrorSerializer, **AUTH_ERRORS},
    )
    def post(self, request: Request, slug: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        course = course_published_or_404(slug)
        user_id = user_id_of(request)
        if data.validated_data["skip"]:
            survey = survey_skip(user_id=user_id, course=course)
        else:
            survey = survey_answer(
                user_id=user_id, course=course, score=data.validated_data["score"]
            )
        return Response(self.OutputSerializer(survey).data, status=201)
