"""Viewer behaviour generated from latent interests, so recommenders have structure.

Each viewer draws a peaked interest distribution over topics (Dirichlet
with a small concentration). They watch videos chosen mostly by interest
and partly by popularity, watch longer and like more what they care about,
follow creators they keep watching, and buy the course a liked video leads
to. Everything lands as rows (likes, follows, orders, enrollments) and as
the analytics events the real pages would have sent.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import CreatorProfile, Follow, User
from analytics.models import Event, Subject
from commerce.models import EarningEntry, Order, Payment, Refund
from commerce.services.orders import sale_earning
from courses.models import Comment, Course, Enrollment, Favorite, Like, ShortVideo, WatchState

COMMENTS = [
    "讲得太清楚了！",
    "Great explanation, thanks!",
    "收藏了，回头再看",
    "Could you do a part 2?",
    "终于听懂了",
    "This saved me hours.",
    "老师辛苦了",
    "Love the visuals!",
]
E = Event.Type
CHECKOUT_SECONDS = timedelta(seconds=40)  # from the checkout click to the payment
# One in twelve paid orders whose refund day has come is refunded, from the second
# on: a tiny demo keeps its first order paid and still shows a refund.
REFUND_EVERY = 12


@dataclass(frozen=True)
class VideoRow:
    id: int
    creator_id: int
    course_id: int | None
    topic: int
    duration: float


@dataclass
class Batch:
    """Everything one seeding run writes, collected then bulk-inserted."""

    events: list[Event]
    likes: list[Like]
    favorites: list[Favorite]
    comments: list[Comment]
    follows: list[Follow]
    orders: list[Order]
    enrollments: list[Enrollment]
    watch_states: list[WatchState]
    refunded_at: dict[int, datetime] = field(default_factory=dict)  # id(order) -> when

    @classmethod
    def empty(cls) -> "Batch":
        return cls([], [], [], [], [], [], [], [])


@dataclass
class Visitor:
    """One simulated viewer while their history is generated."""

    user: User
    subject: str
    batch: Batch
    watched_creators: Counter[int] = field(default_factory=Counter)
    bought: set[int] = field(default_factory=set)


class ViewerSimulation:
    """Simulates one viewer at a time; shares the catalogue and the RNG."""

    def __init__(
        self, videos: list[VideoRow], courses: dict[int, Course], n_topics: int, seed: int
    ) -> None:
        self.videos = videos
        self.courses = courses
        self.n_topics = n_topics
        self.rng = np.random.default_rng(seed)
        self.topic_of = np.array([v.topic for v in videos])
        ranks = self.rng.permutation(len(videos))
        popularity = 1.0 / (ranks + 1.0) ** 0.8
        self.popularity = popularity / popularity.sum()
        self.now = timezone.now()
        # Refunds draw from their own stream, so adding them left every other row as it was.
        self.refund_rng = np.random.default_rng([seed, 1])
        self.refundable_orders = 0

    def viewer(self, user: User, subject: str, mean_events: float, batch: Batch) -> None:
        rng = self.rng
        interests = rng.dirichlet(np.full(self.n_topics, 0.25))
        joined = self.now - timedelta(days=float(rng.uniform(1, 60)))
        user.date_joined = joined
        user.interests = [int(t) for t in np.argsort(-interests)[:3]]
        batch.events.append(self._event(E.SIGNUP, subject, joined))
        weights = 0.85 * interests[self.topic_of] / interests.max() + 0.15 * self.popularity * len(
            self.videos
        )
        n_views = min(len(self.videos), 1 + int(rng.poisson(max(mean_events / 4.0 - 1, 0.5))))
        chosen = rng.choice(
            len(self.videos), size=n_views, replace=False, p=weights / weights.sum()
        )
        span = (self.now - joined).total_seconds()
        times = sorted(joined + timedelta(seconds=float(s)) for s in rng.uniform(60, span, n_views))
        visitor = Visitor(user, subject, batch)
        for ts, j in zip(times, chosen, strict=True):
            affinity = interests[self.videos[j].topic] / interests.max()
            self._watch(visitor, self.videos[j], ts, float(affinity))
        for creator_id, strong_views in visitor.watched_creators.items():
            if strong_views >= 2 and rng.random() < 0.7:
                batch.follows.append(
                    Follow(
                        follower_id=user.pk,
                        creator_id=creator_id,
                        created_at=self.now - timedelta(hours=1),
                    )
                )
                batch.events.append(
                    self._event(
                        E.FOLLOW, subject, self.now - timedelta(hours=1), {"creator_id": creator_id}
                    )
                )

    def _watch(self, visitor: Visitor, video: VideoRow, ts: datetime, affinity: float) -> None:
        rng, user, subject, batch = self.rng, visitor.user, visitor.subject, visitor.batch
        ratio = float(rng.beta(0.6 + 3 * affinity, 1.2))
        seconds = round(ratio * video.duration, 2)
        ids = {"video_id": video.id, "creator_id": video.creator_id, "course_id": video.course_id}
        batch.events.append(self._event(E.IMPRESSION, subject, ts, ids))
        batch.events.append(self._event(E.PLAY, subject, ts + timedelta(seconds=1), ids))
        batch.events.append(
            self._event(
                E.PROGRESS, subject, ts + timedelta(seconds=1 + seconds), ids, value=seconds
            )
        )
        if ratio >= 0.9:
            batch.events.append(
                self._event(E.COMPLETE, subject, ts + timedelta(seconds=1 + seconds), ids)
            )
        elif ratio < 0.25:
            batch.events.append(
                self._event(E.SWIPE_AWAY, subject, ts + timedelta(seconds=1 + seconds), ids)
            )
        later = ts + timedelta(seconds=2 + seconds)
        batch.watch_states.append(
            WatchState(
                user_id=user.pk, video_id=video.id, position_seconds=seconds, updated_at=later
            )
        )
        if ratio > 0.6:
            visitor.watched_creators[video.creator_id] += 1
        if rng.random() < 0.6 * affinity * ratio:
            batch.likes.append(Like(user_id=user.pk, video_id=video.id, created_at=later))
            batch.events.append(self._event(E.LIKE, subject, later, ids))
        if rng.random() < 0.12 * affinity:
            batch.favorites.append(Favorite(user_id=user.pk, video_id=video.id, created_at=later))
            batch.events.append(self._event(E.FAVORITE, subject, later, ids))
        if rng.random() < 0.05 * affinity:
            batch.comments.append(
                Comment(
                    video_id=video.id,
                    author_id=user.pk,
                    body=COMMENTS[int(rng.integers(len(COMMENTS)))],
                )
            )
            batch.events.append(self._event(E.COMMENT, subject, later, ids))
        if (
            video.course_id
            and video.course_id not in visitor.bought
            and rng.random() < 0.35 * affinity * ratio
        ):
            self._consider_course(visitor, video, later, affinity)

    def _consider_course(
        self, visitor: Visitor, video: VideoRow, ts: datetime, affinity: float
    ) -> None:
        rng, user, subject, batch = self.rng, visitor.user, visitor.subject, visitor.batch
        assert video.course_id is not None  # only videos with a call to action get here
        course = self.courses[video.course_id]
        ids = {"video_id": video.id, "creator_id": course.creator_id, "course_id": course.pk}
        batch.events.append(self._event(E.CTA_CLICK, subject, ts, ids))
        batch.events.append(self._event(E.COURSE_VIEW, subject, ts + timedelta(seconds=2), ids))
        if rng.random() < 0.6:
            batch.events.append(
                self._event(E.PREVIEW_PLAY, subject, ts + timedelta(seconds=30), ids)
            )
        if rng.random() >= 0.4 * affinity:
            return
        # A purchase drawn for after "now" happens now: the demo never dates an order ahead.
        paid_at = min(ts + timedelta(minutes=float(rng.uniform(1, 60 * 24 * 3))), self.now)
        if course.price_minor:
            batch.events.append(
                self._event(
                    E.CHECKOUT,
                    subject,
                    paid_at - CHECKOUT_SECONDS,
                    ids,
                    value=course.price_minor,
                )
            )
            if rng.random() >= 0.85:
                return
            order = Order(
                user_id=user.pk,
                course_id=course.pk,
                status=Order.Status.PAID,
                list_price_minor=course.price_minor,
                amount_minor=course.price_minor,
                currency=course.currency,
                attributed_video_id=video.id,
                paid_at=paid_at,
            )
            batch.orders.append(order)
            batch.events.append(
                self._event(E.PURCHASE, subject, paid_at, ids, value=course.price_minor)
            )
        source = Enrollment.Source.PURCHASE if course.price_minor else Enrollment.Source.FREE
        enrollment = Enrollment(user_id=user.pk, course_id=course.pk, source=source)
        batch.enrollments.append(enrollment)
        batch.events.append(self._event(E.ENROLLMENT, subject, paid_at, ids))
        visitor.bought.add(course.pk)
        if course.price_minor:
            self._maybe_refund(order, enrollment, subject, ids, batch)

    def _maybe_refund(
        self,
        order: Order,
        enrollment: Enrollment,
        subject: str,
        ids: Mapping[str, int | None],
        batch: Batch,
    ) -> None:
        """A few buyers ask for their money back one to six days later, inside the
        refund window, so the auto-approved full refund applies (as
        ``commerce.services.refund_request`` would): the order closes refunded and
        access ends. Payment and ledger rows follow in ``_store``."""
        assert order.paid_at is not None
        refunded_at = order.paid_at + timedelta(days=float(self.refund_rng.uniform(1, 6)))
        if refunded_at > self.now:
            return
        self.refundable_orders += 1
        if (self.refundable_orders - 2) % REFUND_EVERY:
            return
        order.status = Order.Status.REFUNDED
        order.refunded_minor = order.amount_minor
        order.closed_at = refunded_at
        enrollment.is_active = False
        batch.refunded_at[id(order)] = refunded_at
        batch.events.append(
            self._event(
                E.REFUND,
                subject,
                refunded_at,
                ids,
                value=order.amount_minor,
                props={"order": order.number, "full": True},
            )
        )

    @staticmethod
    def _event(
        type_: str,
        subject: str,
        ts: datetime,
        ids: Mapping[str, int | None] | None = None,
        *,
        value: float = 0,
        props: dict[str, object] | None = None,
    ) -> Event:
        return Event(
            type=type_,
            subject_id=subject,
            ts=ts,
            value=value,
            props=props or {},
            source=Event.Source.SEED,
            **(ids or {}),
        )


def generate_behaviour(
    *, viewer_ids: list[int], topics: list[str], events_per_viewer: float, seed: int
) -> dict[str, int]:
    """Simulate the given viewers over the published catalogue and store the result."""
    if not viewer_ids:
        return {"events": 0}
    videos = _load_videos(topics)
    courses = {c.pk: c for c in Course.objects.filter(status="published")}
    simulation = ViewerSimulation(videos, courses, len(topics), seed)
    users = list(User.objects.filter(pk__in=viewer_ids).order_by("pk"))
    subjects = [Subject(user_id=u.pk) for u in users]
    Subject.objects.bulk_create(subjects, batch_size=5000)
    keys = dict(Subject.objects.filter(user_id__in=viewer_ids).values_list("user_id", "key"))
    batch = Batch.empty()
    for user in users:
        simulation.viewer(user, keys[user.pk], events_per_viewer, batch)
    for user in users:
        user.interests = [topics[t] for t in user.interests]
    _store(batch, users)
    return {
        "events": len(batch.events),
        "likes": len(batch.likes),
        "follows": len(batch.follows),
        "orders": len(batch.orders),
        "refunds": len(batch.refunded_at),
    }


def _load_videos(topics: list[str]) -> list[VideoRow]:
    index = {slug: i for i, slug in enumerate(topics)}
    rows = ShortVideo.objects.filter(status="published").prefetch_related("tags").order_by("pk")
    return [
        VideoRow(
            v.pk,
            v.creator_id,
            v.course_id,
            index.get(next((t.slug for t in v.tags.all()), ""), 0),
            v.duration_seconds or 3.0,
        )
        for v in rows
    ]


@transaction.atomic
def _store(batch: Batch, users: list[User]) -> None:
    User.objects.bulk_update(users, ["date_joined", "interests"], batch_size=2000)
    Like.objects.bulk_create(batch.likes, batch_size=5000, ignore_conflicts=True)
    Favorite.objects.bulk_create(batch.favorites, batch_size=5000, ignore_conflicts=True)
    Comment.objects.bulk_create(batch.comments, batch_size=5000, ignore_conflicts=True)
    Follow.objects.bulk_create(batch.follows, batch_size=5000, ignore_conflicts=True)
    # One order per buyer and course by construction, so the rows get their ids back.
    Order.objects.bulk_create(batch.orders, batch_size=5000)
    # bulk_create stamps created_at with now; the order began at its checkout.
    for order in batch.orders:
        assert order.paid_at is not None  # demo orders are created paid
        order.created_at = order.paid_at - CHECKOUT_SECONDS
    Order.objects.bulk_update(batch.orders, ["created_at"], batch_size=5000)
    _store_payments_and_earnings(batch.orders, batch.refunded_at)
    Enrollment.objects.bulk_create(batch.enrollments, batch_size=5000, ignore_conflicts=True)
    WatchState.objects.bulk_create(batch.watch_states, batch_size=5000, ignore_conflicts=True)
    Event.objects.bulk_create(batch.events, batch_size=5000)
    refresh_counters()


def _store_payments_and_earnings(orders: list[Order], refunded_at: dict[int, datetime]) -> None:
    """The captured payment and the creator's ledger line each paid order carries;
    for a refunded order also its succeeded refund and the ledger line reversing
    the sale, as ``commerce.services.refunds`` writes them for a full refund."""
    creators = dict(Course.objects.values_list("pk", "creator_id"))
    payments, earnings = [], []
    for order in orders:
        assert order.paid_at is not None  # demo orders are created paid
        payments.append(
            Payment(
                order=order,
                provider="sandbox",
                provider_payment_id=f"demo_{order.number}",
                status=Payment.Status.CAPTURED,
                amount_minor=order.amount_minor,
                captured_minor=order.amount_minor,
                refunded_minor=order.refunded_minor,
                currency=order.currency,
                idempotency_key=f"{order.number}:charge",
                captured_at=order.paid_at,
            )
        )
        earnings.append(
            sale_earning(order, creator_id=creators[order.course_id], paid_at=order.paid_at)
        )
    Payment.objects.bulk_create(payments, batch_size=5000)
    EarningEntry.objects.bulk_create(earnings, batch_size=5000)
    _store_refunds(
        [(sale, refunded_at[id(sale.order)]) for sale in earnings if id(sale.order) in refunded_at]
    )


def _store_refunds(refunded: list[tuple[EarningEntry, datetime]]) -> None:
    """One succeeded full refund per order, and its ledger line: the whole sale
    reversed, fee included (a full refund returns the platform's fee too)."""
    refunds = [
        Refund(
            order=sale.order,
            amount_minor=sale.order.amount_minor,
            status=Refund.Status.SUCCEEDED,
            eligible=True,
            eligibility_note="Eligible for a refund.",
            sequence=1,
            provider=sale.order.provider,
            provider_refund_id=f"demo_re_{sale.order.number}",
            decided_at=at,
        )
        for sale, at in refunded
    ]
    Refund.objects.bulk_create(refunds, batch_size=5000)
    for refund, (_, at) in zip(refunds, refunded, strict=True):
        refund.created_at = at  # asked and granted at once (auto-approve)
    Refund.objects.bulk_update(refunds, ["created_at"], batch_size=5000)
    EarningEntry.objects.bulk_create(
        [
            EarningEntry(
                creator_id=sale.creator_id,
                order=sale.order,
                refund=refund,
                kind=EarningEntry.Kind.REFUND,
                gross_minor=-sale.gross_minor,
                fee_minor=-sale.fee_minor,
                net_minor=-sale.net_minor,
                currency=sale.currency,
                available_at=max(sale.available_at, at),
            )
            for refund, (sale, at) in zip(refunds, refunded, strict=True)
        ],
        batch_size=5000,
    )


def refresh_counters() -> None:
    """Recompute the denormalised counters from their source rows, in one UPDATE each."""

    def count_of(model, fk: str, **filters) -> Coalesce:
        sub = (
            model.objects.filter(**{fk: OuterRef("pk")}, **filters)
            .order_by()
            .values(fk)
            .annotate(n=Count("*"))
            .values("n")
        )
        return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))

    ShortVideo.objects.update(
        like_count=count_of(Like, "video"),
        favorite_count=count_of(Favorite, "video"),
        comment_count=count_of(Comment, "video", is_removed=False),
        view_count=count_of(Event, "video_id", type=E.PLAY),
        share_count=count_of(Event, "video_id", type=E.SHARE),
    )
    Course.objects.update(enrollment_count=count_of(Enrollment, "course", is_active=True))
    CreatorProfile.objects.update(
        follower_count=Coalesce(
            Subquery(
                Follow.objects.filter(creator_id=OuterRef("user_id"))
                .order_by()
                .values("creator_id")
                .annotate(n=Count("*"))
                .values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        )
    )
