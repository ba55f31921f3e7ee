"""Many phones sending at once to a real server: gunicorn with several worker processes.

Used by tests/api/test_sync_concurrency.py (a bounded run on each database) and
bench/sync_concurrency.py (longer runs, latency, a coordinator bulk-approving meanwhile).
Every phone is a device of one volunteer (a new login, another tab, a second phone),
and they send overlapping batches of the same records, some in two versions (an edit
racing a resend), in a random order.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD, valid_registration

REPO_ROOT = Path(__file__).resolve().parents[1]
CHEAP_PASSWORD_HASH = "pbkdf2:sha256:1"


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def no_control_socket() -> list[str]:
    """gunicorn 25+ opens a control socket in the home directory unless told not to."""
    from gunicorn.config import Config

    return ["--no-control-socket"] if "control_socket_disable" in Config().settings else []


class Server:
    """``webapp:create_app()`` under gunicorn on a free port, on ``database_url``."""

    def __init__(self, database_url: str, *, workers: int, threads: int, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "WEBAPP_PASSWORD_HASH_METHOD": CHEAP_PASSWORD_HASH,
            "LOGIN_RATE_LIMIT": "10000 per minute",
        }
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(workers),
                    "--threads",
                    str(threads),
                    "--graceful-timeout",
                    "1",
                    *no_control_socket(),
                    "webapp:create_app()",
                ],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start:\n{log_path.read_text()}")
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:  # noqa: S310
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def post(url: str, body: Any, token: str | None = None) -> tuple[int, Any, float]:
    """(status, parsed JSON or None, seconds) of one POST; a 5xx is an answer, not a raise."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 (our own server on loopback)
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    seconds = time.perf_counter() - start
    try:
        return status, json.loads(raw), seconds
    except ValueError:
        return status, None, seconds


def records(count: int, rng: random.Random) -> list[list[dict[str, Any]]]:
    """``count`` records, each as the versions a phone may send: most one, some two (the
    second an edit with another name), all of one volunteer."""
    made = []
    for n in range(count):
        client_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        nik = f"337401120590{n % 9999 + 1:04d}"  # a man born 12-05-1990, serial n + 1
        first = {
            "client_id": client_id,
            "form_version": 1,
            "captured_at": "2026-11-06T09:12:00+07:00",
            "payload": valid_registration(nik=nik, full_name="Budi Santoso"),
        }
        versions = [first]
        if n % 4 == 0:
            versions.append({**first, "payload": {**first["payload"], "full_name": "Budi Santosa"}})
        made.append(versions)
    return made


@dataclass
class Outcome:
    answers: Counter = field(default_factory=Counter)  # HTTP status -> count
    results: Counter = field(default_factory=Counter)  # item result status -> count
    seconds: list[float] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # answers that broke the contract


def send_at_once(
    server_url: str,
    username: str,
    *,
    phones: int,
    batches_per_phone: int,
    batch_size: int,
    pool: list[list[dict[str, Any]]],
    seed: int,
    password: str = PASSWORD,
) -> Outcome:
    """``phones`` threads, each logged in as its own device, sending overlapping batches
    drawn from ``pool`` at the same time; their answers, checked."""
    outcome = Outcome()
    lock = threading.Lock()
    start = threading.Barrier(phones)

    def phone(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        status, body, _ = post(
            server_url + "/api/v1/devices",
            {"username": username, "password": password, "label": f"HP {number}"},
        )
        if status != 201:
            with lock:
                outcome.answers[status] += 1
                outcome.wrong.append(f"login answered {status}")
            return
        token = body["token"]
        start.wait()
        for _ in range(batches_per_phone):
            chosen = rng.sample(pool, batch_size)
            items = [rng.choice(versions) for versions in chosen]
            status, answer, seconds = post(server_url + "/api/v1/sync", {"items": items}, token)
            with lock:
                outcome.answers[status] += 1
                outcome.seconds.append(seconds)
                if status != 200:
                    outcome.wrong.append(f"sync answered {status}: {str(answer)[:200]}")
                    continue
                results = answer["results"]
                if [r["client_id"] for r in results] != [i["client_id"] for i in items]:
                    outcome.wrong.append("results not one per item, in order")
                for result in results:
                    outcome.results[result["status"]] += 1
                    if result["status"] not in ("accepted", "already_received"):
                        outcome.wrong.append(f"a valid item came back {result}")

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(phones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome
