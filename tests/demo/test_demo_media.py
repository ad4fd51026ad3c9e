"""The demo's covers and clips: slide lessons of 15–60 s, distinct per topic, rendered once."""

import hashlib
import io
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from common.images import COVER_SIZE, cover_reencode
from courses.media.probe import probe
from demo import media
from demo.covers import MOTIFS, render_cover
from demo.seed import all_topics

TOPICS = all_topics()


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _frame(path: Path, *, at_seconds: float) -> np.ndarray:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= at_seconds:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"{path} ends before {at_seconds} s")


def _digest(pixels: np.ndarray) -> str:
    return hashlib.sha256(pixels.tobytes()).hexdigest()


def test_covers_pass_the_cover_rule_and_differ_per_topic() -> None:
    # when: the cover of a course of each category
    covers = {}
    for topic in TOPICS[::4]:
        drawn = render_cover(
            title=topic.course_title, label=topic.tag_name, hue=topic.hue, motif=topic.category_slug
        )
        covers[topic.category_slug] = Image.open(cover_reencode(data=drawn))
    # then: card-sized, and no two alike
    assert set(covers) == set(MOTIFS)
    assert all(cover.size == COVER_SIZE for cover in covers.values())
    assert len({_digest(np.asarray(cover)) for cover in covers.values()}) == 4


def test_the_cover_title_is_drawn_in_white_at_the_bottom_left() -> None:
    drawn = render_cover(
        title="Python编程从零到一", label="Python · 科技", hue=0.5, motif="technology"
    )
    cover = np.asarray(Image.open(io.BytesIO(drawn)).convert("L"))
    title_band, empty_band = cover[560:660, 72:600], cover[300:400, 72:600]
    assert (title_band > 240).mean() > 0.05  # glyph strokes
    assert (empty_band > 240).mean() == 0


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.tag_slug)
def test_every_deck_lasts_between_15_and_60_seconds(topic) -> None:
    for variant in range(media.SHORTS_PER_TOPIC):
        assert 15 <= media.short_deck(topic.tag_slug, topic.hue, variant).seconds <= 60
    for variant in range(media.LESSONS_PER_TOPIC):
        assert 15 <= media.lesson_deck(topic.tag_slug, topic.hue, variant).seconds <= 60


def test_short_clips_are_portrait_playable_and_differ_between_topics(media_root: Path) -> None:
    # when
    python, cooking = TOPICS[4], TOPICS[12]
    clips = [media.short_clip_files(t.tag_slug, t.hue, 0) for t in (python, cooking)]
    # then
    frames = []
    for clip in clips:
        info = probe(media_root / clip.clip)
        assert 15 <= info.duration_seconds <= 60
        assert info.duration_seconds == pytest.approx(clip.seconds, abs=0.3)
        assert (info.width, info.height) == (clip.width, clip.height) == (360, 640)
        assert info.is_browser_playable
        assert info.audio_codec == "aac"  # "tap for sound" has something to play
        assert (media_root / clip.poster).stat().st_size > 0
        frames.append(_frame(media_root / clip.clip, at_seconds=1.0))
    assert _digest(frames[0]) != _digest(frames[1])
    # not a shade apart: different slides (a code panel against bullet points)
    assert np.abs(frames[0].astype(int) - frames[1].astype(int)).mean() > 20


def test_lessons_of_one_topic_show_different_slides(media_root: Path) -> None:
    math = TOPICS[1]
    clips = [media.lesson_clip_files(math.tag_slug, math.hue, v) for v in range(2)]
    assert clips[0].clip != clips[1].clip
    assert not clips[0].poster  # lesson media is private: no public poster
    assert (clips[0].width, clips[0].height) == (640, 360)
    seconds = [probe(media_root / clip.clip).duration_seconds for clip in clips]
    assert all(15 <= s <= 60 for s in seconds)
    firsts = [_frame(media_root / clip.clip, at_seconds=1.0) for clip in clips]
    assert _digest(firsts[0]) != _digest(firsts[1])


def test_a_clip_on_disk_is_reused_not_rendered_again(media_root: Path) -> None:
    topic = TOPICS[0]
    first = media.short_clip_files(topic.tag_slug, topic.hue, 0)
    written = (media_root / first.clip).stat().st_mtime_ns
    # when: the same clip again, and a later round of the same topic
    again = media.short_clip_files(topic.tag_slug, topic.hue, 0)
    later = media.short_clip_files(topic.tag_slug, topic.hue, media.SHORTS_PER_TOPIC)
    # then: one file, untouched
    assert again == first == later
    assert (media_root / first.clip).stat().st_mtime_ns == written
