"""The pipeline as the glue calls it: from a file, or from someone else's decode loop."""

import io
import json
from pathlib import Path

import av
import pytest
from PIL import Image

from courses.media.transcode import transcode
from courses.vision import (
    AnalysisOptions,
    VideoAnalyser,
    VideoAnalysis,
    VideoDecodeError,
    analyse_video,
)

pytestmark = pytest.mark.xdist_group("vision")


def test_sharing_the_transcoders_decode_gives_the_same_analysis(
    lesson_clip: Path, tmp_path: Path
) -> None:
    options = AnalysisOptions(ocr=False)
    analyser = VideoAnalyser(options)
    transcode(lesson_clip, tmp_path / "out.mp4", on_video_frame=analyser.offer)
    shared = analyser.finish()
    alone = analyse_video(lesson_clip, options=options)
    assert len(shared.shots) == 4
    assert [s.start for s in shared.shots] == [s.start for s in alone.shots]
    assert shared.duration == alone.duration == pytest.approx(16.0, abs=0.3)
    for a, b in zip(shared.fingerprint.hashes, alone.fingerprint.hashes, strict=True):
        assert (int(a, 16) ^ int(b, 16)).bit_count() <= 12  # one more H.264 generation


def test_a_decode_loop_of_scaled_frames_can_feed_the_analysis(lesson_clip: Path) -> None:
    analyser = VideoAnalyser(AnalysisOptions(ocr=False))
    with av.open(str(lesson_clip)) as container:
        for frame in container.decode(video=0):
            analyser.offer(frame.reformat(width=960, height=540, format="yuv420p"))
    analysis = analyser.finish()
    assert analysis.width == 960  # the analysis saw the loop's scaled frames
    assert [round(s.start) for s in analysis.shots] == [0, 4, 8, 12]


def test_the_analysis_is_plain_data(lesson_analysis: VideoAnalysis) -> None:
    data = lesson_analysis.as_json()
    text = json.dumps(data, ensure_ascii=False)
    assert all("jpeg" not in keyframe for keyframe in json.loads(text)["keyframes"])
    assert set(data) >= {
        "duration",
        "shots",
        "keyframes",
        "poster_index",
        "chapters",
        "risk",
        "fingerprint",
    }
    assert data["keyframes"][0]["lines"][0]["text"]
    assert set(data["stage_seconds"]) == {
        "decode",
        "shots",
        "ocr",
        "hashes",
        "prescreen",
        "jpeg",
        "chapters",
    }
    assert data["stage_seconds"]["ocr"] > 0
    assert len(lesson_analysis.lines) == sum(len(k.lines) for k in lesson_analysis.keyframes)


def test_keyframes_are_stored_as_jpeg_at_analysis_size(lesson_analysis: VideoAnalysis) -> None:
    for keyframe in lesson_analysis.keyframes:
        picture = Image.open(io.BytesIO(keyframe.jpeg))
        assert picture.format == "JPEG"
        assert picture.size == (keyframe.width, keyframe.height) == (1280, 720)


def test_large_frames_are_shrunk_for_analysis(vision_dir: Path) -> None:
    from demo.slides import Deck, Slide, render_deck

    path = vision_dir / "full-hd.mp4"
    render_deck(
        Deck(
            slides=(Slide("Full HD 高清"),),
            seconds_per_slide=2.0,
            width=1920,
            height=1080,
            with_audio=False,
        ),
        path,
    )
    analysis = analyse_video(path, options=AnalysisOptions(ocr=False))
    assert (analysis.width, analysis.height) == (1280, 720)
    assert analysis.duration == pytest.approx(2.0, abs=0.3)


def test_a_file_that_is_not_a_video_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_bytes(b"this is not a video" * 100)
    with pytest.raises(VideoDecodeError):
        analyse_video(path)


def test_a_slide_shown_again_is_not_read_again(
    vision_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from courses.vision import analyser as analyser_module
    from demo.slides import Deck, Slide, render_deck

    slide = Slide("复利 Compound Interest", ("A = P (1 + r)^n",), "formula")
    speaker = Slide("", ("",), "code")  # a dark shot with no text, as a cut to the speaker
    path = vision_dir / "back-and-forth.mp4"
    render_deck(Deck(slides=(slide, speaker, slide), seconds_per_slide=3.0, with_audio=False), path)
    reads = []
    real_read_text = analyser_module.read_text

    def counting_read_text(*args: object, **kwargs: object) -> object:
        reads.append(kwargs["timestamp"])
        return real_read_text(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(analyser_module, "read_text", counting_read_text)
    analysis = analyse_video(path, options=AnalysisOptions(min_chapter_seconds=1.0))
    first, _, again = analysis.keyframes
    assert len(reads) == 2  # the slide and the speaker shot; the return is not read
    assert [line.text for line in again.lines] == [line.text for line in first.lines]
    assert first.lines
    assert all(line.timestamp == again.timestamp for line in again.lines)
    assert again.timestamp >= 6.0


def test_a_tiny_video_is_analysed(vision_dir: Path) -> None:
    from demo.slides import Deck, Slide, render_deck

    path = vision_dir / "tiny.mp4"
    render_deck(
        Deck(slides=(Slide("小"),), seconds_per_slide=2.0, width=48, height=32, with_audio=False),
        path,
    )
    analysis = analyse_video(path)
    assert len(analysis.shots) == 1
    assert (analysis.width, analysis.height) == (48, 32)
