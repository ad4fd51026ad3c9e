"""Every main page at three sizes: a phone, a tablet and a laptop (issue 14).

Each page must fit its width (no sideways scrolling, every visible control on screen),
pass axe-core with no serious or critical violation, and keep the feed's action rail
inside the video; the comment sheet opens on screen and posts at every size.

axe-core comes from the npm registry (package.json, `npm ci`) and is injected by
Playwright; the contexts bypass the site's Content-Security-Policy for that injection.
With KF_SCREENSHOTS=<folder> the page test also saves one screenshot per page and size
(`make screenshots` writes docs/screenshots/).
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from courses.models import Comment, Course, Lesson, ScreenTextLine, ShortVideo
from courses.search.index import search_text_refresh
from tests.conftest import require, wait_until
from tests.e2e.conftest import wait_for_js
from tests.factories import (
    CategoryFactory,
    CourseFactory,
    CreatorProfileFactory,
    LessonFactory,
    ShortVideoFactory,
    UserFactory,
    VideoAnalysisFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"phone": (390, 844), "tablet": (768, 1024), "laptop": (1366, 900)}
SCREENSHOTS = os.environ.get("KF_SCREENSHOTS", "")

# Every visible control's box, clipped by the ancestors that scroll or clip sideways
# (a table that scrolls in its own container is fine); those outside the viewport are
# reported. Visually hidden labels (1 px) are no controls a person sees.
CONTROLS_OUTSIDE = """() => {
  const out = [];
  const width = document.documentElement.clientWidth;
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=tab]";
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || !el.getClientRects().length) continue;
    let r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;
    let left = r.left, right = r.right;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const ox = getComputedStyle(p).overflowX;
      if (ox === "visible") continue;
      const pr = p.getBoundingClientRect();
      left = Math.max(left, pr.left); right = Math.min(right, pr.right);
    }
    if (right - left <= 1) continue;  /* scrolled away inside its own container */
    if (left < -1 || right > width + 1) {
      out.push((el.id ? "#" + el.id : el.tagName.toLowerCase() + "." + el.className) + " "
        + JSON.stringify((el.getAttribute("aria-label") || el.textContent || "").trim().slice(0, 30))
        + " at " + Math.round(left) + ".." + Math.round(right));
    }
  }
  return out;
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
}"""


@dataclass
class Site:
    url: str
    viewer: User
    creator: User
    staff: User
    course: Course
    preview: Lesson
    video: ShortVideo


CHAPTERS = [
    {"start": 0.0, "end": 1.0, "title": "先导 Introduction"},
    {"start": 1.0, "end": 2.0, "title": "列表推导式 List comprehensions in one line"},
    {"start": 2.0, "end": 3.0, "title": ""},
]


@pytest.fixture
def site(live_server, make_clip) -> Site:
    """One small catalogue: a creator with a course and videos, a viewer, a staff member."""
    clip = make_clip(seconds=3.0)
    creator = CreatorProfileFactory.create(user__username="mentor", handle="mentor").user
    category = CategoryFactory.create(slug="programming", name="Programming")
    course = CourseFactory.create(
        creator=creator, title="Python编程从零到一", slug="python-101", category=category
    )
    preview = LessonFactory.create(
        section__course=course,
        title="先导课 A first look",
        is_preview=True,
        asset__file=make_clip("private/videos/test/layout.mp4", seconds=3.0),
    )
    LessonFactory.create(section=preview.section, title="第二课 Loops")
    # The content analysis's chapters on the lesson timeline (issue 19), at every size.
    VideoAnalysisFactory.create(asset=preview.asset, duration_seconds=3.0, chapters=CHAPTERS)
    videos = [
        ShortVideoFactory.create(
            creator=creator,
            category=category,
            title=title,
            asset__file=clip,
            course=course if i == 0 else None,
            search_text=f"python {title.lower()}",
        )
        for i, title in enumerate(["Python编程入门", "Lists in five minutes", "Dicts, quickly"])
    ]
    # A word only on a slide: the search page shows the moment it appears (issue 19).
    analysis = VideoAnalysisFactory.create(asset=videos[1].asset, screen_text="Python 列表推导式")
    ScreenTextLine.objects.create(
        analysis=analysis, timestamp=2, shown_from=1, text="Python 列表推导式", confidence=0.9
    )
    search_text_refresh(video_id=videos[1].pk)
    viewer = UserFactory.create(username="learner")
    staff = UserFactory.create(username="ops", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    return Site(live_server.url, viewer, creator, staff, course, preview, videos[0])


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def size(request) -> tuple[int, int]:
    return SIZES[request.param]


@pytest.fixture
def sized(browser, size) -> Iterator[Any]:
    """A browser context at one size; phones and tablets are touch devices."""
    require(AXE.exists(), "axe-core is not installed: run `npm ci` in the checkout")
    width, height = size
    context = browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=width < 1024,
        has_touch=width < 1024,
        bypass_csp=True,  # lets Playwright inject axe-core as a script tag
    )
    yield context
    for page in context.pages:
        page.goto("about:blank")
    context.close()


def _log_in(context, site: Site, user: User) -> None:
    client = Client()
    client.force_login(user)
    context.clear_cookies()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site.url}]
    )


def _check(page, width: int, name: str, problems: list[str], shot: str = "") -> None:
    """Overflow, controls on screen and axe for the page now shown; problems collect."""
    page.wait_for_load_state("load")
    overflow = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    if overflow[0] > min(overflow[1], width):
        problems.append(f"{name}: page is {overflow[0]} px wide in a {width} px viewport")
    for control in page.evaluate(CONTROLS_OUTSIDE):
        problems.append(f"{name}: control off screen: {control}")
    page.add_script_tag(path=str(AXE))
    for violation in page.evaluate(AXE_RUN):
        problems.append(f"{name}: axe {violation}")
    if SCREENSHOTS and shot:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOTS}/{shot}-{width}.jpg", type="jpeg", quality=70)


def test_every_main_page_fits_and_passes_axe(site, sized, size) -> None:
    width, _ = size
    page = sized.new_page()
    problems: list[str] = []
    anonymous = {
        "home": "/",
        "login": "/accounts/login/",
        "signup": "/accounts/signup/",
    }
    viewer_pages = {
        "feed": "/feed/?tab=trending",
        "video": f"/v/{site.video.pk}/",
        "search": "/search/?q=python",
        "course": f"/c/{site.course.slug}/",
        "lesson": f"/lessons/{site.preview.pk}/",
        "my-space": "/me/",
        "notifications": "/me/notifications/",
        "creator-page": "/@mentor/",
    }
    creator_pages = {
        "studio": "/studio/",
        "studio-upload": "/studio/videos/new/",
        "creator-dashboard": "/dashboard/creator/",
    }
    for name, path in anonymous.items():
        page.goto(site.url + path)
        _check(page, width, name, problems, shot=name)
    _log_in(sized, site, site.viewer)
    for name, path in viewer_pages.items():
        page.goto(site.url + path)
        if name == "feed":
            page.locator(".feed-item").first.wait_for()
        _check(page, width, name, problems, shot=name)
    # checkout: the buy button leads to the (sandbox) payment page
    page.goto(f"{site.url}/c/{site.course.slug}/")
    page.click("#buy-button")
    page.wait_for_url("**/shop/sandbox/checkout/**")
    _check(page, width, "checkout", problems, shot="checkout")
    _log_in(sized, site, site.creator)
    for name, path in creator_pages.items():
        page.goto(site.url + path)
        _check(page, width, name, problems, shot=name)
    _log_in(sized, site, site.staff)
    page.goto(site.url + "/dashboard/")
    _check(page, width, "admin-dashboard", problems, shot="admin-dashboard")
    assert not problems, "\n".join(problems)


def test_one_line_top_bar_and_a_bottom_tab_bar_on_phones(site, sized, size) -> None:
    width, height = size
    page = sized.new_page()
    _log_in(sized, site, site.viewer)
    page.goto(site.url + "/")
    topbar = page.locator(".topbar").bounding_box()
    assert topbar is not None
    # one row at every size: the feed gets the screen
    assert topbar["height"] <= 64 if width <= 600 else topbar["height"] <= 72
    tabbar = page.locator("nav.tabbar")
    my_space = page.locator(".topbar").get_by_role("link", name="My space")
    if width > 1100:
        # a laptop shows every link in the bar
        assert not tabbar.is_visible()
        assert my_space.is_visible()
        return
    # narrower: the account links open from the menu button, on screen
    assert not my_space.is_visible()
    page.get_by_role("button", name="Menu").click()
    my_space.wait_for(state="visible")
    box = my_space.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    assert box["height"] >= 44
    page.keyboard.press("Escape")
    my_space.wait_for(state="hidden")
    if width > 600:
        assert not tabbar.is_visible()
        return
    # a phone: the four tabs at the bottom, each easy to touch
    box = tabbar.bounding_box()
    assert box is not None
    assert abs(box["y"] + box["height"] - height) <= 1
    labels = [link.inner_text().strip() for link in tabbar.locator("a").all()]
    assert labels == ["Home", "Feed", "Search", "Me"]
    for link in tabbar.locator("a").all():
        target = link.bounding_box()
        assert target is not None
        assert target["width"] >= 44
        assert target["height"] >= 44
    for control in page.locator(".topbar a, .topbar button").all():
        if control.is_visible():
            target = control.bounding_box()
            assert target is not None
            assert target["height"] >= 44, control.inner_text()
    # the tab bar reaches search
    tabbar.get_by_role("link", name="Search").click()
    page.wait_for_url("**/search/**")


def test_feed_action_rail_is_inside_the_video(site, sized) -> None:
    page = sized.new_page()
    page.goto(site.url + "/feed/?tab=trending")
    page.locator(".feed-item").first.wait_for()
    wait_for_js(page, "document.querySelector('.feed-item video')?.videoWidth > 0")
    boxes = page.evaluate(
        """() => {
      const item = document.querySelector('.feed-item');
      const video = item.querySelector('video');
      const list = document.getElementById('feed-list').getBoundingClientRect();
      const v = video.getBoundingClientRect();
      /* the picture itself: with object-fit contain a portrait clip in a wider box leaves
         bars at the sides, and a button over a bar is cut off at the picture's edge */
      let { left, right, top, bottom } = v;
      if (getComputedStyle(video).objectFit === 'contain' && video.videoWidth) {
        const scale = Math.min(v.width / video.videoWidth, v.height / video.videoHeight);
        const w = video.videoWidth * scale, h = video.videoHeight * scale;
        left = v.left + (v.width - w) / 2; right = left + w;
        top = v.top + (v.height - h) / 2; bottom = top + h;
      }
      const frame = { left: Math.max(left, list.left, 0), right: Math.min(right, list.right, innerWidth),
                      top: Math.max(top, list.top, 0), bottom: Math.min(bottom, list.bottom, innerHeight) };
      const buttons = [...item.querySelectorAll('.feed-actions button')].map((b) => {
        const r = b.getBoundingClientRect();
        return { label: b.getAttribute('aria-label'), left: r.left, right: r.right, top: r.top,
                 bottom: r.bottom, width: r.width, height: r.height };
      });
      return { frame, buttons };
    }"""
    )
    frame = boxes["frame"]
    assert len(boxes["buttons"]) == 5
    for button in boxes["buttons"]:
        label = button["label"]
        assert frame["left"] <= button["left"], label
        assert button["right"] <= frame["right"], label
        assert frame["top"] <= button["top"], label
        assert button["bottom"] <= frame["bottom"], label
        assert min(button["width"], button["height"]) >= 44, label
    # icons are inline SVG with a label, not emoji
    rail = page.locator(".feed-item").first.locator(".feed-actions")
    assert rail.locator("svg").count() == 5
    assert all(ord(ch) < 0x2190 for ch in rail.inner_text()), rail.inner_text()


def test_comment_sheet_opens_on_screen_and_posts(site, sized, size) -> None:
    width, height = size
    page = sized.new_page()
    _log_in(sized, site, site.viewer)
    page.goto(site.url + "/feed/?tab=trending")
    page.locator(".feed-item").first.wait_for()
    page.locator(".feed-item").first.locator("[data-action=comments]").click()
    sheet = page.locator("#comments-drawer")
    sheet.wait_for(state="visible")
    page.wait_for_timeout(400)  # the sheet slides in
    box = sheet.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width + 1
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= height + 1
    if width <= 600:
        # a bottom sheet: full width, resting on the bottom edge
        assert box["width"] >= width - 1
        assert abs(box["y"] + box["height"] - height) <= 1
    page.fill("#comment-body", f"讲得清楚 at {width}px")
    post = page.locator("#comment-form button[type=submit]")
    post_box = post.bounding_box()
    assert post_box is not None
    assert post_box["x"] + post_box["width"] <= width + 1
    post.click()
    page.locator("#comment-list .comment-body", has_text=f"讲得清楚 at {width}px").wait_for()
    assert wait_until(
        lambda: Comment.objects.filter(body=f"讲得清楚 at {width}px", author=site.viewer).exists(),
        timeout=10,
    )
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/comments-{width}.jpg", type="jpeg", quality=70)
