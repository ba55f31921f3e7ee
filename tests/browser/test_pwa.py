"""The installable, offline-first volunteer app in real Chromium.

Offline here is ``context.set_offline(True)`` (page and service worker alike) or a
phone closed and reopened offline (a persistent profile). The server is checked in its
database: each record saved on the phone must be there exactly once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    BrowserType,
    Page,
    Playwright,
    expect,
)
from test_register_form import (
    LOCAL_REFERENCE,
    REFERENCE,
    choose_place,
    fill_rest,
    open_form,
    submit,
    type_nik,
)

pytestmark = pytest.mark.browser

PHONE = {"locale": "id-ID", "timezone_id": "Asia/Jakarta"}
SYNC_TIMEOUT_S = 20.0
NIK_MESSAGE = "NIK harus 16 angka."
# Chromium logs each request that fails while offline; that is the situation under test.
OFFLINE_NOISE = (r"net::ERR_INTERNET_DISCONNECTED", r"Failed to fetch")
# A server killed for a deploy may cut a background sync that was under way.
RESTART_NOISE = (r"net::ERR_CONNECTION_(RESET|REFUSED) \(http://127\.0\.0\.1:\d+/api/v1/sync\)$",)


# What an older version of the form saved unchecked: all well but the NIK (15 digits).
UNCHECKED_RECORD = {
    "nik": "337401120590001",
    "full_name": "Sri Wahyuni",
    "birth_date": "1990-05-12",
    "sex": "L",
    "phone": "0812 3456 7890",
    "address": "Jl. Tambak Lorok RT 03/RW 15",
    "kelurahan_code": "33.74.02.1008",
    "occupation": "nelayan",
    "occupation_other": "",
    "workplace": "TPI Tambak Lorok",
    "monthly_income": "1500000",
    "heir_name": "Budi Santoso",
    "heir_relationship": "istri",
    "heir_phone": "0813 2222 3333",
    "consent": "yes",
}


def niks(first_serial: int, count: int) -> list[str]:
    """Distinct valid NIKs: issued in Semarang Tengah, born 12-05-1990, male."""
    return [f"3374011205900{serial:03d}" for serial in range(first_serial, first_serial + count)]


# --- helpers ----------------------------------------------------------------------------


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """An Indonesian phone: dates as the volunteer's phone writes them, WIB clock."""
    return {**browser_context_args, **PHONE}


def wait_for_service_worker(page: Page, poll) -> None:
    """The worker controls the page (so the next offline navigation has a cache)."""
    page.goto(page.url.split("/app")[0] + "/app")
    poll(
        page,
        lambda: page.evaluate("navigator.serviceWorker.controller !== null"),
        message="a service worker controlling /app",
    )


def start_phone(page: Page, live_server, login, poll) -> None:
    login(page, live_server.url)
    assert page.evaluate("async () => Boolean((await window.pijarOutbox.getMeta('device')))"), (
        "logging in did not leave a device token on the phone"
    )
    wait_for_service_worker(page, poll)


def save(page: Page, base_url: str, nik: str) -> str:
    """Fill and save one registration; returns the local reference shown at once."""
    open_form(page, base_url)
    choose_place(page)
    type_nik(page, nik)
    fill_rest(page)
    submit(page)
    local_ref = page.locator("[data-saved-receipt] [data-ref]")
    expect(local_ref).to_have_text(LOCAL_REFERENCE)
    expect(page.locator("#nik")).to_have_value("")  # ready for the next worker
    return local_ref.inner_text()


def counts(page: Page) -> dict[str, int]:
    return page.evaluate("() => window.pijarOutbox.counts()")


def stored_by_nik(live_server, wanted: list[str]) -> dict[str, int]:
    marks = ", ".join("?" for _ in wanted)
    sql = f"SELECT nik, count(*) FROM registrations WHERE nik IN ({marks}) GROUP BY nik"  # noqa: S608
    return dict(live_server.query(sql, tuple(wanted)))


def wait_until_all_arrived(page: Page, live_server, poll, wanted: list[str]) -> None:
    poll(
        page,
        lambda: (
            len(stored_by_nik(live_server, wanted)) == len(wanted) and counts(page)["waiting"] == 0
        ),
        timeout=SYNC_TIMEOUT_S,
        message=f"{len(wanted)} registrations on the server, none waiting on the phone",
        describe=lambda: {"server": stored_by_nik(live_server, wanted), "phone": counts(page)},
    )
    assert stored_by_nik(live_server, wanted) == dict.fromkeys(wanted, 1)
    assert live_server.scalar("SELECT count(*) FROM registrations") == len(wanted)


