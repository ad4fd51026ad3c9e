"""deploy/nginx.conf on a real nginx in front of the live server.

Direct media paths 404, an expired link is refused, Range gives 206 / 416
from nginx itself after Django authorised the request (X-Accel-Redirect).
"""

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

from courses.media_urls import media_query
from courses.services import enrollment_grant
from tests.conftest import require
from tests.factories import LessonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def nginx(live_server, tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    require(os.path.exists(binary), "nginx is not installed (apt-get install nginx)")
    port = _free_port()
    server = (
        CONF.read_text()
        .replace("__UPSTREAM__", urlsplit(live_server.url).netloc)
        .replace("__MEDIA_ROOT__", str(Path(django_settings.MEDIA_ROOT).resolve()))
        .replace("__STATIC_ROOT__", str(tmp_path))
        .replace("__LISTEN__", f"127.0.0.1:{port}")
    )
    user = "user root root;\n" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log stderr;\n"
        "events { worker_connections 64; }\n"
        f"http {{\naccess_log off;\ninclude /etc/nginx/mime.types;\nclient_body_temp_path {tmp_path};\n"
        f"proxy_temp_path {tmp_path};\n{server}\n}}\n"
    )
    proc = subprocess.Popen(
        [binary, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"]
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_nginx_serves_authorised_ranges_and_hides_direct_paths(
    nginx: str, make_clip, settings
) -> None:
    # given: Django hands lesson bytes to nginx
    settings.KF_MEDIA_ACCEL_PREFIX = "/protected/"
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
    link = f"{nginx}/lessons/{lesson.pk}/media?" + media_query(
        user_id=student.pk, lesson_id=lesson.pk
    )
    # then: the buyer gets ranges from nginx
    status, headers, body = _get(link, {**cookie, "Range": "bytes=0-99"})
    assert status == 206
    assert len(body) == 100
    assert body[4:8] == b"ftyp"
    assert headers["Content-Range"] == f"bytes 0-99/{size}"
    assert "X-Accel-Redirect" not in headers
    status, headers, _ = _get(link, {**cookie, "Range": "bytes=-500"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes {size - 500}-{size - 1}/{size}"
    assert _get(link, {**cookie, "Range": "bytes=999999999-"})[0] == 416
    # and nobody gets the bytes another way
    assert _get(f"{nginx}/protected/{name}")[0] == 404
    assert _get(f"{nginx}/media/{name}")[0] == 404
    assert _get(link)[0] in (403, 404)  # no session
    expired = f"{nginx}/lessons/{lesson.pk}/media?" + media_query(
        user_id=student.pk, lesson_id=lesson.pk, now=time.time() - 10 * 3600
    )
    assert _get(expired, cookie)[0] == 410
    tampered = link[:-3] + "abc"
    assert _get(tampered, cookie)[0] == 403
