"""Demo slide clips: real H.264 files with known slide changes, for every demo topic."""

from pathlib import Path

import pytest

from courses.media.probe import probe
from demo import slides
from demo.content import TOPICS
from demo.slides import (
    GENERIC_SLIDES,
    SHORT_SIZE,
    TOPIC_SLIDES,
    Deck,
    MissingFontError,
    Slide,
    render_deck,
    render_slide,
    topic_deck,
)


def test_every_demo_topic_has_slides() -> None:
    tags = {topic[0] for topics in TOPICS.values() for topic in topics}
    assert set(TOPIC_SLIDES) == tags
    assert all(len(deck) >= 4 for deck in TOPIC_SLIDES.values())


def test_a_topic_deck_is_seeded_and_mixes_in_one_generic_slide() -> None:
    deck = topic_deck("math", seed=5)
    assert deck == topic_deck("math", seed=5)
    assert deck != topic_deck("math", seed=6)
    assert len(deck.slides) == 4
    assert sum(slide in GENERIC_SLIDES for slide in deck.slides) == 1
    assert 15 <= deck.seconds <= 60
    assert deck.slide_starts() == (0.0, 5.0, 10.0, 15.0)


def test_render_deck_writes_a_playable_portrait_clip(tmp_path: Path) -> None:
    deck = topic_deck("cooking", seed=1, size=SHORT_SIZE, seconds_per_slide=4.0)
    path = tmp_path / "short.mp4"
    starts = render_deck(deck, path)
    info = probe(path)
    assert starts == (0.0, 4.0, 8.0, 12.0)
    assert (info.width, info.height) == SHORT_SIZE
    assert info.duration_seconds == pytest.approx(16.0, abs=0.2)
    assert info.is_browser_playable
    assert info.is_fast_start
    silent = tmp_path / "silent.mp4"
    render_deck(Deck(slides=(Slide("无声 Silent"),), seconds_per_slide=2, with_audio=False), silent)
    assert probe(silent).audio_codec == ""


def test_slides_draw_text_in_ink_on_the_background() -> None:
    blank = render_slide(Slide(""), width=640, height=360)
    titled = render_slide(Slide("标题 Title", ("正文 body",)), width=640, height=360)
    assert blank.shape == titled.shape == (360, 640, 3)
    changed = (abs(blank.astype(int) - titled.astype(int)).sum(axis=2) > 60).mean()
    assert changed > 0.01


def test_missing_cjk_font_fails_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(slides, "FONT_DIR", tmp_path)
    slides._font.cache_clear()
    try:
        with pytest.raises(MissingFontError, match="fonts-noto-cjk"):
            render_slide(Slide("中文"), width=640, height=360)
    finally:
        slides._font.cache_clear()
