"""Exactly once, whatever the network does: real Chromium against a server that dies.

Each test has its own server, database and browser context. The phone side is driven
through its agreed hooks: the counts on /app (``[data-count=waiting|needs_fix|sent]``),
the ``[data-auth-needed]`` banner, the ``[data-saved-receipt]`` shown after a save,
``window.pijarOutbox`` and ``window.pijarSync``; the server side is checked in its
database, counting registrations by NIK.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Error, Page, Response, Route, expect
from test_register_form import choose_place, fill_rest, open_form, submit, type_nik

pytestmark = pytest.mark.browser

SYNC_URL = "**/api/v1/sync"
SERVER_REFERENCE = re.compile(r"^PS-[0-9A-Z]{4}-[0-9A-Z]{4}$")

# A retry timer with backoff and jitter, started after a few failures: the longest
# wait we accept before the phone tries again on its own.
RETRY_WAIT_S = 45.0


def niks(first_serial: int, count: int) -> list[str]:
    """Distinct valid NIKs: issued in Semarang Tengah, born 12-05-1990, male."""
    return [f"3374011205900{serial:03d}" for serial in range(first_serial, first_serial + count)]


# --- the phone ------------------------------------------------------------------------------


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """An Indonesian phone: pytest-playwright gives each test a fresh context with these
    (its own IndexedDB, service worker and cookies)."""
    return {**browser_context_args, "locale": "id-ID", "timezone_id": "Asia/Jakarta"}


@pytest.fixture
def page_errors(context: BrowserContext) -> list[str]:
    """Uncaught exceptions and unhandled rejections in any page of the phone.

    Console messages are not collected: a dead server makes Chromium log every refused
    connection, which is the point of these tests.
    """
    errors: list[str] = []
    context.on("weberror", lambda web_error: errors.append(str(web_error.error)))
    return errors


def controlled_by_service_worker(page: Page) -> bool:
    return page.evaluate("navigator.serviceWorker.controller !== null")


def sign_in_on_phone(page: Page, live_server, login, poll, devices: int = 1) -> None:
    """Log in (which registers this phone for a sync token) and wait for the worker."""
    login(page, live_server.url)
    poll(
        page,
        lambda: live_server.scalar("SELECT count(*) FROM devices") >= devices,
        message=f"{devices} device(s) registered on the server",
    )
    page.goto(live_server.url + "/app")
    poll(page, lambda: controlled_by_service_worker(page), message="the service worker")
    token = page.evaluate("async () => (await window.pijarOutbox.getMeta('device'))?.token")
    assert token, "logging in left no device token on the phone"


def save_registration(page: Page, base_url: str, nik: str) -> str:
    """Fill the form and save it; returns the local reference shown at once."""
    open_form(page, base_url)
    choose_place(page)
    type_nik(page, nik)
    fill_rest(page)
    submit(page)
    receipt = page.locator("[data-saved-receipt]")
    expect(receipt).to_be_visible()
    local_ref = receipt.locator("[data-ref]")
    expect(local_ref).not_to_be_empty()
    return local_ref.inner_text().strip()


def shown_counts(page: Page) -> dict[str, int | None]:
    """The counts /app shows; None while one is not (yet) a number."""
    counts: dict[str, int | None] = {}
    for name in ("waiting", "needs_fix", "sent"):
        text = page.locator(f"[data-count={name}]").first.inner_text().strip()
        counts[name] = int(text) if text.isdigit() else None
    return counts


def outbox_counts(page: Page) -> dict[str, Any]:
    return page.evaluate("() => window.pijarOutbox.counts()")


def stored_by_nik(live_server, nik_list: list[str]) -> dict[str, int]:
    marks = ", ".join("?" for _ in nik_list)
    rows = live_server.query(
        f"SELECT nik, count(*) FROM registrations WHERE nik IN ({marks}) GROUP BY nik",  # noqa: S608
        tuple(nik_list),
    )
    return dict(rows)


def assert_exactly_once(live_server, nik_list: list[str]) -> None:
    assert stored_by_nik(live_server, nik_list) == dict.fromkeys(nik_list, 1)
    assert live_server.scalar("SELECT count(*) FROM registrations") == len(nik_list)


def drained(page: Page, live_server, nik_list: list[str]) -> Callable[[], bool]:
    """True once the server holds every NIK and this page shows nothing waiting."""

    def check() -> bool:
        stored = stored_by_nik(live_server, nik_list)
        return len(stored) == len(nik_list) and shown_counts(page)["waiting"] == 0

    check.__name__ = f"{len(nik_list)} registrations on the server and 0 waiting on the phone"
    return check


def wait_until_drained(poll, page: Page, live_server, nik_list: list[str]) -> None:
    """Wait, without touching the page, until the retry timer has sent everything."""
    poll(
        page,
        drained(page, live_server, nik_list),
        timeout=RETRY_WAIT_S,
        interval=0.25,
        describe=lambda: describe_state(page, live_server, nik_list),
    )


def describe_state(page: Page, live_server, nik_list: list[str]) -> dict[str, Any]:
    """Both sides at a glance, for a failure message."""
    try:
        in_outbox: Any = outbox_counts(page)
    except Exception as error:  # the hook may be missing
        in_outbox = repr(error)
    return {
        "stored_by_nik": stored_by_nik(live_server, nik_list),
        "shown": shown_counts(page),
        "pijarOutbox.counts()": in_outbox,
        "auth_needed_visible": page.locator("[data-auth-needed]").first.is_visible(),
        "url": page.url,
    }


def utc_now() -> datetime:
    return datetime.now(UTC)


def db_timestamp(moment: datetime) -> str:
    """A datetime as the app's UTCDateTime columns hold it in SQLite (naive UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


