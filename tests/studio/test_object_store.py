"""Media in a real S3-compatible object store (SeaweedFS on loopback, tests/media_store.py).

Upload → multipart assembly → processing (download, transcode, upload) →
streaming to a buyer by a signed URL; the non-buyer is refused, the signed
URL expires, public media is readable by anyone at a plain URL, and nothing
is left on the local disk.
"""

import io
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import DatabaseError
from django.test import Client

from courses.media.probe import probe
from courses.media.urls import media_query
from courses.models import MediaAsset
from courses.services import enrollment_grant
from demo.clips import ClipSpec, render_clip
from studio.models import UploadSession
from studio.services import upload_chunk_receive, upload_session_cancel, upload_session_create
from tests.factories import LessonFactory, UserFactory

from .conftest import media_files
from .helpers import upload_all

pytestmark = pytest.mark.django_db

MiB = 1024**2
# No proxy from the environment: the store listens on loopback.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str, *, byte_range: str = "") -> tuple[int, bytes]:
    """GET ``url`` as a browser would, without credentials; (status, body)."""
    request = urllib.request.Request(url, headers={"Range": byte_range} if byte_range else {})
    try:
        with _opener.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def stored(storage, name: str) -> bytes:
    with storage.open(name, "rb") as handle:
        return handle.read()


def send_chunk(session: UploadSession, data: bytes, start: int, size: int) -> None:
    """PUT ``data[start:start + size]`` as the API view does (the row read afresh)."""
    chunk = data[start : start + size]
    upload_chunk_receive(
        session=UploadSession.objects.get(pk=session.pk),
        content_range=f"bytes {start}-{start + len(chunk) - 1}/{len(data)}",
        content_length=len(chunk),
        stream=io.BytesIO(chunk),
    )


def test_chunks_are_joined_in_the_store_by_a_multipart_upload(object_store, creator) -> None:
    # given: 11.5 MiB sent in 3 MiB chunks (S3 parts must be 5 MiB but the last)
    local_before = media_files()
    head = b"\x00\x00\x00\x18ftypmp42" + bytes(12)  # what the first-chunk sniff accepts
    data = head + bytes(range(256)) * (46 * 1024) + b"tail" * 1024
    session = upload_session_create(
        owner_id=creator.pk, purpose="short", filename="big.mp4", size_bytes=len(data)
    )
    # when
    for start in range(0, len(data), 3 * MiB):
        send_chunk(session, data, start, 3 * MiB)
    # then: one object, byte for byte, made of two parts; nothing on the local disk
    session.refresh_from_db()
    assert session.status == UploadSession.Status.COMPLETE
    assert [size for _etag, size in session.assembly["parts"]] == [6 * MiB, len(data) - 6 * MiB]
    assert session.asset is not None
    assert stored(object_store, session.asset.file.name) == data
    assert media_files() == local_before


def test_a_chunk_sent_again_after_a_failed_commit_counts_once(object_store, creator) -> None:
    # given: the second chunk reached the store but its row update failed
    data = b"\x00\x00\x00\x18ftypmp42" + bytes(12) + b"0123456789" * 20_000
    session = upload_session_create(
        owner_id=creator.pk, purpose="short", filename="clip.mp4", size_bytes=len(data)
    )
    send_chunk(session, data, 0, 64 * 1024)
    with (
        mock.patch.object(UploadSession, "save", side_effect=DatabaseError("lost")),
        pytest.raises(DatabaseError),
    ):
        send_chunk(session, data, 64 * 1024, 64 * 1024)
    # when: the client sends it again, then the rest
    for start in range(64 * 1024, len(data), 64 * 1024):
        send_chunk(session, data, start, 64 * 1024)
    # then
    session.refresh_from_db()
    assert session.asset is not None
    assert stored(object_store, session.asset.file.name) == data


