"""Thousands of generated sync requests, plausible to hostile: how many answered 5xx.

Usage:
    .venv/bin/python bench/fuzz_sync.py [--requests 5000] [--seed 2026]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Bodies come from tests/sync_fuzz.py (the same generator as the suite's property test):
valid registrations with fields replaced by odd values (NUL, lone surrogates, ², 20-digit
and huge numbers, fractions, deep nesting, wrong types), repeated client ids, and bodies
that are not JSON. Each goes to POST /api/v1/sync through Flask's test client, on a fresh
SQLite file and, with --postgres, on that database (emptied first!). For every answer
the same checks as the test run: no 5xx, one result per item, each accepted item stored
exactly once. Prints the answers by status and item results by status, and every
problem found (target: none).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from bench.sync_ingest import PASSWORD, fresh_app
from tests.sync_fuzz import bodies, client_ids_in, problems, stored_rows


def run(name: str, url: str, count: int, seed: int) -> int:
    app = fresh_app(url)
    client = app.test_client()
    token = client.post("/api/v1/devices", json={"username": "relawan", "password": PASSWORD}).json[
        "token"
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    answers: Counter = Counter()
    results: Counter = Counter()
    found: list[str] = []
    start = time.perf_counter()

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # every body counted, none shrunk
        suppress_health_check=list(HealthCheck),
    )
    @given(body=bodies())
    def send(body: bytes) -> None:
        response = client.post("/api/v1/sync", data=body, headers=headers)
        answers[response.status_code] += 1
        answer = response.get_json(silent=True) if response.status_code == 200 else None
        for result in (answer or {}).get("results", []):
            results[result.get("status")] += 1
        with app.app_context():
            rows = stored_rows(client_ids_in(body))
        found.extend(
            f"{p}: {body[:120]!r}" for p in problems(body, response.status_code, answer, rows)
        )

    send()
    seconds = time.perf_counter() - start
    sent = sum(answers.values())
    fives = sum(n for status, n in answers.items() if status >= 500)
    print(f"\n{name}: {sent} requests in {seconds:.1f} s")
    print("  answers:", dict(sorted(answers.items())))
    print("  item results:", dict(results.most_common()))
    print(f"  5xx: {fives}; problems: {len(found)}")
    for problem in found[:20]:
        print("   -", problem)
    return fives + len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", help="a PostgreSQL URL (emptied!) to fuzz too")
    args = parser.parse_args()
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        bad += run("SQLite", f"sqlite:///{tmp}/fuzz.sqlite3", args.requests, args.seed)
    if args.postgres:
        bad += run("PostgreSQL", args.postgres, args.requests, args.seed)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
