"""How fast the coordinator queue at /review answers on a large table.

Usage:
    .venv/bin/python bench/review_queue.py --generate 100000
    .venv/bin/python bench/review_queue.py --database-url sqlite:///bench.sqlite3
    .venv/bin/python bench/review_queue.py --generate 100000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
        [--runs 30] [--warmup 3] [--deep 40] [--explain]

The database is one made by bench/generate_dataset.py: --database-url uses an existing
one as it is; --generate N first builds N registrations into --database-url, or into a
temporary SQLite file when no URL is given. --postgres runs the same cases on PostgreSQL
after generating into it (N from --generate, else 100,000). WARNING: a database that is
generated into is emptied first.

Requests go through Flask's test client, logged in as a coordinator: the whole request in
process (routing, session, role check, queries, template), no network, no WSGI server, so
a browser sees these times plus the network. Cases (each run --warmup times, then timed
--runs times; p50 and p95 in ms):
- first page: /review (submitted, newest first);
- filtered: status=all, kecamatan 33.74.02 (Semarang Utara), occupation nelayan;
- deep page: the page reached by following the rel="next" link --deep times;
- name search: q=budi (a common first name);
- NIK search: q=<a NIK registered twice>, status=all;
- rare name (extra): a name found once, in the oldest registration, status=all: the search
  has to look at (nearly) every row, the worst case for a substring search.
Every response is checked (200, and the rows that must be there are there), so a broken
page is never timed as a fast one. Target: p95 under 150 ms for each of the first five on
SQLite at 100,000 registrations. Besides wall-clock time the table gives this process's
CPU time per request, steadier on a shared, busy machine (the load average is printed);
on PostgreSQL that leaves out the server's work. --explain prints the plans of each
case's two slowest queries (EXPLAIN QUERY PLAN; on PostgreSQL EXPLAIN ANALYZE).
"""

from __future__ import annotations

import argparse
import html
import math
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate_dataset
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from webapp import create_app
from webapp.extensions import db
from webapp.models import Registration

TARGET_MS = 150.0
PAGE_SIZE = 50
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
NEXT_LINK = re.compile(r'<a\b[^>]*\brel="next"[^>]*>')
HREF = re.compile(r'\bhref="([^"]+)"')
REFERENCE = re.compile(r">(PS-[0-9A-Z]{4}-[0-9A-Z]{4})<")
ROW = re.compile(r"<tr data-registration=")


@dataclass
class Case:
    name: str
    url: str
    must_show: list[str]  # references that must be on the page
    rows: int | None = None  # exact number of rows expected, when known
    samples: list[float] = field(default_factory=list)  # wall clock, ms
    cpu: list[float] = field(default_factory=list)  # this process's CPU time, ms
    queries: list[tuple[float, str, object]] = field(default_factory=list)
    size: int = 0


