"""A coordinator's day, end to end in Chromium: from an empty queue to a worked one.

A volunteer's phone sends four registrations (one of them the same worker twice). A
coordinator at a desktop searches and filters the queue, opens records, approves one,
rejects one (after first forgetting the reason), asks for a fix on one and resolves the
duplicate. The phone's next sync brings every decision back to its outbox page, and the
record sent back opens in the form again, pre-filled, with the coordinator's message.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect
from test_register_form import choose_place, fill_rest, open_form, submit, type_nik

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]
COORDINATOR = ("koordinator1", "Koordinator-2026!")
PHONE = {"locale": "id-ID", "timezone_id": "Asia/Jakarta"}
DESKTOP = {"viewport": {"width": 1366, "height": 900}, **PHONE}
SYNC_TIMEOUT_S = 20.0

# Issued in Semarang Tengah, born 12-05-1990, male: the form reads birth date and sex
# from the NIK, so none of these carries a flag of its own.
AGUS = ("Agus Salim", "3374011205900101")
BAMBANG = ("Bambang Riyadi", "3374011205900102")
JOKO = ("Joko Susilo", "3374011205900103")

REJECT_REASON = "Bukan pekerja rentan sasaran program"
FIX_MESSAGE = "Nomor HP ahli waris kurang satu angka"
NO_REASON_MESSAGE = "Pilih alasan penolakan."
DUPLICATE_FLAG = "Mungkin ganda"

# The one request the coordinator is meant to have refused (a reject with no reason)
# answers 409, which Chromium logs as a failed resource load.
REFUSED_REJECT = (
    r"^console: Failed to load resource: the server responded with a status of 409"
    r".*/review/\d+/decide\)$",
)


@dataclass(frozen=True)
class Record:
    id: int
    reference: str
    client_id: str
    name: str
    nik: str


# --- setting the scene ----------------------------------------------------------------------


def create_coordinator(live_server: Any) -> None:
    """With the app's own CLI, against the live server's database."""
    username, password = COORDINATOR
    env = {**os.environ, "DATABASE_URL": live_server.database_url, "SECRET_KEY": "x" * 48}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "webapp",
            "create-user",
            "--username",
            username,
            "--password",
            password,
            "--role",
            "coordinator",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"create-user failed:\n{result.stdout}\n{result.stderr}"


def new_context(browser: Browser, browser_errors: Any, **args: Any) -> BrowserContext:
    context = browser.new_context(**args)
    browser_errors.watch(context)
    return context


# --- the volunteer's phone -----------------------------------------------------------------


def register(page: Page, base_url: str, name: str, nik: str) -> None:
    """One worker through /app/register; saved to the phone's outbox at once."""
    open_form(page, base_url)
    choose_place(page)
    type_nik(page, nik)
    fill_rest(page)
    page.fill("#full_name", name)
    submit(page)
    expect(page.locator("[data-saved-receipt] [data-ref]")).to_be_visible()
    expect(page.locator("#nik")).to_have_value("")  # ready for the next worker


def outbox_counts(page: Page) -> dict[str, int]:
    return page.evaluate("() => window.pijarOutbox.counts()")


def wait_until_sent(page: Page, live_server: Any, poll: Any, count: int) -> None:
    """``count`` records on the server and nothing left waiting on the phone."""
    poll(
        page,
        lambda: (
            live_server.scalar("SELECT count(*) FROM registrations") == count
            and outbox_counts(page) == {"waiting": 0, "needs_fix": 0, "sent": count}
        ),
        timeout=SYNC_TIMEOUT_S,
        message=f"{count} registrations sent",
        describe=lambda: {
            "server": live_server.scalar("SELECT count(*) FROM registrations"),
            "phone": outbox_counts(page),
        },
    )


def records(live_server: Any) -> list[Record]:
    rows = live_server.query(
        "SELECT id, reference, client_id, full_name, nik FROM registrations ORDER BY id"
    )
    return [Record(*row) for row in rows]


def flags_of(live_server: Any, registration_id: int) -> list[str]:
    rows = live_server.query(
        "SELECT flag FROM registration_flags WHERE registration_id = ? ORDER BY flag",
        (registration_id,),
    )
    return [flag for (flag,) in rows]


# --- the coordinator's desk ----------------------------------------------------------------


