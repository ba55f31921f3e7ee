"""How many odd requests to the HTML pages answer 5xx (target: none), per database.

Usage:
    .venv/bin/python bench/fuzz_pages.py
    .venv/bin/python bench/fuzz_pages.py \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
        [--no-sqlite] [--per-name N] [--registrations 300] [--show 40]

Each database gets a small data set made by bench/generate_dataset.py (--registrations,
20 volunteers, 8 drives, their batches and phones): a temporary SQLite file, and with
--postgres the given PostgreSQL database. WARNING: that database is emptied first (every
table dropped); give a throwaway one, or the tests' ``test`` database.

Then every route but the JSON API's is walked with odd values, as in
tests/views/test_odd_params.py (its ``walk``): public routes anonymously, the volunteer's
as a volunteer and as the admin, the rest as the admin; in each path argument ids out of
range (0, 2**31, 2**63, 10**20), other scripts' digits, NUL, 500 characters; in each query
and form name the view reads (recorded on a first, valid request) NUL, '²026', 20-digit
numbers, 1e309, dates in year 1 and 9999, 100,000 characters, odd unicode, forged
cursors, redirects to other hosts. Every case is sent unless --per-name N takes N values
per name (the test's sample). Requests go through Flask's test client: the whole request
in process (routing, session, CSRF, role check, queries, template), no WSGI server.

Printed per database: requests sent, answers by status class and by status, and each 5xx
with the error logged for it (the target is 0).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate_dataset
from sqlalchemy import func, select

from tests.conftest import csrf_token, login
from tests.views.test_odd_params import Answer, OddRequest, find_known, sender, walk
from webapp import create_app
from webapp.extensions import db
from webapp.models import Registration, User

TARGET_5XX = 0


class LastError(logging.Handler):
    """Keeps the last error the app logged (an unhandled exception's type and message)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.text = ""

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        self.text = f"{type(error).__name__}: {error}" if error else record.getMessage()


def walker_volunteer(app) -> str:
    """An active volunteer who collected registrations (the receipts' owner)."""
    with app.app_context():
        name = db.session.scalar(
            select(User.username)
            .join(Registration, Registration.collected_by_id == User.id)
            .where(User.role == "volunteer", User.active.is_(True))
            .order_by(User.id)
            .limit(1)
        )
        db.session.remove()
    return name


def run(label: str, url: str, args: argparse.Namespace) -> int:
    """Generate into ``url``, walk it, print the figures; returns the number of 5xx."""
    started = time.perf_counter()
    generate_dataset.generate(
        url,
        registrations=args.registrations,
        volunteers=20,
        coordinators=2,
        drives=8,
        quiet=True,
    )
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "f" * 48,
            "LOGIN_RATE_LIMIT": "100000 per minute",  # the walk logs in many times
        }
    )
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Registration))
        db.session.remove()
    volunteer = walker_volunteer(app)
    clients = {role: app.test_client() for role in ("anonymous", "volunteer", "admin")}
    login(clients["volunteer"], volunteer, generate_dataset.PASSWORD)
    login(clients["admin"], "admin", generate_dataset.PASSWORD)
    tokens = {
        role: csrf_token(client, "/login" if role == "anonymous" else "/account/password")
        for role, client in clients.items()
    }
    known = find_known(app, volunteer=volunteer, password=generate_dataset.PASSWORD)
    prepared = time.perf_counter() - started

    last_error = LastError()
    app_log = logging.getLogger("webapp")
    app_log.addHandler(last_error)
    app_log.propagate = False  # the tracebacks of 5xx are summarised below, not printed
    send = sender(clients, tokens)

    def send_noting_errors(odd: OddRequest) -> Answer:
        last_error.text = ""
        answer = send(odd)
        if answer.status >= 500 and not answer.error:
            answer.error = last_error.text[:200]
        return answer

    started = time.perf_counter()
    answers = list(walk(app, send_noting_errors, known, per_name=args.per_name))
    seconds = time.perf_counter() - started
    app_log.removeHandler(last_error)
    app_log.propagate = True
    with app.app_context():
        db.engine.dispose()

    by_class = Counter(f"{a.status // 100}xx" for a in answers)
    by_status = Counter(a.status for a in answers)
    by_place = Counter(a.request.what.split()[0] for a in answers)
    failed = [a for a in answers if a.status >= 500]
    sample = f"{args.per_name} odd values per name" if args.per_name else "every case"
    print(
        f"\n{label}: {len(answers):,} requests ({sample}) in {seconds:.1f} s, "
        f"{total:,} registrations (data set made in {prepared:.1f} s); Flask test client"
    )
    print("  by place:  " + ", ".join(f"{k} {v:,}" for k, v in sorted(by_place.items())))
    print("  by class:  " + ", ".join(f"{k} {by_class.get(k, 0):,}" for k in CLASSES))
    print("  by status: " + ", ".join(f"{k} {v:,}" for k, v in sorted(by_status.items())))
    verdict = "ok" if len(failed) <= TARGET_5XX else "FAILED"
    print(f"  5xx: {len(failed)} (target {TARGET_5XX})  {verdict}")
    for answer in failed[: args.show]:
        print(f"    {answer.status} {answer.request.describe()}  {answer.error}")
    if len(failed) > args.show:
        print(f"    ... and {len(failed) - args.show} more")
    return len(failed)


CLASSES = ("2xx", "3xx", "4xx", "5xx")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL to walk too (it is emptied!)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--per-name", type=int, metavar="N", help="N odd values per name (default: all)"
    )
    parser.add_argument("--registrations", type=int, default=300)
    parser.add_argument("--show", type=int, default=40, help="5xx answers to list")
    args = parser.parse_args()
    if args.no_sqlite and not args.postgres:
        parser.error("--no-sqlite needs --postgres URL")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            failed += run("SQLite", f"sqlite:///{tmp}/fuzz_pages.sqlite3", args)
        if args.postgres:
            failed += run("PostgreSQL", args.postgres, args)
    sys.exit(1 if failed > TARGET_5XX else 0)


if __name__ == "__main__":
    main()