# --- the harness itself ---------------------------------------------------------------------


def test_server_killed_and_restarted_on_the_same_port_with_its_data(page: Page, live_server, poll):
    """What the other tests stand on: kill() is hard, start() comes back as it was."""
    url, port = live_server.url, live_server.port
    live_server.execute("UPDATE users SET full_name = ? WHERE username = ?", ("Ani", "relawan1"))

    live_server.kill()
    assert not live_server.running
    with pytest.raises(Exception, match=r"ECONNREFUSED|net::"):
        page.request.get(url + "/healthz", timeout=3000)

    live_server.start()
    assert (live_server.url, live_server.port) == (url, port)
    assert page.request.get(url + "/healthz").ok
    assert live_server.scalar("SELECT full_name FROM users WHERE username = 'relawan1'") == "Ani"
    assert poll(page, lambda: live_server.running, timeout=1) is True


# --- a server that dies while the browser believes it is online ------------------------------


def test_dead_server_then_the_retry_timer_drains_the_queue(
    page: Page, live_server, login, poll, page_errors
):
    sign_in_on_phone(page, live_server, login, poll)
    live_server.kill()

    # The form still opens, from the service worker's cache.
    response = page.goto(live_server.url + "/app/register")
    assert response is not None and response.from_service_worker, "form not served by the SW"
    expect(page.locator("#kecamatan")).to_be_visible()

    wanted = niks(101, 3)
    local_refs = [save_registration(page, live_server.url, nik) for nik in wanted]
    assert len(set(local_refs)) == 3, local_refs

    response = page.goto(live_server.url + "/app")
    assert response is not None and response.from_service_worker
    expect(page.locator("[data-count=waiting]")).to_have_text("3")
    assert outbox_counts(page)["waiting"] == 3
    assert live_server.scalar("SELECT count(*) FROM registrations") == 0
    page.evaluate("window.__onlineEvents = 0; addEventListener('online', () => __onlineEvents++)")

    # Back on the same port. No navigation, no click, no `online` event: only a timer.
    live_server.start()
    wait_until_drained(poll, page, live_server, wanted)
    assert_exactly_once(live_server, wanted)
    expect(page.locator("[data-count=waiting]")).to_have_text("0")
    expect(page.locator("[data-count=sent]")).to_have_text("3")
    assert outbox_counts(page)["waiting"] == 0
    assert page.evaluate("window.__onlineEvents") == 0, "an online event fired"
    assert page.evaluate("navigator.onLine") is True
    assert_outbox_page_matches_server(page, live_server, len(wanted))
    assert not page_errors, page_errors


# --- a reply lost on the way back ------------------------------------------------------------


