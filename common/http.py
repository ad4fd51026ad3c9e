"""Responses shared by the apps' views.

``ranged_file_response`` answers HTTP Range requests (206 and 416): Django's
FileResponse ignores Range, so a video could not seek; nginx does this in
production behind X-Accel-Redirect. ``redirect_back`` follows a ``next``
address only within this site. ``client_ip`` is the one answer to "which
address is this client", for throttles and login lock-outs alike.
"""

import ipaddress
import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework.throttling import BaseThrottle

_RANGE = re.compile(r"^bytes=([0-9]{0,18})-([0-9]{0,18})$")  # longer: not a file offset
CHUNK = 64 * 1024


def client_ip(request: HttpRequest) -> str | None:
    """The client's address by DRF's ``NUM_PROXIES`` rule (``KF_NUM_PROXIES``).

    0 trusts only the socket address; N takes the N-th address from the right
    of ``X-Forwarded-For``, the one the outermost of our N proxies saw, so a
    client cannot pick it. Anything that is not an IP address falls back to
    the socket address. django-axes keys login failures on it
    (``AXES_CLIENT_IP_CALLABLE``), as DRF keys its throttles.
    """
    candidate = BaseThrottle().get_ident(request)  # type: ignore[arg-type]
    try:
        return str(ipaddress.ip_address(str(candidate).strip()))
    except ValueError:
        return request.META.get("REMOTE_ADDR")


def redirect_back(request: HttpRequest, next_url: str, default: str) -> HttpResponse:
    """Redirect to ``next_url`` when it stays on this site, else to ``default`` (a URL name)."""
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(default)


def ranged_file_response(request: HttpRequest, path: Path) -> HttpResponse | StreamingHttpResponse:
    """Serve ``path`` whole, or the one byte range the request asks for."""
    size = path.stat().st_size
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    if match is None:  # none, multi-range or malformed: RFC 9110 allows sending all
        response: HttpResponse | StreamingHttpResponse = FileResponse(
            path.open("rb"), content_type=content_type
        )
        response["Accept-Ranges"] = "bytes"
        return response
    start, end = _resolve_range(match.group(1), match.group(2), size)
    if start is None or end is None:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    response = StreamingHttpResponse(
        _read_span(path, start, end), status=206, content_type=content_type
    )
    response["Content-Length"] = str(end - start + 1)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response


def _resolve_range(first: str, last: str, size: int) -> tuple[int | None, int | None]:
    """Map the header's two numbers to inclusive offsets, or (None, None) if unsatisfiable."""
    if not first and not last:
        return None, None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return None, None
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return None, None
    return start, end


def _read_span(path: Path, start: int, end: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            block = handle.read(min(CHUNK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block
