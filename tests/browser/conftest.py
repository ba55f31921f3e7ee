"""Real-browser tests: the app runs under gunicorn, Debian's Chromium drives it.

No ``playwright install`` (it downloads a browser): Playwright is pointed at
the system Chromium (``CHROMIUM_PATH``, default ``/usr/bin/chromium``). Each test gets
its own server process and its own SQLite database.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page

REPO_ROOT = Path(__file__).resolve().parents[2]
HEALTH_TIMEOUT_S = 15.0
VOLUNTEER = ("relawan1", "Relawan-2026!")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return {**browser_type_launch_args, "executable_path": path}


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """Shadows pytest-playwright's fallback ``base_url`` fixture.

    pytest-playwright 0.10 defines it as an instance method of a plugin class, which
    pytest 9 deprecates (PytestRemovedIn10Warning, an error under our filterwarnings).
    Every test here builds its URLs from ``live_server.url`` instead.
    """
    return None


# --- the app under test ------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    port: int
    database_url: str
    database_path: Path
    log_path: Path

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        """Rows from the test database, read directly with sqlite3 (not through the app)."""
        with closing(sqlite3.connect(self.database_path)) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: tuple | dict = ()) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"flask {' '.join(args[:2])} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )


def _gunicorn_extra_args() -> list[str]:
    """Gunicorn 24+ opens a control socket at a fixed path in $HOME by default; parallel
    servers (other tests, ``make run``) would fight over it, so switch it off."""
    from gunicorn.config import Config

    return ["--no-control-socket"] if "control_socket_disable" in Config().settings else []


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _app_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(48)[:48],
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated and seeded once, with the volunteer account; each test gets a copy.

    The three ``flask`` commands take ~5 s together on this machine; running them once
    keeps every test on its own database without paying that per test.
    """
    path = tmp_path_factory.mktemp("template") / "app.sqlite3"
    env = _app_env(f"sqlite:///{path}")
    _flask(env, "db", "upgrade")
    _flask(env, "seed")
    user, password = VOLUNTEER
    _flask(env, "create-user", "--username", user, "--password", password, "--role", "volunteer")
    return path


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy even if the source is in WAL mode."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@pytest.fixture
def live_server(tmp_path: Path, seeded_database: Path) -> Iterator[LiveServer]:
    """Its own database (migrated, seeded, one volunteer) and gunicorn on a free port."""
    db_path = tmp_path / "app.sqlite3"
    database_url = f"sqlite:///{db_path}"
    _copy_database(seeded_database, db_path)
    env = _app_env(database_url)

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                # Nothing is left in flight when a test ends; do not wait out keep-alives.
                "--graceful-timeout",
                "1",
                *_gunicorn_extra_args(),
                "webapp:create_app()",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url, port, database_url, db_path, log_path)
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the app did not answer /healthz on {url} "
                    f"(exit code {proc.poll()}):\n{server.log()}"
                )
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        # Shown by pytest only when the test failed.
        print(f"--- server log ({log_path}) ---\n{server.log()}")


# --- logging in --------------------------------------------------------------------------


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through the real form and wait until the app has sent us on."""
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form:has(#password) button[type=submit]").click()
    if page.url.rstrip("/").endswith("/login"):
        raise AssertionError(f"login as {username!r} failed; still on {page.url}")


@pytest.fixture
def login() -> Callable[..., None]:
    """``login(page, base_url)`` logs in as the seeded volunteer unless told otherwise."""

    def _login(
        page: Page,
        base_url: str,
        username: str = VOLUNTEER[0],
        password: str = VOLUNTEER[1],
    ) -> None:
        log_in(page, base_url, username, password)

    return _login


# --- what the browser complained about ---------------------------------------------------


@dataclass
class BrowserErrors:
    """Console errors and uncaught exceptions from every page or context being watched.

    A Content-Security-Policy violation (e.g. an inline script) is a console error, so
    it fails the tests that call :meth:`assert_none`.
    """

    messages: list[str] = field(default_factory=list)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            location = message.location or {}
            self.messages.append(f"console: {message.text} ({location.get('url', '')})")

    def _on_page_error(self, error: Error) -> None:
        self.messages.append(f"pageerror: {error.name}: {error.message}")

    def watch(self, target: Page | BrowserContext) -> None:
        if isinstance(target, Page):
            target.on("console", self._on_console)
            target.on("pageerror", self._on_page_error)
        else:
            target.on("console", self._on_console)
            target.on("weberror", lambda web_error: self._on_page_error(web_error.error))

    def unexpected(self, allow: tuple[str, ...] = ()) -> list[str]:
        return [m for m in self.messages if not any(re.search(p, m) for p in allow)]

    def assert_none(self, allow: tuple[str, ...] = ()) -> None:
        """No errors except those matching one of the ``allow`` regular expressions."""
        left = self.unexpected(allow)
        assert not left, "the browser reported errors:\n" + "\n".join(left)


@pytest.fixture
def browser_errors(request: pytest.FixtureRequest) -> BrowserErrors:
    """Errors seen on the default ``page`` (if the test uses it); ``.watch(other)`` for more."""
    errors = BrowserErrors()
    if "page" in request.fixturenames:
        errors.watch(request.getfixturevalue("page"))
    return errors


# --- screenshots, only on request ---------------------------------------------------------


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path | None]:
    """``screenshot(page, name)`` saves ``$SHOTS_DIR/name.png`` when SHOTS_DIR is set."""
    shots_dir = os.environ.get("SHOTS_DIR")

    def _shot(page: Page, name: str, full_page: bool = True) -> Path | None:
        if not shots_dir:
            return None
        path = Path(shots_dir) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return _shot
