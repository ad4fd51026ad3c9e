"""Image uploads (avatars, course covers): checked, shrunk and re-encoded."""

import io

import numpy as np
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from common.exceptions import ApplicationError

IMAGE_MAX_BYTES = 10 * 1024**2
IMAGE_MAX_PIXELS = 40_000_000
# Course cards and the course page header show covers at 16:9; one stored
# size serves both (the card scales it down, the browser picks no variant).
COVER_SIZE = (1280, 720)
_DETAIL_PROBE_SIDE = 256  # the crop search runs on a copy this small
_DETAIL_TIE = 0.9  # a window with 90 % of the best one's detail is as good


def image_reencode(*, data: bytes, max_side: int = 1600) -> ContentFile:
    """Open an upload as JPEG/PNG/WebP only, shrink it and re-encode it as JPEG.

    Re-encoding drops EXIF and anything smuggled after the image data.
    """
    rgb = _image_open(data)
    rgb.thumbnail((max_side, max_side))
    return _jpeg(rgb)


def cover_reencode(*, data: bytes) -> ContentFile:
    """Crop an upload to the 16:9 card ratio at ``COVER_SIZE`` and re-encode it as JPEG.

    The crop keeps the most detailed band of the picture (a title or a face
    rather than an empty sky), centred when the picture is evenly plain.
    Errors are those of ``image_reencode``.
    """
    rgb = _image_open(data)
    box = _detailed_crop_box(rgb, ratio=COVER_SIZE[0] / COVER_SIZE[1])
    return _jpeg(rgb.resize(COVER_SIZE, Image.Resampling.LANCZOS, box=box))


def _image_open(data: bytes) -> Image.Image:
    """The upload as an upright RGB image, or ApplicationError (image_too_large/invalid)."""
    if len(data) > IMAGE_MAX_BYTES:
        raise ApplicationError(_("Images may be at most 10 MB."), code="image_too_large")
    try:
        image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"])
        if image.width * image.height > IMAGE_MAX_PIXELS:
            raise ApplicationError(_("The image has too many pixels."), code="image_too_large")
        image.load()
        # Phones store portraits sideways with an EXIF turn: apply it before EXIF goes.
        upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ApplicationError(
            _("Upload a JPEG, PNG or WebP image."), code="image_invalid"
        ) from exc
    return upright.convert("RGB")


def _detailed_crop_box(image: Image.Image, *, ratio: float) -> tuple[int, int, int, int]:
    """The ``ratio`` (width / height) box of largest size with the most edges in it.

    Only the long side slides: the box always spans the short side, so the
    search is one-dimensional (a running sum of edge strength per column or
    row of a small grey copy).
    """
    width, height = image.size
    crop_w, crop_h = (
        (round(height * ratio), height) if width / height > ratio else (width, round(width / ratio))
    )
    crop_w, crop_h = min(crop_w, width), min(crop_h, height)
    horizontal = crop_w < width
    span, window = (width, crop_w) if horizontal else (height, crop_h)
    if span == window:
        return (0, 0, width, height)
    probe = image.convert("L")
    probe.thumbnail((_DETAIL_PROBE_SIDE, _DETAIL_PROBE_SIDE))
    grey = np.asarray(probe, dtype=np.float32)
    edges = np.abs(np.diff(grey, axis=0))[:, :-1] + np.abs(np.diff(grey, axis=1))[:-1, :]
    profile = edges.sum(axis=0 if horizontal else 1)
    scale = profile.size / span
    window_cells = max(1, round(window * scale))
    sums = np.convolve(profile, np.ones(window_cells), mode="valid")
    # Windows nearly as detailed as the best count as equal, and the one
    # nearest the centre wins: a plain or evenly busy picture stays centred.
    candidates = np.flatnonzero(sums >= _DETAIL_TIE * sums.max())
    best = int(candidates[np.argmin(np.abs(candidates - (sums.size - 1) / 2))])
    offset = min(round(best / scale), span - window)
    if horizontal:
        return (offset, 0, offset + window, height)
    return (0, offset, width, offset + window)


def _jpeg(rgb: Image.Image) -> ContentFile:
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=85)
    return ContentFile(out.getvalue())
