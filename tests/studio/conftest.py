"""Studio fixtures: two creators, logged-in API clients and real clip bytes."""

from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from demo.clips import ClipSpec, render_clip
from tests.factories import CategoryFactory, CreatorProfileFactory


@pytest.fixture
def creator(db):
    return CreatorProfileFactory.create().user


@pytest.fixture
def other_creator(db):
    return CreatorProfileFactory.create().user


@pytest.fixture
def category(db):
    return CategoryFactory.create(slug="technology", name="Technology")


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def creator_api(creator) -> APIClient:
    return _client(creator)


@pytest.fixture
def other_api(other_creator) -> APIClient:
    return _client(other_creator)


@pytest.fixture(scope="session")
def clip_bytes(tmp_path_factory) -> bytes:
    """A real 2 s H.264/AAC MP4 (360×640), rendered once per session."""
    path = tmp_path_factory.mktemp("clips") / "clip.mp4"
    render_clip(ClipSpec(caption="studio", hue=0.6, seconds=2.0), path)
    return path.read_bytes()


def media_files() -> set[str]:
    """Every file under MEDIA_ROOT, as storage names."""
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
