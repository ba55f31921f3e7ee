"""How fast the programme dashboard at /dashboard renders on a large table.

Usage:
    .venv/bin/python bench/dashboard.py --generate 100000
    .venv/bin/python bench/dashboard.py --database-url sqlite:////tmp/dash/big.sqlite3
    .venv/bin/python bench/dashboard.py --generate 100000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
        [--runs 30] [--warmup 3] [--csv] [--explain]

The database is one made by bench/generate_dataset.py: --database-url uses an existing
one as it is; --generate N first builds N registrations into --database-url, or into a
temporary SQLite file when no URL is given. --postgres runs the same cases on PostgreSQL
after generating into it (N from --generate, else 100,000). WARNING: a database that is
generated into is emptied first.

Requests go through Flask's test client, logged in as a coordinator (see
bench/review_queue.py for what that includes and leaves out). Cases, each run --warmup
times, then timed --runs times (p50 and p95 in ms):
- dashboard: /dashboard, the current year (every figure, chart and table);
- last year: /dashboard?year=<last year> (few or no registrations: the fixed costs);
- with --csv, each section's CSV download for the current year.
Every response is checked (200; the page shows the "enrolled / target" figure and the
pipeline's counts as computed straight from the tables), so a broken page is never timed
as a fast one. Target: p95 under 300 ms for the dashboard on SQLite at 100,000
registrations. --explain prints the plans of the slowest queries of each case.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate_dataset
from review_queue import (
    explain,
    login,
    percentile,
    record_queries,
    run_on_databases,
    shorten,
    time_case,
)
from sqlalchemy import func, select

from webapp import create_app
from webapp.clock import today_in_semarang
from webapp.dashboard.export import SECTIONS
from webapp.extensions import db
from webapp.filters import format_number
from webapp.lifecycle import STATUS_LABELS
from webapp.models import FundingTarget, Registration

TARGET_MS = 300.0


@dataclass
class Case:
    name: str
    url: str
    check: Callable[[str], list[str]]  # the body -> what is missing from it
    samples: list[float] = field(default_factory=list)  # wall clock, ms
    cpu: list[float] = field(default_factory=list)  # this process's CPU time, ms
    queries: list[tuple[float, str, object]] = field(default_factory=list)
    size: int = 0


def expected_page(year: int) -> list[str]:
    """Texts the dashboard for ``year`` must show, computed straight from the tables."""
    enrolled = db.session.scalar(
        select(func.count()).where(
            Registration.funding_year == year, Registration.status == "enrolled"
        )
    )
    target = db.session.scalar(
        select(func.coalesce(func.sum(FundingTarget.workers), 0)).where(FundingTarget.year == year)
    )
    texts = [f"{format_number(enrolled)} / {format_number(target)}" if target else ""]
    for status, n in db.session.execute(
        select(Registration.status, func.count()).group_by(Registration.status)
    ):
        label = STATUS_LABELS[status]  # the msgid: the page is in Indonesian
        texts.append(
            f'data-row="{status}"><th scope="row">{label}</th>'
            f'<td class="num">{format_number(n)}</td>'
        )
    return [t for t in texts if t]


def page_check(texts: list[str]) -> Callable[[str], list[str]]:
    return lambda body: [t for t in texts if t not in body]


def csv_check(body: str) -> list[str]:
    return [] if body.startswith("\ufeff") and "\r\n" in body else ["BOM and a header row"]


def build_cases(csv: bool) -> list[Case]:
    year = today_in_semarang().year
    cases = [
        Case("dashboard", "/dashboard", page_check(expected_page(year))),
        Case("last year", f"/dashboard?year={year - 1}", page_check(expected_page(year - 1))),
    ]
    if csv:
        for section in SECTIONS:
            cases.append(Case(f"{section}.csv", f"/dashboard/{section}.csv?year={year}", csv_check))
    return cases


def check(case: Case, status: int, body: str) -> str:
    assert status == 200, f"{case.name}: {case.url} gave {status}"
    missing = case.check(body)
    assert not missing, f"{case.name}: {case.url} does not show {missing[:3]}"
    case.size = len(body.encode())
    return body


def run(label: str, url: str, args: argparse.Namespace) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "d" * 48,
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    client = app.test_client()
    login(client, args.username, args.password)
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Registration))
        cases = build_cases(args.csv)
        db.session.remove()
    for case in cases:
        time_case(client, case, args.runs, args.warmup, verify=check)
        record_queries(app, client, case, verify=check)

    print(
        f"\n{label}: {total:,} registrations; Flask test client (in-process, no network); "
        f"{args.runs} runs after {args.warmup} warm-ups"
    )
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    busy = "  (busy machine: times include waiting for a CPU)" if load > cpus else ""
    print(f"  load average {load:.1f} on {cpus} CPUs at the end{busy}")
    header = (
        f"  {'case':16} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'cpu p50':>7} {'cpu p95':>7} "
        f"{'queries':>7} {'sql ms':>7} {'slowest q':>9} {'KB':>4}  p95 < {TARGET_MS:.0f} ms"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for case in cases:
        p50, p95 = statistics.median(case.samples), percentile(case.samples, 95)
        slowest = max(case.queries, default=(0.0, "", None))
        sql = sum(q[0] for q in case.queries)
        verdict = "ok" if p95 < TARGET_MS else "SLOW"
        cpu50, cpu95 = statistics.median(case.cpu), percentile(case.cpu, 95)
        print(
            f"  {case.name:16} {p50:7.1f} {p95:7.1f} {max(case.samples):7.1f} {cpu50:7.1f} "
            f"{cpu95:7.1f} {len(case.queries):7} {sql:7.1f} {slowest[0]:9.1f} "
            f"{case.size / 1024:4.0f}  "
            f"{verdict}"
        )
    print(
        "  (ms; cpu: this process's CPU time, which leaves out waiting for a CPU on a busy\n"
        "  machine, and on PostgreSQL the server's own work; sql ms: all SQL statements of\n"
        "  one request, slowest q: the slowest of them; KB: the response sent)"
    )
    if args.explain:
        for case in cases[:2]:
            for ms, statement, parameters in sorted(case.queries, key=lambda q: -q[0])[:3]:
                print(f"\n  {case.name}: {ms:.1f} ms")
                print("    " + shorten(statement))
                for line in explain(app, statement, parameters):
                    print("      " + line)
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a database made by generate_dataset.py")
    parser.add_argument(
        "--generate", type=int, metavar="N", help="first generate N registrations (emptied!)"
    )
    parser.add_argument("--postgres", help="a PostgreSQL URL to generate into and measure too")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--csv", action="store_true", help="time each CSV download too")
    parser.add_argument("--seed", type=int, default=2026, help="for --generate")
    parser.add_argument("--username", default="koordinator1")
    parser.add_argument("--password", default=generate_dataset.PASSWORD)
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of the slowest queries"
    )
    args = parser.parse_args()
    run_on_databases(parser, args, run, "dashboard.sqlite3")


if __name__ == "__main__":
    main()
