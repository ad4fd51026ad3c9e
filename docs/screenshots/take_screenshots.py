"""Take the screenshots in this folder from a running demo (``make run``).

    .venv/bin/python docs/screenshots/take_screenshots.py [http://127.0.0.1:8000]

Desktop (1280x800) and phone (375x812) views of the feed, a video, a course
page and My space, logged in as the seeded viewer ``viewer-00001``.
"""

import shutil
import sys
from pathlib import Path

from playwright.sync_api import ViewportSize, sync_playwright

HERE = Path(__file__).resolve().parent
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 375, "height": 812},
}


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS
        )
        for name, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, is_mobile=name == "phone")
            page = context.new_page()
            page.goto(base + "/accounts/login/")
            page.fill("#id_username", "viewer-00001")
            page.fill("#id_password", "demo-pass-123")
            page.click("form button[type=submit]")
            page.goto(base + "/feed/")
            page.wait_for_selector(".feed-item video")
            page.wait_for_timeout(1500)
            page.screenshot(path=HERE / f"feed-{name}.jpg", type="jpeg", quality=70)
            page.goto(base + "/v/1/")
            page.wait_for_timeout(1200)
            page.screenshot(path=HERE / f"video-{name}.jpg", type="jpeg", quality=70)
            page.goto(base + "/c/python-5/")
            page.screenshot(path=HERE / f"course-{name}.jpg", type="jpeg", quality=70)
            page.goto(base + "/me/")
            page.screenshot(path=HERE / f"my-space-{name}.jpg", type="jpeg", quality=70)
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
