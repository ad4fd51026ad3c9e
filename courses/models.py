"""The catalogue: short videos, courses and their lessons, media, engagement
and the one entitlement (Enrollment) every lesson access checks."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from common.models import BaseModel

from .visibility import Moderation as Moderation  # the visibility rule's values, re-exported
from .visibility import PublishStatus as PublishStatus
from .visibility import course_is_visible, is_visible

COVER_TONES = 12  # placeholder gradients for courses without a cover image


class Category(models.Model):
    """A top-level subject: education, technology, art, life.

    .. no_pii:
    """

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    name_zh = models.CharField(max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language. Category names are data, not code, so they live in
        the row (``name_zh``) rather than in the .po catalogue; English is the fallback."""
        if self.name_zh and (get_language() or "").startswith("zh"):
            return self.name_zh
        return self.name


class Tag(models.Model):
    """A free keyword shared by videos and courses.

    .. no_pii:
    """

    slug = models.SlugField(max_length=60, unique=True, allow_unicode=True)
    name = models.CharField(max_length=60)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


def _asset_upload_to(asset: "MediaAsset", filename: str) -> str:
    # Lesson media lives under private/, which the public media view never serves.
    root = "private/videos" if asset.is_private else "videos"
    return f"{root}/{timezone.now():%Y/%m}/{filename}"


def _poster_upload_to(asset: "MediaAsset", filename: str) -> str:
    return f"posters/{timezone.now():%Y/%m}/{filename}"


