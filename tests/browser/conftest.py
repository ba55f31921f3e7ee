"""Real-browser tests: the app runs under gunicorn, Debian's Chromium drives it.

No ``playwright install`` (it downloads a browser): Playwright is pointed at
the system Chromium (``CHROMIUM_PATH``, default ``/usr/bin/chromium``). Each test gets
its own server process and its own SQLite database.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page

from tests.conftest import CHEAP_PASSWORD_HASH

# Requests made by a service worker (a sync it runs on Background Sync, say) go through
# the context's routes and request events too, as a page's do. Read when Playwright
# starts, so it is set here, before the session's ``playwright`` fixture.
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")

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


class LiveServer:
    """The app under gunicorn on a fixed port, with a SQLite file that outlives the process.

    ``kill()`` stops it hard (SIGKILL to gunicorn's whole process group, so no worker is
    left serving), as a phone sees a server that dies at a harbour with one bar of signal:
    the browser still believes it is online and no ``online`` event fires. ``start()``
    brings it back on the same port with the same database.
    """

    def __init__(self, port: int, database_path: Path, log_path: Path, env: dict[str, str]):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.database_path = database_path
        self.database_url = f"sqlite:///{database_path}"
        self.log_path = log_path
        self.env = env
        self.starts = 0
        self._proc: subprocess.Popen[bytes] | None = None

    # -- the process -----------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = HEALTH_TIMEOUT_S) -> None:
        """Start gunicorn and wait until /healthz answers (from this very process)."""
        if self.running:
            raise RuntimeError(f"the server on {self.url} is already running")
        self.starts += 1
        with self.log_path.open("ab") as log_file:
            log_file.write(f"--- start {self.starts} on port {self.port} ---\n".encode())
            log_file.flush()
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"127.0.0.1:{self.port}",
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
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                # Its own process group: kill() and stop() reach the worker too.
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not _healthy(self.url):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                code = self._proc.poll()
                self._signal_group(signal.SIGKILL)
                raise RuntimeError(
                    f"the app did not answer /healthz on {self.url} "
                    f"(exit code {code}):\n{self.log()}"
                )
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL, no goodbye: open connections are reset and the port refuses new ones."""
        if self._proc is None:
            return
        self._signal_group(signal.SIGKILL)
        self._proc.wait(timeout=10)
        # Every process of the group is gone once nothing accepts connections any more.
        deadline = time.monotonic() + 10
        while _accepts_connections(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"port {self.port} still accepts connections after SIGKILL")
            time.sleep(0.05)

    def stop(self) -> None:
        """Graceful stop (SIGTERM), then SIGKILL if it lingers; safe to call at any time."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
        # Orphaned workers too, whatever happened to the master.
        self._signal_group(signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=5)

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)  # the group id is the leader's pid

    # -- the database, read and written directly with sqlite3 (not through the app) ------

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        """Rows from the test database."""
        with closing(sqlite3.connect(self.database_path, timeout=10)) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: tuple | dict = ()) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def execute(self, sql: str, params: tuple | dict = ()) -> int:
        """Write to the live database (the app reads it per request); returns the rowcount.

        For what an admin would do behind the app's back, e.g. revoking a device.
        """
        with closing(sqlite3.connect(self.database_path, timeout=10)) as conn, conn:
            # The inner ``conn`` commits, or rolls back on error.
            return conn.execute(sql, params).rowcount

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts_connections(port: int) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


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
        "WEBAPP_PASSWORD_HASH_METHOD": CHEAP_PASSWORD_HASH,
        "PYTHONUNBUFFERED": "1",
    }


def make_template_database(path: Path) -> Path:
    """Migrate and seed a SQLite database at ``path``, with the volunteer account."""
    env = _app_env(f"sqlite:///{path}")
    _flask(env, "db", "upgrade")
    _flask(env, "seed")
    user, password = VOLUNTEER
    _flask(env, "create-user", "--username", user, "--password", password, "--role", "volunteer")
    return path


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated and seeded once, with the volunteer account; each test gets a copy.

    The three ``flask`` commands take ~5 s together on this machine; running them once
    keeps every test on its own database without paying that per test.
    """
    return make_template_database(tmp_path_factory.mktemp("template") / "app.sqlite3")


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy even if the source is in WAL mode."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def start_live_server(directory: Path, template_database: Path) -> LiveServer:
    """A copy of ``template_database`` in ``directory``, served by gunicorn on a free port.

    The caller stops it (``server.stop()``); used by the fixture and by bench/ scripts.
    """
    db_path = directory / "app.sqlite3"
    _copy_database(template_database, db_path)
    server = LiveServer(
        port=_free_port(),
        database_path=db_path,
        log_path=directory / "server.log",
        env=_app_env(f"sqlite:///{db_path}"),
    )
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture
def live_server(tmp_path: Path, seeded_database: Path) -> Iterator[LiveServer]:
    """Its own database (migrated, seeded, one volunteer) and gunicorn on a free port.

    The test may ``kill()`` and ``start()`` it again (same port, same database); teardown
    stops whatever is left running.
    """
    server = start_live_server(tmp_path, seeded_database)
    try:
        yield server
    finally:
        server.stop()
        # Shown by pytest only when the test failed.
        print(f"--- server log ({server.log_path}) ---\n{server.log()}")


# --- waiting without blocking the browser -------------------------------------------------


def wait_until(
    page: Page,
    condition: Callable[[], Any],
    *,
    timeout: float = 10.0,
    interval: float = 0.1,
    message: str = "",
    describe: Callable[[], Any] | None = None,
) -> Any:
    """Call ``condition`` until it returns something truthy; return that value.

    Waits with ``page.wait_for_timeout`` so Playwright keeps delivering events (never
    ``time.sleep``), and works for conditions ``page.wait_for_function`` cannot express:
    an async page function (``page.evaluate`` awaits it, ``wait_for_function`` does not)
    or the server's database. On timeout the AssertionError holds the last value, or
    what ``describe()`` returns then (e.g. the state on both sides).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            what = message or getattr(condition, "__name__", repr(condition))
            state = describe() if describe is not None else value
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; {state!r}")
        page.wait_for_timeout(interval * 1000)


@pytest.fixture
def poll() -> Callable[..., Any]:
    """``poll(page, condition, timeout=..., interval=..., message=..., describe=...)``.

    See :func:`wait_until`.
    """
    return wait_until


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
