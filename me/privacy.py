"""A person's data: one JSON download of everything kept about them, and
deleting their account.

The export is generated from the model registry, not listed by hand: every
annotated model (``.. pii:`` or ``.. no_pii:`` in its docstring) whose rows
point to a user becomes a section with that user's rows, plus the analytics
events carrying their pseudonym. A model with personal data that cannot be
traced to a user fails ``tests/me/test_privacy.py``.

Deletion sits in this top layer because it touches every app: each app
retires its own rows (and corrects its own counters), and
``account_delete`` runs them in one transaction.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.services import accounts_user_retire
from analytics.selectors import events_of_user
from analytics.services import subject_forget_user
from commerce.selectors import creator_has_open_money
from commerce.services import refunds_user_retire
from common.cache import viewer_generation_bump
from common.exceptions import ApplicationError
from courses.selectors import creator_has_published_content, creator_has_students
from courses.services import creator_drafts_delete, engagement_user_retire
from recommendations.services import user_recommendations_delete

EXPORT_FORMAT = "kfplatform-export/1"
EVENTS_SECTION = "analytics.Event"
CHUNK_ROWS = 2000

# Fields never exported: secrets, and derived text that says nothing new.
EXCLUDED_FIELDS: dict[str, frozenset[str]] = {
    "accounts.User": frozenset({"password"}),
    "courses.Course": frozenset({"search_text"}),
    "courses.ShortVideo": frozenset({"search_text"}),
}
# Foreign keys to a user that name someone other than the person the row is about.
NOT_OWNER_FIELDS: dict[str, frozenset[str]] = {
    "accounts.Follow": frozenset({"creator"}),  # who follows them is the followers' data
    "accounts.Notification": frozenset({"actor"}),  # whoever caused it; the recipient's inbox
    "commerce.Refund": frozenset({"decided_by"}),  # the staff member, not the buyer
}
# Rows that reach their person through another row.
EXTRA_OWNER_PATHS: dict[str, tuple[str, ...]] = {
    "commerce.Refund": ("order__user",),
    "commerce.Payment": ("order__user",),
}


# --- Export ------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSection:
    """One model's part of the export: which rows (``owner_paths``) and columns."""

    label: str
    model: type[models.Model]
    owner_paths: tuple[str, ...]
    fields: tuple[str, ...]
    has_pii: bool


def pii_marker(model: type[models.Model]) -> str | None:
    """``"pii"``, ``"no_pii"`` or None, from the model's docstring annotation."""
    doc = model.__doc__ or ""
    if ".. pii:" in doc:
        return "pii"
    return "no_pii" if ".. no_pii:" in doc else None


def owner_paths(model: type[models.Model]) -> tuple[str, ...]:
    """The lookups that lead from a row of ``model`` to the user it is about.

    Foreign keys and one-to-ones to the user model, plain ``user_id``
    columns (lower layers keep ids, not foreign keys), and the few paths
    through another row in ``EXTRA_OWNER_PATHS``.
    """
    user_model = get_user_model()
    if model is user_model:
        return ("pk",)
    label = model._meta.label
    skip = NOT_OWNER_FIELDS.get(label, frozenset())
    paths = [
        field.name
        for field in model._meta.concrete_fields
        if field.name not in skip
        and (
            (field.is_relation and field.related_model is user_model)
            or (field.name == "user_id" and not field.is_relation)
        )
    ]
    return (*paths, *EXTRA_OWNER_PATHS.get(label, ()))


def export_sections() -> list[ExportSection]:
    """Every annotated concrete model with rows about a user, sorted by label."""
    sections = []
    for model in apps.get_models():
        marker = pii_marker(model)
        paths = owner_paths(model)
        if marker is None or model._meta.proxy or not paths:
            continue
        label = model._meta.label
        excluded = EXCLUDED_FIELDS.get(label, frozenset())
        fields = tuple(f.attname for f in model._meta.concrete_fields if f.name not in excluded)
        sections.append(ExportSection(label, model, paths, fields, marker == "pii"))
    return sorted(sections, key=lambda s: s.label)


def _rows(section: ExportSection, user_id: int) -> Iterator[dict[str, Any]]:
    match = models.Q()
    for path in section.owner_paths:
        match |= models.Q(**{path: user_id})
    rows = section.model._default_manager.filter(match).order_by("pk")
    return _dicts(rows, section.fields)


def _event_rows(user_id: int) -> Iterator[dict[str, Any]]:
    events = events_of_user(user_id=user_id)
    return _dicts(events, tuple(f.attname for f in events.model._meta.concrete_fields))