def test_the_last_chunk_sent_again_after_its_commit_failed_finishes_the_upload(
    object_store, creator
) -> None:
    # given: the last chunk joined the parts in the store, then its transaction rolled back
    data = b"\x00\x00\x00\x18ftypmp42" + bytes(12) + b"0123456789" * 20_000
    session = upload_session_create(
        owner_id=creator.pk, purpose="short", filename="clip.mp4", size_bytes=len(data)
    )
    send_chunk(session, data, 0, 128 * 1024)
    with (
        mock.patch("studio.services.uploads.media_asset_create", side_effect=DatabaseError("lost")),
        pytest.raises(DatabaseError),
    ):
        send_chunk(session, data, 128 * 1024, len(data))
    # when: the client sends it again
    send_chunk(session, data, 128 * 1024, len(data))
    # then: the upload completes with every byte once
    session.refresh_from_db()
    assert session.status == UploadSession.Status.COMPLETE
    assert session.asset is not None
    assert stored(object_store, session.asset.file.name) == data


def test_a_cancelled_upload_leaves_nothing_in_the_store(
    object_store, creator, django_capture_on_commit_callbacks
) -> None:
    # given: 1 MiB of 10 arrived (held in the tail object, a multipart upload open)
    session = upload_session_create(
        owner_id=creator.pk, purpose="short", filename="clip.mp4", size_bytes=10 * MiB
    )
    send_chunk(session, b"\x00\x00\x00\x18ftypmp42" + bytes(10 * MiB - 12), 0, MiB)
    prefix = object_store.key("private/incoming/")
    assert len(list(object_store.bucket.objects.filter(Prefix=prefix))) == 1
    # when
    with django_capture_on_commit_callbacks(execute=True):
        upload_session_cancel(session=session)
    # then: the tail object is deleted and the multipart upload aborted
    assert list(object_store.bucket.objects.filter(Prefix=prefix)) == []
    client = object_store.connection.meta.client
    pending = client.list_multipart_uploads(Bucket=object_store.bucket_name, Prefix=prefix)
    assert pending.get("Uploads", []) == []


def test_a_lesson_streams_from_the_store_to_its_buyer_only(
    object_store, creator, creator_api, clip_bytes, django_capture_on_commit_callbacks
) -> None:
    # given: a lesson video uploaded in chunks and processed from the store
    local_before = media_files()
    response = upload_all(
        creator_api, clip_bytes, purpose="lesson", on_commit=django_capture_on_commit_callbacks
    )
    assert response.status_code == 201, response.json()
    asset = MediaAsset.objects.get(pk=response.json()["asset"]["id"])
    assert asset.status == MediaAsset.Status.READY, asset.failure_reason
    assert asset.file.name.startswith("private/videos/")
    assert stored(object_store, asset.file.name) == clip_bytes
    incoming = object_store.bucket.objects.filter(Prefix=object_store.key("private/incoming/"))
    assert list(incoming) == []
    assert media_files() == local_before
    lesson = LessonFactory.create(section__course__creator=creator, asset=asset)
    buyer, stranger = UserFactory.create(), UserFactory.create()
    enrollment_grant(user_id=buyer.pk, course=lesson.course)
    # when: the buyer opens the lesson and the player follows its media link
    client = Client()
    client.force_login(buyer)
    page = client.get(f"/lessons/{lesson.pk}/").content.decode()
    media_src = re.search(r'id="player"[^>]*src="([^"]+)"', page)
    assert media_src is not None
    answer = client.get(media_src.group(1).replace("&amp;", "&"))
    # then: a redirect to the store's signed URL, which serves whole files and ranges
    assert answer.status_code == 302
    assert answer["Cache-Control"] == "private, no-store"
    signed = answer["Location"]
    assert signed.startswith(object_store.endpoint_url)
    assert fetch(signed) == (200, clip_bytes)
    assert fetch(signed, byte_range="bytes=100-199") == (206, clip_bytes[100:200])
    # and: the stranger gets neither the buyer's link nor one of their own
    other = Client()
    other.force_login(stranger)
    assert other.get(media_src.group(1).replace("&amp;", "&")).status_code == 403
    own = media_query(user_id=stranger.pk, lesson_id=lesson.pk)
    assert other.get(f"/lessons/{lesson.pk}/media?{own}").status_code == 404
    # and: the object itself is not public
    unsigned = f"{object_store.endpoint_url}/{object_store.bucket_name}/"
    assert fetch(unsigned + object_store.key(asset.file.name))[0] == 403


