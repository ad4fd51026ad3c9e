"""Resumable uploads: upload sessions and their chunks; the last chunk
creates the media asset."""

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from courses.services import media_asset_create

from ..models import UploadSession
from ..uploads import (
    SNIFF_BYTES,
    ContentRange,
    ContentRangeError,
    content_range_parse,
    looks_like_video,
)
from .assembly import (
    assembly_append,
    assembly_begin,
    assembly_discard,
    assembly_finish,
    incoming_name,
)


@transaction.atomic
def upload_session_create(
    *, owner_id: int, purpose: str, filename: str, size_bytes: int, now: datetime | None = None
) -> UploadSession:
    """Open an upload of ``size_bytes`` bytes; it expires after STUDIO_UPLOAD_SESSION_HOURS."""
    if size_bytes <= 0:
        raise ApplicationError(_("The file is empty."), code="empty_file")
    limit = settings.STUDIO_UPLOAD_MAX_BYTES
    if size_bytes > limit:
        raise ApplicationError(
            _("The file is larger than the limit of %(size).1f GiB.") % {"size": limit / 1024**3},
            code="file_too_large",
            status=413,
            extra={"max_bytes": limit},
        )
    now = now or timezone.now()
    session = UploadSession(
        owner_id=owner_id,
        purpose=purpose,
        filename=Path(filename).name[:255] or "video",
        size_bytes=size_bytes,
        expires_at=now + timedelta(hours=settings.STUDIO_UPLOAD_SESSION_HOURS),
    )
    session.full_clean()
    assembly_begin(session)
    session.save()
    return session


def upload_chunk_append(
    *, session: UploadSession, rng: ContentRange, body: IO[bytes], now: datetime | None = None
) -> UploadSession:
    """Write one chunk at the acknowledged offset; the last one creates the asset.

    The chunk body is already fully received (``body``, ``rng.length`` bytes),
    so the row lock is held only for the write (to the local folder or the
    object store: ``studio.services.assembly``). A refused first chunk
    (not a video) ends the session and deletes its file.
    """
    now = now or timezone.now()
    problem: ApplicationError | None = None
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().get(pk=session.pk)
        _upload_check(session, rng, now=now)
        head = body.read(SNIFF_BYTES) if rng.start == 0 else b""
        if rng.start == 0 and not looks_like_video(head):
            _upload_end(session, status=UploadSession.Status.FAILED, reason="Not a video file.")
            problem = ApplicationError(
                _("This is not a video file (MP4, MOV or WebM)."),
                code="unsupported_type",
                status=415,
            )
        else:
            body.seek(0)
            last = rng.end + 1 == session.size_bytes
            assembly_append(session, start=rng.start, body=body, last=last)
            session.offset = rng.end + 1
            session.save(update_fields=["offset", "assembly", "updated_at"])
            if session.offset == session.size_bytes:
                _upload_finish(session)
    if problem is not None:
        raise problem
    if session.asset is not None:
        session.asset.refresh_from_db()  # eager processing may have finished already
    return session


def _upload_check(session: UploadSession, rng: ContentRange, *, now: datetime) -> None:
    if session.status == UploadSession.Status.ACTIVE and session.expires_at <= now:
        raise ApplicationError(
            _("This upload expired; start it again."), code="upload_expired", status=410
        )
    if session.status != UploadSession.Status.ACTIVE:
        raise ApplicationError(
            _("This upload is %(status)s; no more chunks.")
            % {"status": str(session.get_status_display()).lower()},
            code="upload_closed",
            status=409,
            extra={"status": session.status},
        )
    if rng.total != session.size_bytes:
        raise ApplicationError(
            _("The total size must be %(size)s bytes, as announced.")
            % {"size": session.size_bytes},
            code="size_mismatch",
            extra={"size_bytes": session.size_bytes},
        )
    if rng.start != session.offset:
        raise ApplicationError(
            _("Send the chunk that starts at byte %(offset)s.") % {"offset": session.offset},
            code="offset_mismatch",
            status=409,
            extra={"offset": session.offset},
        )
    if rng.length > settings.STUDIO_UPLOAD_CHUNK_MAX_BYTES:
        raise ApplicationError(
            _("The chunk is too large."),
            code="chunk_too_large",
            status=413,
            extra={"max_chunk_bytes": settings.STUDIO_UPLOAD_CHUNK_MAX_BYTES},
        )


def _upload_finish(session: UploadSession) -> None:
    transaction.on_commit(assembly_finish(session))  # joined now; tail deleted on commit
    asset = media_asset_create(
        owner_id=session.owner_id,
        stored_name=incoming_name(session),
        is_private=session.purpose == UploadSession.Purpose.LESSON,
    )
    session.asset = asset
    session.status = UploadSession.Status.COMPLETE
    session.save(update_fields=["asset", "status", "updated_at"])


def _upload_end(session: UploadSession, *, status: str, reason: str = "") -> None:
    """Close a session that will not complete and delete its partial file."""
    session.status = status
    session.failure_reason = reason
    session.save(update_fields=["status", "failure_reason", "updated_at"])
    transaction.on_commit(assembly_discard(session))


@transaction.atomic
def upload_session_cancel(*, session: UploadSession) -> UploadSession:
    """Stop an upload and delete what arrived; a finished one stays."""
    session = UploadSession.objects.select_for_update().get(pk=session.pk)
    if session.status == UploadSession.Status.ACTIVE:
        _upload_end(session, status=UploadSession.Status.CANCELLED)
    return session


@transaction.atomic
def upload_sessions_expire(*, now: datetime | None = None) -> int:
    """End active uploads past their expiry and delete their partial files."""
    now = now or timezone.now()
    expired = list(
        UploadSession.objects.select_for_update(skip_locked=True).filter(
            status=UploadSession.Status.ACTIVE, expires_at__lte=now
        )[:1000]
    )
    for session in expired:
        _upload_end(session, status=UploadSession.Status.EXPIRED, reason="Expired.")
    return len(expired)


def upload_chunk_receive(
    *,
    session: UploadSession,
    content_range: str | None,
    content_length: int | None,
    stream: IO[bytes],
    now: datetime | None = None,
) -> UploadSession:
    """Check a chunk's headers, receive its body in full, then append it.

    Cheap checks (range syntax, announced size, offset, chunk size) run
    before a byte is read, so a wrong chunk costs the client nothing but the
    answer; a body shorter than announced (a dropped connection) is refused
    and nothing is written.
    """
    try:
        rng = content_range_parse(content_range)
    except ContentRangeError as exc:
        raise ApplicationError(str(exc), code="bad_content_range") from exc
    if content_length is not None and content_length != rng.length:
        raise ApplicationError(
            _("Content-Length must equal the Content-Range length."), code="length_mismatch"
        )
    _upload_check(session, rng, now=now or timezone.now())
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as body:
        remaining = rng.length
        while remaining > 0 and (block := stream.read(min(remaining, 1024 * 1024))):
            body.write(block)
            remaining -= len(block)
        if remaining:
            raise ApplicationError(
                _("The chunk arrived incomplete; send it again."),
                code="incomplete_chunk",
                extra={"offset": session.offset},
            )
        body.seek(0)
        return upload_chunk_append(session=session, rng=rng, body=body, now=now)
