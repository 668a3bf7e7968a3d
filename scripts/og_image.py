"""Draws assets/og-image.png (1200x630), the social preview picture, with Chromium.

uv run python scripts/og_image.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from playwright.sync_api import sync_playwright  # noqa: E402
from serve_app import CHROMIUM, CHROMIUM_ARGS, ROOT  # noqa: E402

HTML = """<!doctype html><html><body style="margin:0">
<div style="width:1200px;height:630px;box-sizing:border-box;padding:80px 90px;
 background:linear-gradient(135deg,#2f265f 0%,#5746af 60%,#6e56cf 100%);color:#fff;
 font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;display:flex;
 flex-direction:column;justify-content:space-between">
 <div style="display:flex;align-items:center;gap:18px;font-size:40px;font-weight:700">
  <svg width="56" height="56" viewBox="0 0 32 32"><rect width="32" height="32" rx="7"
   fill="#fff"/><path d="M9 8h9a6 6 0 0 1 0 12h-5v4H9z M13 12v4h5a2 2 0 0 0 0-4z"
   fill="#6e56cf"/></svg>PromptRepo</div>
 <div style="font-size:68px;font-weight:800;line-height:1.08;max-width:1000px">
  Version, test and serve the prompts your LLM apps run on</div>
 <div style="font-size:30px;opacity:.9">Typed variables · validators that gate publishing ·
  one-click rollback · a fast, cached API</div>
</div></body></html>"""


def main() -> int:
    out = ROOT / "assets" / "og-image.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 630})
        page.set_content(HTML)
        page.screenshot(path=str(out))
        browser.close()
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
