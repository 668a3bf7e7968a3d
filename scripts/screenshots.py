"""Screenshots of / and /pricing at phone (390 px) and desktop (1440 px) widths, in Chromium.

    make screenshots                                  # builds and serves the app with demo data
    SCREENSHOTS_URL=http://localhost:3000 make screenshots   # uses a running app instead

Writes docs/screenshots/<page>-<width>[-dark].png (the README shows them).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from playwright.sync_api import sync_playwright  # noqa: E402
from serve_app import CHROMIUM, CHROMIUM_ARGS, ROOT, serve_app  # noqa: E402

OUT_DIR = ROOT / "docs" / "screenshots"
PAGES = {"home": "/", "pricing": "/pricing"}
VIEWPORTS = {"phone": (390, 844), "desktop": (1440, 900)}
# (page, viewport, color scheme); dark mode once per page on the desktop.
SHOTS = [
    *[(page, viewport, "light") for page in PAGES for viewport in VIEWPORTS],
    *[(page, "desktop", "dark") for page in PAGES],
]


def take_screenshots(base_url: str) -> list[Path]:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for page_name, viewport, scheme in SHOTS:
            width, height = VIEWPORTS[viewport]
            context = browser.new_context(
                viewport={"width": width, "height": height},
                color_scheme=scheme,
                device_scale_factor=1,
            )
            page = context.new_page()
            page.goto(base_url + PAGES[page_name], wait_until="networkidle")
            if page_name == "home":
                # The teaser is the page's only data: wait for the cards (or the empty state).
                page.wait_for_selector(".teaser-card, #teaser-empty", timeout=15_000)
            page.wait_for_timeout(300)
            suffix = "-dark" if scheme == "dark" else ""
            path = OUT_DIR / f"{page_name}-{viewport}{suffix}.png"
            page.screenshot(path=str(path), full_page=True)
            written.append(path)
            context.close()
        browser.close()
    return written


def main() -> int:
    url = os.environ.get("SCREENSHOTS_URL")
    with contextlib.ExitStack() as stack:
        if not url:
            print("==> building and serving the app (production mode, SQLite, demo data)")
            url = stack.enter_context(serve_app(seed=True))
        for path in take_screenshots(url.rstrip("/")):
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
