"""The vision glue: a ready video's analysis stored, re-run, shared with the transcode,
and its duplicates found (issue 19)."""

import io
import urllib.request
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.management import call_command

from courses.media.analysis import SharedAnalysis
from courses.models import DuplicateMatch, Keyframe, MediaAsset, ScreenTextLine, VideoAnalysis
from courses.selectors import search
from courses.services import media_asset_analyse, media_asset_delete, media_asset_process
from demo.slides import Deck, Slide, reencode_copy, render_deck
from tests.factories import KeyframeFactory, MediaAssetFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.xdist_group("vision")  # the OCR and detector models load once

SLIDES = (
    Slide("Python 编程入门", ("变量 与 类型", "print('hello')")),
    Slide("勾股定理 Pythagoras", ("a² + b² = c²", "直角三角形"), "formula"),
    Slide("列表推导式 Comprehension", ("squares = [x * x for x in range(10)]",), "code"),
    Slide("课后练习 Exercise", ("动手 试一试", "评论区 交作业")),
)
OTHER_SLIDES = (
    Slide("光合作用 Photosynthesis", ("叶绿体", "6CO2 + 6H2O")),
    Slide("细胞分裂 Mitosis", ("前期 中期 后期",)),
    Slide("生态系统 Ecosystem", ("生产者 消费者",)),
)


def _media_file(name: str, deck: Deck) -> str:
    """Render ``deck`` once per test process under MEDIA_ROOT; return its media name."""
    path = Path(settings.MEDIA_ROOT) / "videos/vision" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        render_deck(deck, path)
    return f"videos/vision/{name}"


def _copy_file(source: str, name: str) -> str:
    """A resized, re-encoded copy (no fast start, so processing transcodes it)."""
    path = Path(settings.MEDIA_ROOT) / "videos/vision" / name
    if not path.exists():
        reencode_copy(Path(settings.MEDIA_ROOT) / source, path, width=854, height=480)
    return f"videos/vision/{name}"


@pytest.fixture
def lesson_file() -> str:
    return _media_file("lesson.mp4", Deck(slides=SLIDES, seconds_per_slide=4.0, hue=0.58))


@pytest.fixture
def other_file() -> str:
    return _media_file("other.mp4", Deck(slides=OTHER_SLIDES, seconds_per_slide=4.0, hue=0.2))


@pytest.fixture
def vision_on(settings) -> None:
    settings.COURSES_VISION_ENABLED = True
    settings.COURSES_VISION_MIN_CHAPTER_SECONDS = 3.0  # the test slides last 4 s


@pytest.mark.django_db
def test_analysis_stores_keyframes_text_chapters_and_poster(vision_on, lesson_file) -> None:
    # given: a ready video titled generically; its topic is only on screen
    video = ShortVideoFactory.create(title="Lesson 3", asset__file=lesson_file)
    poster_before = video.asset.poster.name
    # when
    analysis = media_asset_analyse(asset_id=video.asset_id)
    # then
    assert analysis is not None
    assert analysis.status == VideoAnalysis.Status.DONE
    keyframes = list(analysis.keyframes.order_by("position"))
    assert [round(k.start_seconds) for k in keyframes] == [0, 4, 8, 12]
    assert all((Path(settings.MEDIA_ROOT) / k.image.name).stat().st_size > 0 for k in keyframes)
    assert all(k.image.name.startswith("keyframes/") for k in keyframes)  # public asset
    pythagoras = ScreenTextLine.objects.filter(analysis=analysis, text__icontains="pythagoras")
    assert [4 <= line.timestamp < 8 for line in pythagoras] == [True]
    assert [round(c["start"]) for c in analysis.chapters] == [0, 4, 8, 12]
    assert "Pythagoras" in analysis.chapters[1]["title"]
    assert len(analysis.fingerprint["hashes"]) == 4
    assert analysis.poster_keyframe in keyframes
    video.asset.refresh_from_db()
    assert video.asset.poster.name != poster_before  # the poster is the chosen keyframe
    video.refresh_from_db()
    assert "pythagoras" in video.search_text.split()
    found = search(query="Pythagoras", type="videos").videos
    assert found is not None
    assert [v.pk for v in found.results] == [video.pk]
    assert found.results[0].screen_moment.seconds == pytest.approx(4.0, abs=0.6)
    assert any(s["keyword"].lower() == "pythagoras" for s in analysis.suggestions)


