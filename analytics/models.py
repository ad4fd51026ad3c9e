"""Append-only behaviour events and the pseudonyms they are keyed by.

Analytics sits low in the layers, so it stores plain ids, never foreign keys
to higher apps; reports that need titles join them in a higher layer.
"""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


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
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
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
        REVIEW = "course.reviewed", "Course rated or review edited"
        SURVEY_ANSWER = "survey.answered", "Survey answered"
        SURVEY_SKIP = "survey.skipped", "Survey skipped"

    class Source(models.TextChoices):
        WEB = "web", "Web page"
        API = "api", "API client"
        SERVER = "server", "Server"
        SEED = "seed", "Demo or synthetic data"

    id = models.BigAutoField(primary_key=True)
    ts = models.DateTimeField(help_text="When it happened (UTC, skew-corrected).")
    received_at = models.DateTimeField(auto_now_add=True)
    # No single-column index: (subject_id, ts) and the client-id key serve lookups.
    subject_id = models.CharField(max_length=32)
    session_id = models.CharField(max_length=64, blank=True, default="")
    type = models.CharField(max_length=32, choices=Type.choices)
    video_id = models.BigIntegerField(null=True, blank=True)
    course_id = models.BigIntegerField(null=True, blank=True)
    creator_id = models.BigIntegerField(null=True, blank=True)
    value = models.FloatField(default=0)
    props = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEB)
    client_event_id = models.CharField(max_length=64, null=True, blank=True)
    context = models.JSONField(
        default=dict,
        blank=True,
        help_text="Platform, device, app version, channel, UTM, referrer (analytics.context).",
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["ts"], name="event_ts"),
            models.Index(fields=["type", "ts"], name="event_type_ts"),
            models.Index(fields=["subject_id", "ts"], name="event_subject_ts"),
            models.Index(fields=["video_id", "ts"], name="event_video_ts"),
            models.Index(fields=["course_id", "ts"], name="event_course_ts"),
            models.Index(fields=["creator_id", "ts"], name="event_creator_ts"),
            models.Index(fields=["received_at"], name="event_received_at"),
        ]
        # No unique constraint: on PostgreSQL the table is partitioned by month
        # (analytics.partitions) and a unique index there must include ``ts``,
        # which a resent event may carry differently (clock-skew correction).
        # EventKey below holds the client ids instead.

    def __str__(self) -> str:
        return f"{self.type} @ {self.ts:%Y-%m-%d %H:%M}"


class EventKey(models.Model):
    """A client event id already stored for a subject: what makes a resent batch harmless.

    The batch ingestion inserts the key and the event in one statement, and
    only events whose key was new; see ``analytics.services.events_ingest_batch``.

    .. no_pii: keyed by pseudonym.
    """

    pk = models.CompositePrimaryKey("subject_id", "client_event_id")
    subject_id = models.CharField(max_length=32)
    client_event_id = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("event key")
        verbose_name_plural = _("event keys")

    def __str__(self) -> str:
        return f"{self.subject_id}/{self.client_event_id}"


# --- Rollups -----------------------------------------------------------------
# Every table below is keyed by a local date in settings.KF_REPORT_TZ and is
# rebuilt per (metric, day) by analytics.rollups: delete the day, insert it
# again from raw events, in one transaction. Never incremented in place.