@pytest.fixture
def persistent_phone(
    browser_type: BrowserType, browser_type_launch_args: dict[str, Any], tmp_path: Path
) -> Iterator[Any]:
    """``open(offline=False, **context_args)`` launches Chromium on one profile directory
    that outlives each close, like a phone's browser; all are closed at the end."""
    profile = tmp_path / "profile"
    opened: list[BrowserContext] = []

    def open_phone(offline: bool = False, **context_args: Any) -> BrowserContext:
        context = browser_type.launch_persistent_context(
            profile, **browser_type_launch_args, **PHONE, offline=offline, **context_args
        )
        opened.append(context)
        return context

    yield open_phone
    for context in opened:
        context.close()


# --- offline by set_offline ---------------------------------------------------------------


def test_offline_form_opens_from_the_service_worker_and_each_record_arrives_once(
    page: Page, context: BrowserContext, live_server, login, poll, browser_errors
):
    start_phone(page, live_server, login, poll)
    context.set_offline(True)

    response = page.goto(live_server.url + "/app/register")
    assert response is not None and response.from_service_worker
    expect(page.locator("[data-online-status]")).to_have_attribute("data-state", "offline")
    wanted = niks(201, 3)
    refs = [save(page, live_server.url, nik) for nik in wanted]
    assert len(set(refs)) == 3
    expect(page.locator("[data-saved-receipt]")).to_have_attribute("data-state", "waiting")

    response = page.goto(live_server.url + "/app")
    assert response is not None and response.from_service_worker
    expect(page.locator("[data-count=waiting]")).to_have_text("3")
    expect(page.locator("[data-pending-badge]")).to_contain_text("3")
    assert live_server.scalar("SELECT count(*) FROM registrations") == 0

    context.set_offline(False)  # the `online` event sends the outbox
    wait_until_all_arrived(page, live_server, poll, wanted)
    expect(page.locator("[data-online-status]")).to_have_attribute("data-state", "online")
    expect(page.locator("[data-count=sent]")).to_have_text("3")
    expect(page.locator("[data-count=waiting]")).to_have_text("0")
    expect(page.locator("[data-last-sync]")).to_have_text(
        re.compile(r"^\d\d-\d\d-\d{4} \d\d:\d\d$")
    )

    # Acknowledged: the personal data is gone from the phone, a receipt stays.
    items = page.evaluate("() => window.pijarOutbox.list()")
    assert {i["state"] for i in items} == {"sent"}
    assert all(i["payload"] is None and REFERENCE.match(i["ref"]) for i in items)
    assert {i["masked_nik"] for i in items} == {f"3374 01•• •••• 0{n[-3:]}" for n in wanted}
    assert "3374011205900" not in json.dumps(items)
    browser_errors.assert_none(allow=OFFLINE_NOISE)


def test_an_unreachable_page_offline_shows_the_offline_page(
    page: Page, context: BrowserContext, live_server, login, poll
):
    start_phone(page, live_server, login, poll)
    context.set_offline(True)
    response = page.goto(live_server.url + "/account/password")
    assert response is not None and response.from_service_worker
    expect(page.locator("h1")).to_have_text("Tidak ada sambungan")
    page.get_by_role("link", name="Daftarkan pekerja").click()
    expect(page.locator("#kecamatan")).to_be_visible()


def test_background_sync_sends_with_no_page_open(
    page: Page, context: BrowserContext, live_server, login, poll
):
    start_phone(page, live_server, login, poll)
    context.set_offline(True)
    nik = niks(251, 1)[0]
    save(page, live_server.url, nik)  # registers a Background Sync
    page.goto("about:blank")  # no page of the app is left to send it

    cdp = context.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(r["registrationId"] for r in event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    poll(page, lambda: registrations, message="the service worker's registration id")
    context.set_offline(False)
    # Chromium fires it on reconnection by itself; fire it too, to be sure of the trigger.
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": live_server.url,
            "registrationId": registrations[0],
            "tag": "pijar-outbox",
            "lastChance": False,
        },
    )
    poll(
        page,
        lambda: stored_by_nik(live_server, [nik]) == {nik: 1},
        timeout=SYNC_TIMEOUT_S,
        message="the registration on the server",
    )
    page.goto(live_server.url + "/app")
    expect(page.locator("[data-count=sent]")).to_have_text("1")
    expect(page.locator("[data-count=waiting]")).to_have_text("0")
    assert stored_by_nik(live_server, [nik]) == {nik: 1}


