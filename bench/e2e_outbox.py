"""End to end: registrations queued in Chromium offline, then the phone reconnects.

Starts the app as the browser tests do (gunicorn on a free port, a fresh migrated and
seeded SQLite database in a temporary directory), logs in with Playwright and Debian's
Chromium (which gives the phone its device token), waits for the service worker, goes
offline with ``context.set_offline(True)`` and queues N records through the page's own
outbox API (``window.pijarOutbox.add``, what the form calls on save, with the form's
field names and distinct valid NIKs). Then ``set_offline(False)`` and the clock runs
until the outbox shows 0 waiting and the server's database holds all N registrations.

Usage, from the project root (the test extras installed, e.g. by ``make test``)::

    .venv/bin/python bench/e2e_outbox.py              # 1,000 records
    .venv/bin/python bench/e2e_outbox.py --records 200 --headed

``CHROMIUM_PATH`` selects the browser (as for the browser tests). Target for 1,000
records: under 10 s from reconnection to an empty outbox and 1,000 on the server.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the harness imports tests.conftest
TARGET_S = 10.0
DRAIN_TIMEOUT_S = 300.0


def _browser_harness() -> ModuleType:
    """The browser tests' server harness (tests/browser/conftest.py), imported by path."""
    path = ROOT / "tests" / "browser" / "conftest.py"
    spec = importlib.util.spec_from_file_location("browser_test_harness", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def make_people(count: int) -> list[tuple[str, str, str]]:
    """(NIK, birth date, name): distinct valid NIKs issued in Semarang Tengah to men."""
    people = []
    for i in range(count):
        day, serial = 1 + i // 9999, 1 + i % 9999
        nik = f"337401{day:02d}0590{serial:04d}"
        letters, n = "", i
        while True:  # names may not hold digits: i in base 26, as letters
            n, rest = divmod(n, 26)
            letters = chr(ord("a") + rest) + letters
            if not n:
                break
        people.append((nik, f"1990-05-{day:02d}", f"Pekerja Uji {letters.capitalize()}"))
    return people


# The form's fields by their names, as the form hands them to pijarOutbox.add().
QUEUE_SCRIPT = """
async (people) => {
  const started = performance.now();
  for (const [nik, birthDate, name] of people) {
    await window.pijarOutbox.add({
      nik, full_name: name, birth_date: birthDate, sex: 'L', phone: '0812 3456 7890',
      address: 'Jl. Tambak Lorok RT 03/RW 15', kelurahan_code: '33.74.02.1008',
      occupation: 'nelayan', occupation_other: '', workplace: 'TPI Tambak Lorok',
      monthly_income: '1500000', heir_name: 'Budi Santoso', heir_relationship: 'istri',
      heir_phone: '0813 2222 3333', consent: 'yes',
    });
  }
  return performance.now() - started;
}
"""


def wait_for(page: Page, condition, timeout: float, what: str, interval_ms: int = 50):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:g} s waiting for {what}")
        page.wait_for_timeout(interval_ms)
    return value


def run(records: int, headed: bool) -> int:
    harness = _browser_harness()
    chromium_path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with tempfile.TemporaryDirectory(prefix="e2e-outbox-") as tmp:
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
                context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
                page = context.new_page()
                user, password = harness.VOLUNTEER
                harness.log_in(page, server.url, user, password)
                wait_for(
                    page,
                    lambda: server.scalar("SELECT count(*) FROM devices") >= 1,
                    15,
                    "a device token",
                )
                page.goto(server.url + "/app")
                wait_for(
                    page,
                    lambda: page.evaluate("navigator.serviceWorker.controller !== null"),
                    15,
                    "the service worker",
                )
                wait_for(
                    page,
                    lambda: page.evaluate("typeof window.pijarOutbox?.add === 'function'"),
                    15,
                    "window.pijarOutbox",
                )

                context.set_offline(True)
                people = [list(person) for person in make_people(records)]
                queue_ms = page.evaluate(QUEUE_SCRIPT, people)
                waiting = page.evaluate("() => window.pijarOutbox.counts()")["waiting"]
                assert waiting == records, f"{waiting} waiting, expected {records}"
                assert server.scalar("SELECT count(*) FROM registrations") == 0

                started = time.monotonic()
                context.set_offline(False)
                server_done: list[float] = []

                def all_there() -> bool:
                    stored = server.scalar("SELECT count(*) FROM registrations")
                    if stored >= records and not server_done:
                        server_done.append(time.monotonic() - started)
                    counts = page.evaluate("() => window.pijarOutbox.counts()")
                    return stored >= records and counts["waiting"] == 0

                wait_for(page, all_there, DRAIN_TIMEOUT_S, "the outbox to drain")
                seconds = time.monotonic() - started
                stored = server.scalar("SELECT count(*) FROM registrations")
                distinct = server.scalar("SELECT count(DISTINCT nik) FROM registrations")
                counts = page.evaluate("() => window.pijarOutbox.counts()")
                context.close()
                browser.close()
        finally:
            server.stop()

    print(f"records:                 {records}")
    print(f"queued offline in:       {queue_ms / 1000:.2f} s ({records / (queue_ms / 1000):.0f}/s)")
    print(f"server held all after:   {server_done[0]:.2f} s")
    print(f"seconds to drain:        {seconds:.2f} s (outbox 0 waiting and {stored} on server)")
    print(f"records/s:               {records / seconds:.0f}")
    print(f"phone counts:            {counts}")
    print(f"distinct NIKs stored:    {distinct}")
    ok = stored == records and distinct == records and counts["waiting"] == 0
    verdict = "under" if seconds < TARGET_S else "OVER"
    print(f"target:                  {verdict} {TARGET_S:g} s for 1,000 records")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000, help="how many (default 1000)")
    parser.add_argument("--headed", action="store_true", help="show the browser")
    args = parser.parse_args(argv)
    if not 1 <= args.records <= 279_972:  # 28 days x 9,999 serials
        parser.error("--records must be between 1 and 279972")
    return run(args.records, args.headed)


if __name__ == "__main__":
    sys.exit(main())
