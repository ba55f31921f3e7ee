"""/cek in Chromium: a worker (or an heir) on a phone, without an account, looks up a
registration by its reference and the worker's birth date, in Indonesian, then in
English through the footer's language switch. The answer is the status in plain words
and nothing else personal; the birth date never appears in an address.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import VOLUNTEER
from tests.conftest import valid_registration

pytestmark = pytest.mark.browser

PHONE = {
    "locale": "id-ID",
    "timezone_id": "Asia/Jakarta",
    "viewport": {"width": 412, "height": 915},
    "is_mobile": True,
    "has_touch": True,
}
BUDI = {}  # valid_registration(): Budi Santoso, born 12-05-1990
SRI = {
    "nik": "3374015507850003",
    "full_name": "Sri Wahyuni",
    "sex": "P",
    "birth_date": "1985-07-15",
    "phone": "0813-1111-2222",
}
KPJ = "26123456789"
# Nothing of this may be on the page: names, NIKs, phone numbers, the heir, the full KPJ.
PERSONAL = (
    "Budi",
    "Santoso",
    "Sri Wahyuni",
    "3374011205900012",
    "3374015507850003",
    "81234567890",
    "81311112222",
    "Siti Aminah",
    KPJ,
)


def post_json(url: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 (the live server on 127.0.0.1)
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def send_from_a_phone(base_url: str, *payloads: dict[str, str]) -> list[str]:
    """The volunteer's phone sends these registrations; their references, in order."""
    username, password = VOLUNTEER
    token = post_json(
        base_url + "/api/v1/devices",
        {"username": username, "password": password, "label": "HP Ani"},
    )["token"]
    items = [
        {
            "client_id": str(uuid.uuid4()),
            "form_version": 1,
            "captured_at": "2026-11-06T09:12:00+07:00",
            "payload": valid_registration(**changes),
        }
        for changes in payloads
    ]
    results = post_json(base_url + "/api/v1/sync", {"items": items}, token)["results"]
    assert [r["status"] for r in results] == ["accepted"] * len(items), results
    return [r["ref"] for r in results]


def look_up(page: Page, reference: str, birth_date: str) -> None:
    page.fill("#reference", reference)
    page.fill("#birth_date", birth_date)
    with page.expect_navigation():
        page.locator("form:has(#birth_date) button[type=submit]").click()


def assert_nothing_personal(page: Page) -> None:
    text = page.content()
    for personal in PERSONAL:
        assert personal not in text, personal


def test_a_worker_looks_up_a_registration_in_indonesian_and_in_english(
    browser: Browser, live_server: Any, browser_errors: Any, screenshot: Any
):
    budi_ref, sri_ref = send_from_a_phone(live_server.url, BUDI, SRI)
    live_server.execute(
        "UPDATE registrations SET status = 'enrolled', kpj_number = ?, "
        "coverage_starts_on = '2026-12-01' WHERE reference = ?",
        (KPJ, budi_ref),
    )
    context = browser.new_context(**PHONE)
    browser_errors.watch(context)
    addresses: list[str] = []
    context.on("request", lambda request: addresses.append(request.url))
    page = context.new_page()

    # Indonesian, the default: typed as people do, lower case and without the dashes.
    page.goto(live_server.url + "/cek")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("h1")).to_have_text("Cek status pendaftaran")
    look_up(page, budi_ref.replace("-", "").lower(), "12-05-1990")
    answer = page.locator("[data-answer]")
    expect(answer).to_have_attribute("data-answer", "enrolled")
    expect(answer).to_contain_text("Terdaftar sebagai peserta BPJS Ketenagakerjaan")
    expect(answer.locator("[data-kpj]")).to_have_text("•••••••6789")
    expect(answer).to_contain_text("01-12-2026")
    expect(answer).to_contain_text(budi_ref)
    expect(page.locator("#birth_date")).to_have_value("")  # not written back
    assert_nothing_personal(page)
    screenshot(page, "cek-enrolled-id")

    # A wrong birth date, and a reference nobody has: the same "nothing found".
    look_up(page, budi_ref, "13-05-1990")
    expect(answer).to_have_attribute("data-answer", "not_found")
    expect(answer).to_contain_text("Tidak ditemukan")
    wrong_date = answer.inner_text()
    unknown = "PS-ZZZZ-ZZZZ" if budi_ref != "PS-ZZZZ-ZZZZ" else "PS-0000-0000"
    look_up(page, unknown, "12-05-1990")
    expect(answer).to_have_attribute("data-answer", "not_found")
    assert answer.inner_text() == wrong_date
    assert_nothing_personal(page)

    # What cannot be a date is explained by the field, and looks nothing up.
    look_up(page, sri_ref, "15-7-85")
    expect(page.locator("#birth_date-error")).to_contain_text("HH-BB-TTTT")
    expect(page.locator("[data-answer]")).to_have_count(0)

    # English, from the footer.
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Check a registration's status")
    look_up(page, sri_ref, "15/07/1985")
    expect(answer).to_have_attribute("data-answer", "received")
    expect(answer).to_contain_text("Registration received")
    expect(answer).to_contain_text("waiting to be checked")
    assert_nothing_personal(page)
    screenshot(page, "cek-received-en")
    look_up(page, sri_ref, "16-07-1985")
    expect(answer).to_contain_text("Nothing found")

    # The birth date went in request bodies only, never into an address.
    assert addresses, "the requests were watched"
    for address in addresses:
        for typed in ("1990", "1985", "birth_date"):
            assert typed not in address, address
    # The date that was no date answered 422, which Chromium logs as a failed load.
    browser_errors.assert_none(allow=(r"status of 422 .*/cek\)$",))
    context.close()


def test_too_many_tries_get_a_page_that_says_so_in_indonesian(
    browser: Browser, live_server: Any, browser_errors: Any
):
    context = browser.new_context(**PHONE)
    browser_errors.watch(context)
    page = context.new_page()
    page.goto(live_server.url + "/cek")
    for _ in range(10):  # the limit: 10 a minute from one address
        look_up(page, "PS-ZZZZ-ZZZZ", "01-01-1980")
        expect(page.locator("[data-answer]")).to_have_attribute("data-answer", "not_found")
    look_up(page, "PS-ZZZZ-ZZZZ", "01-01-1980")
    expect(page.locator("[data-limited]")).to_have_text(
        "Terlalu banyak percobaan. Tunggu sebentar, lalu coba lagi."
    )
    expect(page.locator("[data-answer]")).to_have_count(0)
    # The refused request is logged by Chromium as a failed load (429); nothing else.
    browser_errors.assert_none(allow=(r"status of 429",))
    context.close()
