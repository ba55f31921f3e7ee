"""Make the app's PNG icons from webapp/static/icons/icon.svg with headless Chromium.

    .venv/bin/python scripts/make_icons.py

Writes icon-192.png and icon-512.png (the SVG as it is, transparent corners) and
icon-maskable-512.png (the mark at 80% on a full-bleed brand background, so that any
mask shape an Android launcher applies keeps it whole: the safe zone is the central
circle of 80% diameter). Commit the PNGs; the app does not make them at run time.
Uses Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium), never a download.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from playwright.sync_api import sync_playwright

ICONS = Path(__file__).resolve().parents[1] / "webapp" / "static" / "icons"
BRAND = "#0b4f8a"
MASKABLE_MARK = 0.8  # the shield then stays well inside the 80% safe circle

PLAIN = """<!doctype html><html><body style="margin:0;background:transparent">
<img src="data:image/svg+xml;base64,{svg}" width="{size}" height="{size}" style="display:block">
</body></html>"""

MASKABLE = """<!doctype html><html><body style="margin:0;background:{brand}">
<div style="width:{size}px;height:{size}px;display:flex;align-items:center;justify-content:center">
<img src="data:image/svg+xml;base64,{svg}" width="{mark}" height="{mark}"></div>
</body></html>"""


def main() -> None:
    svg = base64.b64encode((ICONS / "icon.svg").read_bytes()).decode()
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    jobs = [
        ("icon-192.png", 192, PLAIN.format(svg=svg, size=192)),
        ("icon-512.png", 512, PLAIN.format(svg=svg, size=512)),
        (
            "icon-maskable-512.png",
            512,
            MASKABLE.format(svg=svg, size=512, mark=round(512 * MASKABLE_MARK), brand=BRAND),
        ),
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable)
        try:
            for name, size, html in jobs:
                page = browser.new_page(viewport={"width": size, "height": size})
                page.set_content(html)
                page.wait_for_load_state("load")
                page.screenshot(path=str(ICONS / name), omit_background=True)
                page.close()
                print(f"wrote {name} ({size}x{size})")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
