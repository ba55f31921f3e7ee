"""How quickly the registration form answers on a slow phone, offline.

Starts the app as the browser tests do (gunicorn on a free port, a fresh migrated and
seeded SQLite database in a temporary directory), logs in with Playwright and Debian's
Chromium as a Pixel 7, waits for the service worker, goes offline and throttles the CPU
4x (CDP ``Emulation.setCPUThrottlingRate``), as a cheap Android phone. Then, each time on
the form freshly opened from the service worker's cache and filled in (not timed):

- save: from the tap on "Simpan pendaftaran" (``pointerdown``) on a valid form to the
  first frame after the receipt is shown: the phone's checks, IndexedDB, the receipt.
- refuse: the same tap on an invalid form (a NIK of 8 digits, the phone 12345, no
  consent) to the first frame after the messages are beside the fields.

Usage, from the project root (the test extras installed, e.g. by ``make test``)::

    .venv/bin/python bench/phone_timing.py               # median of 10 each
    .venv/bin/python bench/phone_timing.py --runs 20 --throttle 6 --headed

``CHROMIUM_PATH`` selects the browser. Targets (median, 4x throttle): save <= 150 ms,
refuse <= 100 ms.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SAVE_TARGET_MS = 150.0
REFUSE_TARGET_MS = 100.0
PHONE = {"locale": "id-ID", "timezone_id": "Asia/Jakarta"}
SUBMIT = "form.register-form button[type=submit]"

# Resolves with the milliseconds from the tap to the first frame after `ready()` holds.
ARM_SCRIPT = """
(kind) => {
  const form = document.querySelector('form.register-form');
  const receipt = document.querySelector('[data-saved-receipt]');
  const ready = kind === 'save'
    ? () => !receipt.hidden && receipt.querySelector('[data-ref], [data-local-ref]')?.textContent
    : () => form.querySelector('.field-error') !== null;
  window.__timing = new Promise((resolve) => {
    let tapped = null;
    document.addEventListener('pointerdown', (event) => { tapped = event.timeStamp; },
      { capture: true, once: true });
    const observer = new MutationObserver(() => {
      if (tapped === null || !ready()) return;
      observer.disconnect();
      requestAnimationFrame(() => resolve(performance.now() - tapped));
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true,
      characterData: true });
  });
}
"""


def _browser_harness() -> ModuleType:
    """The browser tests' server harness (tests/browser/conftest.py), imported by path."""
    path = ROOT / "tests" / "browser" / "conftest.py"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # it imports tests.conftest
    spec = importlib.util.spec_from_file_location("browser_test_harness", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def wait_for(page: Page, condition, timeout: float, what: str, interval_ms: int = 50):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:g} s waiting for {what}")
        page.wait_for_timeout(interval_ms)
    return value


def fill_form(page: Page, nik: str, *, valid: bool) -> None:
    """What a volunteer types for one worker (a man born 12-05-1990 unless invalid)."""
    page.select_option("#kecamatan", "33.74.02")
    page.select_option("#kelurahan_code", "33.74.02.1008")
    page.fill("#nik", nik if valid else "33740112")
    page.press("#nik", "Tab")
    page.fill("#full_name", "Pekerja Uji")
    page.fill("#birth_date", "12-05-1990")
    page.check("input[name=sex][value=L]")
    page.fill("#phone", "0812 3456 7890" if valid else "12345")
    page.fill("#address", "Jl. Tambak Lorok RT 03/RW 15")
    page.select_option("#occupation", "nelayan")
    page.fill("#workplace", "TPI Tambak Lorok")
    page.fill("#monthly_income", "1500000")
    page.fill("#heir_name", "Budi Santoso")
    page.select_option("#heir_relationship", "istri")
    page.fill("#heir_phone", "0813 2222 3333")
    if valid:
        page.check("#consent")


def time_one(page: Page, url: str, kind: str, nik: str, throttle: float) -> float:
    page.goto(url)  # from the service worker's cache: the network is off
    page.locator("#kecamatan").wait_for(state="visible")
    fill_form(page, nik, valid=kind == "save")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    try:
        page.evaluate(ARM_SCRIPT, kind)
        page.tap(SUBMIT)
        return float(page.evaluate("window.__timing"))
    finally:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        cdp.detach()


def run(runs: int, throttle: float, headed: bool) -> int:
    harness = _browser_harness()
    chromium_path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    timings: dict[str, list[float]] = {"save": [], "refuse": []}
    with tempfile.TemporaryDirectory(prefix="phone-timing-") as tmp:
        tmp_dir = Path(tmp)
        template = harness.make_template_database(tmp_dir / "template.sqlite3")
        server_dir = tmp_dir / "server"
        server_dir.mkdir()
        server = harness.start_live_server(server_dir, template)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium_path, headless=not headed
                )
                device = dict(playwright.devices["Pixel 7"])
                device.pop("default_browser_type", None)
                context = browser.new_context(**device, **PHONE)
                page = context.new_page()
                user, password = harness.VOLUNTEER
                harness.log_in(page, server.url, user, password)
                page.goto(server.url + "/app")
                wait_for(
                    page,
                    lambda: page.evaluate("navigator.serviceWorker.controller !== null"),
                    15,
                    "the service worker",
                )
                context.set_offline(True)
                form_url = server.url + "/app/register"
                time_one(page, form_url, "save", "3374010101900001", 1)  # warm up
                for i in range(runs):
                    nik = f"33740112059{i + 1:05d}"
                    timings["refuse"].append(time_one(page, form_url, "refuse", nik, throttle))
                    timings["save"].append(time_one(page, form_url, "save", nik, throttle))
                waiting = page.evaluate("() => window.pijarOutbox.counts()")["waiting"]
                context.close()
                browser.close()
        finally:
            server.stop()

    print(f"Chromium as a Pixel 7, offline, CPU throttled {throttle:g}x, {runs} runs each")
    for kind, target in (("save", SAVE_TARGET_MS), ("refuse", REFUSE_TARGET_MS)):
        values = timings[kind]
        median = statistics.median(values)
        verdict = "under" if median <= target else "OVER"
        print(
            f"{kind:7} tap to {'receipt ' if kind == 'save' else 'messages'}: "
            f"median {median:6.1f} ms  (min {min(values):.1f}, max {max(values):.1f})  "
            f"target {verdict} {target:g} ms"
        )
    print(f"saved on the phone: {waiting} (expected {runs + 1})")
    ok = waiting == runs + 1
    ok = ok and statistics.median(timings["save"]) <= SAVE_TARGET_MS
    ok = ok and statistics.median(timings["refuse"]) <= REFUSE_TARGET_MS
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timings of each kind (default 10)")
    parser.add_argument("--throttle", type=float, default=4.0, help="CPU slowdown (default 4)")
    parser.add_argument("--headed", action="store_true", help="show the browser")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 1000:
        parser.error("--runs must be between 1 and 1000")
    return run(args.runs, args.throttle, args.headed)


if __name__ == "__main__":
    sys.exit(main())