class MediaAsset(BaseModel):
    """An uploaded video or image file and where its processing stands.

    ``uploaded → processing → ready | failed``; only a ready asset can be
    published.

    .. no_pii: owner id only; the file is the creator's published work.
    """

    class Kind(models.TextChoices):
        VIDEO = "video", _("Video")
        IMAGE = "image", _("Image")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PROCESSING = "processing", _("Processing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="media_assets"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.VIDEO)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED)
    failure_reason = models.CharField(max_length=300, blank=True)
    is_private = models.BooleanField(
        default=False, help_text="Lesson media: streams only through the entitlement check."
    )
    file = models.FileField(upload_to=_asset_upload_to, max_length=255)
    poster = models.ImageField(upload_to=_poster_upload_to, blank=True, max_length=255)
    size_bytes = models.BigIntegerField(default=0)
    duration_seconds = models.FloatField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    video_codec = models.CharField(max_length=20, blank=True)
    audio_codec = models.CharField(max_length=20, blank=True)
    # The subtitles' language, "" without: players draw the track without a query.
    captions_language = models.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name = _("media asset")
        verbose_name_plural = _("media assets")
        indexes = [models.Index(fields=["owner", "status"], name="asset_owner_status")]
        constraints = [
            models.CheckConstraint(condition=models.Q(size_bytes__gte=0), name="asset_size_gte_0"),
            models.CheckConstraint(
                condition=models.Q(duration_seconds__gte=0), name="asset_duration_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_ready(self) -> bool:
        """Processed, so it can be played and published."""
        return self.status == self.Status.READY


class Captions(BaseModel):
    """A video's subtitles as WebVTT, served with the same access rules as the video.

    .. no_pii: the creator's published text.
    """

    class Language(models.TextChoices):
        ZH_HANS = "zh-Hans", "中文"
        EN = "en", "English"

    asset = models.OneToOneField(MediaAsset, on_delete=models.CASCADE, related_name="captions")
    language = models.CharField(max_length=10, choices=Language.choices, default=Language.ZH_HANS)
    vtt = models.TextField()

    class Meta:
        verbose_name = _("captions")
        verbose_name_plural = _("captions")

    def __str__(self) -> str:
        return f"captions of asset {self.asset_id} ({self.language})"


class Course(BaseModel):
    """A paid (or free) course a creator sells; lessons stream to buyers only.

    .. no_pii: creator id and published content.
    """

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses"
    )
    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True, allow_unicode=True)
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True, help_text="Markdown, rendered sanitised.")
    cover = models.ImageField(upload_to="covers/%Y/%m/", blank=True, max_length=255)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="courses")
    tags = models.ManyToManyField(Tag, blank=True, related_name="courses")
    price_minor = models.PositiveIntegerField(default=0, help_text="In minor units (fen, cents).")
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(
        max_length=12, choices=PublishStatus.choices, default=PublishStatus.DRAFT
    )
    moderation = models.CharField(
        max_length=10, choices=Moderation.choices, default=Moderation.APPROVED
    )
    moderation_reason = models.CharField(max_length=300, blank=True)
    # When a moderator last approved the course: from then on it has a live,
    # approved version that stays on the site while later changes are reviewed.
    approved_at = models.DateTimeField(null=True, blank=True)
    # The creator's changed details (title, summary, description, category_id,
    # tags) held back from viewers until approved; {} when there are none.
    pending = models.JSONField(default=dict, blank=True)
    pending_cover = models.ImageField(upload_to="covers/%Y/%m/", blank=True, max_length=255)
    published_at = models.DateTimeField(null=True, blank=True)
    search_text = models.TextField(blank=True, editable=False, help_text="Segmented for search.")
    enrollment_count = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        indexes = [
            models.Index(fields=["status", "-published_at"], name="course_status_recent"),
            models.Index(fields=["creator", "status"], name="course_creator_status"),
            models.Index(fields=["category", "status"], name="course_category_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="course_currency_iso"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=PublishStatus.PUBLISHED)
                | models.Q(published_at__isnull=False),
                name="course_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_free(self) -> bool:
        return self.price_minor == 0

    @property
    def cover_tone(self) -> int:
        """Which of the placeholder gradients (``.tone-0`` … ``.tone-11`` in
        site.css) a course without a cover shows: stable per course, and
        neighbours in a list differ."""
        return (self.pk or 0) % COVER_TONES

    @property
    def is_visible(self) -> bool:
        """On the site for viewers (``courses.visibility``)."""
        return course_is_visible(
            status=self.status, moderation=self.moderation, approved_at=self.approved_at
        )

    @property
    def rating_average(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 1) if self.rating_count else None


class Section(models.Model):
    """A chapter of a course.

    .. no_pii:
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=120)
    # A new section is held back until approved (``courses.visibility``); a
    # rename of an approved one waits here, the approved title stays live.
    moderation = models.CharField(
        max_length=10, choices=Moderation.choices, default=Moderation.PENDING
    )
    pending_title = models.CharField(max_length=120, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["course", "position"], name="section_course_position")]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    """One video lesson; ``is_preview`` lessons play for anyone.

    .. no_pii:
    """

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="lessons")
    # Denormalised so the entitlement check needs no join through sections.
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    is_preview = models.BooleanField(default=False)
    asset = models.ForeignKey(
        MediaAsset, null=True, blank=True, on_delete=models.SET_NULL, related_name="lessons"
    )
    duration_seconds = models.PositiveIntegerField(default=0)
    # A new or changed lesson (title, video, preview flag, subtitles) is held
    # back from viewers until approved (``courses.visibility``).
    moderation = models.CharField(
        max_length=10, choices=Moderation.choices, default=Moderation.PENDING
    )

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["section", "position"], name="lesson_section_position")]

    def __str__(self) -> str:
        return self.title


class ShortVideo(BaseModel):
    """A free short video; ``course`` is its call to action.

    .. no_pii: creator id and published content.
    """

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="short_videos"
    )
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="videos")
    tags = models.ManyToManyField(Tag, blank=True, related_name="videos")
    asset = models.ForeignKey(MediaAsset, on_delete=models.PROTECT, related_name="short_videos")
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.SET_NULL, related_name="teasers"
    )
    status = models.CharField(
        max_length=12, choices=PublishStatus.choices, default=PublishStatus.DRAFT
    )
    moderation = models.CharField(
        max_length=10, choices=Moderation.choices, default=Moderation.APPROVED
    )
    moderation_reason = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(default=0)
    search_text = models.TextField(blank=True, editable=False, help_text="Segmented for search.")
    view_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    favorite_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    share_count = models.PositiveIntegerField(default=0)
    trending_score = models.FloatField(
        default=0, help_text="Recent engagement with time decay; refreshed by a periodic task."
    )

    class Meta:
        verbose_name = _("short video")
        verbose_name_plural = _("short videos")
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="video_feed_order"),
            models.Index(fields=["-trending_score", "-id"], name="video_trending_order"),
            models.Index(fields=["creator", "-published_at"], name="video_creator_recent"),
            models.Index(fields=["category", "status"], name="video_category_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=PublishStatus.PUBLISHED)
                | models.Q(published_at__isnull=False),
                name="video_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_visible(self) -> bool:
        """On the site for viewers (``courses.visibility``)."""
        return is_visible(status=self.status, moderation=self.moderation)


class Enrollment(BaseModel):
    """A user's access to a course: the entitlement every lesson check reads.

    .. no_pii: two ids.
    """

    class Source(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        FREE = "free", _("Free course")
        GRANT = "grant", _("Granted by staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PURCHASE)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.course_id}"


class VideoReaction(models.Model):
    """One viewer's one-off reaction to a video; subclasses name the kind.

    .. no_pii: two ids and a time.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="%(class)ss"
    )
    video = models.ForeignKey(ShortVideo, on_delete=models.CASCADE, related_name="%(class)ss")
    # A default, not auto_now_add, so imports and demo data can keep real times.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["user", "video"], name="%(class)s_once"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="%(class)s_user_recent")]


class Like(VideoReaction):
    """A viewer liked a video.

    .. no_pii: two ids and a time.
    """

    class Meta(VideoReaction.Meta):
        verbose_name = _("like")
        verbose_name_plural = _("likes")
        pass

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.video_id}"