@pytest.mark.django_db
def test_running_again_changes_nothing_and_forcing_replaces_the_rows(
    vision_on, lesson_file
) -> None:
    # given
    asset = MediaAssetFactory.create(file=lesson_file)
    first = media_asset_analyse(asset_id=asset.pk)
    assert first is not None
    old_images = set(Keyframe.objects.values_list("image", flat=True))
    # when: a redelivered task
    again = media_asset_analyse(asset_id=asset.pk)
    # then
    assert again is not None
    assert again.pk == first.pk
    assert Keyframe.objects.count() == 4
    # when: forced (say after a model upgrade)
    forced = media_asset_analyse(asset_id=asset.pk, force=True)
    # then: the same rows, once
    assert forced is not None
    assert forced.pk != first.pk
    assert VideoAnalysis.objects.filter(asset=asset).count() == 1
    assert Keyframe.objects.count() == 4
    assert ScreenTextLine.objects.filter(analysis=forced).count() == (
        ScreenTextLine.objects.count()
    )
    assert not set(Keyframe.objects.values_list("image", flat=True)) & old_images


@pytest.mark.django_db
def test_a_copy_by_another_creator_is_a_duplicate_and_an_unrelated_clip_is_not(
    vision_on, lesson_file, other_file
) -> None:
    # given: an original, analysed first
    original = MediaAssetFactory.create(file=lesson_file)
    media_asset_analyse(asset_id=original.pk)
    copy_name = _copy_file(lesson_file, "lesson-copy.mp4")
    # when: another creator uploads a resized re-encoded copy; the owner re-uploads it too
    theirs = MediaAssetFactory.create(file=copy_name)
    media_asset_analyse(asset_id=theirs.pk)
    own = MediaAssetFactory.create(file=copy_name, owner=original.owner)
    media_asset_analyse(asset_id=own.pk)
    unrelated = MediaAssetFactory.create(file=other_file, owner=original.owner)
    media_asset_analyse(asset_id=unrelated.pk)
    # then
    match = DuplicateMatch.objects.get(asset=theirs)
    assert (match.matched_id, match.is_same_owner) == (original.pk, False)
    assert match.similarity >= 0.75
    own_matches = {m.matched_id: m.is_same_owner for m in DuplicateMatch.objects.filter(asset=own)}
    assert own_matches == {original.pk: True, theirs.pk: False}
    assert not DuplicateMatch.objects.filter(asset=unrelated).exists()


@pytest.mark.django_db
def test_processing_shares_the_transcode_decode_and_stores_the_analysis(
    vision_on, lesson_file
) -> None:
    # given: an upload that needs transcoding (its index is not up front)
    name = _copy_file(lesson_file, "lesson-upload.mp4")
    asset = MediaAssetFactory.create(file=name, status=MediaAsset.Status.UPLOADED)
    # when
    media_asset_process(asset_id=asset.pk)
    # then: ready, and analysed by the same task
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY
    analysis = VideoAnalysis.objects.get(asset=asset)
    assert analysis.keyframes.count() == 4
    assert analysis.lines.filter(text__icontains="Exercise").exists()


@pytest.mark.django_db
def test_a_playable_upload_is_analysed_by_its_own_task(
    vision_on, lesson_file, django_capture_on_commit_callbacks
) -> None:
    # given: an upload that plays as is (fast-start H.264 ≤ 720p)
    asset = MediaAssetFactory.create(file=lesson_file, status=MediaAsset.Status.UPLOADED)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        media_asset_process(asset_id=asset.pk)
    # then
    assert VideoAnalysis.objects.get(asset=asset).keyframes.count() == 4


@pytest.mark.django_db
def test_an_unreadable_file_records_a_failed_analysis_and_stays_ready(vision_on) -> None:
    # given
    path = Path(settings.MEDIA_ROOT) / "videos/vision/broken.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a video at all")
    asset = MediaAssetFactory.create(file="videos/vision/broken.mp4")
    # when
    analysis = media_asset_analyse(asset_id=asset.pk)
    # then
    assert analysis is not None
    assert analysis.status == VideoAnalysis.Status.FAILED
    assert analysis.failure_reason
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY


@pytest.mark.django_db
def test_nothing_is_analysed_when_switched_off(settings, lesson_file) -> None:
    settings.COURSES_VISION_ENABLED = False
    asset = MediaAssetFactory.create(file=lesson_file)
    assert media_asset_analyse(asset_id=asset.pk) is None
    assert not VideoAnalysis.objects.exists()