def result_rows(page: Page):
    return page.locator("#results tbody tr[data-registration]")


def open_from_queue(page: Page, base_url: str, record: Record) -> None:
    """From the (default) queue, by the record's reference, as a coordinator clicks it."""
    page.goto(base_url + "/review")
    row = page.locator(f"#results tr[data-registration='{record.id}']")
    expect(row).to_contain_text(record.name)
    row.get_by_role("link", name=record.reference).click()
    page.wait_for_url(re.compile(rf"/review/{record.id}$"))
    expect(page.locator("h1")).to_contain_text(record.name)
    expect(page.locator("h1")).to_contain_text(record.reference)


def expect_status(page: Page, code: str, label: str) -> None:
    status = page.locator(".status-line [data-status]")
    expect(status).to_have_attribute("data-status", code)
    expect(status).to_have_text(label)


def expect_success(page: Page, text: str) -> None:
    expect(page.locator(".notice-success[role=status]")).to_have_text(text)
    expect(page.locator("[data-decision-error]")).to_have_count(0)


def decision_form(page: Page, action: str):
    return page.locator(f"form.decision:has(input[name=action][value={action}])")


def status_count(page: Page, status: str):
    return page.locator(f".status-tabs a[href$='status={status}'] .count")


# --- the three acts -------------------------------------------------------------------------


def phone_sends_four(phone: Page, live_server: Any, login: Any, poll: Any) -> list[Record]:
    """Agus, Bambang, Joko, then Agus again (the possible duplicate), all sent."""
    base = live_server.url
    login(phone, base)
    register(phone, base, *AGUS)
    # Sent before Agus comes again, so the second one is the possible duplicate.
    wait_until_sent(phone, live_server, poll, 1)
    for name, nik in (BAMBANG, JOKO, AGUS):
        register(phone, base, name, nik)
    wait_until_sent(phone, live_server, poll, 4)

    sent = records(live_server)
    assert [r.nik for r in sent] == [AGUS[1], BAMBANG[1], JOKO[1], AGUS[1]]
    agus, _, _, agus_again = sent
    assert flags_of(live_server, agus.id) == []
    assert flags_of(live_server, agus_again.id) == ["possible_duplicate"]
    return sent


def search_and_filter(desk: Page, sent: list[Record], screenshot: Any) -> None:
    """The queue of four; htmx active search and a flag filter; the flagged record."""
    agus, bambang, _, agus_again = sent
    expect(result_rows(desk)).to_have_count(4)
    expect(status_count(desk, "submitted")).to_have_text("4")
    for r in sent:
        expect(desk.locator(f"tr[data-registration='{r.id}']")).to_contain_text(r.reference)
    expect(desk.locator("#results")).not_to_contain_text(AGUS[1])  # NIKs masked
    screenshot(desk, "review-queue")

    # Active search: part of a name, results swapped in place, the URL follows.
    desk.evaluate("window.__sameDocument = true")
    with desk.expect_request(
        lambda req: "q=Bamb" in req.url and req.headers.get("hx-request") == "true"
    ):
        desk.locator("#q").press_sequentially("Bamb", delay=40)
    expect(result_rows(desk)).to_have_count(1)
    expect(result_rows(desk)).to_contain_text(bambang.name)
    expect(desk.locator("#results caption")).to_contain_text("Bamb")
    desk.wait_for_url(re.compile(r"[?&]q=Bamb(&|$)"))
    assert desk.evaluate("window.__sameDocument") is True, "the search reloaded the page"

    desk.locator("#q").fill("")
    expect(result_rows(desk)).to_have_count(4)

    # Filter by flag, chosen by the words the coordinator reads.
    option = desk.locator("#f-flag option", has_text=DUPLICATE_FLAG)
    expect(option).to_have_count(1)
    desk.select_option("#f-flag", value=option.get_attribute("value"))
    expect(result_rows(desk)).to_have_count(1)
    flagged = desk.locator(f"tr[data-registration='{agus_again.id}']")
    expect(flagged).to_contain_text(DUPLICATE_FLAG)
    desk.wait_for_url(re.compile(r"[?&]flag=possible_duplicate(&|$)"))
    assert desk.evaluate("window.__sameDocument") is True, "the filter reloaded the page"

    # Open it: the flag in words, the other record side by side, the NIK masked.
    flagged.get_by_role("link", name=agus_again.reference).click()
    desk.wait_for_url(re.compile(rf"/review/{agus_again.id}$"))
    expect_status(desk, "submitted", "Menunggu tinjauan")
    expect(desk.locator(".notice-info")).to_contain_text(DUPLICATE_FLAG)
    duplicates = desk.locator("section.duplicates")
    expect(duplicates).to_contain_text("Kemungkinan orang yang sama")
    expect(duplicates.get_by_role("link", name=agus.reference)).to_be_visible()
    expect(desk.locator("#nik-value")).to_contain_text("3374 01•• •••• 0101")
    expect(desk.locator("main")).not_to_contain_text(AGUS[1])
    screenshot(desk, "review-duplicate")


