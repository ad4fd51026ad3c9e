"""The creator page in a real browser: reached from a video, followed and unfollowed."""

import pytest
from playwright.sync_api import expect

from accounts.models import Follow
from tests.factories import CourseFactory, CreatorProfileFactory, ShortVideoFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_viewer_opens_the_creator_page_from_a_video_and_follows(
    live_server, page, make_clip
) -> None:
    # given a creator with a video and a course, and a logged-in viewer
    profile = CreatorProfileFactory.create(
        user__display_name="王老师", handle="wang", bio="十年 Python 教学。\n欢迎关注！"
    )
    video = ShortVideoFactory.create(creator=profile.user, asset__file=make_clip(seconds=1.0))
    CourseFactory.create(creator=profile.user, title="Python 从零到一")
    viewer = UserFactory.create()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", viewer.username)
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    # when they click the creator's name under a video
    page.goto(f"{live_server.url}/v/{video.pk}/")
    page.locator(".watch-info .creator-link").click()
    page.wait_for_url(live_server.url + "/@wang/")
    assert page.get_by_role("link", name="Python 从零到一").count() == 1
    # and follow, then unfollow
    button = page.locator("#creator [data-action=follow]")
    count = page.locator("#follower-count")
    button.click()
    # then the button and the count follow the server's answer
    expect(button).to_have_text("Following")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(count).to_have_text("1")
    assert Follow.objects.filter(follower=viewer, creator=profile.user).exists()
    button.click()
    expect(button).to_have_text("Follow")
    expect(count).to_have_text("0")
    assert not Follow.objects.filter(follower=viewer, creator=profile.user).exists()