def test_without_indexeddb_the_form_posts_to_the_server_as_before(
    page: Page, live_server, login, browser_errors
):
    # As in a browser that refuses storage (some private modes): opening a database fails.
    page.add_init_script(
        "IDBFactory.prototype.open = () => { throw new DOMException('refused', 'SecurityError') }"
    )
    login(page, live_server.url)
    open_form(page, live_server.url)
    choose_place(page)
    type_nik(page, "3374011205900012")
    fill_rest(page)
    submit(page)
    page.wait_for_url(re.compile(r"/app/receipt/PS-[0-9A-Z]{4}-[0-9A-Z]{4}$"))
    expect(page.locator("[data-reference]")).to_have_text(REFERENCE)
    assert live_server.scalar("SELECT count(*) FROM registrations") == 1
    browser_errors.assert_none()


# --- a phone closed and reopened ------------------------------------------------------------


def test_phone_closed_and_reopened_offline_keeps_the_queue_and_the_app(
    persistent_phone, live_server, login, poll
):
    phone = persistent_phone()
    page = phone.pages[0] if phone.pages else phone.new_page()
    start_phone(page, live_server, login, poll)
    phone.set_offline(True)
    wanted = niks(301, 3)
    save(page, live_server.url, wanted[0])
    save(page, live_server.url, wanted[1])
    phone.close()
    # No way through at all: a browser starting up may let its service worker out
    # (Background Sync) before the offline emulation covers it.
    live_server.kill()

    phone = persistent_phone(offline=True)
    page = phone.pages[0] if phone.pages else phone.new_page()
    response = page.goto(live_server.url + "/app")
    assert response is not None and response.from_service_worker
    expect(page.locator("[data-count=waiting]")).to_have_text("2")
    save(page, live_server.url, wanted[2])  # the form still opens and saves
    assert counts(page)["waiting"] == 3
    assert live_server.scalar("SELECT count(*) FROM registrations") == 0
    phone.close()

    live_server.start()
    phone = persistent_phone()
    page = phone.pages[0] if phone.pages else phone.new_page()
    page.goto(live_server.url + "/app")  # app start sends what waits
    wait_until_all_arrived(page, live_server, poll, wanted)


# --- a record the server refuses ------------------------------------------------------------


def test_invalid_record_comes_back_to_fix_is_corrected_offline_then_accepted(
    page: Page, context: BrowserContext, live_server, login, poll, browser_errors
):
    start_phone(page, live_server, login, poll)
    # The form refuses a 15-digit NIK now (test_phone_checks.py); one saved by a version of
    # the app that checked nothing still goes out and comes back to be fixed.
    page.evaluate("payload => window.pijarOutbox.add(payload)", UNCHECKED_RECORD)
    page.goto(live_server.url + "/app/outbox")  # app start sends what waits
    item = page.locator("[data-outbox-item]")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-state", "needs_fix", timeout=SYNC_TIMEOUT_S * 1000)
    assert live_server.scalar("SELECT count(*) FROM registrations") == 0
    expect(item.locator("[data-item-message]")).to_contain_text(NIK_MESSAGE)
    client_id = item.get_attribute("data-client-id")

    context.set_offline(True)
    with page.expect_navigation() as navigation:
        item.locator("a[data-fix]").click()
    assert navigation.value is not None and navigation.value.from_service_worker
    assert page.url.endswith(f"/app/register?fix={client_id}")
    expect(page.locator("#nik-error")).to_have_text(NIK_MESSAGE)
    expect(page.locator("#nik")).to_have_value("337401120590001")
    expect(page.locator("#full_name")).to_have_value("Sri Wahyuni")
    page.fill("#nik", "3374011205900012")
    submit(page)
    receipt = page.locator("[data-saved-receipt]")
    expect(receipt.locator("[data-slot=status]")).to_have_text("Menunggu dikirim")
    assert counts(page) == {"waiting": 1, "needs_fix": 0, "sent": 0}

    context.set_offline(False)
    wait_until_all_arrived(page, live_server, poll, ["3374011205900012"])
    assert live_server.scalar("SELECT client_id FROM registrations") == client_id
    expect(receipt.locator("[data-ref]")).to_have_text(REFERENCE)
    expect(receipt).to_have_attribute("data-state", "sent")
    browser_errors.assert_none(allow=OFFLINE_NOISE)


# --- on a phone -----------------------------------------------------------------------------