class LoseFirstReply:
    """Route handler: the first sync that carries items reaches the server, which commits
    it, but its reply never reaches the phone (``after_commit`` runs in between, e.g. to
    kill the server). Later syncs pass through; their results are recorded."""

    def __init__(self, after_commit: Callable[[], None] | None = None) -> None:
        self.after_commit = after_commit
        self.lost_client_ids: list[str] = []
        self.lost_statuses: list[str] = []
        self.later_results: list[dict[str, Any]] = []
        self.refused = 0

    def __call__(self, route: Route) -> None:
        items = (route.request.post_data_json or {}).get("items") or []
        try:
            response = route.fetch()  # the server commits the batch before it answers
        except Error:
            self.refused += 1  # the server is dead: so is this request
            route.abort("connectionrefused")
            return
        if items and not self.lost_client_ids:
            self.lost_client_ids = [item["client_id"] for item in items]
            self.lost_statuses = [r["status"] for r in response.json().get("results", [])]
            if self.after_commit is not None:
                self.after_commit()
            route.abort("connectionreset")
            return
        if response.ok:
            self.later_results.extend(response.json().get("results", []))
        route.fulfill(response=response)

    def resent_status(self, client_id: str) -> list[str]:
        return [r["status"] for r in self.later_results if r.get("client_id") == client_id]

    def assert_resends_were_recognised(self) -> None:
        """Each record whose reply was lost came back ``already_received``, never new."""
        assert self.lost_client_ids
        for client_id in self.lost_client_ids:
            statuses = self.resent_status(client_id)
            assert statuses and set(statuses) == {"already_received"}, (
                client_id,
                self.later_results,
            )


def assert_outbox_page_matches_server(page: Page, live_server, count: int) -> None:
    """/app/outbox lists each record once, sent, with the reference the server gave it."""
    page.goto(live_server.url + "/app/outbox")
    items = page.locator("[data-outbox-item]")
    expect(items).to_have_count(count)
    shown = items.evaluate_all(
        """els => els.map(e => [e.dataset.clientId, e.dataset.state,
                               e.querySelector('[data-slot=ref]').textContent.trim()])"""
    )
    assert {state for _, state, _ in shown} == {"sent"}, shown
    assert all(SERVER_REFERENCE.fullmatch(ref) for _, _, ref in shown), shown
    on_server = dict(live_server.query("SELECT client_id, reference FROM registrations"))
    assert {client_id: ref for client_id, _, ref in shown} == on_server


def test_lost_response_is_resent_and_stored_once(
    context: BrowserContext, page: Page, live_server, login, poll, page_errors
):
    sign_in_on_phone(page, live_server, login, poll)
    lose = LoseFirstReply()
    # Context-wide, so a sync made by the service worker is caught too.
    context.route(SYNC_URL, lose)

    # Three saved without signal, so that one batch carries them all...
    context.set_offline(True)
    wanted = niks(201, 3)
    for nik in wanted:
        save_registration(page, live_server.url, nik)
    page.goto(live_server.url + "/app")
    expect(page.locator("[data-count=waiting]")).to_have_text("3")

    # ...and goes out when the signal returns; the server commits it, the reply is lost.
    context.set_offline(False)
    poll(page, lambda: lose.lost_client_ids, message="a sync request with items")
    assert len(lose.lost_client_ids) == 3
    assert lose.lost_statuses == ["accepted"] * 3
    assert_exactly_once(live_server, wanted)  # on the server; the phone does not know it
    expect(page.locator("[data-count=waiting]")).to_have_text("3")

    # No user action from here: the retry timer resends the batch.
    wait_until_drained(poll, page, live_server, wanted)
    assert_exactly_once(live_server, wanted)
    expect(page.locator("[data-count=sent]")).to_have_text("3")

    lose.assert_resends_were_recognised()
    assert_outbox_page_matches_server(page, live_server, len(wanted))
    assert not page_errors, page_errors


