"""The registration form as a volunteer meets it in Chromium, with and without JavaScript.

With JavaScript every save goes to the phone's outbox first: the receipt is shown in
the page at once, and the server's reference appears in it once the record is sent.
What the server would refuse, the phone refuses before saving, with the server's messages
beside the fields (tests/browser/test_phone_checks.py has more). Without JavaScript the
form posts to the server and the receipt is a page of its own, as before.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"^PS-[0-9A-Z]{4}-[0-9A-Z]{4}$")
RECEIPT_URL = re.compile(r"/app/receipt/PS-[0-9A-Z]{4}-[0-9A-Z]{4}$")
REGISTER_URL = re.compile(r"/app/register$")
# The phone makes the worker's reference itself now, the same as the server's (DESIGN.md).
LOCAL_REFERENCE = REFERENCE
FIX_URL = re.compile(r"/app/register\?fix=[0-9a-f-]{36}$")
SENT_TIMEOUT_MS = 15_000

SEMARANG_UTARA = "33.74.02"
TANJUNG_MAS = "33.74.02.1008"
MIROTO = "33.74.01.1001"  # in Semarang Tengah
NIK = "3374011205900012"  # issued in Semarang Tengah, born 12-05-1990, male
NIK_BIRTH_DATE = "12-05-1990"  # typed as the KTP shows it, whatever the phone's language

NIK_MESSAGE = "NIK harus 16 angka."
CONSENT_MESSAGE = "Pekerja harus menyetujui pernyataan ini."
PHONE_MESSAGE_START = "Nomor HP harus nomor seluler Indonesia"

TAP_TARGET_PX = 44

WORKER = {
    "#full_name": "Sri Wahyuni",
    "#address": "Jl. Tambak Lorok RT 03/RW 15",
    "#workplace": "TPI Tambak Lorok",
    "#monthly_income": "1500000",
    "#heir_name": "Budi Santoso",
    "#heir_phone": "0813 2222 3333",
}


def open_form(page: Page, base_url: str) -> None:
    page.goto(base_url + "/app/register")
    # register.js reveals the kecamatan list once it has run.
    expect(page.locator("#kecamatan")).to_be_visible()


def kelurahan_offered(page: Page) -> list[str]:
    return page.locator("#kelurahan_code option").evaluate_all(
        "options => options.map(o => o.value).filter(v => v !== '')"
    )


def choose_place(page: Page) -> None:
    page.select_option("#kecamatan", SEMARANG_UTARA)
    page.select_option("#kelurahan_code", TANJUNG_MAS)


def type_nik(page: Page, nik: str) -> None:
    page.fill("#nik", nik)
    page.press("#nik", "Tab")  # the change event reads birth date and sex from the NIK


def fill_rest(page: Page, phone: str = "0812 3456 7890", consent: bool = True) -> None:
    for selector, value in WORKER.items():
        page.fill(selector, value)
    page.fill("#phone", phone)
    page.select_option("#occupation", "nelayan")
    page.select_option("#heir_relationship", "istri")
    if consent:
        page.check("#consent")


def submit(page: Page) -> None:
    page.get_by_role("button", name="Simpan pendaftaran").click()


def expect_receipt(page: Page) -> str:
    page.wait_for_url(RECEIPT_URL)
    reference = page.locator("[data-reference]")
    expect(reference).to_have_text(REFERENCE)
    text = reference.inner_text().strip()
    assert REFERENCE.fullmatch(text)
    return text


def expect_saved_receipt(page: Page) -> str:
    """The in-page receipt: the reference at once (made on the phone), then sent."""
    receipt = page.locator("[data-saved-receipt]")
    expect(receipt).to_be_visible()
    reference = receipt.locator("[data-ref]")
    expect(reference).to_have_text(REFERENCE)
    expect(receipt).to_have_attribute("data-state", "sent", timeout=SENT_TIMEOUT_MS)
    text = reference.inner_text().strip()
    assert REFERENCE.fullmatch(text)
    return text


def register_worker(page: Page, base_url: str) -> str:
    """The whole happy path with JavaScript on; returns the reference shown."""
    open_form(page, base_url)
    choose_place(page)
    type_nik(page, NIK)
    expect(page.locator("#birth_date")).to_have_value(NIK_BIRTH_DATE)
    expect(page.locator("[data-nik-birth]")).to_have_text("Menurut NIK: 12-05-1990")
    expect(page.locator("input[name=sex][value=L]")).to_be_checked()
    fill_rest(page)
    submit(page)
    return expect_saved_receipt(page)


def assert_stored_once(live_server: Any, reference: str) -> None:
    rows = live_server.query("SELECT reference, phone, nik, kelurahan_code FROM registrations")
    assert rows == [(reference, "+6281234567890", NIK, TANJUNG_MAS)]


# --- with JavaScript, desktop-sized -------------------------------------------------------


def test_kecamatan_narrows_kelurahan_and_nik_fills_birth_date(
    page: Page, live_server, login, browser_errors
):
    login(page, live_server.url)
    open_form(page, live_server.url)

    # Until a kecamatan is chosen there is nothing to pick from.
    expect(page.locator("#kelurahan_code")).to_be_disabled()
    page.select_option("#kecamatan", SEMARANG_UTARA)
    expect(page.locator("#kelurahan_code")).to_be_enabled()
    offered = kelurahan_offered(page)
    assert TANJUNG_MAS in offered
    assert MIROTO not in offered
    assert all(code.startswith(SEMARANG_UTARA + ".") for code in offered), offered
    page.select_option("#kelurahan_code", TANJUNG_MAS)

    type_nik(page, NIK)
    expect(page.locator("#birth_date")).to_have_value(NIK_BIRTH_DATE)
    expect(page.locator("input[name=sex][value=L]")).to_be_checked()
    expect(page.locator("input[name=sex][value=P]")).not_to_be_checked()

    fill_rest(page)
    submit(page)
    reference = expect_saved_receipt(page)
    # The form is empty again for the next worker.
    expect(page.locator("#nik")).to_have_value("")
    expect(page.locator("#consent")).not_to_be_checked()

    assert_stored_once(live_server, reference)
    browser_errors.assert_none()


def test_errors_shown_beside_fields_then_fixed(page: Page, live_server, login, browser_errors):
    login(page, live_server.url)
    open_form(page, live_server.url)
    choose_place(page)
    type_nik(page, "12345")
    page.fill("#birth_date", NIK_BIRTH_DATE)
    page.check("input[name=sex][value=L]")
    fill_rest(page, phone="12345", consent=False)

    submit(page)  # the phone's own checks refuse it: nothing is saved

    expect(page.locator("#nik-error")).to_have_text(NIK_MESSAGE)
    expect(page.locator("[data-field=consent] .field-error")).to_have_text(CONSENT_MESSAGE)
    expect(page.locator("#phone-error")).to_have_text(re.compile("^" + PHONE_MESSAGE_START))
    # Exactly those three, listed in the summary; the first field takes the focus.
    expect(page.locator(".field-error")).to_have_count(3)
    expect(page.locator(".error-summary li")).to_have_count(3)
    expect(page.locator("#nik")).to_be_focused()
    for name in ("nik", "phone"):
        expect(page.locator(f"#{name}")).to_have_attribute("aria-invalid", "true")

    # What was typed is still there, including the JS-driven kecamatan list.
    for selector, value in WORKER.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.locator("#nik")).to_have_value("12345")
    expect(page.locator("#phone")).to_have_value("12345")
    expect(page.locator("#birth_date")).to_have_value(NIK_BIRTH_DATE)
    expect(page.locator("input[name=sex][value=L]")).to_be_checked()
    expect(page.locator("#occupation")).to_have_value("nelayan")
    expect(page.locator("#heir_relationship")).to_have_value("istri")
    expect(page.locator("#kecamatan")).to_be_visible()
    expect(page.locator("#kecamatan")).to_have_value(SEMARANG_UTARA)
    expect(page.locator("#kelurahan_code")).to_have_value(TANJUNG_MAS)
    expect(page.locator("#consent")).not_to_be_checked()
    assert live_server.scalar("SELECT count(*) FROM registrations") == 0

    page.fill("#nik", NIK)
    page.fill("#phone", "0812 3456 7890")
    page.check("#consent")
    submit(page)
    reference = expect_saved_receipt(page)
    assert REGISTER_URL.search(page.url), page.url  # the fixed record is no longer open

    assert_stored_once(live_server, reference)
    browser_errors.assert_none()


def test_other_occupation_only_when_lainnya(page: Page, live_server, login, browser_errors):
    login(page, live_server.url)
    open_form(page, live_server.url)
    other = page.locator("[data-field=occupation_other]")

    expect(other).to_be_hidden()
    page.select_option("#occupation", "nelayan")
    expect(other).to_be_hidden()
    page.select_option("#occupation", "lainnya")
    expect(other).to_be_visible()
    page.fill("#occupation_other", "Tukang tambal ban")
    page.select_option("#occupation", "pkl")
    # Something typed there is never hidden away.
    expect(other).to_be_visible()
    page.fill("#occupation_other", "")
    page.select_option("#occupation", "nelayan")
    expect(other).to_be_hidden()
    browser_errors.assert_none()


# --- on a phone -----------------------------------------------------------------------------


def phone_context_args(playwright: Playwright, profile: str) -> dict[str, Any]:
    # An Indonesian phone: date inputs read dd/mm/yyyy, the clock is WIB.
    args = {**playwright.devices["Pixel 7"], "locale": "id-ID", "timezone_id": "Asia/Jakarta"}
    if profile == "360x740":
        # The smallest common Android screen: Pixel 7's touch and scale on 360x740.
        args.update(viewport={"width": 360, "height": 740}, screen={"width": 360, "height": 740})
    return args


def assert_fits_on_phone(page: Page) -> None:
    overflow = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert overflow["scroll"] <= overflow["inner"], f"horizontal overflow: {overflow}"

    targets = page.locator(
        "form.register-form button[type=submit],"
        " form.register-form input:not([type=hidden]):not([type=checkbox]):not([type=radio]),"
        " form.register-form select,"
        " form.register-form label.choice"
    )
    too_small = []
    for i in range(targets.count()):
        target = targets.nth(i)
        if not target.is_visible():
            continue
        box = target.bounding_box()
        assert box is not None
        if box["height"] < TAP_TARGET_PX:
            too_small.append((target.evaluate("e => e.outerHTML.slice(0, 80)"), box["height"]))
    assert not too_small, f"shorter than {TAP_TARGET_PX}px: {too_small}"
    assert targets.count() >= 15


@pytest.mark.parametrize("profile", ["Pixel 7", "360x740"])
def test_register_on_a_phone(
    browser: Browser,
    playwright: Playwright,
    live_server,
    login,
    browser_errors,
    screenshot,
    profile,
):
    context = browser.new_context(**phone_context_args(playwright, profile))
    try:
        page = context.new_page()
        browser_errors.watch(page)
        login(page, live_server.url)
        open_form(page, live_server.url)
        assert_fits_on_phone(page)
        slug = profile.replace(" ", "-").lower()
        screenshot(page, f"register-{slug}")
        screenshot(page, f"register-{slug}-viewport", full_page=False)

        choose_place(page)
        type_nik(page, NIK)
        expect(page.locator("#birth_date")).to_have_value(NIK_BIRTH_DATE)
        expect(page.locator("input[name=sex][value=L]")).to_be_checked()
        fill_rest(page)
        submit(page)
        reference = expect_saved_receipt(page)
        overflow = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert overflow, "the receipt overflows horizontally"
        screenshot(page, f"receipt-{slug}")
    finally:
        context.close()

    assert_stored_once(live_server, reference)
    browser_errors.assert_none()


def test_error_state_on_a_small_phone(
    browser: Browser, playwright: Playwright, live_server, login, browser_errors, screenshot
):
    """The form with messages still fits a 360 px screen (long messages wrap)."""
    context = browser.new_context(**phone_context_args(playwright, "360x740"))
    try:
        page = context.new_page()
        browser_errors.watch(page)
        login(page, live_server.url)
        open_form(page, live_server.url)
        choose_place(page)
        type_nik(page, "12345")
        fill_rest(page, phone="12345", consent=False)
        submit(page)
        expect(page.locator("#nik-error")).to_have_text(NIK_MESSAGE)
        expect(page.locator(".error-summary")).to_be_in_viewport()
        assert_fits_on_phone(page)
        screenshot(page, "register-errors-360x740")
        screenshot(page, "register-errors-360x740-viewport", full_page=False)
    finally:
        context.close()
    browser_errors.assert_none()


def test_reference_on_one_line_on_a_small_phone(
    browser: Browser, playwright: Playwright, live_server, login
):
    context = browser.new_context(**phone_context_args(playwright, "360x740"))
    try:
        page = context.new_page()
        login(page, live_server.url)
        register_worker(page, live_server.url)
        lines = page.locator("[data-saved-receipt] [data-ref]").evaluate(
            """el => {
                const range = document.createRange();
                range.selectNodeContents(el);
                return new Set(Array.from(range.getClientRects(), r => Math.round(r.top))).size;
            }"""
        )
    finally:
        context.close()
    assert lines == 1, f"the reference is shown on {lines} lines"


def test_every_error_summary_link_leads_to_its_field(page: Page, live_server, login):
    login(page, live_server.url)
    open_form(page, live_server.url)
    submit(page)  # nothing typed: nothing saved
    expect(page.locator("[data-form-notice]")).to_have_text("Formulir masih kosong.")
    expect(page.locator("[data-saved-receipt]")).to_be_hidden()
    page.fill("#workplace", "Pasar Johar")  # optional: every required field is empty
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    hrefs = page.locator(".error-summary a").evaluate_all("links => links.map(a => a.hash)")
    assert "#sex" in hrefs
    expect(page.locator(".error-summary")).to_contain_text("Jenis kelamin: Wajib diisi.")
    dead = [h for h in hrefs if page.locator(h).count() != 1]
    assert not dead, f"summary links with no target: {dead}"


# --- without JavaScript -----------------------------------------------------------------------


def test_form_works_without_javascript(browser: Browser, live_server, login):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, live_server.url)
        page.goto(live_server.url + "/app/register")

        # No kecamatan step: every kelurahan, grouped by kecamatan.
        expect(page.locator("[data-field=kecamatan]")).to_be_hidden()
        kecamatan = live_server.query(
            "SELECT code, name FROM regions WHERE level = 'kecamatan' ORDER BY code"
        )
        kelurahan_count = live_server.scalar(
            "SELECT count(*) FROM regions WHERE level = 'kelurahan'"
        )
        groups = page.locator("#kelurahan_code optgroup")
        expect(groups).to_have_count(len(kecamatan))
        assert groups.evaluate_all("gs => gs.map(g => g.label)") == [n for _, n in kecamatan]
        offered = kelurahan_offered(page)
        assert len(offered) == kelurahan_count
        assert {TANJUNG_MAS, MIROTO} <= set(offered)
        utara = page.locator(f"#kelurahan_code optgroup[data-kecamatan='{SEMARANG_UTARA}']")
        expect(utara.locator(f"option[value='{TANJUNG_MAS}']")).to_have_count(1)
        expect(page.locator("#kelurahan_code")).to_be_enabled()
        expect(page.locator("[data-field=occupation_other]")).to_be_visible()

        page.select_option("#kelurahan_code", TANJUNG_MAS)
        page.fill("#nik", NIK)
        page.fill("#birth_date", NIK_BIRTH_DATE)  # nothing reads the NIK without JS
        page.check("input[name=sex][value=L]")
        fill_rest(page, consent=False)

        # A full page round trip with the messages and what was typed.
        submit(page)
        page.wait_for_url(REGISTER_URL)
        expect(page.locator("[data-field=consent] .field-error")).to_have_text(CONSENT_MESSAGE)
        expect(page.locator("#full_name")).to_have_value(WORKER["#full_name"])
        expect(page.locator("#kelurahan_code")).to_have_value(TANJUNG_MAS)
        assert live_server.scalar("SELECT count(*) FROM registrations") == 0

        page.check("#consent")
        submit(page)
        reference = expect_receipt(page)
    finally:
        context.close()

    assert_stored_once(live_server, reference)


# --- the error collector itself ---------------------------------------------


def test_error_collector_catches_csp_violations(page: Page, live_server, login, browser_errors):
    """An inline script is refused by the CSP; that must count as a browser error."""
    login(page, live_server.url)
    open_form(page, live_server.url)
    browser_errors.assert_none()
    page.evaluate(
        """() => {
            const s = document.createElement('script');
            s.textContent = 'window.__inlineRan = true';
            document.body.append(s);
        }"""
    )
    assert page.evaluate("window.__inlineRan") is None
    problems = browser_errors.unexpected()
    assert any("Content Security Policy" in m for m in problems), problems
