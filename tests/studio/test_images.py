"""The cover rule: any accepted upload becomes a 1280×720 JPEG without metadata."""

import io

import pytest
from PIL import Image

from common.exceptions import ApplicationError
from common.images import COVER_SIZE, IMAGE_MAX_BYTES, cover_reencode

EXIF_ORIENTATION = 0x0112
EXIF_ARTIST = 0x013B


def _encoded(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize(
    ("size", "fmt"), [((4000, 1000), "JPEG"), ((600, 900), "PNG"), ((320, 180), "WEBP")]
)
def test_any_accepted_upload_becomes_a_jpeg_of_the_card_size(
    size: tuple[int, int], fmt: str
) -> None:
    # when: wide, tall and small pictures of each accepted type
    cover = _opened(cover_reencode(data=_encoded(Image.new("RGB", size, "teal"), fmt)).read())
    # then
    assert cover.format == "JPEG"
    assert cover.size == COVER_SIZE == (1280, 720)


def test_the_crop_keeps_the_detailed_part_of_a_wide_picture() -> None:
    # given: a plain 3:1 picture with a checkerboard (the "subject") at its right end
    picture = Image.new("RGB", (3000, 1000), (200, 60, 60))
    tile = Image.new("RGB", (900, 1000), "white")
    for x in range(0, 900, 50):
        for y in range(0, 1000, 50):
            if (x + y) // 50 % 2:
                tile.paste((0, 0, 0), (x, y, x + 50, y + 50))
    picture.paste(tile, (2100, 0))
    # when
    cover = _opened(cover_reencode(data=_encoded(picture, quality=95)).read()).convert("RGB")
    # then: the right part of the cover is the checkerboard, the left part the plain red
    right = cover.crop((1000, 100, 1270, 600)).convert("L")
    left = cover.crop((10, 100, 200, 600))
    darkest, lightest = right.getextrema()
    assert darkest < 40  # type: ignore[operator]
    assert lightest > 215  # type: ignore[operator]
    red, green, _blue = left.resize((1, 1)).getpixel((0, 0))  # type: ignore[misc]
    assert red > 150
    assert green < 100


def test_a_plain_tall_picture_is_cropped_around_its_centre() -> None:
    # given: a smooth red-to-blue gradient from top to bottom, no detail anywhere
    column = Image.linear_gradient("L").resize((1, 2700))
    picture = Image.merge(
        "RGB", (column.point(lambda v: 255 - v), Image.new("L", (1, 2700)), column)
    )
    picture = picture.resize((900, 2700))
    # when
    cover = _opened(cover_reencode(data=_encoded(picture, "PNG")).read()).convert("RGB")
    # then: the 900×506 window spans rows 1097–1603, about 41 % to 59 % of the way down
    top_blue, bottom_blue = cover.getpixel((640, 0))[2], cover.getpixel((640, 719))[2]  # type: ignore[index]
    assert 0.36 < top_blue / 255 < 0.46
    assert 0.54 < bottom_blue / 255 < 0.64


def test_exif_is_applied_then_stripped() -> None:
    # given: a landscape picture stored sideways with an EXIF turn and an artist's name
    stored = Image.new("RGB", (720, 1280), "white")
    stored.paste((0, 0, 0), (0, 0, 720, 200))  # becomes the right edge once turned upright
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # "rotate 90° clockwise to view"
    exif[EXIF_ARTIST] = "Someone Private"
    data = _encoded(stored, exif=exif.tobytes())
    assert b"Someone Private" in data
    # when
    out = cover_reencode(data=data).read()
    cover = _opened(out)
    # then: upright (black on the right), no EXIF left
    assert b"Someone Private" not in out
    assert not cover.getexif()
    assert cover.convert("L").getpixel((1270, 360)) < 60  # type: ignore[operator]
    assert cover.convert("L").getpixel((10, 360)) > 200  # type: ignore[operator]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"GIF89a" + b"\0" * 64, "image_invalid"),
        (_encoded(Image.new("RGB", (8, 8)), "GIF"), "image_invalid"),
        (b"\xff\xd8" + b"\0" * IMAGE_MAX_BYTES, "image_too_large"),
    ],
)
def test_wrong_type_or_too_big_is_refused_with_its_code(data: bytes, code: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        cover_reencode(data=data)
    assert refused.value.code == code


def test_too_many_pixels_is_refused_before_decoding() -> None:
    # a 9000×9000 PNG of one colour is small on disk but 81 MP in memory
    data = _encoded(Image.new("L", (9000, 9000)), "PNG")
    with pytest.raises(ApplicationError) as refused:
        cover_reencode(data=data)
    assert refused.value.code == "image_too_large"