def test_server_dies_right_after_committing_a_batch(
    context: BrowserContext, page: Page, live_server, login, poll, page_errors
):
    """The worst moment: the batch is in the database, the server is gone before it can
    answer, and the browser still believes it is online. Only the retry timer helps."""
    sign_in_on_phone(page, live_server, login, poll)
    lose = LoseFirstReply(after_commit=live_server.kill)
    context.route(SYNC_URL, lose)

    wanted = niks(501, 3)
    save_registration(page, live_server.url, wanted[0])
    poll(page, lambda: lose.lost_client_ids, message="the first batch")
    assert not live_server.running
    assert stored_by_nik(live_server, wanted) == {wanted[0]: 1}

    # The volunteer carries on with a dead server: the form comes from the cache.
    for nik in wanted[1:]:
        save_registration(page, live_server.url, nik)
    response = page.goto(live_server.url + "/app")
    assert response is not None and response.from_service_worker
    expect(page.locator("[data-count=waiting]")).to_have_text("3")
    page.evaluate("window.__onlineEvents = 0; addEventListener('online', () => __onlineEvents++)")

    live_server.start()
    wait_until_drained(poll, page, live_server, wanted)
    assert_exactly_once(live_server, wanted)
    assert page.evaluate("window.__onlineEvents") == 0
    lose.assert_resends_were_recognised()
    assert_outbox_page_matches_server(page, live_server, len(wanted))
    assert not page_errors, page_errors


class FailFirst:
    """Route handler: the first ``times`` syncs get ``status`` without reaching the server."""

    def __init__(self, status: int, times: int, headers: dict[str, str] | None = None) -> None:
        self.status, self.left, self.headers = status, times, headers or {}
        self.failed = 0

    def __call__(self, route: Route) -> None:
        if self.left > 0:
            self.left -= 1
            self.failed += 1
            body = '{"error": "busy", "message": "coba lagi"}'
            route.fulfill(status=self.status, headers=self.headers, body=body)
            return
        route.fallback()


@pytest.mark.parametrize(
    ("status", "headers"),
    [(503, {}), (500, {}), (429, {"Retry-After": "1"}), (408, {})],
    ids=["503", "500", "429-retry-after", "408"],
)
def test_transient_server_errors_are_retried_with_backoff(
    context: BrowserContext, page: Page, live_server, login, poll, page_errors, status, headers
):
    sign_in_on_phone(page, live_server, login, poll)
    fail = FailFirst(status, times=2, headers=headers)
    context.route(SYNC_URL, fail)

    wanted = niks(601, 2)
    for nik in wanted:
        save_registration(page, live_server.url, nik)

    # The receipt on the form gets the server's reference once the record is through.
    receipt = page.locator("[data-saved-receipt]")
    server_ref = receipt.locator("[data-ref]")
    expect(receipt).to_have_attribute("data-state", "sent", timeout=RETRY_WAIT_S * 1000)
    expect(server_ref).to_have_text(SERVER_REFERENCE)
    reference = live_server.scalar(
        "SELECT reference FROM registrations WHERE nik = ?", (wanted[1],)
    )
    expect(server_ref).to_have_text(reference)

    page.goto(live_server.url + "/app")
    wait_until_drained(poll, page, live_server, wanted)
    assert fail.failed == 2
    assert_exactly_once(live_server, wanted)
    expect(page.locator("[data-count=needs_fix]")).to_have_text("0")
    expect(page.locator("[data-auth-needed]")).to_be_hidden()
    assert not page_errors, page_errors


# --- a token the server no longer accepts -----------------------------------------------------


def _revoke(live_server) -> int:
    return live_server.execute("UPDATE devices SET revoked_at = ?", (db_timestamp(utc_now()),))


def _expire(live_server) -> int:
    past = utc_now() - timedelta(hours=1)
    return live_server.execute("UPDATE devices SET expires_at = ?", (db_timestamp(past),))


