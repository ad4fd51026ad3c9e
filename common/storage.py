"""Media storage: the local folder (``make run``) or an S3-compatible object store.

Every media file goes through Django's storage API, so a web or worker node
keeps nothing on its own disk when ``KF_MEDIA_STORAGE=s3``: uploads are
assembled in the store (multipart), workers download a source to a temporary
file, transcode it and upload the result, and viewers fetch the bytes from
the store (public media by a plain, CDN-able URL; lesson media by a
short-lived signed URL that the lesson view hands out after its entitlement
check).

Names under ``private/`` are lesson media and uploads in progress: never
public. Everything under ``PUBLIC_PREFIXES`` is readable by anyone, which
``public_read_policy`` states as an S3 bucket policy
(``manage.py media_store_prepare`` applies it).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

PRIVATE_PREFIX = "private/"
# What the public may read straight from the store (or its CDN): short videos,
# posters, course covers, avatars.
PUBLIC_PREFIXES = ("videos/", "posters/", "covers/", "avatars/")
# S3 refuses to complete a multipart upload whose parts (but the last) are
# smaller than this; smaller chunks wait in a tail object until one is full.
PART_MIN_BYTES = 5 * 1024**2
_COPY_BLOCK = 1024**2


def is_private(name: str) -> bool:
    """Lesson media and unfinished uploads: served only after an entitlement check."""
    return name.startswith(PRIVATE_PREFIX)


class MediaStore(S3Storage):
    """django-storages' S3 backend with a public and a private side.

    ``url()`` of a public name is unsigned (the CDN or the store's own
    address, cacheable by anyone); ``url()`` of a private name is signed and
    lives ``private_url_seconds``. The lesson view calls ``signed_url`` with
    the lifetime of the viewer's own link.
    """

    def __init__(self, *, private_url_seconds: int = 300, **settings: Any) -> None:
        super().__init__(**settings)
        self.private_url_seconds = private_url_seconds

    def url(
        self,
        name: str,
        parameters: dict[str, str] | None = None,
        expire: int | None = None,
        http_method: str | None = None,
    ) -> str:
        if is_private(name):
            return self.signed_url(name, seconds=expire or self.private_url_seconds)
        return super().url(name, parameters, expire, http_method)

    def signed_url(self, name: str, *, seconds: int) -> str:
        """A GET URL for ``name`` that the store honours for ``seconds`` seconds."""
        client = self.connection.meta.client
        url: str = client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket_name, "Key": self.key(name)},
            ExpiresIn=max(1, seconds),
        )
        return url

    def key(self, name: str) -> str:
        """The object key of a storage name (``location`` prepended)."""
        key: str = self._normalize_name(clean_name(name))
        return key


def is_object_store(storage: Storage) -> bool:
    return isinstance(storage, S3Storage)


def as_media_store(storage: Storage) -> MediaStore | None:
    """``storage`` as the object store, or None when media is on the local disk."""
    return storage if isinstance(storage, MediaStore) else None


def _store(storage: Storage) -> MediaStore:
    if not isinstance(storage, MediaStore):
        raise TypeError(f"{type(storage).__name__} is not a MediaStore")
    return storage


def _local_path(storage: Storage, name: str) -> Path | None:
    if isinstance(storage, FileSystemStorage):
        return Path(storage.path(name))
    return None


@contextmanager
def local_copy(storage: Storage, name: str, *, work_dir: Path) -> Iterator[Path]:
    """A path PyAV can open for ``name``: the file itself on the local
    storage, else a download into ``work_dir`` (removed afterwards)."""
    path = _local_path(storage, name)
    if path is not None:
        yield path
        return
    target = work_dir / f"source{Path(name).suffix}"
    store = _store(storage)
    store.bucket.download_file(store.key(name), str(target))
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


def work_dir_for(storage: Storage, name: str) -> Path | None:
    """Where to write a transcode: beside the source on the local storage
    (the result then moves into place by a rename), else a temporary folder."""
    path = _local_path(storage, name)
    return None if path is None else path.parent


def store_local_file(storage: Storage, local: Path, name: str) -> str:
    """Put a local file into storage under ``name`` (made unique); returns the
    stored name. On the local storage the file is moved, not copied."""
    path = _local_path(storage, name)
    if path is None:
        with local.open("rb") as handle:
            return storage.save(name, File(handle, name=Path(name).name))
    name = storage.get_available_name(name)
    target = Path(storage.path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(local, target)
    return name


def store_move(storage: Storage, source: str, name: str) -> str:
    """Give a stored file a new name (made unique); returns it.

    A rename on the local storage; a server-side copy in the store, whose
    source the caller deletes once its transaction commits.
    """
    name = storage.get_available_name(name)
    path = _local_path(storage, source)
    if path is not None:
        target = Path(storage.path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        return name
    store = _store(storage)
    store.bucket.copy({"Bucket": store.bucket_name, "Key": store.key(source)}, store.key(name))
    return name


# --- Multipart assembly of resumable uploads ---------------------------------


def multipart_begin(storage: Storage, name: str) -> str:
    """Start a multipart upload of ``name``; returns its upload id."""
    store = _store(storage)
    started = store.connection.meta.client.create_multipart_upload(
        Bucket=store.bucket_name, Key=store.key(name), ContentType="application/octet-stream"
    )
    return str(started["UploadId"])


def multipart_part(
    storage: Storage, name: str, *, upload_id: str, number: int, body: IO[bytes], size: int
) -> str:
    """Upload part ``number`` (sending the same number again replaces it); returns its ETag."""
    store = _store(storage)
    sent = store.connection.meta.client.upload_part(
        Bucket=store.bucket_name,
        Key=store.key(name),
        UploadId=upload_id,
        PartNumber=number,
        Body=body,
        ContentLength=size,
    )
    return str(sent["ETag"])


def multipart_complete(storage: Storage, name: str, *, upload_id: str, etags: list[str]) -> None:
    """Join the parts, in order, into the object ``name``."""
    store = _store(storage)
    parts = [{"PartNumber": number, "ETag": etag} for number, etag in enumerate(etags, 1)]
    store.connection.meta.client.complete_multipart_upload(
        Bucket=store.bucket_name,
        Key=store.key(name),
        UploadId=upload_id,
        MultipartUpload={"Parts": parts},
    )


def multipart_abort(storage: Storage, name: str, *, upload_id: str) -> None:
    """Drop an unfinished multipart upload and its parts (gone already is fine)."""
    store = _store(storage)
    client = store.connection.meta.client
    with suppress(client.exceptions.NoSuchUpload):
        client.abort_multipart_upload(
            Bucket=store.bucket_name, Key=store.key(name), UploadId=upload_id
        )


def object_put(storage: Storage, name: str, body: IO[bytes], size: int) -> None:
    """Write ``name`` as is, replacing what is there (no unique renaming)."""
    store = _store(storage)
    store.connection.meta.client.put_object(
        Bucket=store.bucket_name, Key=store.key(name), Body=body, ContentLength=size
    )


def object_read_into(storage: Storage, name: str, *, length: int, out: IO[bytes]) -> None:
    """Copy the first ``length`` bytes of ``name`` into ``out``."""
    store = _store(storage)
    got = store.connection.meta.client.get_object(
        Bucket=store.bucket_name, Key=store.key(name), Range=f"bytes=0-{length - 1}"
    )
    body = got["Body"]
    while block := body.read(_COPY_BLOCK):
        out.write(block)


def spooled() -> IO[bytes]:
    """A buffer that stays in memory up to 1 MiB, then spills to a temporary file."""
    return tempfile.SpooledTemporaryFile(max_size=_COPY_BLOCK)


def public_read_policy(bucket: str, *, location: str = "") -> str:
    """The bucket policy that lets anyone GET the public prefixes and nothing else."""
    root = f"{location.strip('/')}/" if location.strip("/") else ""
    resources = [f"arn:aws:s3:::{bucket}/{root}{prefix}*" for prefix in PUBLIC_PREFIXES]
    statement = {
        "Sid": "PublicMedia",
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["s3:GetObject"],
        "Resource": resources,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def media_store_prepare(storage: Storage) -> bool:
    """Create the bucket if it is missing and apply ``public_read_policy``;
    True when the bucket was created."""
    store = _store(storage)
    client = store.connection.meta.client
    created = False
    try:
        client.head_bucket(Bucket=store.bucket_name)
    except client.exceptions.ClientError:
        region = store.region_name or "us-east-1"
        where = {} if region == "us-east-1" else {"LocationConstraint": region}
        extra = {"CreateBucketConfiguration": where} if where else {}
        client.create_bucket(Bucket=store.bucket_name, **extra)
        created = True
    client.put_bucket_policy(
        Bucket=store.bucket_name,
        Policy=public_read_policy(store.bucket_name, location=store.location),
    )
    return created
