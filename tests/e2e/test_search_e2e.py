import pytest

from courses.search.index import search_text_refresh
from tests.factories import CourseFactory, ShortVideoFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_header_search_in_chinese_finds_and_marks_the_video(live_server, page) -> None:
    # given: a video and a course, indexed as services index them
    video = ShortVideoFactory.create(title="Python编程入门")
    course = CourseFactory.create(title="编程思维训练营", price_minor=0)
    search_text_refresh(video_id=video.pk, course_id=course.pk)
    # when: a viewer types 编程 into the header search box and presses Enter
    page.goto(live_server.url + "/")
    box = page.get_by_role("searchbox", name="Search").first
    box.fill("编程")
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    # then: both sections list their match with the term marked
    videos = page.locator("#videos")
    assert videos.locator("h2").inner_text().endswith("(1)")
    assert videos.locator("mark").first.inner_text() == "编程"
    videos.get_by_role("link", name="Python编程入门").click()
    page.wait_for_url(f"**/v/{video.pk}/")
    page.go_back()
    assert page.locator("#courses h3").inner_text() == "编程思维训练营"
    # and: filtering to paid courses leaves the free course out, form kept filled in
    page.select_option("#id_pricing", "paid")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**pricing=paid*")
    assert page.locator("#courses h2").inner_text().endswith("(0)")
    assert page.locator("#id_q").input_value() == "编程"
