"""People: the custom user, creator profiles and who follows whom."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import slug_unicode_re
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

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
        constraints = [
            models.UniqueConstraint(fields=["follower", "creator"], name="follow_once"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("creator")), name="follow_not_self"
            ),
        ]
        indexes = [models.Index(fields=["creator", "-created_at"], name="follow_creator_recent")]

    def __str__(self) -> str:
        return f"{self.follower_id} → {self.creator_id}"
