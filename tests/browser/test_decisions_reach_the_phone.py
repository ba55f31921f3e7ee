"""A coordinator's decision reaches the volunteer whatever happened to their login.

Two field days in Chromium. In the first, the volunteer's 12-hour session runs out
after a record was sent (the session cookie is gone), they log in again on the same
phone, and a coordinator then sends the record back for a fix: the phone, still the
same device on the server, gets the request. In the second, the volunteer sends a
record from one phone and picks up a second one: the coordinator's request for a fix
reaches the second phone too, which holds the record to fix from then on.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect
from test_review_flow import (
    AGUS,
    BAMBANG,
    COORDINATOR,
    DESKTOP,
    FIX_MESSAGE,
    PHONE,
    SYNC_TIMEOUT_S,
    Record,
    create_coordinator,
    decision_form,
    expect_status,
    new_context,
    open_from_queue,
    records,
    register,
    wait_until_sent,
)

pytestmark = pytest.mark.browser


def device_meta(page: Page) -> dict[str, Any]:
    """What the phone keeps of its device: token, device_id, username."""
    return page.evaluate("async () => await window.pijarOutbox.getMeta('device')")


def devices(live_server: Any) -> list[tuple]:
    return live_server.query("SELECT id, revoked_at FROM devices ORDER BY id")


def request_fix(desk: Page, base_url: str, record: Record) -> None:
    open_from_queue(desk, base_url, record)
    fix = decision_form(desk, "request_fix")
    fix.get_by_label("Pesan untuk relawan").fill(FIX_MESSAGE)
    fix.get_by_role("button", name="Minta perbaikan").click()
    desk.wait_for_url(re.compile(rf"/review/{record.id}$"))
    expect_status(desk, "needs_fix", "Perlu diperbaiki")


def expect_fix_requested(phone: Page, base_url: str, record: Record) -> None:
    """The phone syncs, counts one record to fix, and lists it with the message."""
    phone.goto(base_url + "/app")
    phone.locator("#send-now").click()
    expect(phone.locator("[data-count=needs_fix]")).to_have_text("1", timeout=SYNC_TIMEOUT_S * 1000)
    phone.goto(base_url + "/app/outbox")
    item = phone.locator(f"[data-outbox-item][data-client-id='{record.client_id}']")
    expect(item).to_have_attribute("data-state", "needs_fix")
    expect(item).to_have_attribute("data-server-status", "needs_fix")
    expect(item.locator("[data-item-message]")).to_have_text(FIX_MESSAGE)


def test_a_fix_requested_after_the_session_ran_out_reaches_the_same_phone(
    browser: Browser, playwright: Playwright, live_server, login, poll, browser_errors
):
    create_coordinator(live_server)
    base = live_server.url
    phone_context = new_context(browser, browser_errors, **playwright.devices["Pixel 7"], **PHONE)
    desk_context = new_context(browser, browser_errors, **DESKTOP)
    try:
        phone = phone_context.new_page()
        login(phone, base)
        register(phone, base, *BAMBANG)
        wait_until_sent(phone, live_server, poll, 1)
        [record] = records(live_server)
        before = device_meta(phone)
        assert [d[0] for d in devices(live_server)] == [before["device_id"]]

        # The session ends (the cookie is gone); the volunteer logs in again.
        phone_context.clear_cookies()
        phone.goto(base + "/login")
        expect(phone.locator("#password")).to_be_visible()
        login(phone, base)
        poll(
            phone,
            lambda: device_meta(phone)["token"] != before["token"],
            message="a renewed device token on the phone",
        )
        after = device_meta(phone)
        assert after["device_id"] == before["device_id"]  # the same device, renewed
        assert devices(live_server) == [(before["device_id"], None)]  # nothing revoked

        desk = desk_context.new_page()
        login(desk, base, *COORDINATOR)
        request_fix(desk, base, record)

        expect_fix_requested(phone, base, record)
        browser_errors.assert_none()
    finally:
        phone_context.close()
        desk_context.close()


def test_a_record_sent_from_one_phone_gets_its_fix_request_on_another(
    browser: Browser, playwright: Playwright, live_server, login, poll, browser_errors
):
    create_coordinator(live_server)
    base = live_server.url
    old_context = new_context(browser, browser_errors, **playwright.devices["Pixel 7"], **PHONE)
    new_phone_context = new_context(
        browser, browser_errors, **playwright.devices["Pixel 7"], **PHONE
    )
    desk_context = new_context(browser, browser_errors, **DESKTOP)
    try:
        old_phone = old_context.new_page()
        login(old_phone, base)
        register(old_phone, base, *AGUS)
        wait_until_sent(old_phone, live_server, poll, 1)
        [record] = records(live_server)

        new_phone = new_phone_context.new_page()
        login(new_phone, base)
        poll(new_phone, lambda: device_meta(new_phone), message="a device token on the new phone")
        assert device_meta(new_phone)["device_id"] != device_meta(old_phone)["device_id"]
        assert len(devices(live_server)) == 2

        desk = desk_context.new_page()
        login(desk, base, *COORDINATOR)
        request_fix(desk, base, record)

        # The new phone never held the record: it gets it, to fix, with the message.
        expect_fix_requested(new_phone, base, record)
        # And the phone that sent it hears of it too.
        expect_fix_requested(old_phone, base, record)
        browser_errors.assert_none()
    finally:
        old_context.close()
        new_phone_context.close()
        desk_context.close()
