"""The resumable upload protocol's small pure parts: Content-Range and content sniffing.

A chunk is ``PUT`` with ``Content-Range: bytes <start>-<end>/<total>``
(RFC 9110 §14.4, inclusive end), as in PeerTube's and Google's resumable
uploads. The first bytes must look like a video container; the real check
is the PyAV probe after the last chunk.
"""

import re
from dataclasses import dataclass

_RANGE = re.compile(r"^bytes (\d{1,15})-(\d{1,15})/(\d{1,15})$")

# Box types a QuickTime/MP4 file may start with (ftyp in any modern file).
_MP4_FIRST_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"})
_EBML = b"\x1a\x45\xdf\xa3"  # Matroska / WebM
SNIFF_BYTES = 12


class ContentRangeError(ValueError):
    """The Content-Range header is missing or malformed."""


@dataclass(frozen=True)
class ContentRange:
    """An inclusive byte range of a file of ``total`` bytes."""

    start: int
    end: int
    total: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def content_range_parse(header: str | None) -> ContentRange:
    """``bytes 0-1023/4096`` → ContentRange(0, 1023, 4096); refuse anything else."""
    match = _RANGE.match((header or "").strip())
    if match is None:
        raise ContentRangeError("Send Content-Range: bytes <start>-<end>/<total>.")
    start, end, total = (int(part) for part in match.groups())
    if not start <= end < total:
        raise ContentRangeError("Content-Range must satisfy start ≤ end < total.")
    return ContentRange(start=start, end=end, total=total)


def looks_like_video(head: bytes) -> bool:
    """True when the first bytes are an MP4/MOV, WebM/Matroska or AVI header."""
    if len(head) < SNIFF_BYTES:
        return False
    return (
        head[4:8] in _MP4_FIRST_BOXES
        or head.startswith(_EBML)
        or (head.startswith(b"RIFF") and head[8:12] == b"AVI ")
    )
