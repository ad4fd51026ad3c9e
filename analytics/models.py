"""Append-only behaviour events and the pseudonyms they are keyed by.

Analytics sits low in the layers, so it stores plain ids, never foreign keys
to higher apps; reports that need titles join them in a higher layer.
"""

import secrets

from django.db import models


def new_subject_key() -> str:
    return secrets.token_hex(16)


class Subject(models.Model):
    """Maps a person (or an anonymous browser) to the pseudonym events carry.

    Deleting an account deletes its row: the events stay in the aggregates
    but no longer point to anyone.

    .. pii: links a user id or an anonymous browser id to a pseudonym.
    """

    key = models.CharField(max_length=32, unique=True, default=new_subject_key)
    user_id = models.BigIntegerField(null=True, blank=True, unique=True)
    anonymous_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user_id__isnull=False) | models.Q(anonymous_id__isnull=False),
                name="subject_has_owner",
            )
        ]

    def __str__(self) -> str:
        return self.key


class Event(models.Model):
    """One thing a viewer did, as the page or the server reported it. Append-only.

    ``value`` carries the measure of the type: watched seconds for
    ``video.progress``, the amount in minor units for ``order.paid``.

    .. no_pii: keyed by pseudonym; ``props`` must not carry personal data.
    """

    class Type(models.TextChoices):
        IMPRESSION = "video.impression", "Impression"
        PLAY = "video.played", "Play"
        PROGRESS = "video.progress", "Progress heartbeat"
        COMPLETE = "video.completed", "Complete"
        SWIPE_AWAY = "video.swiped_away", "Swipe away"
        LIKE = "video.liked", "Like"
        FAVORITE = "video.favorited", "Favourite"
        SHARE = "video.shared", "Share"
        COMMENT = "video.commented", "Comment"
        CTA_CLICK = "video.cta_clicked", "Call-to-action click"
        NOT_INTERESTED = "video.not_interested", "Not interested"
        FOLLOW = "creator.followed", "Follow"
        COURSE_VIEW = "course.viewed", "Course page view"
        PREVIEW_PLAY = "course.preview_played", "Free preview play"
        CHECKOUT = "order.created", "Checkout started"
        PURCHASE = "order.paid", "Purchase"
        REFUND = "order.refunded", "Refund"
        ENROLLMENT = "enrollment.granted", "Enrollment"
        LESSON_COMPLETE = "lesson.completed", "Lesson complete"
        SEARCH = "search.performed", "Search"
        SIGNUP = "user.signed_up", "Signup"
        LOGIN = "user.logged_in", "Login"

    class Source(models.TextChoices):
        WEB = "web", "Web page"
        API = "api", "API client"
        SERVER = "server", "Server"
        SEED = "seed", "Demo or synthetic data"

    id = models.BigAutoField(primary_key=True)
    ts = models.DateTimeField(help_text="When it happened (UTC, skew-corrected).")
    received_at = models.DateTimeField(auto_now_add=True)
    subject_id = models.CharField(max_length=32, db_index=True)
    session_id = models.CharField(max_length=64, blank=True, default="")
    type = models.CharField(max_length=32, choices=Type.choices)
    video_id = models.BigIntegerField(null=True, blank=True)
    course_id = models.BigIntegerField(null=True, blank=True)
    creator_id = models.BigIntegerField(null=True, blank=True)
    value = models.FloatField(default=0)
    props = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEB)
    client_event_id = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["ts"], name="event_ts"),
            models.Index(fields=["type", "ts"], name="event_type_ts"),
            models.Index(fields=["subject_id", "ts"], name="event_subject_ts"),
            models.Index(fields=["video_id", "ts"], name="event_video_ts"),
            models.Index(fields=["course_id", "ts"], name="event_course_ts"),
            models.Index(fields=["creator_id", "ts"], name="event_creator_ts"),
        ]
        constraints = [
            # A page may resend a batch; the client's id makes the retry harmless.
            models.UniqueConstraint(
                fields=["subject_id", "client_event_id"],
                condition=models.Q(client_event_id__isnull=False),
                name="event_client_id_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} @ {self.ts:%Y-%m-%d %H:%M}"
