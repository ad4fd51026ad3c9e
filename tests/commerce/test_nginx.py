"""deploy/nginx.conf, whole, on a real nginx with TLS in front of the live server.

Direct media paths 404, an expired link is refused, Range gives 206 / 416
from nginx itself after Django authorised the request (X-Accel-Redirect);
plain HTTP only redirects to https, and /metrics is never public.
"""

import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

from courses.media.urls import media_query
from courses.services import enrollment_grant
from tests.deploy.servers import (
    nginx_running,
    nginx_values,
    self_signed_certificate,
    tls_context,
    write_nginx_conf,
)
from tests.factories import LessonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture
def nginx(live_server, tmp_path: Path) -> Iterator[tuple[str, str, ssl.SSLContext]]:
    """(https base, http base, a TLS context trusting its certificate)."""
    certificate, key = self_signed_certificate(tmp_path)
    (tmp_path / "static").mkdir()
    values, https_port, http_port = nginx_values(
        tmp_path,
        upstream=urlsplit(live_server.url).netloc,
        static_root=tmp_path / "static",
        media_root=Path(django_settings.MEDIA_ROOT),
        certificate=certificate,
        key=key,
    )
    with nginx_running(write_nginx_conf(values, tmp_path), https_port):
        yield (
            f"https://127.0.0.1:{https_port}",
            f"http://127.0.0.1:{http_port}",
            tls_context(certificate),
        )


def _get(
    url: str, context: ssl.SSLContext | None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), _NoRedirect()
    )
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_plain_http_redirects_to_https_and_metrics_stay_private(nginx) -> None:
    https, http, context = nginx
    status, headers, _ = _get(f"{http}/c/some-course/?x=1", None)
    assert status == 301
    assert headers["Location"] == f"{https}/c/some-course/?x=1"
    assert _get(f"{https}/metrics", context)[0] == 404


def test_nginx_serves_authorised_ranges_and_hides_direct_paths(nginx, make_clip, settings) -> None:
    # given: Django hands lesson bytes to nginx
    base, _, context = nginx
    settings.COURSES_MEDIA_ACCEL_PREFIX = "/protected/"
    name = make_clip("private/videos/test/nginx.mp4")
    size = (Path(django_settings.MEDIA_ROOT) / name).stat().st_size
    lesson = LessonFactory.create(asset__file=name)
    student = UserFactory.create()
    enrollment_grant(user_id=student.pk, course=lesson.course)
    client = Client()
    client.force_login(student)
    cookie = {
        "Cookie": f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
    }
    link = f"{base}/lessons/{lesson.pk}/media?" + media_query(
        user_id=student.pk, lesson_id=lesson.pk
    )
    # then: the buyer gets ranges from nginx
    status, headers, body = _get(link, context, {**cookie, "Range": "bytes=0-99"})
    assert status == 206
    assert len(body) == 100
    assert body[4:8] == b"ftyp"
    assert headers["Content-Range"] == f"bytes 0-99/{size}"
    assert "X-Accel-Redirect" not in headers
    status, headers, _ = _get(link, context, {**cookie, "Range": "bytes=-500"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes {size - 500}-{size - 1}/{size}"
    assert _get(link, context, {**cookie, "Range": "bytes=999999999-"})[0] == 416
    # and nobody gets the bytes another way
    assert _get(f"{base}/protected/{name}", context)[0] == 404
    assert _get(f"{base}/media/{name}", context)[0] == 404
    assert _get(link, context)[0] in (403, 404)  # no session
    expired = f"{base}/lessons/{lesson.pk}/media?" + media_query(
        user_id=student.pk, lesson_id=lesson.pk, now=time.time() - 10 * 3600
    )
    assert _get(expired, context, cookie)[0] == 410
    tampered = link[:-3] + "abc"
    assert _get(tampered, context, cookie)[0] == 403