def decide_each(desk: Page, live_server: Any, sent: list[Record], screenshot: Any) -> None:
    """Approve, reject (once without a reason), request a fix, resolve the duplicate."""
    base = live_server.url
    agus, bambang, joko, agus_again = sent

    open_from_queue(desk, base, agus)
    decision_form(desk, "approve").get_by_role("button", name="Setujui").click()
    desk.wait_for_url(re.compile(rf"/review/{agus.id}$"))
    expect_success(desk, f"Keputusan untuk {agus.reference} disimpan.")
    expect_status(desk, "approved", "Disetujui")
    expect(desk.locator("form.decision")).to_have_count(0)  # nothing left to decide

    open_from_queue(desk, base, joko)
    with desk.expect_response(re.compile(rf"/review/{joko.id}/decide$")) as refused:
        decision_form(desk, "reject").get_by_role("button", name="Tolak").click()
    assert refused.value.status == 409
    error = desk.locator("[data-decision-error]")
    expect(error).to_have_text(NO_REASON_MESSAGE)
    expect(error).to_have_attribute("role", "alert")
    expect_status(desk, "submitted", "Menunggu tinjauan")
    status = live_server.scalar("SELECT status FROM registrations WHERE id = ?", (joko.id,))
    assert status == "submitted"

    reject = decision_form(desk, "reject")
    reject.get_by_label("Alasan penolakan").select_option(label=REJECT_REASON)
    reject.get_by_role("button", name="Tolak").click()
    desk.wait_for_url(re.compile(rf"/review/{joko.id}$"))
    expect_success(desk, f"Keputusan untuk {joko.reference} disimpan.")
    expect_status(desk, "rejected", "Ditolak")
    expect(desk.locator("ol.history")).to_contain_text(REJECT_REASON)

    open_from_queue(desk, base, bambang)
    fix = decision_form(desk, "request_fix")
    fix.get_by_label("Pesan untuk relawan").fill(FIX_MESSAGE)
    fix.get_by_role("button", name="Minta perbaikan").click()
    desk.wait_for_url(re.compile(rf"/review/{bambang.id}$"))
    expect_success(desk, f"Keputusan untuk {bambang.reference} disimpan.")
    expect_status(desk, "needs_fix", "Perlu diperbaiki")
    expect(desk.locator("ol.history")).to_contain_text(FIX_MESSAGE)

    # Keep the first Agus; the second is the duplicate.
    open_from_queue(desk, base, agus_again)
    desk.locator("section.duplicates").get_by_role(
        "button", name=f"Pertahankan {agus.reference}, tandai {agus_again.reference} ganda"
    ).click()
    desk.wait_for_url(re.compile(rf"/review/{agus.id}$"))  # the one kept
    expect_success(desk, f"{agus_again.reference} ditandai ganda dari {agus.reference}.")
    expect_status(desk, "approved", "Disetujui")
    expect(desk.locator("section.duplicates")).to_have_count(0)

    desk.goto(f"{base}/review/{agus_again.id}")
    expect_status(desk, "duplicate", "Ganda")
    link = desk.get_by_role("link", name="ganda dari pendaftaran lain")
    expect(link).to_have_attribute("href", f"/review/{agus.id}")
    expect(desk.locator(".notice-info")).to_have_count(0)  # the flag is resolved

    # The worked queue: nothing waits, every decision counted.
    desk.goto(base + "/review")
    expect(result_rows(desk)).to_have_count(0)
    expect(desk.locator("#results")).to_contain_text("Tidak ada pendaftaran yang cocok.")
    expected = {"submitted": 0, "approved": 1, "rejected": 1, "needs_fix": 1, "duplicate": 1}
    for code, count in expected.items():
        expect(status_count(desk, code)).to_have_text(str(count))
    screenshot(desk, "review-worked-queue")
    assert dict(live_server.query("SELECT id, status FROM registrations")) == {
        agus.id: "approved",
        bambang.id: "needs_fix",
        joko.id: "rejected",
        agus_again.id: "duplicate",
    }