@pytest.mark.parametrize("invalidate", [_revoke, _expire], ids=["revoked", "expired"])
def test_refused_token_keeps_the_queue_until_the_volunteer_logs_in_again(
    context: BrowserContext, page: Page, live_server, login, poll, page_errors, invalidate
):
    sign_in_on_phone(page, live_server, login, poll)
    refused: list[str] = []

    def count_refusals(response: Response) -> None:
        if response.url.endswith("/api/v1/sync") and response.status == 401:
            refused.append(response.url)

    context.on("response", count_refusals)
    assert invalidate(live_server) == 1
    wanted = niks(301, 1)

    save_registration(page, live_server.url, wanted[0])
    expect(page.locator("[data-auth-needed]")).to_be_visible(timeout=15_000)
    page.goto(live_server.url + "/app")
    banner = page.locator("[data-auth-needed]")
    expect(banner).to_be_visible()
    expect(page.locator("[data-count=waiting]")).to_have_text("1")
    assert refused, "the server never refused the token"

    # Kept, not dropped, not marked as needing a fix; and the phone does not keep
    # knocking with a token it knows is refused.
    knocks = len(refused)
    page.wait_for_timeout(3_000)
    assert outbox_counts(page)["waiting"] == 1
    expect(page.locator("[data-count=needs_fix]")).to_have_text("0")
    assert live_server.scalar("SELECT count(*) FROM registrations") == 0
    assert len(refused) <= knocks + 1, f"{len(refused) - knocks} more refused syncs in 3 s"

    link = banner.locator("a[href*='reauth=1']")
    expect(link).to_have_count(1)
    link.click()
    page.wait_for_url(re.compile(r"/login\?.*reauth=1"))
    page.fill("#username", "relawan1")
    page.fill("#password", "Relawan-2026!")
    with page.expect_navigation():
        page.locator("form:has(#password) button[type=submit]").click()
    # Back where the banner was, with a new device token and no further action: the same
    # device renewed when it had only expired, a new one when an admin had revoked it.
    page.wait_for_url(re.compile(r"/app$"))
    assert live_server.scalar("SELECT count(*) FROM devices") == (2 if invalidate is _revoke else 1)
    assert (
        live_server.scalar(
            "SELECT count(*) FROM devices WHERE revoked_at IS NULL AND expires_at > ?",
            (db_timestamp(utc_now()),),
        )
        == 1
    )
    wait_until_drained(poll, page, live_server, wanted)
    assert_exactly_once(live_server, wanted)
    expect(page.locator("[data-auth-needed]")).to_be_hidden()
    new_device = live_server.scalar("SELECT max(id) FROM devices")
    assert live_server.scalar("SELECT device_id FROM registrations") == new_device
    assert not page_errors, page_errors


# --- two tabs on one phone --------------------------------------------------------------------


def test_two_tabs_sending_at_once_store_each_record_once(
    context: BrowserContext, page: Page, live_server, login, poll, page_errors
):
    sign_in_on_phone(page, live_server, login, poll)
    other = context.new_page()
    other.goto(live_server.url + "/app")
    poll(other, lambda: controlled_by_service_worker(other), message="the worker in tab 2")

    sent: list[str] = []
    results: list[dict[str, Any]] = []

    def on_request(request) -> None:
        if request.method == "POST" and request.url.endswith("/api/v1/sync"):
            sent.extend(
                item["client_id"] for item in (request.post_data_json or {}).get("items", [])
            )

    def on_response(response) -> None:
        if response.request.method == "POST" and response.url.endswith("/api/v1/sync"):
            with suppress(Error, ValueError):  # a body that never came back
                results.extend(response.json().get("results", []))

    context.on("request", on_request)
    context.on("response", on_response)

    # Both tabs fill the queue while the phone has no signal...
    context.set_offline(True)
    wanted = niks(401, 4)
    save_registration(page, live_server.url, wanted[0])
    save_registration(other, live_server.url, wanted[1])
    save_registration(page, live_server.url, wanted[2])
    save_registration(other, live_server.url, wanted[3])
    for tab in (page, other):
        tab.goto(live_server.url + "/app")
    expect(page.locator("[data-count=waiting]")).to_have_text("4")
    expect(other.locator("[data-count=waiting]")).to_have_text("4")

    # ...then the signal returns: both see `online`, and both are told to send at once.
    context.set_offline(False)
    for tab in (page, other):
        tab.evaluate("() => { window.__sending = window.pijarSync.syncNow(); }")
    for tab in (page, other):
        tab.evaluate("() => window.__sending.catch(() => undefined)")
    page.locator("#send-now").click()
    other.locator("#send-now").click()

    for tab in (page, other):
        poll(
            tab,
            drained(tab, live_server, wanted),
            timeout=RETRY_WAIT_S,
            interval=0.25,
            describe=lambda tab=tab: describe_state(tab, live_server, wanted),
        )
    assert_exactly_once(live_server, wanted)
    expect(page.locator("[data-count=sent]")).to_have_text("4")
    expect(other.locator("[data-count=sent]")).to_have_text("4")
    assert {r["status"] for r in results} <= {"accepted", "already_received"}, results
    # One sender at a time (Web Locks): nothing was sent twice.
    assert sorted(sent) == sorted(set(sent)), f"sent more than once: {sent}"
    assert not page_errors, page_errors
