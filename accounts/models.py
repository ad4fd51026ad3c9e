"""People: the custom user, creator profiles and who follows whom."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import slug_unicode_re
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.models import BaseModel

MAX_INTERESTS = 20


def validate_interests(value: object) -> None:
    """Accept only a list of tag slugs, so the admin's free JSON box cannot
    store what the pages or PostgreSQL's jsonb cannot read (a number, an
    object, a NUL character)."""
    if not (
        isinstance(value, list)
        and len(value) <= MAX_INTERESTS
        and all(isinstance(slug, str) and slug_unicode_re.match(slug) for slug in value)
    ):
        raise ValidationError(
            'Interests are a list of at most %(max)d tag slugs, e.g. ["python", "摄影"].',
            code="invalid_interests",
            params={"max": MAX_INTERESTS},
        )


class User(AbstractUser):
    """Anyone with an account: viewer, creator or staff.

    .. pii: username, email, first/last name, display name, interests,
       language, last login.
    """

    display_name = models.CharField(max_length=80, blank=True)
    language = models.CharField(max_length=10, blank=True, default="")
    # China's 2022 algorithm-recommendation rules: users can switch it off.
    is_personalization_enabled = models.BooleanField(default=True)
    interests = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_interests],
        help_text="Tag slugs the user picked.",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="user_email_ci_unique"
            )
        ]

    @property
    def public_name(self) -> str:
        return self.display_name or self.username


class CreatorProfile(BaseModel):
    """A user's public creator page: handle, bio and avatar.

    .. pii: handle, bio and avatar identify the person.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="creator_profile"
    )
    handle = models.SlugField(max_length=40, unique=True)
    bio = models.TextField(blank=True, max_length=2000)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    is_verified = models.BooleanField(default=False)
    follower_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("creator profile")
        verbose_name_plural = _("creator profiles")

    def __str__(self) -> str:
        return f"@{self.handle}"


class Follow(models.Model):
    """A viewer follows a creator.

    .. no_pii: two user ids and a time.
    """

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following"
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(fields=["follower", "creator"], name="follow_once"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("creator")), name="follow_not_self"
            ),
        ]
        indexes = [models.Index(fields=["creator", "-created_at"], name="follow_creator_recent")]

    def __str__(self) -> str:
        return f"{self.follower_id} → {self.creator_id}"


class Notification(models.Model):
    """Something that happened that a user should hear about, shown in their inbox.

    Rows keep ids, not sentences: the page words them at display time in
    the reader's language. ``video_id``, ``course_id``, ``comment_id`` and
    ``order_id`` are plain columns because those models live in higher
    layers; a target deleted since reads as "no longer available".

    .. pii: who it is for, who caused it (actor) and the moderator's
       reason about the person's own content.
    """

    class Kind(models.TextChoices):
        COMMENT_REPLY = "comment_reply", _("Reply to your comment")
        NEW_VIDEO = "new_video", _("New video from a creator you follow")
        NEW_COURSE = "new_course", _("New course from a creator you follow")
        REFUND_APPROVED = "refund_approved", _("Refund approved")
        REFUND_DENIED = "refund_denied", _("Refund denied")
        MODERATION_APPROVED = "moderation_approved", _("Content approved")
        MODERATION_REJECTED = "moderation_rejected", _("Content rejected")
        NEW_FOLLOWER = "new_follower", _("New follower")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    video_id = models.PositiveBigIntegerField(null=True, blank=True)
    course_id = models.PositiveBigIntegerField(null=True, blank=True)
    comment_id = models.PositiveBigIntegerField(null=True, blank=True)
    order_id = models.PositiveBigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"