class SubjectDay(models.Model):
    """One subject's activity on one local day (the base of DAU/WAU/MAU).

    .. no_pii: keyed by pseudonym.
    """

    local_date = models.DateField()
    subject_id = models.CharField(max_length=32)
    events = models.IntegerField(default=0)
    qualifying = models.IntegerField(default=0, help_text="Events that make the subject active.")
    plays = models.IntegerField(default=0)
    purchases = models.IntegerField(default=0)
    gmv_minor = models.BigIntegerField(default=0)
    refunds_minor = models.BigIntegerField(default=0)
    prev_active_date = models.DateField(
        null=True, help_text="The subject's previous active day, if any (active rows only)."
    )

    class Meta:
        verbose_name = _("subject day")
        verbose_name_plural = _("subject days")
        # Few indexes: a day rewrites ~DAU rows, and each extra btree on a text
        # key costs as much as the aggregate. (local_date, subject_id) is
        # unique by construction (the only writer groups by it); the partial
        # one finds a subject's previous active day.
        indexes = [
            models.Index(fields=["local_date", "subject_id"], name="subjectday_day_subj"),
            models.Index(
                fields=["subject_id", "local_date"],
                name="subjectday_active_subj",
                condition=models.Q(qualifying__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.local_date}"


class ActiveDay(models.Model):
    """Active subjects of one local day, counted by their previous active day.

    The distinct active subjects of any range ``[a, b]`` are the sum over its
    days of the rows whose previous active day is before ``a`` (or none): WAU,
    MAU and ARPU's denominator without a distinct scan (analytics.rollups.chains).

    .. no_pii:
    """

    local_date = models.DateField()
    prev_active_date = models.DateField(null=True)
    subjects = models.IntegerField()

    class Meta:
        verbose_name = _("active day")
        verbose_name_plural = _("active days")
        indexes = [models.Index(fields=["local_date"], name="activeday_day")]

    def __str__(self) -> str:
        return f"{self.local_date} (previous {self.prev_active_date}): {self.subjects}"


class SubjectCohort(models.Model):
    """The signup cohort of a subject: its first signup's local date.

    .. no_pii: keyed by pseudonym.
    """

    subject_id = models.CharField(max_length=32, unique=True)
    signup_date = models.DateField(db_index=True)
    signup_at = models.DateTimeField()

    class Meta:
        verbose_name = _("subject cohort")
        verbose_name_plural = _("subject cohorts")

    def __str__(self) -> str:
        return f"{self.subject_id} {self.signup_date}"


class CohortDay(models.Model):
    """Signup cohort ``cohort_date`` seen on local day ``local_date``.

    ``active`` = cohort members active that day (classic retention), and
    ``net_minor`` = their purchases minus refunds that day (realised LTV).

    .. no_pii:
    """

    cohort_date = models.DateField()
    local_date = models.DateField()
    active = models.IntegerField(default=0)
    net_minor = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("cohort day")
        verbose_name_plural = _("cohort days")
        constraints = [
            models.UniqueConstraint(fields=["cohort_date", "local_date"], name="cohortday_once")
        ]
        indexes = [models.Index(fields=["local_date"], name="cohortday_local")]

    def __str__(self) -> str:
        return f"{self.cohort_date} @ {self.local_date}"


class RollingRetention(models.Model):
    """Rolling ("on or after") retention of a matured cohort, day n of horizon 30.

    .. no_pii:
    """

    cohort_date = models.DateField()
    n = models.SmallIntegerField()
    cohort_size = models.IntegerField()
    retained = models.IntegerField()

    class Meta:
        verbose_name = _("rolling retention")
        verbose_name_plural = _("rolling retention figures")
        constraints = [models.UniqueConstraint(fields=["cohort_date", "n"], name="rolling_once")]

    def __str__(self) -> str:
        return f"{self.cohort_date} n={self.n}"


class DailyMetric(models.Model):
    """Platform figures for one local day.

    .. no_pii:
    """

    local_date = models.DateField(unique=True)
    dau = models.IntegerField(default=0)
    wau = models.IntegerField(default=0)
    mau = models.IntegerField(default=0)
    new_users = models.IntegerField(default=0)
    plays = models.IntegerField(default=0)
    engaged_views = models.IntegerField(default=0)
    completes = models.IntegerField(default=0)
    watch_seconds = models.FloatField(default=0)
    purchases = models.IntegerField(default=0)
    paying_users = models.IntegerField(default=0)
    gmv_minor = models.BigIntegerField(default=0)
    refunds = models.IntegerField(default=0)
    refunds_minor = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("daily metric")
        verbose_name_plural = _("daily metrics")
        permissions = [("view_dashboard", "Can view the analytics dashboard")]

    def __str__(self) -> str:
        return str(self.local_date)


class VideoDaily(models.Model):
    """One short video on one local day.

    .. no_pii:
    """

    local_date = models.DateField()
    video_id = models.BigIntegerField()
    creator_id = models.BigIntegerField(null=True)
    plays = models.IntegerField(default=0)
    viewers = models.IntegerField(default=0)
    engaged_views = models.IntegerField(default=0)
    completes = models.IntegerField(default=0)
    watch_seconds = models.FloatField(default=0)
    likes = models.IntegerField(default=0)
    shares = models.IntegerField(default=0)
    cta_clicks = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily video figure")
        verbose_name_plural = _("daily video figures")
        constraints = [
            models.UniqueConstraint(fields=["local_date", "video_id"], name="videodaily_once")
        ]
        indexes = [models.Index(fields=["creator_id", "local_date"], name="videodaily_creator")]

    def __str__(self) -> str:
        return f"video {self.video_id} {self.local_date}"


class CourseDaily(models.Model):
    """One course on one local day (period ratios only; funnels live elsewhere).

    .. no_pii:
    """

    local_date = models.DateField()
    course_id = models.BigIntegerField()
    creator_id = models.BigIntegerField(null=True)
    page_views = models.IntegerField(default=0)
    page_viewers = models.IntegerField(default=0)
    previewers = models.IntegerField(default=0)
    checkouts = models.IntegerField(default=0)
    buyers = models.IntegerField(default=0)
    purchases = models.IntegerField(default=0)
    gmv_minor = models.BigIntegerField(default=0)
    refunds_minor = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("daily course figure")
        verbose_name_plural = _("daily course figures")
        constraints = [
            models.UniqueConstraint(fields=["local_date", "course_id"], name="coursedaily_once")
        ]
        indexes = [models.Index(fields=["creator_id", "local_date"], name="coursedaily_creator")]

    def __str__(self) -> str:
        return f"course {self.course_id} {self.local_date}"


class SatisfactionDaily(models.Model):
    """Ratings and survey outcomes of one course on one local day.

    A rating counts on the local day its review was first written (with
    its current stars); a survey counts on the day its prompt was first
    shown, whether it was answered or skipped later. Rebuilt from the
    review and survey rows the catalogue owns (``analytics.sources``).

    .. no_pii:
    """

    local_date = models.DateField()
    course_id = models.BigIntegerField()
    creator_id = models.BigIntegerField(null=True)
    stars_1 = models.IntegerField(default=0)
    stars_2 = models.IntegerField(default=0)
    stars_3 = models.IntegerField(default=0)
    stars_4 = models.IntegerField(default=0)
    stars_5 = models.IntegerField(default=0)
    score_0 = models.IntegerField(default=0)
    score_1 = models.IntegerField(default=0)
    score_2 = models.IntegerField(default=0)
    score_3 = models.IntegerField(default=0)
    score_4 = models.IntegerField(default=0)
    score_5 = models.IntegerField(default=0)
    score_6 = models.IntegerField(default=0)
    score_7 = models.IntegerField(default=0)
    score_8 = models.IntegerField(default=0)
    score_9 = models.IntegerField(default=0)
    score_10 = models.IntegerField(default=0)
    prompts_shown = models.IntegerField(default=0)
    skips = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("satisfaction day")
        verbose_name_plural = _("satisfaction days")
        constraints = [
            models.UniqueConstraint(
                fields=["local_date", "course_id"], name="satisfactiondaily_once"
            )
        ]
        indexes = [
            models.Index(fields=["creator_id", "local_date"], name="satisfactiondaily_creator")
        ]

    def __str__(self) -> str:
        return f"satisfaction {self.course_id} {self.local_date}"


class CreatorDaily(models.Model):
    """One creator on one local day (unique viewers cannot be summed from videos).

    .. no_pii:
    """

    local_date = models.DateField()
    creator_id = models.BigIntegerField()
    plays = models.IntegerField(default=0)
    viewers = models.IntegerField(default=0)
    watch_seconds = models.FloatField(default=0)
    follows = models.IntegerField(default=0)
    purchases = models.IntegerField(default=0)
    buyers = models.IntegerField(default=0)
    gmv_minor = models.BigIntegerField(default=0)
    refunds_minor = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("daily creator figure")
        verbose_name_plural = _("daily creator figures")
        constraints = [
            models.UniqueConstraint(fields=["local_date", "creator_id"], name="creatordaily_once")
        ]

    def __str__(self) -> str:
        return f"creator {self.creator_id} {self.local_date}"


class FunnelEntry(models.Model):
    """A subject entering one course's funnel on a local day, with the step reached.

    ``reached`` counts the ordered 5-step funnel (1..5); ``reached_4`` the
    variant without the preview step (1..4: view, page, checkout, purchase).

    .. no_pii: keyed by pseudonym.
    """

    entry_date = models.DateField()
    course_id = models.BigIntegerField()
    creator_id = models.BigIntegerField(null=True)
    subject_id = models.CharField(max_length=32)
    entered_at = models.DateTimeField()
    window_end = models.DateTimeField()
    t2 = models.DateTimeField(null=True)
    t3 = models.DateTimeField(null=True)
    t4 = models.DateTimeField(null=True)
    t5 = models.DateTimeField(null=True)
    t4_skip = models.DateTimeField(null=True, help_text="Checkout after the page, any preview.")
    t5_skip = models.DateTimeField(null=True)
    reached = models.SmallIntegerField(default=1)
    reached_4 = models.SmallIntegerField(default=1)
    prev_entry_date = models.DateField(
        null=True, help_text="The same subject and course's previous entry day, if any."
    )

    class Meta:
        verbose_name = _("funnel entry")
        verbose_name_plural = _("funnel entries")
        # (entry_date, course_id, subject_id) is unique by construction.
        indexes = [
            models.Index(fields=["entry_date", "course_id"], name="funnel_day_course"),
            models.Index(fields=["creator_id", "entry_date"], name="funnel_creator"),
            # previous-entry lookups of one (subject, course)
            models.Index(fields=["subject_id", "course_id", "entry_date"], name="funnel_pair_day"),
            # converters' times for "median time to purchase", without heap visits
            models.Index(
                fields=["entry_date"],
                include=["prev_entry_date", "entered_at", "t5"],
                name="funnel_converted",
                condition=models.Q(t5__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} course {self.course_id} {self.entry_date}"


class FunnelDay(models.Model):
    """The platform's funnel entries of one local day, counted by step reached and previous entry.

    An entry is its (subject, course)'s first in a range ``[a, b]`` exactly when
    its previous entry day is before ``a`` (or there is none), so the funnel of
    any range sums a few hundred rows per day instead of scanning every entry.
    ``prev_entry_date`` is NULL when the previous entry is more than 366 days
    back: no range is longer, so it is then "none" for every range.

    .. no_pii:
    """

    entry_date = models.DateField()
    prev_entry_date = models.DateField(null=True)
    reached = models.SmallIntegerField()
    reached_4 = models.SmallIntegerField()
    entries = models.IntegerField()

    class Meta:
        verbose_name = _("funnel day")
        verbose_name_plural = _("funnel days")
        indexes = [models.Index(fields=["entry_date"], name="funnelday_day")]

    def __str__(self) -> str:
        return f"{self.entry_date} reached {self.reached}: {self.entries}"


class PurchaseAttribution(models.Model):
    """Last-touch credit of one purchase event to a short video.

    .. no_pii: keyed by pseudonym.
    """

    class Touch(models.TextChoices):
        CLICK = "click", "Click-through (7 days)"
        VIEW = "view", "View-through (1 day)"
        NONE = "none", "Unattributed"

    purchase_event_id = models.BigIntegerField(unique=True)
    local_date = models.DateField(db_index=True)
    subject_id = models.CharField(max_length=32)
    course_id = models.BigIntegerField(null=True)
    creator_id = models.BigIntegerField(null=True)
    purchased_at = models.DateTimeField()
    amount_minor = models.BigIntegerField(default=0)
    refunded_minor = models.BigIntegerField(default=0)
    click_from = models.DateTimeField()
    view_from = models.DateTimeField()
    touch = models.CharField(max_length=8, choices=Touch.choices, default=Touch.NONE)
    video_id = models.BigIntegerField(null=True)
    touch_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("purchase attribution")
        verbose_name_plural = _("purchase attributions")

    def __str__(self) -> str:
        return f"purchase {self.purchase_event_id} -> {self.video_id}"


class RecommenderDaily(models.Model):
    """Impressions and plays per recommender model version on one local day.

    .. no_pii:
    """

    local_date = models.DateField()
    model_version = models.CharField(max_length=64)
    impressions = models.IntegerField(default=0)
    plays = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily recommender figure")
        verbose_name_plural = _("daily recommender figures")
        constraints = [
            models.UniqueConstraint(fields=["local_date", "model_version"], name="recdaily_once")
        ]

    def __str__(self) -> str:
        return f"{self.model_version} {self.local_date}"


class BreakdownDaily(models.Model):
    """The day's KPIs split by one dimension value, so any KPI splits without a raw scan.

    Dimensions: ``platform`` and ``channel`` (the event's context), ``visitor``
    (new: first active day in 366 days; returning; inactive: no qualifying
    event), ``category``, ``creator`` and ``course``. A subject using two
    values in a day counts as active in both, so the active column of one
    dimension may sum to more than the DAU; additive figures (plays, watch
    seconds, purchases, money) sum exactly to the day's totals for
    ``platform``, ``channel`` and ``visitor`` (values "unknown" / "none"
    included). Definitions: docs/metrics.md §Breakdowns.

    .. no_pii:
    """

    local_date = models.DateField()
    dimension = models.CharField(max_length=16)
    value = models.CharField(max_length=64)
    active = models.IntegerField(default=0, help_text="Subjects with a qualifying event.")
    subjects = models.IntegerField(default=0, help_text="Subjects with any event.")
    plays = models.IntegerField(default=0)
    engaged_views = models.IntegerField(default=0)
    watch_seconds = models.FloatField(default=0)
    signups = models.IntegerField(default=0)
    course_views = models.IntegerField(default=0)
    checkouts = models.IntegerField(default=0)
    purchases = models.IntegerField(default=0)
    buyers = models.IntegerField(default=0)
    gmv_minor = models.BigIntegerField(default=0)
    refunds_minor = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("daily breakdown")
        verbose_name_plural = _("daily breakdowns")
        # (local_date, dimension, value) is unique by construction (one writer groups by it).
        indexes = [
            models.Index(fields=["dimension", "local_date", "value"], name="breakdown_dim_day")
        ]

    def __str__(self) -> str:
        return f"{self.local_date} {self.dimension}={self.value}"


class SubjectTypeDay(models.Model):
    """A subject did an event type on a local day: the base of retention by any start and return event.

    .. no_pii: keyed by pseudonym.
    """

    local_date = models.DateField()
    subject_id = models.CharField(max_length=32)
    type = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("subject type day")
        verbose_name_plural = _("subject type days")
        # (local_date, subject_id, type) is unique by construction.
        indexes = [models.Index(fields=["type", "local_date"], name="subjecttype_type_day")]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.type} {self.local_date}"


class SubjectEventFirst(models.Model):
    """A subject's first event of a type on a local day, in one scope: the base of custom funnels.

    Three scopes per (day, subject, type): the whole platform (``scope`` 0,
    ``scope_id`` 0), per course (1, the course id) and per creator (2, the
    creator id), so a funnel filtered by a course or a creator reads only that
    course's or creator's rows. ``first_us`` is the first event's time in
    microseconds since the Unix epoch: window arithmetic on plain integers,
    the same on PostgreSQL and SQLite. ``prev_date`` chains each row to its
    (subject, type, scope, scope id)'s previous day, so the subject's first
    step-1 row of a range is the one whose previous day lies before the range
    (``analytics.rollups.chains``). Definitions: docs/metrics.md
    §Custom funnels.

    .. no_pii: keyed by pseudonym.
    """

    class Scope(models.IntegerChoices):
        ALL = 0, "Whole platform"
        COURSE = 1, "Course"
        CREATOR = 2, "Creator"

    local_date = models.DateField()
    subject_id = models.CharField(max_length=32)
    type = models.CharField(max_length=32)
    scope = models.SmallIntegerField(choices=Scope.choices, default=Scope.ALL)
    scope_id = models.BigIntegerField(default=0)
    first_us = models.BigIntegerField(help_text="First event of the day, µs since the epoch.")
    prev_date = models.DateField(
        null=True,
        help_text="The key's previous day with a row, null if none within MAX_RANGE_DAYS.",
    )

    class Meta:
        verbose_name = _("first event of the day")
        verbose_name_plural = _("first events of the day")
        # (local_date, subject_id, type, scope, scope_id) is unique by construction.
        indexes = [
            # a funnel step: one type in one scope over a range of days, index-only
            models.Index(
                fields=["type", "scope", "scope_id", "local_date"],
                include=["subject_id", "first_us", "prev_date"],
                name="eventfirst_step_prev",
            ),
            # a key's previous day: one backward probe per row when a day is rolled up
            models.Index(
                fields=["subject_id", "type", "scope", "scope_id", "local_date"],
                name="eventfirst_key",
            ),
            models.Index(fields=["local_date"], name="eventfirst_day"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.type} {self.local_date}"


class MetricRun(models.Model):
    """When a local day was last rolled up, and the newest event it saw.

    .. no_pii:
    """

    local_date = models.DateField(unique=True)
    finished_at = models.DateTimeField()
    source_max_received_at = models.DateTimeField(null=True)
    events = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("metric run")
        verbose_name_plural = _("metric runs")

    def __str__(self) -> str:
        return f"{self.local_date} @ {self.finished_at:%Y-%m-%d %H:%M}"


class DirtyDay(models.Model):
    """A past local day whose raw events changed after its rollups may have been built.

    Written in the same transaction as the events (``analytics.services``), one
    plain row per write and day, so concurrent batches never wait on each other.
    The refresh claims the committed rows by deleting them: a batch still in
    flight when a rollup runs keeps its row for the next run, and a fresh deploy
    or a backfill loses nothing (no watermark to be missing or ahead).

    .. no_pii:
    """

    local_date = models.DateField()
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("day to recompute")
        verbose_name_plural = _("days to recompute")

    def __str__(self) -> str:
        return f"{self.local_date} (marked {self.marked_at:%Y-%m-%d %H:%M})"
