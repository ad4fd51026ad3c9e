"""Draw the favicon and app icons locally with Pillow, so no design tool or download is needed.

Run `python -m demo.icons` to rewrite static/icons/; the files are committed, so this only
runs when the design changes. The SVG favicon and the PNGs share one design: a play mark on
an accent disc over the site's dark background. The disc stays inside the central 80 %,
the safe zone of a maskable icon, so phones may crop the square to any shape.
"""

import sys
from pathlib import Path

from PIL import Image, ImageDraw

BACKGROUND = "#0f1115"
ACCENT = "#d81b47"
MARK = "#ffffff"
# Output name -> side in pixels: Android/PWA sizes and the iOS home-screen icon.
PNG_SIZES = {"icon-192.png": 192, "icon-512.png": 512, "apple-touch-icon.png": 180}
OUT_DIR = Path(__file__).resolve().parent.parent / "static" / "icons"

# The design on a 100-unit square, shared by the SVG and the PNGs.
DISC_RADIUS = 38
PLAY = [(41, 31), (41, 69), (72, 50)]

SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
<rect width="100" height="100" rx="22" fill="{BACKGROUND}"/>
<circle cx="50" cy="50" r="{DISC_RADIUS}" fill="{ACCENT}"/>
<path d="M{PLAY[0][0]} {PLAY[0][1]}L{PLAY[1][0]} {PLAY[1][1]}L{PLAY[2][0]} {PLAY[2][1]}Z" fill="{MARK}"/>
</svg>
"""


def draw_png(side: int) -> Image.Image:
    # Drawn four times larger and scaled down, which smooths the edges.
    big = side * 4
    unit = big / 100
    image = Image.new("RGB", (big, big), BACKGROUND)
    draw = ImageDraw.Draw(image)
    r = DISC_RADIUS * unit
    draw.ellipse((big / 2 - r, big / 2 - r, big / 2 + r, big / 2 + r), fill=ACCENT)
    draw.polygon([(x * unit, y * unit) for x, y in PLAY], fill=MARK)
    return image.resize((side, side), Image.Resampling.LANCZOS)


def write_icons(out_dir: Path = OUT_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "favicon.svg"]
    written[0].write_text(SVG, encoding="utf-8")
    for name, side in PNG_SIZES.items():
        path = out_dir / name
        draw_png(side).save(path, optimize=True)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_icons():
        sys.stdout.write(f"{path}\n")
