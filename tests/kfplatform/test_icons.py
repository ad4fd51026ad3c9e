"""The favicon, app icons and web app manifest: found by staticfiles, linked and served."""

import json
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, override_settings
from PIL import Image

from demo.icons import PNG_SIZES, write_icons

pytestmark = pytest.mark.django_db


def test_every_page_links_the_icons_manifest_and_theme_colour(client: Client) -> None:
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/icons/favicon.svg" type="image/svg+xml">' in html
    assert '<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png">' in html
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#0f1115">' in html


def test_manifest_names_the_app_and_points_at_icons_that_exist() -> None:
    path = finders.find("manifest.webmanifest")
    assert path
    manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    assert manifest["name"]
    assert manifest["short_name"]
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0f1115"
    sizes = set()
    for icon in manifest["icons"]:
        # Relative to the manifest, which lives at the static root.
        found = finders.find(icon["src"])
        assert found, icon["src"]
        if icon["type"] == "image/png":
            with Image.open(found) as image:
                assert icon["sizes"] == f"{image.width}x{image.height}"
                sizes.add(image.width)
    assert {192, 512} <= sizes


def test_committed_pngs_have_their_sizes() -> None:
    for name, side in PNG_SIZES.items():
        path = finders.find(f"icons/{name}")
        assert path, name
        with Image.open(path) as image:
            assert image.size == (side, side)


def test_the_generator_rewrites_the_same_design(tmp_path) -> None:
    written = write_icons(tmp_path)
    assert {p.name for p in written} == {"favicon.svg", *PNG_SIZES}
    committed = finders.find("icons/favicon.svg")
    assert committed
    assert (tmp_path / "favicon.svg").read_text() == Path(committed).read_text(encoding="utf-8")


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/static/manifest.webmanifest", "application/manifest+json"),
        ("/static/icons/favicon.svg", "image/svg+xml"),
        ("/static/icons/icon-192.png", "image/png"),
        ("/static/icons/icon-512.png", "image/png"),
        ("/static/icons/apple-touch-icon.png", "image/png"),
    ],
)
def test_icons_and_manifest_are_served(url: str, content_type: str) -> None:
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