def _dicts(rows: models.QuerySet[Any], fields: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """``fields`` of each row as a dict, read from the database in chunks."""
    for values in rows.values_list(*fields).iterator(chunk_size=CHUNK_ROWS):
        yield dict(zip(fields, values, strict=True))


def _json(value: object) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _json_array(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array written a chunk of rows at a time."""
    yield "["
    chunk: list[str] = []
    separator = ""
    for row in rows:
        chunk.append(_json(row))
        if len(chunk) == CHUNK_ROWS:
            yield separator + ",\n".join(chunk)
            chunk, separator = [], ",\n"
    if chunk:
        yield separator + ",\n".join(chunk)
    yield "]"


def export_stream(*, user_id: int, now: datetime | None = None) -> Iterator[str]:
    """Everything kept about a user as one JSON document, produced piece by piece.

    ``{"format", "exported_at", "user_id", "sections": {label: [row, ...]}}``
    with one section per ``export_sections()`` entry and ``analytics.Event``
    for the events carrying their pseudonym. Rows are all concrete columns
    (dates ISO 8601, money in minor units as stored, files as their names)
    except ``EXCLUDED_FIELDS``. One query per section, streamed in chunks,
    so memory stays flat however many events a heavy viewer has.
    """
    head = {"format": EXPORT_FORMAT, "exported_at": now or timezone.now(), "user_id": user_id}
    yield _json(head)[:-1] + ', "sections": {\n'
    for section in export_sections():
        yield _json(section.label) + ": "
        yield from _json_array(_rows(section, user_id))
        yield ",\n"
    yield _json(EVENTS_SECTION) + ": "
    yield from _json_array(_event_rows(user_id))
    yield "}}\n"


def export_filename(*, username: str, now: datetime | None = None) -> str:
    """``kfplatform-export-<username>-<date>.json``, the date in local time."""
    day = timezone.localdate(now or timezone.now())
    return f"kfplatform-export-{username}-{day.isoformat()}.json"


# --- Deletion ----------------------------------------------------------------


def account_delete_blockers(*, user_id: int) -> list[str]:
    """Why this account cannot delete itself now; empty when it can.

    Buyers depend on a creator's published work and money still open ties
    the creator to the platform: those need the creator or support first.
    """
    reasons = []
    if creator_has_published_content(creator_id=user_id):
        reasons.append(
            gettext(
                "You have published videos or courses: unpublish them in the studio first, "
                "then delete your account."
            )
        )
    if creator_has_students(creator_id=user_id) or creator_has_open_money(creator_id=user_id):
        reasons.append(
            gettext(
                "Your courses have students or buyers, or earnings or a payout are still open: "
                "please contact support to close a creator account."
            )
        )
    return reasons


@transaction.atomic
def account_delete(*, user_id: int) -> dict[str, int]:
    """Delete a person's account: their activity goes, money records stay.

    Deleted: likes, favourites, "not interested" marks, watch states, lesson
    progress, follows both ways, notifications received or caused, comments
    (blanked to ``[deleted]`` where others replied), reviews, reports they
    filed, their creator page (and its avatar file) and drafts (with covers and
    unused uploads), the recommender's stored lists, the free text of their refund
    requests, and the analytics pseudonym mapping (events stay in the aggregates,
    pointing to no one; those mirroring orders are cut off the history, see
    ``subject_forget_user``). Every counter those rows moved is corrected. Kept: orders, payments, refunds,
    ledger lines, payouts and enrollments, which point at the user row, so
    that row is anonymised and deactivated instead of deleted. One
    transaction; a second call changes nothing.

    Raises:
        ApplicationError: ``account_delete_blocked`` with the reasons.

    Returns:
        Rows deleted (or blanked) per kind.
    """
    get_user_model().objects.select_for_update().only("pk").get(pk=user_id)
    reasons = account_delete_blockers(user_id=user_id)
    if reasons:
        raise ApplicationError(
            " ".join(reasons), code="account_delete_blocked", extra={"reasons": reasons}
        )
    counts = {
        **engagement_user_retire(user_id=user_id),
        **creator_drafts_delete(creator_id=user_id),
        **refunds_user_retire(user_id=user_id),
        "recommendation_lists": user_recommendations_delete(user_id=user_id),
        **accounts_user_retire(user_id=user_id),
    }
    # Last: nothing above may record an event and so create a new mapping.
    counts["subjects"] = subject_forget_user(user_id=user_id)
    transaction.on_commit(lambda: viewer_generation_bump(user_id))
    return counts