def test_the_signed_url_lives_as_long_as_the_viewers_link(object_store, creator) -> None:
    # given: a lesson file in the store and a buyer's link valid 600 s more
    asset = MediaAsset.objects.create(owner=creator, is_private=True, status="ready")
    asset.file.save("lesson.mp4", io.BytesIO(b"lesson bytes"), save=True)
    lesson = LessonFactory.create(section__course__creator=creator, asset=asset)
    buyer = UserFactory.create()
    enrollment_grant(user_id=buyer.pk, course=lesson.course)
    client = Client()
    client.force_login(buyer)
    query = media_query(user_id=buyer.pk, lesson_id=lesson.pk, now=time.time() - 300)
    # when
    answer = client.get(f"/lessons/{lesson.pk}/media?{query}")
    # then: the store's URL expires with the link (X-Amz-Expires, give or take a second)
    expires = int(parse_qs(urlsplit(answer["Location"]).query)["X-Amz-Expires"][0])
    link_expires = int(parse_qs(query)["e"][0])
    assert abs(expires - (link_expires - time.time())) <= 2
    assert fetch(answer["Location"]) == (200, b"lesson bytes")


def test_an_expired_or_altered_signed_url_is_refused_by_the_store(object_store, creator) -> None:
    name = object_store.save("private/videos/test/expiring.mp4", io.BytesIO(b"secret"))
    url = object_store.signed_url(name, seconds=1)
    assert fetch(url) == (200, b"secret")
    assert fetch(url.replace("expiring", "expirinG"))[0] == 403
    time.sleep(2.5)  # the store's clock must pass the expiry; not a timing assertion
    assert fetch(url)[0] == 403


def test_a_large_upload_is_transcoded_through_the_store_and_served_publicly(
    object_store, creator, creator_api, tmp_path, django_capture_on_commit_callbacks
) -> None:
    # given: a 1080×1920 short video (over 720p: it must be transcoded)
    source = tmp_path / "tall.mp4"
    render_clip(ClipSpec(caption="store", hue=0.2, seconds=1.0, width=1080, height=1920), source)
    local_before = media_files()
    # when: uploaded and processed (eagerly, as a worker would)
    response = upload_all(
        creator_api,
        source.read_bytes(),
        chunk=256 * 1024,
        on_commit=django_capture_on_commit_callbacks,
    )
    # then: the 720p result and its poster are in the store, at plain public URLs
    asset = MediaAsset.objects.get(pk=response.json()["asset"]["id"])
    assert asset.status == MediaAsset.Status.READY, asset.failure_reason
    assert (asset.width, asset.height) == (720, 1280)
    assert asset.file.name.startswith("videos/")
    url = asset.file.url
    assert "X-Amz-Signature" not in url
    status, body = fetch(url)
    assert status == 200
    downloaded = tmp_path / "downloaded.mp4"
    downloaded.write_bytes(body)
    assert probe(downloaded).video_codec == "h264"
    assert fetch(asset.poster.url)[0] == 200
    # and: the incoming object is gone and the local disk untouched
    assert list(object_store.bucket.objects.filter(Prefix=object_store.key("private/"))) == []
    assert media_files() == local_before
    assert not any(Path(settings.MEDIA_ROOT).glob("**/*.work.mp4"))


def test_covers_and_avatars_go_to_the_store_at_public_urls(object_store) -> None:
    name = object_store.save("covers/2026/12/cover.jpg", io.BytesIO(b"\xff\xd8jpeg"))
    url = object_store.url(name)
    assert "X-Amz-Signature" not in url
    assert fetch(url) == (200, b"\xff\xd8jpeg")
