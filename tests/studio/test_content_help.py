"""The studio's help from the content analysis (issue 19): the cover check, the poster
chosen among the keyframes, suggested keywords the creator accepts or ignores, and
"you uploaded this before"."""

import io

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image

from courses.models import DuplicateMatch, VideoAnalysis
from tests.factories import KeyframeFactory, ShortVideoFactory, UserFactory, VideoAnalysisFactory


@pytest.fixture
def creator_client(client: Client, creator) -> Client:
    client.force_login(creator)
    return client


def _jpeg() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 36), (200, 80, 40)).save(buffer, format="JPEG")
    return ContentFile(buffer.getvalue())


@pytest.fixture
def analysed(creator):
    """A creator's draft video with three keyframes (the first blank) and two suggestions."""
    video = ShortVideoFactory.create(creator=creator, title="Lesson 3", status="draft")
    analysis = VideoAnalysisFactory.create(
        asset=video.asset,
        suggestions=[
            {"keyword": "勾股定理", "score": 1.2, "count": 3},
            {"keyword": "Pythagoras", "score": 0.9, "count": 2},
        ],
    )
    frames = [
        KeyframeFactory.create(analysis=analysis, position=0, problems=["blank"]),
        KeyframeFactory.create(analysis=analysis, position=1),
        KeyframeFactory.create(analysis=analysis, position=2, problems=["blurred"]),
    ]
    analysis.poster_keyframe = frames[0]
    analysis.save()
    return video, frames


def _page(client: Client, video) -> str:
    return client.get(f"/studio/videos/{video.pk}/").content.decode()


@pytest.mark.django_db
def test_a_blank_cover_is_warned_about_and_a_keyframe_can_replace_it(
    creator_client: Client, analysed
) -> None:
    video, frames = analysed
    frames[1].image.save("ok.jpg", _jpeg(), save=True)
    assert 'id="cover-warning"' in _page(creator_client, video)
    # when
    response = creator_client.post(f"/studio/videos/{video.pk}/poster", {"keyframe": frames[1].pk})
    # then
    assert response.status_code == 302
    analysis = VideoAnalysis.objects.get(asset=video.asset)
    assert (analysis.poster_keyframe_id, analysis.poster_chosen_by_creator) == (frames[1].pk, True)
    video.asset.refresh_from_db()
    assert video.asset.poster.name
    assert 'id="cover-warning"' not in _page(creator_client, video)


@pytest.mark.django_db
def test_another_videos_frame_cannot_be_the_poster(creator_client: Client, analysed) -> None:
    video, _frames = analysed
    elsewhere = KeyframeFactory.create()
    for value in (elsewhere.pk, "x", ""):
        response = creator_client.post(f"/studio/videos/{video.pk}/poster", {"keyframe": value})
        assert response.status_code == 302  # back to the page, with the reason as a message
    analysis = VideoAnalysis.objects.get(asset=video.asset)
    assert analysis.poster_chosen_by_creator is False


@pytest.mark.django_db
def test_a_suggestion_is_added_as_a_tag_or_ignored_and_not_offered_again(
    creator_client: Client, analysed
) -> None:
    video, _frames = analysed
    page = _page(creator_client, video)
    assert 'data-keyword="勾股定理"' in page
    # when
    url = f"/studio/videos/{video.pk}/suggestions"
    creator_client.post(url, {"keyword": "勾股定理", "action": "tag"})
    creator_client.post(url, {"keyword": "Pythagoras", "action": "ignore"})
    # then
    video.refresh_from_db()
    assert [t.name for t in video.tags.all()] == ["勾股定理"]
    assert "勾股定理" in video.search_text
    states = {s["keyword"]: s["state"] for s in video.asset.analysis.suggestions}
    assert states == {"勾股定理": "accepted", "Pythagoras": "ignored"}
    page = _page(creator_client, video)
    assert 'name="action" value="tag"' not in page


@pytest.mark.django_db
def test_a_suggestion_can_go_into_the_title(creator_client: Client, analysed) -> None:
    video, _frames = analysed
    creator_client.post(
        f"/studio/videos/{video.pk}/suggestions", {"keyword": "Pythagoras", "action": "title"}
    )
    video.refresh_from_db()
    assert video.title == "Lesson 3 Pythagoras"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"keyword": "never suggested", "action": "tag"},
        {"keyword": "勾股定理", "action": "delete"},
        {"keyword": "", "action": "tag"},
    ],
)
def test_a_bad_suggestion_answer_changes_nothing(creator_client: Client, analysed, data) -> None:
    video, _frames = analysed
    response = creator_client.post(f"/studio/videos/{video.pk}/suggestions", data)
    assert response.status_code == 302
    video.refresh_from_db()
    assert not video.tags.exists()
    assert all("state" not in s for s in video.asset.analysis.suggestions)


@pytest.mark.django_db
def test_someone_elses_video_is_not_found(client: Client, analysed) -> None:
    video, frames = analysed
    other = UserFactory.create()
    client.force_login(other)
    response = client.post(f"/studio/videos/{video.pk}/poster", {"keyframe": frames[1].pk})
    assert response.status_code in (302, 403, 404)
    assert not VideoAnalysis.objects.get(asset=video.asset).poster_chosen_by_creator


@pytest.mark.django_db
def test_the_creator_is_told_they_uploaded_the_clip_before(
    creator_client: Client, analysed, creator
) -> None:
    video, _frames = analysed
    earlier = ShortVideoFactory.create(creator=creator, title="My first upload")
    DuplicateMatch.objects.create(
        asset=video.asset, matched=earlier.asset, similarity=1, containment=1, is_same_owner=True
    )
    page = _page(creator_client, video)
    assert 'id="own-duplicate"' in page
    assert f'href="/v/{earlier.pk}/">My first upload</a>' in page