def phone_sees_decisions(phone: Page, base: str, sent: list[Record], screenshot: Any) -> None:
    """After its next sync, the outbox page shows every decision; the fix opens the form."""
    agus, bambang, joko, agus_again = sent
    phone.goto(base + "/app")
    phone.locator("#send-now").click()
    expect(phone.locator("[data-count=needs_fix]")).to_have_text("1", timeout=SYNC_TIMEOUT_S * 1000)
    phone.goto(base + "/app/outbox")
    expect(phone.locator("[data-outbox-item]")).to_have_count(4)

    def item(record: Record):
        return phone.locator(f"[data-outbox-item][data-client-id='{record.client_id}']")

    expect(item(agus)).to_have_attribute("data-state", "sent")
    expect(item(agus)).to_have_attribute("data-server-status", "approved")
    expect(item(agus)).to_contain_text("Disetujui")
    expect(item(agus)).to_contain_text(agus.reference)
    expect(item(agus).locator("a[data-fix]")).to_be_hidden()

    expect(item(joko)).to_have_attribute("data-state", "sent")
    expect(item(joko)).to_have_attribute("data-server-status", "rejected")
    expect(item(joko)).to_contain_text("Ditolak")
    expect(item(joko).locator("[data-item-message]")).to_contain_text(REJECT_REASON)
    expect(item(joko).locator("a[data-fix]")).to_be_hidden()

    # A duplicate reads as already registered, under the reference kept.
    expect(item(agus_again)).to_have_attribute("data-state", "sent")
    expect(item(agus_again)).to_have_attribute("data-server-status", "duplicate")
    expect(item(agus_again)).to_contain_text(f"Sudah terdaftar sebagai {agus.reference}")
    expect(item(agus_again).locator("[data-item-message]")).to_contain_text(
        f"Ganda dari {agus.reference}"
    )

    to_fix = item(bambang)
    expect(to_fix).to_have_attribute("data-state", "needs_fix")
    expect(to_fix).to_have_attribute("data-server-status", "needs_fix")
    expect(to_fix).to_contain_text("Perlu diperbaiki")
    expect(to_fix.locator("[data-item-message]")).to_have_text(FIX_MESSAGE)
    fix_link = to_fix.locator("a[data-fix]")
    expect(fix_link).to_be_visible()
    screenshot(phone, "phone-outbox-after-review")

    # The record sent back opens in the form, pre-filled, with the message.
    fix_link.click()
    phone.wait_for_url(re.compile(rf"/app/register\?fix={bambang.client_id}$"))
    expect(phone.locator("[data-fix-note]")).to_have_text(FIX_MESSAGE)
    expect(phone.locator("#nik")).to_have_value(BAMBANG[1])
    expect(phone.locator("#full_name")).to_have_value(BAMBANG[0])
    expect(phone.locator("#heir_phone")).not_to_have_value("")


# --- the test ---------------------------------------------------------------------------------


def test_coordinator_works_the_queue_and_the_phone_sees_each_decision(
    browser: Browser, playwright: Playwright, live_server, login, poll, browser_errors, screenshot
):
    create_coordinator(live_server)
    phone_context = new_context(browser, browser_errors, **playwright.devices["Pixel 7"], **PHONE)
    desk_context = new_context(browser, browser_errors, **DESKTOP)
    try:
        phone = phone_context.new_page()
        sent = phone_sends_four(phone, live_server, login, poll)

        desk = desk_context.new_page()
        login(desk, live_server.url, *COORDINATOR)
        desk.wait_for_url(re.compile(r"/review$"))  # a coordinator's home is the queue
        search_and_filter(desk, sent, screenshot)
        decide_each(desk, live_server, sent, screenshot)

        phone_sees_decisions(phone, live_server.url, sent, screenshot)
    finally:
        phone_context.close()
        desk_context.close()

    browser_errors.assert_none(allow=REFUSED_REJECT)
