"""Short-lived, user-bound signed URLs for lesson media (owned by commerce).

``sig = base64url(HMAC-SHA256(key, f"{user_id}:{lesson_id}:{exp}"))`` travels
as ``?u=&e=&s=``. A tampered link is refused (403), an expired one is gone
(410), and a link signed for a user plays only in that user's session (403
otherwise); ``u=0`` links are for free previews. The
entitlement is still checked on every request, so a refund ends access at
once for new requests and within the link's lifetime for nothing else.

With media in an object store, the checked request is answered by a redirect
to the store's own signed URL (``media_store_url``), which expires with the
viewer's link: the bytes never pass through the web nodes.
"""

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings

from common.converters import ascii_int
from common.storage import MediaStore


@dataclass(frozen=True)
class MediaGrant:
    user_id: int  # 0: anonymous (free previews only)
    lesson_id: int
    expires: int


class MediaLinkError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _key() -> bytes:
    explicit = str(getattr(settings, "COURSES_MEDIA_URL_KEY", "") or "")
    if explicit:
        return explicit.encode()
    return hashlib.sha256(f"media-url:{settings.SECRET_KEY}".encode()).digest()


def _sign(user_id: int, lesson_id: int, expires: int) -> str:
    mac = hmac.new(_key(), f"{user_id}:{lesson_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def media_link_seconds(*, duration_seconds: float) -> int:
    """How long a lesson's media link lives: the lesson's length and 15 minutes,
    at most ``COURSES_MEDIA_URL_TTL_SECONDS``."""
    ttl = int(getattr(settings, "COURSES_MEDIA_URL_TTL_SECONDS", 4 * 3600))
    if duration_seconds > 0:
        ttl = min(ttl, int(duration_seconds) + 15 * 60)
    return ttl


def media_store_url(
    *,
    storage: MediaStore,
    name: str,
    grant: MediaGrant | None,
    duration_seconds: float,
    now: float | None = None,
) -> str:
    """The object store's signed URL for a lesson file, to redirect a checked viewer to.

    It expires with the viewer's own link (``grant``), or after
    ``media_link_seconds`` for a request without one: long enough for the
    player's later Range requests, which browsers send to the redirected
    address, and no longer.
    """
    now = time.time() if now is None else now
    if grant is not None:
        seconds = int(grant.expires - now)
    else:
        seconds = media_link_seconds(duration_seconds=duration_seconds)
    return storage.signed_url(name, seconds=max(seconds, 60))


def media_query(
    *, user_id: int | None, lesson_id: int, duration_seconds: float = 0, now: float | None = None
) -> str:
    """The query string for a lesson's media URL: lives min(TTL, duration + 15 min)."""
    now = time.time() if now is None else now
    expires = int(now) + media_link_seconds(duration_seconds=duration_seconds)
    uid = user_id or 0
    return urlencode({"u": uid, "e": expires, "s": _sign(uid, lesson_id, expires)})


def media_verify(
    *, params: dict[str, str], lesson_id: int, user_id: int | None, now: float | None = None
) -> MediaGrant:
    """Check a signed link for this lesson and requester; raise MediaLinkError."""
    now = time.time() if now is None else now
    u, e, s = params.get("u", ""), params.get("e", ""), params.get("s", "")
    link_user, expires = ascii_int(u, 19), ascii_int(e, 12)
    if link_user is None or expires is None or not s or not s.isascii():
        raise MediaLinkError("Malformed media link.", 403)
    grant = MediaGrant(user_id=link_user, lesson_id=lesson_id, expires=expires)
    if not hmac.compare_digest(_sign(grant.user_id, lesson_id, grant.expires), s):
        raise MediaLinkError("Invalid media link.", 403)
    if grant.expires < now:
        raise MediaLinkError("This media link has expired; reload the lesson.", 410)
    if grant.user_id not in (0, user_id):  # anonymous included: bound links need the session
        raise MediaLinkError("This media link belongs to another account.", 403)
    return grant
