"""A creator's whole journey in Chromium: resumable upload, publish, course builder."""

from pathlib import Path

import pytest

from courses.models import Course, ShortVideo
from demo.clips import ClipSpec, render_clip
from tests.e2e.conftest import log_in, wait_for_js
from tests.factories import CategoryFactory, CreatorProfileFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHUNK = 8 * 1024


def _clip(tmp_path: Path, name: str, seconds: float) -> Path:
    path = tmp_path / name
    render_clip(ClipSpec(caption=name, hue=0.55, seconds=seconds), path)
    return path


def test_upload_survives_a_dropped_request_and_the_video_plays(
    live_server, page, settings, tmp_path
) -> None:
    # given: a creator, small chunks so a 3 s clip takes several requests
    settings.STUDIO_UPLOAD_CHUNK_BYTES = CHUNK
    creator = CreatorProfileFactory.create().user
    CategoryFactory.create(slug="technology", name="Technology")
    clip = _clip(tmp_path, "short.mp4", 3.0)
    assert clip.stat().st_size > 3 * CHUNK
    log_in(page, live_server, creator)
    seen: list[tuple[str, str]] = []
    dropped: list[str] = []

    def flaky(route) -> None:
        request = route.request
        seen.append((request.method, request.headers.get("content-range", "")))
        if request.method == "PUT" and len([m for m, _ in seen if m == "PUT"]) == 2:
            dropped.append(request.headers["content-range"])
            route.abort("connectionreset")
            return
        route.continue_()

    page.route("**/api/v1/studio/uploads/*", flaky)
    # when: the creator uploads, and the second chunk's connection drops
    page.goto(live_server.url + "/studio/videos/new/")
    page.get_by_label("Upload a short video").set_input_files(str(clip))
    page.wait_for_selector(".uploader[data-state=ready]", timeout=30_000)
    # then: after the drop it asked for the offset and resent from the acked byte
    assert dropped == [f"bytes {CHUNK}-{2 * CHUNK - 1}/{clip.stat().st_size}"]
    after = seen[seen.index(("PUT", dropped[0])) + 1 :]
    assert after[0] == ("GET", "")
    assert after[1] == ("PUT", dropped[0])
    assert page.locator("progress").first.get_attribute("value") == "100"
    # when: the creator saves the draft and publishes
    page.get_by_label("Title").fill("Resumable upload demo")
    page.get_by_label("Category").select_option(label="Technology")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_selector("text=Published.")
    # then: it plays on the public site
    video = ShortVideo.objects.get()
    assert (video.status, video.moderation) == ("published", "approved")
    page.goto(f"{live_server.url}/v/{video.pk}/")
    wait_for_js(page, "document.querySelector('#player')?.readyState >= 2", timeout=15)
    start = page.evaluate("document.querySelector('#player').currentTime")
    wait_for_js(page, f"document.querySelector('#player').currentTime > {start} + 0.5", timeout=15)


def test_creator_builds_and_publishes_a_course(live_server, page, tmp_path) -> None:
    # given
    creator = CreatorProfileFactory.create().user
    CategoryFactory.create(slug="technology", name="Technology")
    clip = _clip(tmp_path, "lesson.mp4", 2.0)
    log_in(page, live_server, creator)
    # when: a course with two sections
    page.goto(live_server.url + "/studio/courses/new/")
    page.get_by_label("Title").fill("Python from zero")
    page.get_by_label("Summary").fill("Two sections, three lessons.")
    page.get_by_label("Description (Markdown)").fill("Learn **Python**.")
    page.get_by_label("Category").select_option(label="Technology")
    page.get_by_label("Price").fill("49.00")
    page.get_by_role("button", name="Create draft").click()
    for title in ("Basics", "Going further"):
        page.get_by_label("New section").fill(title)
        page.get_by_role("button", name="Add section").click()
    # and three lessons: the first uploads its video and is a free preview
    lessons = [("Basics", "Hello Python", True), ("Basics", "Types", False),
               ("Going further", "Loops", False)]  # fmt: skip
    for index, (section_title, title, preview) in enumerate(lessons):
        section = page.locator(f'.builder-section[data-section="{section_title}"]')
        section.locator("summary").click()
        form = section.locator("details form")
        form.get_by_label("Lesson title").fill(title)
        if preview:
            form.get_by_label("Free preview").check()
        if index == 0:
            form.locator("input[type=file]").set_input_files(str(clip))
            form.locator(".uploader[data-state=ready]").wait_for(timeout=30_000)
        else:
            form.get_by_label("Video", exact=True).select_option(index=1)
        form.get_by_role("button", name="Add lesson").click()
        page.wait_for_selector(f'li[data-lesson="{title}"]')
    page.get_by_role("button", name="Publish").click()
    page.wait_for_selector("text=Published.")
    # then: a visitor sees the syllabus on the public course page, one lesson open
    course = Course.objects.get()
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/c/{course.slug}/")
    sections = page.locator(".syllabus .section h3").all_inner_texts()
    titles = page.locator(".lessons li > a, .lessons li > .locked").all_inner_texts()
    assert sections == ["Basics", "Going further"]
    assert [t.replace("🔒", "").strip() for t in titles] == ["Hello Python", "Types", "Loops"]
    preview = page.locator(".lessons li", has=page.get_by_text("Free preview"))
    assert preview.count() == 1
    assert preview.get_by_role("link").inner_text() == "Hello Python"
