"""Studio state the catalogue does not keep: upload sessions and publish schedules."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import BaseModel
from courses.models import Course, Report, ShortVideo


class UploadSession(BaseModel):
    """A resumable upload: bytes arrive in order, ``offset`` is what was acknowledged.

    The partial file lives at ``courses.media.services.media_incoming_name(id)``
    (under ``private/``, never served); in an object store it is a multipart
    upload until the last chunk. Finishing turns it into a MediaAsset.

    .. no_pii: owner id; the original file name is display text the creator chose.
    """

    class Purpose(models.TextChoices):
        SHORT = "short", _("Short video")
        LESSON = "lesson", _("Lesson video")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Uploading")
        COMPLETE = "complete", _("Complete")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upload_sessions"
    )
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    filename = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    failure_reason = models.CharField(max_length=300, blank=True)
    expires_at = models.DateTimeField()
    # Object store only: the multipart upload the chunks become, as
    # {"upload_id": "...", "parts": [[etag, size], ...]}; {} on the local folder.
    assembly = models.JSONField(default=dict, blank=True)
    asset = models.OneToOneField(
        "courses.MediaAsset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="upload_session",
    )

    class Meta:
        verbose_name = _("upload session")
        verbose_name_plural = _("upload sessions")
        indexes = [
            models.Index(fields=["owner", "status"], name="upload_owner_status"),
            models.Index(fields=["status", "expires_at"], name="upload_status_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(size_bytes__gt=0), name="upload_size_gt_0"),
            models.CheckConstraint(
                condition=models.Q(offset__gte=0, offset__lte=models.F("size_bytes")),
                name="upload_offset_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"upload {self.id} ({self.offset}/{self.size_bytes})"


class PublishSchedule(BaseModel):
    """A course or video to publish at a later time; the beat task does it.

    ``done_at`` is set once it ran; ``failure_reason`` says why it could not.

    .. no_pii: ids and times.
    """

    course = models.OneToOneField(
        "courses.Course",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="publish_schedule",
    )
    video = models.OneToOneField(
        "courses.ShortVideo",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="publish_schedule",
    )
    publish_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("publish schedule")
        verbose_name_plural = _("publish schedules")
        indexes = [models.Index(fields=["done_at", "publish_at"], name="schedule_due")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(course__isnull=False, video__isnull=True)
                    | models.Q(course__isnull=True, video__isnull=False)
                ),
                name="schedule_one_target",
            ),
        ]

    def __str__(self) -> str:
        target = f"course {self.course_id}" if self.course_id else f"video {self.video_id}"
        return f"{target} at {self.publish_at:%Y-%m-%d %H:%M}"


class VideoReview(ShortVideo):
    """The moderation queue's view of short videos (a proxy: no table of its own).

    .. no_pii: creator id and published content.
    """

    class Meta:
        verbose_name = _("video in review")
        verbose_name_plural = _("review queue: videos")
        proxy = True


class CourseReview(Course):
    """The moderation queue's view of courses (a proxy: no table of its own).

    .. no_pii: creator id and published content.
    """

    class Meta:
        verbose_name = _("course in review")
        verbose_name_plural = _("review queue: courses")
        proxy = True


class ReportReview(Report):
    """Viewers' reports of videos and comments, in the review queue (a proxy).

    .. pii: the details are free text written by a person.
    """

    class Meta:
        verbose_name = _("viewer report")
        verbose_name_plural = _("review queue: viewer reports")
        proxy = True
