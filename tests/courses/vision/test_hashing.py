"""Perceptual hashes: a re-encoded, resized copy is a duplicate; another clip is not."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from courses.vision import (
    AnalysisOptions,
    Fingerprint,
    analyse_video,
    clip_similarity,
    hamming,
    phash,
)
from courses.vision.hashing import MAX_DISTANCE, ShotHasher
from courses.vision.quality import grey
from demo.slides import Deck, Slide, reencode_copy, render_deck, render_slide

pytestmark = pytest.mark.xdist_group("vision")

NO_OCR = AnalysisOptions(ocr=False)
OTHER_SLIDES = (
    Slide("复利 Compound Interest", ("A = P (1 + r)^n", "72 法则"), "formula"),
    Slide("指数基金 Index Funds", ("定投 低费率", "分散 风险")),
    Slide("SQL JOIN 连接查询", ("SELECT o.id, c.name", "FROM orders o"), "code"),
)


@pytest.fixture(scope="module")
def lesson_fingerprint(lesson_clip: Path) -> Fingerprint:
    return analyse_video(lesson_clip, options=NO_OCR).fingerprint


def test_reencoded_resized_copy_is_a_duplicate(
    lesson_clip: Path, lesson_fingerprint: Fingerprint, vision_dir: Path
) -> None:
    copy = vision_dir / "lesson-copy-640x360.mp4"
    reencode_copy(lesson_clip, copy, width=640, height=360, crf=35)
    copied = analyse_video(copy, options=NO_OCR).fingerprint
    match = clip_similarity(copied, lesson_fingerprint)
    assert match.is_duplicate
    assert match.containment == 1.0
    assert len(match.pairs) == len(lesson_fingerprint.hashes)
    for time_a, time_b, distance in match.pairs:
        assert abs(time_a - time_b) <= 1.0  # the same shots, in the same places
        assert distance <= MAX_DISTANCE // 2  # well inside the threshold


def test_unrelated_clip_of_the_same_template_is_not_a_duplicate(
    lesson_fingerprint: Fingerprint, lesson_deck: Deck, vision_dir: Path
) -> None:
    other = vision_dir / "other-same-template.mp4"
    render_deck(Deck(slides=OTHER_SLIDES, seconds_per_slide=4.0, hue=lesson_deck.hue), other)
    match = clip_similarity(analyse_video(other, options=NO_OCR).fingerprint, lesson_fingerprint)
    assert not match.is_duplicate
    assert match.containment == 0.0
    assert match.pairs == ()


def test_a_clip_that_reuses_most_slides_is_contained() -> None:
    a = Fingerprint(
        duration=20, timestamps=(1.0, 6.0, 11.0), hashes=("0" * 64, "f" * 64, "0f" * 32)
    )
    b = Fingerprint(duration=9, timestamps=(2.0, 7.0), hashes=("0" * 63 + "1", "f" * 64))
    match = clip_similarity(a, b)
    assert match.containment == 1.0  # both of b's shots are in a
    assert match.similarity == pytest.approx(4 / 5)
    assert match.is_duplicate
    assert match.pairs == ((1.0, 2.0, 1), (6.0, 7.0, 0))
    assert not clip_similarity(a, Fingerprint(duration=0, timestamps=(), hashes=())).is_duplicate


def test_hash_of_one_frame_survives_resizing_but_not_a_new_slide() -> None:
    slide = render_slide(OTHER_SLIDES[0], width=1280, height=720)
    small = np.asarray(Image.fromarray(slide).resize((640, 360), Image.Resampling.BILINEAR))
    redrawn = render_slide(OTHER_SLIDES[0], width=640, height=360)  # other font hinting
    other = render_slide(OTHER_SLIDES[2], width=1280, height=720)
    assert len(phash(slide)) == 64
    assert hamming(phash(slide), phash(small)) <= MAX_DISTANCE // 2
    assert hamming(phash(slide), phash(redrawn)) <= MAX_DISTANCE
    assert hamming(phash(slide), phash(other)) > 2 * MAX_DISTANCE


def test_shot_hash_ignores_what_moves_inside_the_shot() -> None:
    still = render_slide(OTHER_SLIDES[1], width=640, height=360)
    hasher, single = ShotHasher(), []
    for k in range(8):
        frame = still.copy()
        frame[300:340, 40 + 60 * k : 80 + 60 * k] = (220, 40, 40)  # a pointer crossing the slide
        hasher.add(grey(frame))
        single.append(phash(frame))
    assert hamming(hasher.digest(), phash(still)) <= hamming(single[0], single[-1])
    with pytest.raises(ValueError, match="no frame"):
        ShotHasher().digest()
    assert hamming("ff", "0f") == 4
    assert np.isclose(hamming("0" * 64, "f" * 64), 256)
