from pathlib import Path

import pytest
from django.test import RequestFactory

from common.http import ranged_file_response


@pytest.fixture
def ten_bytes(tmp_path: Path) -> Path:
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    return path


def _get(path: Path, range_header: str | None = None):
    headers = {"Range": range_header} if range_header else {}
    return ranged_file_response(RequestFactory().get("/", headers=headers), path)


def test_whole_file_without_range(ten_bytes: Path) -> None:
    response = _get(ten_bytes)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"0123456789"
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    ("header", "body", "content_range"),
    [
        ("bytes=0-3", b"0123", "bytes 0-3/10"),
        ("bytes=7-", b"789", "bytes 7-9/10"),
        ("bytes=-2", b"89", "bytes 8-9/10"),
        ("bytes=5-100", b"56789", "bytes 5-9/10"),
    ],
)
def test_byte_range_gives_206(
    ten_bytes: Path, header: str, body: bytes, content_range: str
) -> None:
    response = _get(ten_bytes, header)
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == body
    assert response["Content-Range"] == content_range
    assert response["Content-Length"] == str(len(body))


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=5-2", "bytes=-0"])
def test_unsatisfiable_range_gives_416(ten_bytes: Path, header: str) -> None:
    response = _get(ten_bytes, header)
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */10"


def test_malformed_range_is_ignored(ten_bytes: Path) -> None:
    assert _get(ten_bytes, "bytes=0-1,3-4").status_code == 200
    assert _get(ten_bytes, "pages=1").status_code == 200
