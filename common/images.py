"""Image uploads (avatars, course covers): checked, shrunk and re-encoded."""

import io

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from common.exceptions import ApplicationError

IMAGE_MAX_BYTES = 10 * 1024**2
IMAGE_MAX_PIXELS = 40_000_000


def image_reencode(*, data: bytes, max_side: int = 1600) -> ContentFile:
    """Open an upload as JPEG/PNG/WebP only, shrink it and re-encode it as JPEG.

    Re-encoding drops EXIF and anything smuggled after the image data.
    """
    if len(data) > IMAGE_MAX_BYTES:
        raise ApplicationError(_("Images may be at most 10 MB."), code="image_too_large")
    try:
        image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"])
        if image.width * image.height > IMAGE_MAX_PIXELS:
            raise ApplicationError(_("The image has too many pixels."), code="image_too_large")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ApplicationError(
            _("Upload a JPEG, PNG or WebP image."), code="image_invalid"
        ) from exc
    rgb = image.convert("RGB")
    rgb.thumbnail((max_side, max_side))
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=85)
    return ContentFile(out.getvalue())