def test_form_flow_offline_on_a_pixel_7(
    browser: Browser, playwright: Playwright, live_server, login, poll, browser_errors
):
    context = browser.new_context(**playwright.devices["Pixel 7"], **PHONE)
    try:
        page = context.new_page()
        browser_errors.watch(page)
        start_phone(page, live_server, login, poll)
        context.set_offline(True)
        wanted = niks(401, 2)
        for nik in wanted:
            save(page, live_server.url, nik)
        receipt = page.locator("[data-saved-receipt]")
        expect(receipt).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        context.set_offline(False)
        expect(receipt).to_have_attribute("data-state", "sent", timeout=SYNC_TIMEOUT_S * 1000)
        expect(receipt.locator("[data-ref]")).to_have_text(REFERENCE)
        wait_until_all_arrived(page, live_server, poll, wanted)
    finally:
        context.close()
    browser_errors.assert_none(allow=OFFLINE_NOISE)


# --- installable ----------------------------------------------------------------------------


def test_installable_with_no_errors(persistent_phone, live_server, login, poll):
    phone = persistent_phone()
    page = phone.pages[0] if phone.pages else phone.new_page()
    start_phone(page, live_server, login, poll)
    cdp = phone.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == []

    manifest = page.request.get(live_server.url + "/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert (data["name"], data["start_url"], data["scope"], data["display"]) == (
        "PIJAR SEMAR",
        "/app",
        "/",
        "standalone",
    )
    purposes = {(icon["sizes"], icon.get("purpose", "any")) for icon in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in data["icons"]:
        assert page.request.get(live_server.url + icon["src"]).ok

    worker = page.request.get(live_server.url + "/sw.js")
    assert worker.headers["cache-control"] == "no-cache"
    assert worker.headers["service-worker-allowed"] == "/"
    assert worker.headers["content-type"].startswith("text/javascript")


# --- a new version of the app ----------------------------------------------------------------


def app_version(page: Page) -> str:
    return page.evaluate("document.querySelector('meta[name=app-version]').content")


def new_version_waiting(page: Page) -> bool:
    return page.evaluate(
        "navigator.serviceWorker.getRegistration().then(r => Boolean(r && r.waiting))"
    )


def test_a_new_version_waits_while_the_form_is_half_filled(
    page: Page, live_server, login, poll, browser_errors
):
    start_phone(page, live_server, login, poll)
    old_version = app_version(page)
    open_form(page, live_server.url)
    choose_place(page)
    page.fill("#full_name", "Sri Wahyuni")
    page.evaluate("window.__samePage = true")

    # A deploy: the service worker's bytes change.
    live_server.kill()
    live_server.env["WEBAPP_APP_RELEASE"] = "next"
    live_server.start()
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    poll(page, lambda: new_version_waiting(page), message="the new version installed")
    page.wait_for_timeout(1000)
    assert page.evaluate("window.__samePage") is True, "the page reloaded under the volunteer"
    expect(page.locator("#full_name")).to_have_value("Sri Wahyuni")

    nik = niks(801, 1)[0]
    type_nik(page, nik)
    fill_rest(page)
    with page.expect_navigation():
        submit(page)  # saved and emptied: now the new version takes over
    assert page.evaluate("window.__samePage") is None
    expect(page.locator("[data-saved-receipt] [data-ref]")).to_have_text(LOCAL_REFERENCE)
    assert app_version(page) != old_version
    caches = page.evaluate("caches.keys()")
    assert caches == [f"pijar-shell-{app_version(page)}"], caches
    wait_until_all_arrived(page, live_server, poll, [nik])
    browser_errors.assert_none(allow=RESTART_NOISE)


# --- what the volunteer sees ----------------------------------------------------------------


def decide(live_server, nik: str, status: str, note: str | None = None) -> None:
    """A coordinator's decision, written as the review pages record one."""
    registration_id = live_server.scalar("SELECT id FROM registrations WHERE nik = ?", (nik,))
    live_server.execute(
        "UPDATE registrations SET status = ? WHERE id = ?", (status, registration_id)
    )
    at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    live_server.execute(
        "INSERT INTO registration_events (registration_id, kind, status, note, at)"
        " VALUES (?, 'status', ?, ?, ?)",
        (registration_id, status, note, at),
    )


def test_outbox_page_lists_every_status(
    page: Page, context: BrowserContext, live_server, login, poll, browser_errors
):
    start_phone(page, live_server, login, poll)
    wanted = niks(501, 5)
    for nik in wanted[:4]:
        save(page, live_server.url, nik)
    page.goto(live_server.url + "/app")
    wait_until_all_arrived(page, live_server, poll, wanted[:4])
    decide(live_server, wanted[0], "approved")
    decide(live_server, wanted[1], "rejected", "Bukan pekerja informal.")
    decide(live_server, wanted[3], "enrolled")
    # Last: updates come in the order they were made, so a sync already under way may
    # bring the first few, but the one that brings this brings them all.
    decide(live_server, wanted[2], "needs_fix", "Nomor HP ahli waris salah.")
    page.click("#send-now")  # brings the coordinators' decisions back
    expect(page.locator("[data-count=needs_fix]")).to_have_text("1")

    context.set_offline(True)
    page.goto(live_server.url + "/app/register")
    save(page, live_server.url, wanted[4])
    page.goto(live_server.url + "/app/outbox")
    items = page.locator("[data-outbox-item]")
    expect(items).to_have_count(5)
    shown = {
        items.nth(i).get_attribute("data-state"): items.nth(i).get_attribute("data-server-status")
        for i in range(5)
        if items.nth(i).get_attribute("data-state") != "sent"
    }
    assert shown == {"waiting": "", "needs_fix": "needs_fix"}
    sent = sorted(
        items.nth(i).get_attribute("data-server-status")
        for i in range(5)
        if items.nth(i).get_attribute("data-state") == "sent"
    )
    assert sent == ["approved", "enrolled", "rejected"]
    rejected = page.locator("[data-outbox-item][data-server-status=rejected]")
    expect(rejected).to_contain_text("Ditolak")
    expect(rejected.locator("[data-item-message]")).to_have_text("Bukan pekerja informal.")
    expect(page.locator("[data-outbox-item][data-server-status=approved]")).to_contain_text(
        "Disetujui"
    )
    waiting = page.locator("[data-outbox-item][data-state=waiting]")
    expect(waiting).to_contain_text("Menunggu dikirim")
    expect(waiting.locator("a[data-fix]")).to_be_hidden()
    to_fix = page.locator("[data-outbox-item][data-state=needs_fix]")
    expect(to_fix.locator("[data-item-message]")).to_have_text("Nomor HP ahli waris salah.")
    to_fix.locator("a[data-fix]").click()
    expect(page.locator("[data-fix-note]")).to_have_text("Nomor HP ahli waris salah.")
    expect(page.locator("#nik")).to_have_value(wanted[2])
    browser_errors.assert_none(allow=OFFLINE_NOISE)


def test_logout_refused_while_records_wait_then_revokes_the_device(
    page: Page, context: BrowserContext, live_server, login, poll
):
    start_phone(page, live_server, login, poll)
    context.set_offline(True)
    save(page, live_server.url, niks(601, 1)[0])
    context.route("**/api/v1/sync", lambda route: route.abort())  # the office is out of reach
    context.set_offline(False)
    page.goto(live_server.url + "/logout")
    blocked = page.locator("[data-logout-blocked]")
    expect(blocked).to_contain_text("1 pendaftaran yang belum terkirim")
    expect(page.get_by_role("button", name="Ya, keluar")).to_be_disabled()

    context.unroute("**/api/v1/sync")
    page.goto(live_server.url + "/app")
    wait_until_all_arrived(page, live_server, poll, niks(601, 1))
    page.goto(live_server.url + "/logout")
    button = page.get_by_role("button", name="Ya, keluar")
    expect(button).to_be_enabled()
    with page.expect_navigation():
        button.click()
    assert page.url.endswith("/login")
    assert live_server.scalar("SELECT count(*) FROM devices WHERE revoked_at IS NULL") == 0
    assert page.evaluate("() => window.pijarOutbox.getMeta('device')") is None
    assert page.evaluate("() => window.pijarOutbox.list()") == []


def test_unsent_records_saved_to_a_file(
    page: Page, context: BrowserContext, live_server, login, poll
):
    start_phone(page, live_server, login, poll)
    context.set_offline(True)
    wanted = niks(701, 2)
    for nik in wanted:
        save(page, live_server.url, nik)
    page.goto(live_server.url + "/app")
    with page.expect_download() as download:
        page.click("#export-unsent")
    data = json.loads(Path(download.value.path()).read_text())
    assert (data["format"], data["version"], data["username"]) == (
        "pijar-semar-outbox",
        1,
        "relawan1",
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", data["exported_at"])
    assert sorted(item["payload"]["nik"] for item in data["items"]) == wanted
    for item in data["items"]:
        assert set(item) == {"client_id", "form_version", "captured_at", "payload"}
        assert item["payload"]["consent"] == "yes"
        assert item["captured_at"].endswith("+07:00")


def test_storage_warning_when_nearly_full(page: Page, live_server, login, poll):
    start_phone(page, live_server, login, poll)
    page.add_init_script(
        "navigator.storage.estimate = async () => ({usage: 90 * 2 ** 20, quota: 100 * 2 ** 20})"
    )
    page.goto(live_server.url + "/app")
    expect(page.locator("[data-storage-warning]")).to_be_visible()
