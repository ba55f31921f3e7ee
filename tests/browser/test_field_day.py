"""A field day on a phone (Chromium as a Pixel 7): drafts, carry-over, the reference card,
a way out of every dead end, and plain words.

Offline is ``set_offline(True)``, or a phone closed and reopened on the same profile (a
persistent context). What reaches the office is checked in the server's database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, BrowserType, Page, Playwright, expect
from test_register_form import (
    REFERENCE,
    TANJUNG_MAS,
    choose_place,
    fill_rest,
    open_form,
    submit,
    type_nik,
)

pytestmark = pytest.mark.browser

PHONE = {"locale": "id-ID", "timezone_id": "Asia/Jakarta"}
SYNC_TIMEOUT_S = 20.0
# Chromium logs each request that fails while offline, or that a test refuses.
OFFLINE_NOISE = (
    r"net::ERR_INTERNET_DISCONNECTED",
    r"net::ERR_FAILED",
    r"Failed to fetch",
    r"status of 401",
)
CARD_DATE = re.compile(r"^\d\d-\d\d-\d{4}$")
DRIVE_NAME = "Pendataan Pasar Johar"


def pixel_7(playwright: Playwright) -> dict[str, Any]:
    """The Pixel 7 descriptor, for new_context and launch_persistent_context alike."""
    device = dict(playwright.devices["Pixel 7"])
    device.pop("default_browser_type", None)
    return {**device, **PHONE}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], playwright: Playwright):
    """Every page here is on a Pixel 7 in Semarang."""
    return {**browser_context_args, **pixel_7(playwright)}


@pytest.fixture
def persistent_phone(
    browser_type: BrowserType,
    browser_type_launch_args: dict[str, Any],
    playwright: Playwright,
    tmp_path: Path,
) -> Iterator[Callable[..., BrowserContext]]:
    """``open(offline=False)``: a Pixel 7 whose browser profile outlives each close."""
    profile = tmp_path / "profile"
    opened: list[BrowserContext] = []

    def open_phone(offline: bool = False) -> BrowserContext:
        context = browser_type.launch_persistent_context(
            profile, **browser_type_launch_args, **pixel_7(playwright), offline=offline
        )
        opened.append(context)
        return context

    yield open_phone
    for context in opened:
        context.close()


# --- helpers ---------------------------------------------------------------------------------


def niks(first_serial: int, count: int) -> list[str]:
    """Distinct valid NIKs: issued in Semarang Tengah, born 12-05-1990, male."""
    return [f"3374011205900{serial:03d}" for serial in range(first_serial, first_serial + count)]


def start_phone(page: Page, live_server, login, poll) -> None:
    """Logged in (a device token on the phone) and the service worker in control."""
    login(page, live_server.url)
    assert page.evaluate("async () => Boolean(await window.pijarOutbox.getMeta('device'))")
    page.goto(live_server.url + "/app")
    poll(
        page,
        lambda: page.evaluate("navigator.serviceWorker.controller !== null"),
        message="a service worker controlling /app",
    )


def save(page: Page, base_url: str, nik: str, name: str = "Sri Wahyuni") -> None:
    open_form(page, base_url)
    choose_place(page)
    type_nik(page, nik)
    fill_rest(page)
    page.fill("#full_name", name)
    submit(page)
    expect(page.locator("#nik")).to_have_value("")  # saved, ready for the next worker


def phone_records(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("() => window.pijarOutbox.list()")


def card(page: Page) -> dict[str, str]:
    receipt = page.locator("[data-saved-receipt]")
    return {
        "ref": receipt.locator("[data-ref]").inner_text().strip(),
        "first_name": receipt.locator("[data-slot=first-name]").inner_text().strip(),
        "date": receipt.locator("[data-slot=date]").inner_text().strip(),
        "client_id": receipt.get_attribute("data-client-id") or "",
    }


def stored(live_server, nik: str) -> tuple | None:
    rows = live_server.query(
        "SELECT reference, client_id, full_name FROM registrations WHERE nik = ?", (nik,)
    )
    return rows[0] if rows else None


def wait_until_stored(page: Page, live_server, poll, wanted: list[str]) -> None:
    poll(
        page,
        lambda: all(stored(live_server, nik) for nik in wanted),
        timeout=SYNC_TIMEOUT_S,
        message=f"{len(wanted)} registrations on the server",
    )


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


def add_drive(live_server, name: str = DRIVE_NAME) -> int:
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    live_server.execute(
        "INSERT INTO drives (name, place, funding_source_code, starts_on, ends_on, created_at)"
        " VALUES (?, 'Pasar Johar', 'DBHCHT', '2026-01-01', '2027-12-31', ?)",
        (name, now),
    )
    return live_server.scalar("SELECT id FROM drives WHERE name = ?", (name,))


def draft(page: Page, key: str = "new") -> dict[str, Any] | None:
    return page.evaluate("key => window.pijarOutbox.getDraft(key)", key)


# --- drafts -------------------------------------------------------------------------------------


def test_a_half_filled_form_survives_the_phone_closing_and_goes_once_saved(
    persistent_phone, live_server, login, poll
):
    phone = persistent_phone()
    page = phone.pages[0] if phone.pages else phone.new_page()
    start_phone(page, live_server, login, poll)
    phone.set_offline(True)
    open_form(page, live_server.url)
    choose_place(page)
    page.fill("#full_name", "Sri Wahyuni")
    type_nik(page, niks(101, 1)[0])
    page.fill("#workplace", "TPI Tambak Lorok")
    poll(
        page,
        lambda: (draft(page) or {}).get("payload", {}).get("workplace") == "TPI Tambak Lorok",
        message="the draft kept as the volunteer types",
    )
    phone.close()  # the tab is killed, the phone put away

    phone = persistent_phone(offline=True)
    page = phone.pages[0] if phone.pages else phone.new_page()
    open_form(page, live_server.url)
    offer = page.locator("[data-draft-offer]")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("Sri Wahyuni")
    expect(page.locator("#full_name")).to_have_value("")  # nothing filled before the choice
    offer.get_by_role("button", name="Lanjutkan isian").click()
    expect(offer).to_be_hidden()
    expect(page.locator("#full_name")).to_have_value("Sri Wahyuni")
    expect(page.locator("#nik")).to_have_value(niks(101, 1)[0])
    expect(page.locator("#kelurahan_code")).to_have_value(TANJUNG_MAS)
    expect(page.locator("#workplace")).to_have_value("TPI Tambak Lorok")

    fill_rest(page)
    submit(page)
    expect(page.locator("[data-saved-receipt] [data-ref]")).to_have_text(REFERENCE)
    poll(page, lambda: draft(page) is None, message="the draft cleared by the save")
    open_form(page, live_server.url)
    page.wait_for_timeout(300)
    expect(page.locator("[data-draft-offer]")).to_be_hidden()
    assert len(phone_records(page)) == 1


def test_a_draft_can_be_thrown_away(page: Page, live_server, login, poll):
    start_phone(page, live_server, login, poll)
    open_form(page, live_server.url)
    page.fill("#full_name", "Budi Santoso")
    poll(page, lambda: draft(page) is not None, message="a draft")
    open_form(page, live_server.url)  # reopened
    offer = page.locator("[data-draft-offer]")
    offer.get_by_role("button", name="Buang isian").click()
    expect(offer).to_be_hidden()
    poll(page, lambda: draft(page) is None, message="the draft gone")
    expect(page.locator("#full_name")).to_have_value("")
    open_form(page, live_server.url)
    page.wait_for_timeout(300)
    expect(offer).to_be_hidden()


# --- carry-over ------------------------------------------------------------------------------


def test_drive_place_and_work_carry_over_and_one_tap_clears_them(
    page: Page, context: BrowserContext, live_server, login, poll, browser_errors
):
    drive_id = add_drive(live_server)
    start_phone(page, live_server, login, poll)
    context.set_offline(True)
    open_form(page, live_server.url)
    banner = page.locator("[data-drive-banner]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Tidak ada")  # no drive chosen: said, not silent
    page.select_option("#drive_id", str(drive_id))
    expect(banner).to_contain_text(DRIVE_NAME)
    choose_place(page)
    type_nik(page, niks(201, 1)[0])
    fill_rest(page)  # nelayan at TPI Tambak Lorok
    page.fill("#full_name", "Sri Wahyuni")
    submit(page)
    expect(page.locator("#nik")).to_have_value("")

    # The next worker's form starts at the same drive, place and work, visibly.
    expect(page.locator("#drive_id")).to_have_value(str(drive_id))
    expect(banner).to_contain_text(DRIVE_NAME)
    expect(page.locator("#kecamatan")).to_have_value("33.74.02")
    expect(page.locator("#kelurahan_code")).to_have_value(TANJUNG_MAS)
    expect(page.locator("#occupation")).to_have_value("nelayan")
    expect(page.locator("#workplace")).to_have_value("TPI Tambak Lorok")
    expect(page.locator("#full_name")).to_have_value("")
    carry = page.locator("[data-carry]")
    expect(carry).to_be_visible()
    expect(carry).to_contain_text(DRIVE_NAME)
    expect(carry).to_contain_text("TPI Tambak Lorok")

    # Reopened later: still carried.
    open_form(page, live_server.url)
    expect(page.locator("#drive_id")).to_have_value(str(drive_id))
    expect(page.locator("#kelurahan_code")).to_have_value(TANJUNG_MAS)

    page.get_by_role("button", name="Kosongkan isian bawaan").click()
    expect(carry).to_be_hidden()
    for field in ("#drive_id", "#kelurahan_code", "#occupation", "#workplace"):
        expect(page.locator(field)).to_have_value("")
    expect(banner).to_contain_text("Tidak ada")
    open_form(page, live_server.url)
    expect(page.locator("#workplace")).to_have_value("")
    expect(carry).to_be_hidden()

    # What was saved with the drive reaches the office with it.
    context.set_offline(False)
    nik = niks(201, 1)[0]
    wait_until_stored(page, live_server, poll, [nik])
    assert (
        live_server.scalar("SELECT drive_id FROM registrations WHERE nik = ?", (nik,)) == drive_id
    )
    browser_errors.assert_none(allow=OFFLINE_NOISE)


# --- the reference card ------------------------------------------------------------------------


# A phone whose storage is slow while it writes: a record read then answers 800 ms late,
# after the save has finished (so a stale read lands last, as it can on a cheap phone).
SLOW_READS_WHILE_WRITING = """() => {
    const outbox = window.pijarOutbox;
    const { add, get } = outbox;
    let writing = 0;
    outbox.add = async (payload) => {
        writing += 1;
        try { return await add(payload); } finally { writing -= 1; }
    };
    outbox.get = async (id) => {
        const slow = writing > 0;
        const item = await get(id);
        if (slow) await new Promise((resolve) => setTimeout(resolve, 800));
        return item;
    };
}"""


def test_each_save_shows_its_own_reference_card_offline_as_the_server_stores_it(
    page: Page, context: BrowserContext, live_server, login, poll, browser_errors
):
    start_phone(page, live_server, login, poll)
    context.set_offline(True)
    wanted = niks(301, 3)
    names = ["Sri Wahyuni", "Ani Lestari", "Dewi Sartika"]
    shown: dict[str, dict[str, str]] = {}
    open_form(page, live_server.url)
    page.evaluate(SLOW_READS_WHILE_WRITING)
    # Three workers one after the other on the same page, as at a drive.
    for nik, name in zip(wanted, names, strict=True):
        choose_place(page)
        type_nik(page, nik)
        fill_rest(page)
        page.fill("#full_name", name)
        submit(page)
        expect(page.locator("#nik")).to_have_value("")
        receipt = page.locator("[data-saved-receipt]")
        expect(receipt).to_be_in_viewport()
        expect(receipt).to_contain_text("Berikan nomor ini kepada pekerja")
        expect(receipt.locator("[data-slot=first-name]")).to_have_text(name.split()[0])
        # A late read of the previous record's receipt would draw over this one now.
        page.wait_for_timeout(1200)
        shown[nik] = card(page)
        newest = max(phone_records(page), key=lambda r: r["created_at"])
        assert shown[nik]["client_id"] == newest["client_id"], "the receipt shows another record"
        assert shown[nik]["ref"] == newest["local_ref"], "the receipt shows another record"
        assert shown[nik]["first_name"] == name.split()[0]
        assert REFERENCE.fullmatch(shown[nik]["ref"])
        assert CARD_DATE.fullmatch(shown[nik]["date"])
    assert len({c["ref"] for c in shown.values()}) == 3

    context.set_offline(False)
    wait_until_stored(page, live_server, poll, wanted)
    for nik in wanted:
        reference, client_id, _name = stored(live_server, nik)
        assert (reference, client_id) == (shown[nik]["ref"], shown[nik]["client_id"])
    # Once through, the card still says the same number, and nothing says it changed.
    receipt = page.locator("[data-saved-receipt]")
    expect(receipt).to_have_attribute("data-state", "sent", timeout=SYNC_TIMEOUT_S * 1000)
    expect(receipt.locator("[data-ref]")).to_have_text(shown[wanted[2]]["ref"])
    expect(receipt.locator("[data-ref-changed]")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    browser_errors.assert_none(allow=OFFLINE_NOISE)


# --- a way out of every dead end -----------------------------------------------------------------


def discard(page: Page, item, reason: str) -> None:
    item.get_by_role("button", name="Buang", exact=True).click()
    confirm = item.locator("form[data-discard-form]")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("Buang pendaftaran ini dari HP?")
    confirm.get_by_role("textbox", name="Alasan").fill(reason)
    confirm.get_by_role("button", name="Ya, buang").click()


def test_discards_reach_the_office_as_a_count_or_an_event(
    page: Page, context: BrowserContext, live_server, login, poll, browser_errors
):
    start_phone(page, live_server, login, poll)
    sent_back, never_sent = niks(401, 2)
    save(page, live_server.url, sent_back, "Sri Wahyuni")
    wait_until_stored(page, live_server, poll, [sent_back])
    decide(live_server, sent_back, "needs_fix", "Foto KTP buram.")
    page.goto(live_server.url + "/app")
    page.click("#send-now")
    expect(page.locator("[data-count=needs_fix]")).to_have_text("1")

    context.set_offline(True)
    save(page, live_server.url, never_sent, "Ani Lestari")
    page.goto(live_server.url + "/app/outbox")
    items = page.locator("[data-outbox-item]")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_attribute("data-state", "needs_fix")  # to fix first

    # Never sent: it goes with a confirmation and a reason, and is counted.
    waiting = page.locator("[data-outbox-item][data-state=waiting]")
    waiting.get_by_role("button", name="Buang", exact=True).click()
    waiting.get_by_role("button", name="Batal").click()  # changed their mind
    expect(items).to_have_count(2)
    waiting.get_by_role("button", name="Buang", exact=True).click()
    waiting.get_by_role("button", name="Ya, buang").click()  # no reason yet
    expect(items).to_have_count(2)
    waiting.get_by_role("textbox", name="Alasan").fill("Salah orang")
    waiting.get_by_role("button", name="Ya, buang").click()
    expect(items).to_have_count(1)
    expect(page.locator("[data-outbox-notice]")).to_contain_text("Jumlahnya dilaporkan ke kantor")

    # Sent back by the office: its discard becomes an event on the record there.
    discard(
        page, page.locator("[data-outbox-item][data-state=needs_fix]"), "Pekerja pindah ke Kendal"
    )
    expect(items).to_have_count(0)
    expect(page.locator("[data-outbox-notice]")).to_contain_text("Kantor diberi tahu")
    assert page.evaluate("() => window.pijarOutbox.pendingDiscards()")[0]["reason"] == (
        "Pekerja pindah ke Kendal"
    )
    assert "3374" not in json.dumps(page.evaluate("() => window.pijarOutbox.pendingDiscards()"))

    context.set_offline(False)
    registration_id = live_server.scalar("SELECT id FROM registrations WHERE nik = ?", (sent_back,))
    poll(
        page,
        lambda: (
            live_server.scalar(
                "SELECT count(*) FROM registration_events"
                " WHERE registration_id = ? AND note LIKE ?",
                (registration_id, "%Pekerja pindah ke Kendal%"),
            )
            == 1
        ),
        timeout=SYNC_TIMEOUT_S,
        message="the discard noted on the record at the office",
    )
    poll(
        page,
        lambda: live_server.scalar("SELECT discarded_count FROM devices") == 1,
        timeout=SYNC_TIMEOUT_S,
        message="the discard of a record never sent counted in the heartbeat",
    )
    poll(page, lambda: page.evaluate("() => window.pijarOutbox.pendingDiscards()") == [])
    assert stored(live_server, never_sent) is None
    browser_errors.assert_none(allow=OFFLINE_NOISE)


def test_logout_after_saving_to_a_file_is_allowed_with_a_warning(
    page: Page, context: BrowserContext, live_server, login, poll
):
    start_phone(page, live_server, login, poll)
    context.route("**/api/v1/sync", lambda route: route.abort())  # the office out of reach
    wanted = niks(501, 2)
    save(page, live_server.url, wanted[0])
    page.goto(live_server.url + "/logout")
    expect(page.locator("[data-logout-blocked]")).to_contain_text(
        "1 pendaftaran yang belum terkirim"
    )
    expect(page.get_by_role("button", name="Ya, keluar")).to_be_disabled()

    page.goto(live_server.url + "/app")
    with page.expect_download() as download:
        page.click("#export-unsent")
    saved = json.loads(Path(download.value.path()).read_text())
    assert [item["payload"]["nik"] for item in saved["items"]] == wanted[:1]
    expect(page.locator("[data-last-export]")).to_be_visible()

    # Saved after the file: not in it, so logging out is refused again.
    save(page, live_server.url, wanted[1])
    page.goto(live_server.url + "/logout")
    expect(page.locator("[data-logout-blocked]")).to_contain_text(
        "2 pendaftaran yang belum terkirim"
    )
    page.goto(live_server.url + "/app")
    with page.expect_download() as download:
        page.click("#export-unsent")
    saved = json.loads(Path(download.value.path()).read_text())
    assert sorted(item["payload"]["nik"] for item in saved["items"]) == wanted

    page.goto(live_server.url + "/logout")
    warning = page.locator("[data-logout-warning]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("2 pendaftaran di HP ini belum terkirim")
    expect(warning).to_contain_text("sudah disimpan ke file")
    expect(warning).to_contain_text("Serahkan file itu ke koordinator")
    expect(page.locator("[data-logout-blocked]")).to_have_count(0)
    button = page.get_by_role("button", name="Ya, keluar")
    expect(button).to_be_enabled()
    with page.expect_navigation():
        button.click()
    assert page.url.split("?")[0].endswith("/login")
    assert page.evaluate("() => window.pijarOutbox.list()") == []
    assert page.evaluate("() => window.pijarOutbox.getMeta('device')") is None
    assert live_server.scalar("SELECT count(*) FROM devices WHERE revoked_at IS NULL") == 0


def test_a_waiting_record_is_opened_changed_and_sent(
    page: Page, context: BrowserContext, live_server, login, poll, browser_errors
):
    start_phone(page, live_server, login, poll)
    context.set_offline(True)
    nik = niks(601, 1)[0]
    save(page, live_server.url, nik, "Sri Wahyuni")
    first = card(page)
    page.goto(live_server.url + "/app/outbox")
    item = page.locator("[data-outbox-item]")
    expect(item.locator("a[data-fix]")).to_be_hidden()
    with page.expect_navigation():
        item.get_by_role("link", name="Ubah").click()
    expect(page.locator("[data-fix-banner]")).to_contain_text("Mengubah pendaftaran")
    expect(page.locator("[data-fix-banner]")).to_contain_text(first["ref"])
    expect(page.locator("#full_name")).to_have_value("Sri Wahyuni")
    expect(page.locator("#nik")).to_have_value(nik)
    page.fill("#full_name", "Sri Wahyuningsih")
    submit(page)
    expect(page.locator("[data-saved-receipt] [data-ref]")).to_have_text(first["ref"])
    records = phone_records(page)
    assert [(r["client_id"], r["state"], r["name"]) for r in records] == [
        (first["client_id"], "waiting", "Sri Wahyuningsih")
    ]

    context.set_offline(False)
    wait_until_stored(page, live_server, poll, [nik])
    assert stored(live_server, nik) == (first["ref"], first["client_id"], "Sri Wahyuningsih")
    assert live_server.scalar("SELECT count(*) FROM registrations") == 1
    browser_errors.assert_none(allow=OFFLINE_NOISE)


def test_an_expired_session_keeps_the_app_and_sending_uses_the_token(
    page: Page, context: BrowserContext, live_server, login, poll
):
    start_phone(page, live_server, login, poll)
    context.clear_cookies()  # the session ran out; the phone still has its device token
    for path in ("/app", "/app/register", "/app/outbox"):
        response = page.goto(live_server.url + path)
        assert response is not None and response.from_service_worker
        assert page.url == live_server.url + path, f"{path} went to {page.url}"
        expect(page.locator("#password")).to_have_count(0)
    nik = niks(701, 1)[0]
    save(page, live_server.url, nik)
    wait_until_stored(page, live_server, poll, [nik])
    expect(page.locator("[data-auth-needed]")).to_be_hidden()

    # Without a token (a phone logged out), the login page is where it goes.
    page.evaluate("() => window.pijarOutbox.deleteMeta('device')")
    page.goto(live_server.url + "/app")
    assert "/login" in page.url
    expect(page.locator("#password")).to_be_visible()


def test_a_deactivated_account_is_told_at_the_next_sync(
    page: Page, context: BrowserContext, live_server, login, poll
):
    start_phone(page, live_server, login, poll)
    context.set_offline(True)
    nik = niks(801, 1)[0]
    save(page, live_server.url, nik)
    live_server.execute("UPDATE users SET active = 0 WHERE username = 'relawan1'")
    context.set_offline(False)
    page.goto(live_server.url + "/app")
    page.click("#send-now")
    banner = page.locator("[data-deactivated]").first
    expect(banner).to_be_visible(timeout=SYNC_TIMEOUT_S * 1000)
    expect(banner).to_contain_text("Akun Anda dinonaktifkan")
    expect(page.locator("[data-auth-needed]")).to_be_hidden()
    # The queue stays, and can be saved to a file.
    assert [r["state"] for r in phone_records(page)] == ["waiting"]
    expect(page.locator("#export-unsent")).to_be_enabled()
    assert stored(live_server, nik) is None

    # The form no longer saves new registrations.
    open_form(page, live_server.url)
    expect(page.get_by_role("button", name="Simpan pendaftaran")).to_be_disabled()
    expect(page.locator("[data-deactivated]").first).to_be_visible()


# --- plain words -------------------------------------------------------------------------------


def test_the_outbox_puts_fixes_first_and_finds_by_name_or_reference(
    page: Page, context: BrowserContext, live_server, login, poll
):
    start_phone(page, live_server, login, poll)
    first, second, third = niks(901, 3)
    save(page, live_server.url, first, "Sri Wahyuni")
    save(page, live_server.url, second, "Ani Lestari")
    wait_until_stored(page, live_server, poll, [first, second])
    decide(live_server, first, "needs_fix", "Nomor HP ahli waris salah.")
    decide(live_server, second, "enrolled")
    live_server.execute(
        "UPDATE registrations SET kpj_number = '26012345678' WHERE nik = ?", (second,)
    )
    page.goto(live_server.url + "/app")
    page.click("#send-now")
    expect(page.locator("[data-count=needs_fix]")).to_have_text("1")
    context.set_offline(True)
    save(page, live_server.url, third, "Dewi Sartika")

    page.goto(live_server.url + "/app")
    # One set of counters, which adds up.
    expect(page.locator("[data-count=total]")).to_have_text("3")
    expect(page.locator("[data-count=waiting]")).to_have_text("1")
    expect(page.locator("[data-count=sent]")).to_have_text("1")
    expect(page.locator("[data-count=needs_fix]")).to_have_text("1")
    expect(page.locator("[data-office-count=enrolled]")).to_contain_text("1 Terdaftar di BPJS")
    expect(page.locator("[data-server-counts]")).to_be_hidden()

    page.goto(live_server.url + "/app/outbox")
    items = page.locator("[data-outbox-item]")
    expect(items).to_have_count(3)
    assert [items.nth(i).get_attribute("data-state") for i in range(3)] == [
        "needs_fix",
        "waiting",
        "sent",
    ]
    expect(items.nth(2)).to_contain_text("Terdaftar di BPJS — KPJ 26012345678")
    search = page.get_by_label("Cari nama atau nomor")
    search.fill("lestari")
    expect(items).to_have_count(1)
    expect(items).to_contain_text("Ani Lestari")
    reference = live_server.scalar("SELECT reference FROM registrations WHERE nik = ?", (first,))
    search.fill(reference.lower().replace("-", ""))
    expect(items).to_have_count(1)
    expect(items).to_contain_text("Sri Wahyuni")
    search.fill("tidak ada orang ini")
    expect(items).to_have_count(0)
    expect(page.locator("[data-outbox-no-match]")).to_be_visible()


def test_a_phone_from_before_keeps_its_records_through_the_upgrade(
    page: Page, live_server, login, poll
):
    # A phone in the field holds version 1 of the database, with a record made then.
    page.goto(live_server.url + "/healthz")
    old_record = {
        "client_id": "6f1c2a3b-0d4e-4f5a-8b6c-7d8e9f0a1b2c",
        "form_version": 1,
        "captured_at": "2026-11-06T09:12:00+07:00",
        "payload": None,
        "state": "waiting",
        "server_status": None,
        "ref": None,
        "local_ref": "HP-6F1C-2A3B",
        "errors": None,
        "note": None,
        "name": "Budi Santoso",
        "masked_nik": "3374 01•• •••• 0099",
        "created_at": "2026-11-06T02:12:00.000Z",
        "updated_at": "2026-11-06T02:12:00.000Z",
        "attempts": 0,
    }
    nik = niks(991, 1)[0]
    old_record["payload"] = {
        "nik": nik,
        "full_name": "Budi Santoso",
        "birth_date": "1990-05-12",
        "sex": "L",
        "phone": "0812 3456 7890",
        "address": "Jl. Tambak Lorok RT 02/RW 13",
        "kelurahan_code": TANJUNG_MAS,
        "occupation": "nelayan",
        "occupation_other": "",
        "workplace": "TPI Tambak Lorok",
        "monthly_income": "1500000",
        "heir_name": "Siti Aminah",
        "heir_relationship": "istri",
        "heir_phone": "0812 9876 5432",
        "consent": "yes",
    }
    page.evaluate(
        """record => new Promise((resolve, reject) => {
            const open = indexedDB.open('pijar-semar', 1);
            open.onupgradeneeded = () => {
                const outbox = open.result.createObjectStore('outbox', {keyPath: 'client_id'});
                outbox.createIndex('state_created', ['state', 'created_at']);
                open.result.createObjectStore('meta');
            };
            open.onsuccess = () => {
                const tx = open.result.transaction('outbox', 'readwrite');
                tx.objectStore('outbox').put(record);
                tx.oncomplete = () => { open.result.close(); resolve(); };
                tx.onerror = () => reject(tx.error);
            };
            open.onerror = () => reject(open.error);
        })""",
        old_record,
    )
    start_phone(page, live_server, login, poll)  # the new scripts open version 2
    assert page.evaluate(
        "() => new Promise(r => { const o = indexedDB.open('pijar-semar'); "
        "o.onsuccess = () => { r([o.result.version, [...o.result.objectStoreNames].sort()]); "
        "o.result.close(); }; })"
    ) == [2, ["discards", "drafts", "meta", "outbox"]]
    records = phone_records(page)
    assert [(r["client_id"], r["local_ref"], r["name"]) for r in records] == [
        (old_record["client_id"], "HP-6F1C-2A3B", "Budi Santoso")
    ]
    # It still goes, and shows the office's reference once it has one (no "changed" note:
    # an HP- number was never a reference).
    wait_until_stored(page, live_server, poll, [nik])
    assert stored(live_server, nik)[:2] == ("PS-DWE2-MERD", old_record["client_id"])
    page.goto(live_server.url + "/app/outbox")
    item = page.locator("[data-outbox-item]")
    expect(item.locator("[data-slot=ref]")).to_have_text("PS-DWE2-MERD")
    expect(item.locator("[data-item-message]")).to_be_hidden()