@pytest.mark.django_db
def test_a_lessons_keyframes_are_private(vision_on, lesson_file) -> None:
    asset = MediaAssetFactory.create(file=lesson_file, is_private=True)
    analysis = media_asset_analyse(asset_id=asset.pk)
    assert analysis is not None
    assert all(k.image.name.startswith("private/") for k in analysis.keyframes.all())
    poster = asset.poster.name
    asset.refresh_from_db()
    assert asset.poster.name == poster  # posters are public: no frame of a paid lesson there


@pytest.mark.django_db
def test_deleting_an_unused_asset_deletes_its_keyframe_files(
    settings, django_capture_on_commit_callbacks
) -> None:
    # given
    frame = KeyframeFactory.create()
    path = Path(settings.MEDIA_ROOT) / frame.image.name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"jpeg")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        media_asset_delete(asset=frame.analysis.asset)
    # then
    assert not path.exists()
    assert not Keyframe.objects.exists()


@pytest.mark.django_db
def test_the_backlog_command_reads_each_distinct_file_once(vision_on, lesson_file) -> None:
    # given: two creators' assets sharing one rendered file (as the demo's do), one analysed
    first = MediaAssetFactory.create(file=lesson_file)
    second = MediaAssetFactory.create(file=lesson_file)
    done = MediaAssetFactory.create(file=lesson_file)
    VideoAnalysis.objects.create(asset=done)
    out = io.StringIO()
    # when
    call_command("vision_analyse", stdout=out)
    # then
    assert "2 video(s) analysed" in out.getvalue()
    assert out.getvalue().count("lesson.mp4") == 1
    assert Keyframe.objects.filter(analysis__asset=second).count() == 4
    match = DuplicateMatch.objects.get(asset=second, matched=first)
    assert match.similarity == 1.0


def test_a_failing_shared_analysis_drops_out_without_raising(monkeypatch) -> None:
    # given: an analyser whose OCR blows up on the first keyframe
    shared = SharedAnalysis()

    def broken(frame: object) -> None:
        raise RuntimeError("model file missing")

    monkeypatch.setattr(shared._analyser, "offer", broken)
    # when / then: frames keep flowing, the analysis is simply absent
    shared.offer(object())  # type: ignore[arg-type]
    shared.offer(object())  # type: ignore[arg-type]
    assert shared.finish() is None


def test_the_tasks_deadline_still_stops_the_transcode(monkeypatch) -> None:
    shared = SharedAnalysis()

    def late(frame: object) -> None:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(shared._analyser, "offer", late)
    with pytest.raises(SoftTimeLimitExceeded):
        shared.offer(object())  # type: ignore[arg-type]


@pytest.mark.django_db
def test_a_video_in_the_object_store_is_analysed_there_and_its_frames_served_signed(
    vision_on, lesson_file, object_store, client
) -> None:
    # given: a ready video whose file is in the object store, not on this node's disk
    data = (Path(settings.MEDIA_ROOT) / lesson_file).read_bytes()
    name = object_store.save("videos/vision/in-store.mp4", io.BytesIO(data))
    video = ShortVideoFactory.create(title="Lesson 3", asset__file=name)
    # when
    analysis = media_asset_analyse(asset_id=video.asset_id)
    # then: the analysis read the store's copy and wrote its frames back into the store
    assert analysis is not None
    assert analysis.status == VideoAnalysis.Status.DONE
    assert ScreenTextLine.objects.filter(analysis=analysis, text__icontains="pythagoras").exists()
    frame = analysis.keyframes.order_by("position").first()
    assert frame is not None
    assert object_store.exists(frame.image.name)
    assert not (Path(settings.MEDIA_ROOT) / frame.image.name).exists()
    # and its creator is sent to a signed address of the store that serves the JPEG
    client.force_login(video.creator)
    response = client.get(f"/keyframes/{frame.pk}.jpg")
    assert response.status_code == 302
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback store
    with opener.open(response["Location"], timeout=30) as stored:
        assert stored.read()[:3] == b"\xff\xd8\xff"  # a JPEG
    # while a stranger is not
    client.force_login(UserFactory.create())
    assert client.get(f"/keyframes/{frame.pk}.jpg").status_code == 404