def newest(query, limit: int = 1, offset: int = 0) -> list[str]:
    """References of the newest registrations of ``query`` (received_at desc, id desc)."""
    return list(
        db.session.scalars(
            query.with_only_columns(Registration.reference)
            .order_by(Registration.received_at.desc(), Registration.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def login(client: FlaskClient, username: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_INPUT.search(page)
    assert token, "no csrf_token on /login"
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token[1]}
    )
    assert response.status_code == 302, f"login as {username} failed ({response.status_code})"


def get(client: FlaskClient, case: Case) -> str:
    """Fetch the case's page and check it; return its HTML."""
    response = client.get(case.url)
    return check(case, response.status_code, response.get_data(as_text=True))


def check(case: Case, status: int, body: str) -> str:
    assert status == 200, f"{case.name}: {case.url} gave {status}"
    found = set(REFERENCE.findall(body))
    missing = [ref for ref in case.must_show if ref not in found]
    assert not missing, f"{case.name}: {case.url} does not show {missing}"
    rows = len(ROW.findall(body))
    assert case.rows is None or rows == case.rows, f"{case.name}: {rows} rows, not {case.rows}"
    case.size = len(body)
    return body


def next_url(body: str) -> str | None:
    link = NEXT_LINK.search(body)
    href = HREF.search(link[0]) if link else None
    return html.unescape(href[1]) if href else None


def build_cases(client: FlaskClient, deep: int) -> list[Case]:
    """The cases, with what each page must show, computed straight from the table."""
    base = select(Registration)
    submitted = base.where(Registration.status == "submitted")

    def page(query, offset: int = 0) -> dict:
        """What a page must hold: exactly these rows (the whole page, in any order)."""
        refs = newest(query, limit=PAGE_SIZE, offset=offset)
        return {"must_show": refs, "rows": len(refs)}

    cases = [Case("first page", "/review", **page(submitted))]

    utara_nelayan = base.where(
        Registration.kelurahan_code.like("33.74.02.%"), Registration.occupation == "nelayan"
    )
    params = {"status": "all", "kecamatan": "33.74.02", "occupation": "nelayan"}
    cases.append(Case("filtered", "/review?" + urlencode(params), **page(utara_nelayan)))

    # Deep page: follow the links as a coordinator paging on would (not timed).
    probe = Case("deep page", "/review", [])
    url, depth = "/review", 0
    while depth < deep:
        probe.url = url
        following = next_url(get(client, probe))
        if following is None:
            break
        url, depth = following, depth + 1
    cases.append(Case(f"deep page ({depth + 1})", url, **page(submitted, depth * PAGE_SIZE)))

    budi = submitted.where(Registration.name_key.contains("budi"))
    cases.append(Case("name search", "/review?q=budi", **page(budi)))

    shared = db.session.scalar(  # a Semarang NIK registered twice, the last in order
        select(Registration.nik)
        .group_by(Registration.nik)
        .having(func.count() > 1)
        .order_by(Registration.nik.like("3374%").desc(), Registration.nik.desc())
        .limit(1)
    )
    if shared:
        url = "/review?" + urlencode({"status": "all", "q": shared})
        cases.append(Case("NIK search", url, **page(base.where(Registration.nik == shared))))

    unique = (
        select(Registration.name_key)
        .group_by(Registration.name_key)
        .having(func.count() == 1)
        .subquery()
    )
    oldest = db.session.execute(
        select(Registration.name_key, Registration.reference)
        .where(Registration.name_key.in_(select(unique.c.name_key)))
        .order_by(Registration.received_at, Registration.id)
        .limit(1)
    ).first()
    if oldest:
        url = "/review?" + urlencode({"status": "all", "q": oldest.name_key})
        # A unique name can still be part of a longer one: at least this row must show.
        cases.append(Case("rare name (extra)", url, [oldest.reference]))
    return cases


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def time_case(client: FlaskClient, case, runs: int, warmup: int, *, verify=None) -> None:
    """Time ``runs`` requests of ``case.url`` after ``warmup`` ones; ``verify(case, status,
    body)`` checks each response (this module's ``check`` unless given)."""
    verify = verify or check
    for _ in range(warmup):
        response = client.get(case.url)
        verify(case, response.status_code, response.get_data(as_text=True))
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        response = client.get(case.url)
        body = response.get_data(as_text=True)
        case.samples.append((time.perf_counter() - start) * 1000)
        case.cpu.append((time.process_time() - cpu) * 1000)
        verify(case, response.status_code, body)  # after the clock stops


def record_queries(app, client: FlaskClient, case, *, verify=None) -> None:
    """One more request with every SQL statement timed."""
    verify = verify or check
    started: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        started.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        case.queries.append(((time.perf_counter() - started.pop()) * 1000, statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        response = client.get(case.url)
        verify(case, response.status_code, response.get_data(as_text=True))
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def explain(app, statement: str, parameters) -> list[str]:
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            return [row[3] for row in rows]
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        return [row[0] for row in rows]


def shorten(statement: str) -> str:
    """The statement on one line, with a long column list cut out."""
    statement = " ".join(statement.split())
    return re.sub(r"^SELECT (\S+, ){6,}\S+ FROM", "SELECT ... FROM", statement)[:600]


def run(label: str, url: str, args: argparse.Namespace) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "r" * 48,
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    client = app.test_client()
    login(client, args.username, args.password)
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Registration))
        cases = build_cases(client, args.deep)
        db.session.remove()
    for case in cases:
        time_case(client, case, args.runs, args.warmup)
        record_queries(app, client, case)

    print(
        f"\n{label}: {total:,} registrations; Flask test client (in-process, no network); "
        f"{args.runs} runs after {args.warmup} warm-ups"
    )
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    busy = "  (busy machine: times include waiting for a CPU)" if load > cpus else ""
    print(f"  load average {load:.1f} on {cpus} CPUs at the end{busy}")
    header = (
        f"  {'case':20} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'cpu p50':>7} {'cpu p95':>7} "
        f"{'queries':>7} {'slowest q':>9} {'KB':>4}  p95 < {TARGET_MS:.0f} ms"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for case in cases:
        p50, p95 = statistics.median(case.samples), percentile(case.samples, 95)
        slowest = max(case.queries, default=(0.0, "", None))
        verdict = "ok" if p95 < TARGET_MS else "SLOW"
        cpu50, cpu95 = statistics.median(case.cpu), percentile(case.cpu, 95)
        print(
            f"  {case.name:20} {p50:7.1f} {p95:7.1f} {max(case.samples):7.1f} {cpu50:7.1f} "
            f"{cpu95:7.1f} {len(case.queries):7} {slowest[0]:9.1f} {case.size / 1024:4.0f}  "
            f"{verdict}"
        )
    print(
        "  (ms; cpu: this process's CPU time, which leaves out waiting for a CPU on a busy\n"
        "  machine, and on PostgreSQL the server's own work; slowest q: the slowest SQL\n"
        "  statement of one request; KB: the HTML sent)"
    )
    print("  URLs:")
    for case in cases:
        shown = case.url if len(case.url) <= 90 else case.url[:87] + "..."
        print(f"    {case.name:20} {shown}")
    if args.explain:
        for case in cases:
            for ms, statement, parameters in sorted(case.queries, key=lambda q: -q[0])[:2]:
                print(f"\n  {case.name}: {ms:.1f} ms")
                print("    " + shorten(statement))
                for line in explain(app, statement, parameters):
                    print("      " + line)
    with app.app_context():
        db.engine.dispose()


def run_on_databases(parser, args, run, sqlite_file: str) -> None:
    """``run(name, url, args)`` on the database(s) the options name: --database-url (made
    by generate_dataset.py), or a SQLite file generated with --generate N, and/or
    --postgres URL, generated into first."""
    if not args.database_url and not args.generate and not args.postgres:
        parser.error("give --database-url, --generate N or --postgres URL")

    def generated(url: str, count: int) -> str:
        generate_dataset.generate(url, registrations=count, seed_value=args.seed)
        return url

    with tempfile.TemporaryDirectory() as tmp:
        if args.database_url or args.generate:
            url = args.database_url or f"sqlite:///{tmp}/{sqlite_file}"
            if args.generate:
                generated(url, args.generate)
            name = "PostgreSQL" if url.startswith("postgres") else "SQLite"
            run(name, url, args)
        if args.postgres:
            run("PostgreSQL", generated(args.postgres, args.generate or 100_000), args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a database made by generate_dataset.py")
    parser.add_argument(
        "--generate", type=int, metavar="N", help="first generate N registrations (emptied!)"
    )
    parser.add_argument("--postgres", help="a PostgreSQL URL to generate into and measure too")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--deep", type=int, default=40, help="rel=next links to follow")
    parser.add_argument("--seed", type=int, default=2026, help="for --generate")
    parser.add_argument("--username", default="koordinator1")
    parser.add_argument("--password", default=generate_dataset.PASSWORD)
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of the slowest queries"
    )
    args = parser.parse_args()
    run_on_databases(parser, args, run, "review.sqlite3")


if __name__ == "__main__":
    main()
