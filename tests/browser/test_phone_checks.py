"""The phone's own checks before saving, in Chromium as a Pixel 7, offline.

The form page carries the server's rules (as ``/app/rules.json``, which the service
worker keeps too) and ``validate.js`` applies them before anything is written: what the
server would refuse is refused on the spot with the server's words beside the fields,
and nothing is queued; what the server would flag is shown, and the save goes on. The
outbox is read through the page's own ``pijarOutbox``; what reaches the office, in the
server's database.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, Playwright, expect
from test_register_form import (
    choose_place,
    fill_rest,
    open_form,
    submit,
    type_nik,
)

pytestmark = pytest.mark.browser

PHONE = {"locale": "id-ID", "timezone_id": "Asia/Jakarta"}
SYNC_TIMEOUT_S = 20.0
OFFLINE_NOISE = (r"net::ERR_INTERNET_DISCONNECTED", r"Failed to fetch")

NIK_MESSAGE = "NIK harus 16 angka."
PHONE_MESSAGE = "Nomor HP harus nomor seluler Indonesia, mis. 0812 3456 7890."
CONSENT_MESSAGE = "Pekerja harus menyetujui pernyataan ini."
OUTSIDE_SEMARANG = "NIK ini diterbitkan di luar Kota Semarang."
BIRTH_MISMATCH = "Tanggal lahir tidak cocok dengan NIK"
SAVED_ALREADY = "NIK ini sudah tersimpan di HP ini."
NIK_KABUPATEN = "3322011205900012"  # Kabupaten Semarang, born 12-05-1990, male


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], playwright: Playwright):
    device = dict(playwright.devices["Pixel 7"])
    device.pop("default_browser_type", None)
    return {**browser_context_args, **device, **PHONE}


def start_offline(page: Page, context, live_server, login, poll) -> None:
    """Logged in, the service worker in charge, then the form opened with no network."""
    login(page, live_server.url)
    page.goto(live_server.url + "/app")
    poll(
        page,
        lambda: page.evaluate("navigator.serviceWorker.controller !== null"),
        message="a service worker controlling /app",
    )
    context.set_offline(True)
    open_form(page, live_server.url)


def outbox(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("() => window.pijarOutbox.list()")


def test_what_the_server_would_refuse_is_refused_on_the_phone_and_nothing_is_queued(
    page: Page, context, live_server, login, poll, browser_errors
):
    start_offline(page, context, live_server, login, poll)
    # The rules are on the phone twice: in the page and in the service worker's cache.
    in_page = "JSON.parse(document.querySelector('meta[name=pijar-rules]').content).format"
    assert page.evaluate(in_page) == "pijar-rules"
    kept = page.evaluate("fetch('/app/rules.json').then((r) => r.json()).then((r) => r.format)")
    assert kept == "pijar-rules"

    # From the issue: a name only, no NIK, no consent.
    page.fill("#full_name", "Sri Wahyuni")
    submit(page)
    expect(page.locator("#nik-error")).to_have_text("Wajib diisi.")
    expect(page.locator("[data-field=consent] .field-error")).to_have_text(CONSENT_MESSAGE)
    expect(page.locator("#nik")).to_be_focused()
    expect(page.locator("[data-saved-receipt]")).to_be_hidden()
    assert outbox(page) == []

    # A bad NIK, no consent and the phone 12345: three messages, in the form's order.
    choose_place(page)
    type_nik(page, "33740112")
    page.fill("#birth_date", "12-05-1990")
    page.check("input[name=sex][value=P]")
    fill_rest(page, phone="12345", consent=False)
    submit(page)
    expect(page.locator("#nik-error")).to_have_text(NIK_MESSAGE)
    expect(page.locator("#phone-error")).to_have_text(PHONE_MESSAGE)
    expect(page.locator("[data-field=consent] .field-error")).to_have_text(CONSENT_MESSAGE)
    links = page.locator(".error-summary a").evaluate_all("links => links.map(a => a.hash)")
    assert links == ["#nik", "#phone", "#consent"]
    expect(page.locator(".field-error")).to_have_count(3)
    expect(page.locator("#nik")).to_be_focused()
    expect(page.locator("#nik")).to_have_attribute("aria-invalid", "true")
    assert outbox(page) == []
    # What was typed is all still there.
    expect(page.locator("#full_name")).to_have_value("Sri Wahyuni")
    expect(page.locator("#birth_date")).to_have_value("12-05-1990")

    # Fixed: saved on the phone at once, and the messages are gone.
    page.fill("#nik", "3374015205900012")
    page.fill("#phone", "0812 3456 7890")
    page.check("#consent")
    submit(page)
    expect(page.locator("[data-saved-receipt]")).to_be_visible()
    expect(page.locator(".field-error")).to_have_count(0)
    saved = [(r["state"], r["payload"]["birth_date"]) for r in outbox(page)]
    assert saved == [("waiting", "1990-05-12")]  # as the sync payload carries it
    browser_errors.assert_none(allow=OFFLINE_NOISE)


def test_warnings_are_shown_and_the_save_goes_on(
    page: Page, context, live_server, login, poll, browser_errors
):
    start_offline(page, context, live_server, login, poll)
    choose_place(page)
    page.fill("#birth_date", "13-05-1990")  # the NIK says the 12th
    type_nik(page, NIK_KABUPATEN)
    # Seen as the NIK is typed, before the save, beside the fields concerned.
    expect(page.locator("#nik-warning")).to_contain_text(OUTSIDE_SEMARANG)
    expect(page.locator("#birth_date-warning")).to_contain_text(BIRTH_MISMATCH)
    expect(page.locator(".field-error")).to_have_count(0)
    warning_colour = page.locator("#nik-warning").evaluate("e => getComputedStyle(e).color")
    error_colour = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--error')"
    )
    assert warning_colour != error_colour
    fill_rest(page)
    submit(page)

    # Saved anyway; the warnings stay in view with the receipt.
    expect(page.locator("[data-saved-receipt]")).to_be_visible()
    saved = page.locator("[data-saved-warnings]")
    expect(saved).to_be_visible()
    expect(saved.locator("li")).to_have_count(2)
    expect(saved).to_contain_text(OUTSIDE_SEMARANG)
    expect(saved).to_contain_text(BIRTH_MISMATCH)
    assert [r["state"] for r in outbox(page)] == ["waiting"]

    # The same NIK again on this phone: said, and saved (the office decides).
    choose_place(page)
    type_nik(page, NIK_KABUPATEN)
    expect(page.locator("#nik-warning")).to_contain_text(SAVED_ALREADY)
    fill_rest(page)
    submit(page)
    expect(saved).to_contain_text(SAVED_ALREADY)
    assert [r["state"] for r in outbox(page)] == ["waiting", "waiting"]

    # A form without warnings hides the list again.
    choose_place(page)
    type_nik(page, "3374011205900012")
    fill_rest(page)
    submit(page)
    expect(saved).to_be_hidden()
    expect(page.locator(".field-warning")).to_have_count(0)
    browser_errors.assert_none(allow=OFFLINE_NOISE)


def test_a_birth_date_typed_as_on_the_ktp_reaches_the_office_as_that_day(
    page: Page, context, live_server, login, poll, browser_errors
):
    # In English, on a phone set to American dates: the KTP's order all the same.
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
    start_offline(page, context, live_server, login, poll)
    expect(page.get_by_role("button", name="Save registration")).to_be_visible()
    choose_place(page)
    page.fill("#birth_date", "31-02-1985")
    type_nik(page, "3374014507850003")  # a woman born 05-07-1985
    page.check("input[name=sex][value=P]")
    fill_rest(page)
    page.check("#blk_training")
    page.fill("#blk_trade", "Menjahit")
    page.get_by_role("button", name="Save registration").click()
    expect(page.locator("#birth_date-error")).to_have_text("The date of birth is not valid.")
    assert outbox(page) == []

    page.fill("#birth_date", "5/7/1985")
    page.get_by_role("button", name="Save registration").click()
    expect(page.locator("[data-saved-receipt]")).to_be_visible()
    expect(page.locator("[data-saved-warnings]")).to_be_hidden()
    assert [r["payload"]["birth_date"] for r in outbox(page)] == ["1985-07-05"]

    context.set_offline(False)
    poll(
        page,
        lambda: live_server.scalar("SELECT count(*) FROM registrations") == 1,
        timeout=SYNC_TIMEOUT_S,
        message="the registration on the server",
    )
    row = live_server.query(
        "SELECT birth_date, sex, blk_training, blk_job_fair, blk_trade FROM registrations"
    )
    assert row == [("1985-07-05", "P", 1, 0, "Menjahit")]
    browser_errors.assert_none(allow=OFFLINE_NOISE)