class Favorite(VideoReaction):
    """A viewer saved a video to watch again.

    .. no_pii: two ids and a time.
    """

    class Meta(VideoReaction.Meta):
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        pass

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.video_id}"


class Comment(BaseModel):
    """A comment on a video, or a reply to one (one level deep).

    .. pii: the body is free text written by a person.
    """

    video = models.ForeignKey(ShortVideo, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(max_length=2000)
    is_removed = models.BooleanField(default=False)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["video", "-created_at"], name="comment_video_recent")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(body=""), name="comment_body_not_empty"),
        ]

    def __str__(self) -> str:
        return self.body[:40]


class Review(BaseModel):
    """A buyer's rating (1–5) and review of a course; one per buyer.

    .. pii: the body is free text written by a person.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField()
    body = models.TextField(blank=True, max_length=2000)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(fields=["course", "author"], name="review_once_per_buyer"),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
        ]
        indexes = [models.Index(fields=["course", "-created_at"], name="review_course_recent")]

    def __str__(self) -> str:
        return f"{self.rating}★ on {self.course_id}"

    @property
    def stars(self) -> str:
        return "★" * self.rating + "☆" * (5 - self.rating)


class CourseSurvey(BaseModel):
    """The one-question survey a student is asked once per course (0–10, skippable).

    The row is created the first time the prompt is shown, so prompts shown,
    answers and skips all count from it; answering or skipping closes it for
    good (one row per student and course). After account deletion the row
    stays without its user, so the course's NPS does not change.

    .. no_pii: ids, a 0–10 score and times.
    """

    class Status(models.TextChoices):
        SHOWN = "shown", _("Shown")
        ANSWERED = "answered", _("Answered")
        SKIPPED = "skipped", _("Skipped")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="course_surveys",
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="surveys")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SHOWN)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    shown_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("course survey")
        verbose_name_plural = _("course surveys")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="course_survey_once"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=10),
                name="course_survey_score_0_to_10",
            ),
            models.CheckConstraint(
                condition=models.Q(status="answered", score__isnull=False)
                | (~models.Q(status="answered") & models.Q(score__isnull=True)),
                name="course_survey_score_iff_answered",
            ),
        ]
        indexes = [models.Index(fields=["shown_at"], name="course_survey_shown")]

    def __str__(self) -> str:
        return f"survey {self.course_id}: {self.status} {self.score}"


class LessonProgress(BaseModel):
    """How far a student is in one lesson; complete at 95% watched.

    .. no_pii: ids, seconds and times.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="progress")
    position_seconds = models.FloatField(default=0)
    watched_seconds = models.FloatField(default=0, help_text="Distinct seconds seen, capped.")
    playback_rate = models.FloatField(
        default=1.0,
        help_text="The speed the student last chose; the course's next lesson starts at it.",
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lesson_progress_once"),
            models.CheckConstraint(
                condition=models.Q(playback_rate__gte=0.25, playback_rate__lte=4),
                name="lesson_progress_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(position_seconds__gte=0, watched_seconds__gte=0),
                name="lesson_progress_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "course", "-updated_at"], name="progress_user_course")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ lesson {self.lesson_id}"


def new_certificate_code() -> str:
    """12 characters a person can read out: no 0/O or 1/I."""
    return get_random_string(12, allowed_chars="ABCDEFGHJKLMNPQRSTUVWXYZ23456789")


class Certificate(BaseModel):
    """Proof that a student completed every lesson of a course, checkable by anyone.

    Issued once, when the last lesson is completed; ``learner_name`` is the
    name printed on it, taken then (a later rename does not rewrite it).

    .. pii: the learner's name as printed, their user id.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="certificates")
    code = models.CharField(max_length=12, unique=True, default=new_certificate_code)
    learner_name = models.CharField(max_length=150)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="certificate_once"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.learner_name}, course {self.course_id})"


class WatchState(models.Model):
    """Where a viewer left a short video and at what speed: resume and history.

    .. no_pii: ids, seconds and times.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watch_states"
    )
    video = models.ForeignKey(ShortVideo, on_delete=models.CASCADE, related_name="watch_states")
    position_seconds = models.FloatField(default=0)
    playback_rate = models.FloatField(default=1.0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("watch state")
        verbose_name_plural = _("watch states")
        constraints = [
            models.UniqueConstraint(fields=["user", "video"], name="watch_state_once"),
            models.CheckConstraint(
                condition=models.Q(playback_rate__gte=0.25, playback_rate__lte=4),
                name="watch_state_rate_range",
            ),
        ]
        indexes = [models.Index(fields=["user", "-updated_at"], name="watch_state_recent")]

    def __str__(self) -> str:
        return f"{self.user_id} @ video {self.video_id}"


class NotInterested(models.Model):
    """A viewer asked not to be shown a video (and fewer like it).

    .. no_pii: two ids and a time.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="not_interested"
    )
    video = models.ForeignKey(ShortVideo, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("not-interested mark")
        verbose_name_plural = _("not-interested marks")
        constraints = [
            models.UniqueConstraint(fields=["user", "video"], name="not_interested_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ✕ {self.video_id}"


class Report(BaseModel):
    """A viewer's report of a video or a comment; lands in the moderation queue.

    .. pii: the reason is free text written by a person.
    """

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        ABUSE = "abuse", _("Harassment or hate")
        MISLEADING = "misleading", _("Misleading or low quality")
        ILLEGAL = "illegal", _("Illegal content")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld (content removed)")
        DISMISSED = "dismissed", _("Dismissed")

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports"
    )
    video = models.ForeignKey(
        ShortVideo, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.CharField(max_length=12, choices=Reason.choices)
    details = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(video__isnull=False, comment__isnull=True)
                | models.Q(video__isnull=True, comment__isnull=False),
                name="report_one_target",
            ),
            models.UniqueConstraint(
                fields=["reporter", "video"],
                condition=models.Q(video__isnull=False),
                name="report_video_once",
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"],
                condition=models.Q(comment__isnull=False),
                name="report_comment_once",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="report_queue")]

    def __str__(self) -> str:
        return f"Report #{self.pk} ({self.reason})"


def _keyframe_upload_to(keyframe: "Keyframe", filename: str) -> str:
    # A lesson's keyframes are as private as the lesson (never served by the public media view).
    root = "private/keyframes" if keyframe.analysis.asset.is_private else "keyframes"
    return f"{root}/{timezone.now():%Y/%m}/{filename}"


class VideoAnalysis(BaseModel):
    """What is in one video asset (courses.vision): risk, chapters, fingerprint, screen text.

    Written once per asset by ``courses.media.analysis.media_asset_analyse``
    (media queue, after processing); re-running replaces it whole. The risk
    only orders the moderation queue: a moderator decides.

    .. no_pii: numbers and the text shown in a creator's published video.
    """

    class Status(models.TextChoices):
        DONE = "done", _("Analysed")
        FAILED = "failed", _("Analysis failed")

    asset = models.OneToOneField(MediaAsset, on_delete=models.CASCADE, related_name="analysis")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DONE)
    failure_reason = models.CharField(max_length=300, blank=True)
    duration_seconds = models.FloatField(default=0)
    risk = models.FloatField(default=0, help_text="Riskiest keyframe's unsafe-content score, 0–1.")
    needs_review = models.BooleanField(default=False)
    # [{"start", "end", "title"}] in seconds: the lesson player's timeline markers.
    chapters = models.JSONField(default=list, blank=True)
    # {"duration", "timestamps", "hashes"}: courses.vision.Fingerprint, for duplicate search.
    fingerprint = models.JSONField(default=dict, blank=True)
    screen_text = models.TextField(blank=True, help_text="Each confident on-screen line once.")
    # [{"keyword", "score", "count"}]: tag and title suggestions for the creator.
    suggestions = models.JSONField(default=list, blank=True)
    poster_keyframe = models.ForeignKey(
        "courses.Keyframe", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    poster_chosen_by_creator = models.BooleanField(default=False)
    stage_seconds = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("video analysis")
        verbose_name_plural = _("video analyses")
        indexes = [models.Index(fields=["-risk"], name="analysis_risk")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(risk__gte=0, risk__lte=1), name="analysis_risk_range"
            ),
        ]

    def __str__(self) -> str:
        return f"analysis of asset {self.asset_id} (risk {self.risk:.2f})"


class Keyframe(models.Model):
    """The frame that stands for one shot: its picture, time, hash and risk.

    .. no_pii: a frame of a creator's published video.
    """

    analysis = models.ForeignKey(VideoAnalysis, on_delete=models.CASCADE, related_name="keyframes")
    position = models.PositiveIntegerField(help_text="The shot's index in the video.")
    start_seconds = models.FloatField()
    end_seconds = models.FloatField()
    timestamp = models.FloatField(help_text="Seconds from the start of the video.")
    image = models.ImageField(upload_to=_keyframe_upload_to, max_length=255)
    phash = models.CharField(max_length=64)
    risk = models.FloatField(default=0)
    # [{"label", "score", "box"}]: what the unsafe-content detector found.
    detections = models.JSONField(default=list, blank=True)
    # "blank" / "blurred": why this frame would make a poor poster.
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("keyframe")
        verbose_name_plural = _("keyframes")
        ordering = ["analysis", "position"]
        constraints = [
            models.UniqueConstraint(fields=["analysis", "position"], name="keyframe_once"),
        ]

    def __str__(self) -> str:
        return f"keyframe {self.position} @ {self.timestamp:.1f}s"


class ScreenTextLine(models.Model):
    """One line of on-screen text and the second it is shown: search links to it.

    .. no_pii: text shown in a creator's published video.
    """

    analysis = models.ForeignKey(VideoAnalysis, on_delete=models.CASCADE, related_name="lines")
    timestamp = models.FloatField(help_text="When the keyframe it was read from is shown.")
    # The start of that keyframe's shot: where a search result links to.
    shown_from = models.FloatField(default=0)
    text = models.CharField(max_length=300)
    confidence = models.FloatField()

    class Meta:
        verbose_name = _("on-screen text line")
        verbose_name_plural = _("on-screen text lines")
        ordering = ["analysis", "timestamp", "id"]
        indexes = [models.Index(fields=["analysis", "timestamp"], name="screen_line_time")]

    def __str__(self) -> str:
        return f"{self.timestamp:.1f}s {self.text[:40]}"


class DuplicateMatch(BaseModel):
    """An asset whose shots are found in an earlier asset (perceptual hashes).

    Another creator's match goes to the moderation queue with the matched
    video and its similarity; a creator's own earlier upload is only told to
    them in the studio. Nothing is rejected without a moderator.

    .. no_pii: two asset ids and two numbers.
    """

    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="duplicates")
    matched = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField()
    containment = models.FloatField()
    is_same_owner = models.BooleanField()

    class Meta:
        verbose_name = _("duplicate match")
        verbose_name_plural = _("duplicate matches")
        constraints = [
            models.UniqueConstraint(fields=["asset", "matched"], name="duplicate_once"),
        ]

    def __str__(self) -> str:
        return f"asset {self.asset_id} ≈ asset {self.matched_id} ({self.containment:.0%})"
