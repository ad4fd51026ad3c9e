"""Where an upload's chunks go: appended to a file in the local media folder, or
uploaded as the parts of a multipart upload in the object store.

A store part must be at least 5 MiB (all but the last), and a chunk may be
smaller, so chunks collect in a "tail" object until a part is full. The
session row records each part's ETag and size, so the bytes the tail holds
are ``offset - sum(sizes)``: a retried chunk whose first attempt wrote to
the store but never committed overwrites that part or tail, and no byte
counts twice. Every call runs under the session's row lock.
"""

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from django.core.files.storage import default_storage

from common.storage import (
    PART_MIN_BYTES,
    is_object_store,
    multipart_abort,
    multipart_begin,
    multipart_complete,
    multipart_part,
    object_put,
    object_read_into,
    spooled,
)
from courses.services import media_incoming_name

from ..models import UploadSession

_BLOCK = 1024 * 1024


def incoming_name(session: UploadSession) -> str:
    return media_incoming_name(str(session.id))


def _tail_name(session: UploadSession) -> str:
    return f"{incoming_name(session)}.tail"


def assembly_begin(session: UploadSession) -> None:
    """Make room for the first chunk (an empty file, or a multipart upload)."""
    if is_object_store(default_storage):
        upload_id = multipart_begin(default_storage, incoming_name(session))
        session.assembly = {"upload_id": upload_id, "parts": []}
        return
    path = Path(default_storage.path(incoming_name(session)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def assembly_append(session: UploadSession, *, start: int, body: IO[bytes], last: bool) -> None:
    """Store the chunk that begins at ``start`` (``session.offset``, checked)."""
    if not is_object_store(default_storage):
        _write_at(Path(default_storage.path(incoming_name(session))), start, body)
        return
    if last and _joined_before(session):
        return
    parts: list[list[str | int]] = session.assembly["parts"]
    held = start - sum(int(size) for _etag, size in parts)
    with spooled() as data:
        if held:
            object_read_into(default_storage, _tail_name(session), length=held, out=data)
        while block := body.read(_BLOCK):
            data.write(block)
        size = data.tell()
        data.seek(0)
        if size >= PART_MIN_BYTES or last:
            etag = multipart_part(
                default_storage,
                incoming_name(session),
                upload_id=session.assembly["upload_id"],
                number=len(parts) + 1,
                body=data,
                size=size,
            )
            parts.append([etag, size])
        else:
            object_put(default_storage, _tail_name(session), data, size)


def _write_at(path: Path, offset: int, body: IO[bytes]) -> None:
    """Write at ``offset``, drop anything after it, and make it durable before acking."""
    with path.open("r+b") as handle:
        handle.seek(offset)
        while block := body.read(_BLOCK):
            handle.write(block)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def assembly_finish(session: UploadSession) -> Callable[[], None]:
    """Join the parts into the incoming file; returns the clean-up to run on commit."""
    if not is_object_store(default_storage):
        return lambda: None
    tail = _tail_name(session)
    if _joined_before(session):
        return lambda: default_storage.delete(tail)
    etags = [str(etag) for etag, _size in session.assembly["parts"]]
    multipart_complete(
        default_storage,
        incoming_name(session),
        upload_id=session.assembly["upload_id"],
        etags=etags,
    )
    return lambda: default_storage.delete(tail)


def _joined_before(session: UploadSession) -> bool:
    """An earlier attempt at the last chunk joined every part, then its transaction rolled
    back: the whole object is in the store and the multipart upload is gone, so the retry
    must neither add a part nor complete it again (either would fail)."""
    name = incoming_name(session)
    return default_storage.exists(name) and default_storage.size(name) == session.size_bytes


def assembly_discard(session: UploadSession) -> Callable[[], None]:
    """The clean-up that deletes what arrived of an upload that will not finish."""
    name = incoming_name(session)
    if not is_object_store(default_storage):
        path = Path(default_storage.path(name))
        return lambda: path.unlink(missing_ok=True)
    upload_id = str(session.assembly.get("upload_id", ""))
    tail = _tail_name(session)

    def discard() -> None:
        if upload_id:
            multipart_abort(default_storage, name, upload_id=upload_id)
        default_storage.delete(tail)

    return discard
