"""Subtitles: creators attach WebVTT to videos and lessons; they play for whoever may play the video."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from courses.models import Captions
from courses.services import enrollment_grant
from tests.factories import LessonFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db

VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n大家好\n".encode()


def _upload(client: Client, asset_id: int | None, data: bytes = VTT, **fields: str):
    body = {"file": SimpleUploadedFile("subs.vtt", data, "text/vtt"), "language": "zh-Hans"}
    return client.post(f"/studio/assets/{asset_id}/captions", {**body, **fields}, follow=True)


@pytest.fixture
def studio(creator) -> Client:
    client = Client()
    client.force_login(creator)
    return client


def test_a_creator_subtitles_a_video_and_viewers_get_the_track(studio: Client, creator) -> None:
    video = ShortVideoFactory.create(creator=creator)
    # when
    page = _upload(studio, video.asset_id, next=f"/studio/videos/{video.pk}/")
    # then
    assert page.redirect_chain[-1][0] == f"/studio/videos/{video.pk}/"
    assert "Subtitles saved." in page.content.decode()
    watch = Client().get(f"/v/{video.pk}/").content.decode()
    assert f'src="/captions/{video.asset_id}.vtt" srclang="zh-Hans"' in watch
    track = Client().get(f"/captions/{video.asset_id}.vtt")
    assert track.status_code == 200
    assert track["Content-Type"] == "text/vtt; charset=utf-8"
    assert "大家好" in track.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"1\n00:00:00.000 --> 00:00:02.000\nhi\n", "must start with"),
        (b"WEBVTT\n\n\xff\xfe bad", "must be UTF-8"),
        (b"WEBVTT\n" + b"a" * 200_001, "at most 200 KB"),
    ],
)
def test_files_that_are_not_webvtt_are_refused(
    studio: Client, creator, data: bytes, message: str
) -> None:
    video = ShortVideoFactory.create(creator=creator)
    page = _upload(studio, video.asset_id, data)
    assert message in page.content.decode()
    assert not Captions.objects.exists()


def test_only_the_owner_subtitles_an_asset_and_next_stays_on_this_site(
    studio: Client, creator, other_creator
) -> None:
    theirs = ShortVideoFactory.create(creator=other_creator)
    assert _upload(studio, theirs.asset_id).status_code == 404
    mine = ShortVideoFactory.create(creator=creator)
    page = _upload(studio, mine.asset_id, next="https://evil.example/")
    assert page.redirect_chain[-1][0] == "/studio/library/"
    empty = studio.post(f"/studio/assets/{mine.asset_id}/captions", {}, follow=True)
    assert "Choose a .vtt file." in empty.content.decode()


def test_lesson_subtitles_follow_the_lesson_entitlement(creator) -> None:
    lesson = LessonFactory.create(section__course__creator=creator)
    preview = LessonFactory.create(section=lesson.section, is_preview=True)
    owner = Client()
    owner.force_login(creator)
    _upload(owner, lesson.asset_id)
    _upload(owner, preview.asset_id)
    student, stranger = UserFactory.create(), UserFactory.create()
    enrollment_grant(user_id=student.pk, course=lesson.course)
    as_student, as_stranger = Client(), Client()
    as_student.force_login(student)
    as_stranger.force_login(stranger)
    url = f"/captions/{lesson.asset_id}.vtt"
    assert as_stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 404
    assert as_student.get(url).status_code == 200
    assert as_student.get(url)["Cache-Control"] == "private, no-store"  # a paid lesson's words
    assert owner.get(url).status_code == 200
    assert Client().get(f"/captions/{preview.asset_id}.vtt").status_code == 200
    assert (
        f"/captions/{lesson.asset_id}.vtt"
        in as_student.get(f"/lessons/{lesson.pk}/").content.decode()
    )


def test_removing_subtitles_and_hidden_videos(studio: Client, creator) -> None:
    video = ShortVideoFactory.create(creator=creator, status="draft")
    _upload(studio, video.asset_id)
    url = f"/captions/{video.asset_id}.vtt"
    assert Client().get(url).status_code == 404  # a draft's subtitles stay private
    assert studio.get(url).status_code == 200
    # when
    _upload(studio, video.asset_id, remove="1")
    # then
    assert studio.get(url).status_code == 404
    assert not Captions.objects.exists()
    video.asset.refresh_from_db()
    assert video.asset.captions_language == ""


def test_feed_cards_carry_the_subtitles_for_the_feed_player(studio: Client, creator) -> None:
    with_subs, without = ShortVideoFactory.create_batch(2, creator=creator)
    _upload(studio, with_subs.asset_id, language="en")
    body = Client().get("/api/v1/videos", {"tab": "latest"}).json()
    cards = {card["id"]: card for card in body["results"]}
    assert cards[with_subs.pk]["captions"] == {
        "url": f"/captions/{with_subs.asset_id}.vtt",
        "language": "en",
    }
    assert cards[without.pk]["captions"] is None
