"""Phones sending at once to a real multi-process server: errors, exactly-once, latency.

Usage:
    .venv/bin/python bench/sync_concurrency.py [--phones 16] [--rounds 5]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/pijar_bench]
        [--approve 3000 --approve-phones 24]

1. Overlapping batches: --phones devices of one volunteer each send --rounds batches of
   20 records drawn from a pool of 60 (a quarter of them in two versions: an edit racing
   a resend), all at once, to gunicorn with 4 workers x 2 threads. Prints the answers by
   status (target: 200 only), the item results, and the rows per client id (target: 1).
2. With --approve N (SQLite, as `make run` serves it, 6 workers): N registrations wait
   for review; a coordinator bulk-approves all N in one request while --approve-phones
   phones keep sending new records. Prints every answer's status (target: no 5xx, no
   "database is locked"), the phones' latency p50/p95/max and the approval's duration.

On a fresh SQLite file, and with --postgres on that database too (emptied first!).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import random
import re
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from bench.sync_ingest import PASSWORD, fresh_app
from tests.concurrent_senders import Server, post, records, send_at_once
from webapp.domain.accounts import create_user
from webapp.domain.registrations import content_hash, insert_registrations, registration_row
from webapp.extensions import db
from webapp.models import Registration, utcnow

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def overlapping(name: str, url: str, phones: int, rounds: int, tmp: Path) -> int:
    app = fresh_app(url)
    server = Server(url, workers=4, threads=2, log_path=tmp / f"{name}.log")
    try:
        start = time.perf_counter()
        pool = records(60, random.Random(2026))
        outcome = send_at_once(
            server.url,
            "relawan",
            phones=phones,
            batches_per_phone=rounds,
            batch_size=20,
            pool=pool,
            seed=2026,
            password=PASSWORD,
        )
        seconds = time.perf_counter() - start
    finally:
        server.stop()
    with app.app_context():
        per_id = db.session.execute(
            select(Registration.client_id, func.count()).group_by(Registration.client_id)
        ).all()
    counts = sorted({n for _, n in per_id})
    fives = sum(n for status, n in outcome.answers.items() if status >= 500)
    print(f"\n{name}: {phones} phones x {rounds} overlapping batches of 20, in {seconds:.1f} s")
    print("  answers:", dict(outcome.answers), "; 5xx:", fives)
    print("  item results:", dict(outcome.results))
    print(f"  records stored: {len(per_id)} of 60; rows per client id: {counts}")
    print(
        f"  latency p50 {percentile(outcome.seconds, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(outcome.seconds, 0.95) * 1000:.0f} ms, "
        f"max {percentile(outcome.seconds, 1.0) * 1000:.0f} ms"
    )
    for problem in outcome.wrong[:10]:
        print("   -", problem)
    return fives + len(outcome.wrong) + (counts != [1])


def waiting_registrations(app, count: int) -> list[int]:
    """``count`` clean submitted registrations of a second volunteer; their ids."""
    from tests.conftest import valid_registration
    from webapp.clock import today_in_semarang
    from webapp.domain.choices import load_form_choices
    from webapp.domain.schemas import validate_registration

    with app.app_context():
        user = create_user("relawan2", PASSWORD, "volunteer")
        create_user("koordinator", PASSWORD, "coordinator")
        data, errors = validate_registration(
            valid_registration(), choices=load_form_choices(), today=today_in_semarang()
        )
        assert not errors
        now = utcnow()
        rows = []
        for n in range(count):
            nik = f"3374011205{n // 9999 % 100:02d}{n % 9999 + 1:04d}"
            row_data = {**data, "nik": nik, "birth_date": data["birth_date"]}
            rows.append(
                registration_row(
                    row_data,
                    reference=f"PS-{n // 10000:04d}-{n % 10000:04d}".replace("0", "A"),
                    flags=[],
                    collected_by=user,
                    client_id=f"00000000-0000-4000-8000-{n:012d}",
                    content_hash=content_hash({"n": n}, 1),
                    captured_at=now,
                    form_version=1,
                    device=None,
                    now=now,
                )
            )
        ids = insert_registrations(rows)
        db.session.commit()
        return sorted(ids.values())


def coordinator_session(base: str) -> tuple[urllib.request.OpenerDirector, str]:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(base + "/login").read().decode()
    token = CSRF_INPUT.search(page).group(1)
    form = urllib.parse.urlencode(
        {"username": "koordinator", "password": PASSWORD, "csrf_token": token}
    ).encode()
    opener.open(base + "/login", data=form)
    page = opener.open(base + "/review").read().decode()
    return opener, CSRF_INPUT.search(page).group(1)


def approve_while_syncing(url: str, count: int, phones: int, tmp: Path) -> int:
    app = fresh_app(url)
    waiting = waiting_registrations(app, count)
    server = Server(url, workers=6, threads=4, log_path=tmp / "approve.log")
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        opener, csrf = coordinator_session(server.url)

        def phone(number: int) -> None:
            status, body, _ = post(
                server.url + "/api/v1/devices",
                {"username": "relawan", "password": PASSWORD, "label": f"HP {number}"},
            )
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
            if status != 201:
                return
            rng = random.Random(number)
            while not stop.is_set():
                items = [v[0] for v in records(10, rng)]
                status, _, seconds = post(
                    server.url + "/api/v1/sync", {"items": items}, body["token"]
                )
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    latencies.append(seconds)

        threads = [threading.Thread(target=phone, args=(n,)) for n in range(phones)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # the phones are sending
        form = urllib.parse.urlencode(
            [("csrf_token", csrf), *(("selected", str(i)) for i in waiting)]
        ).encode()
        start = time.perf_counter()
        try:
            answer = opener.open(server.url + "/review/approve", data=form)
            approval_status = answer.status
            page = answer.read().decode()
        except urllib.error.HTTPError as err:
            approval_status, page = err.code, ""
        approval_seconds = time.perf_counter() - start
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    log = (tmp / "approve.log").read_text()
    locked = log.count("database is locked")
    with app.app_context():
        approved = db.session.scalar(
            select(func.count()).select_from(Registration).where(Registration.status == "approved")
        )
    fives = sum(n for status, n in statuses.items() if status >= 500)
    print(f"\nSQLite, 6 workers: bulk approval of {count} while {phones} phones sync")
    print(
        f"  approval: {approval_status} in {approval_seconds:.1f} s, "
        f"{approved} approved ({'shown' if 'disetujui' in page else 'no message'})"
    )
    print(f"  phone answers: {dict(sorted(statuses.items()))}; 5xx: {fives}")
    print(
        f"  phone latency p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
        f"max {percentile(latencies, 1.0) * 1000:.0f} ms"
        f" over {len(latencies)} requests"
    )
    print(f'  "database is locked" in the server log: {locked}')
    return fives + locked + (approval_status >= 500)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL (emptied!) to run on too")
    parser.add_argument("--approve", type=int, default=0, metavar="N")
    parser.add_argument("--approve-phones", type=int, default=24)
    args = parser.parse_args()
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bad += overlapping("SQLite", f"sqlite:///{tmp}/c.sqlite3", args.phones, args.rounds, folder)
        if args.postgres:
            bad += overlapping("PostgreSQL", args.postgres, args.phones, args.rounds, folder)
        if args.approve:
            url = f"sqlite:///{tmp}/approve.sqlite3"
            bad += approve_while_syncing(url, args.approve, args.approve_phones, folder)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
