import pytest

from tests.e2e.conftest import wait_for_js
from tests.factories import ShortVideoFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_home_to_a_playing_video(live_server, page, make_clip) -> None:
    # given: a published video with a real clip
    video = ShortVideoFactory.create(title="Python编程入门", asset__file=make_clip(seconds=3.0))
    # when: a viewer opens the home page and clicks the video
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Python编程入门").first.click()
    page.wait_for_url(f"**/v/{video.pk}/")
    # then: the player advances
    wait_for_js(page, "document.querySelector('#player')?.readyState >= 2", timeout=15)
    start = page.evaluate("document.querySelector('#player').currentTime")
    wait_for_js(page, f"document.querySelector('#player').currentTime > {start} + 0.5", timeout=15)
    assert page.evaluate("document.querySelector('#player').paused") is False
