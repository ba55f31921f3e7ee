"""How long exporting a large enrollment batch takes, and how much memory it needs.

Usage:
    .venv/bin/python bench/generate_dataset.py --database-url sqlite:////tmp/exp/big.sqlite3
    .venv/bin/python bench/export_batch.py --database-url sqlite:////tmp/exp/big.sqlite3
        [--rows 100000] [--formats xlsx,csv] [--keep DIR]

The database is one made by bench/generate_dataset.py. WARNING: it is changed: the
setup step puts the first --rows registrations (by id) into one batch of its own
(``filters = {"bench": "export_batch"}``, reused by later runs) as ``exported``, paid by
APBD 2026, with plain SQL. It needs no enrollment data from the generator.

Each export runs in a fresh Python process (``--child``), which builds the app, prints
its resident memory before exporting (the baseline: Python, Flask, SQLAlchemy,
XlsxWriter), then streams the whole file exactly as the download view does
(``Response(stream_with_context(xlsx_chunks(batch_rows(batch))))``, inside a request
context) to a file, and reports:
- the wall-clock time of the whole export, and until the first piece arrived;
- the process's peak resident memory (VmHWM, i.e. ru_maxrss), and the resident memory
  sampled as rows are read, after 10%, 50% and 100% of them: flat when streaming works.
Targets: the XLSX of 100,000 rows in under 20 s, with a peak under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, update

from webapp import create_app
from webapp.enrollment.export import batch_rows, csv_chunks, export_filename, xlsx_chunks
from webapp.extensions import db
from webapp.models import EnrollmentBatch, Registration, User

TARGET_SECONDS = 20.0
TARGET_PEAK_MB = 200.0
BENCH_FILTERS = {"bench": "export_batch"}
WRITERS = {"xlsx": xlsx_chunks, "csv": csv_chunks}


def make_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "e" * 48})


def prepare_batch(url: str, rows: int) -> tuple[int, int]:
    """The bench's batch holding the first ``rows`` registrations; (batch id, row count)."""
    app = make_app(url)
    with app.app_context():
        batch = next(
            (
                b
                for b in db.session.scalars(select(EnrollmentBatch).order_by(EnrollmentBatch.id))
                if b.filters == BENCH_FILTERS
            ),
            None,
        )
        if batch is None:
            creator = db.session.scalar(select(func.min(User.id)))
            batch = EnrollmentBatch(
                funding_source_code="APBD",
                year=2026,
                period_start=date(2026, 1, 1),
                period_end=date(2026, 12, 31),
                status="sent",
                filters=BENCH_FILTERS,
                created_by_id=creator,
            )
            db.session.add(batch)
            db.session.flush()
        last_id = db.session.scalar(
            select(func.max(Registration.id)).where(
                Registration.id.in_(select(Registration.id).order_by(Registration.id).limit(rows))
            )
        )
        db.session.execute(
            update(Registration)
            .where(Registration.batch_id == batch.id, Registration.id > last_id)
            .values(batch_id=None)
        )
        db.session.execute(
            update(Registration)
            .where(Registration.id <= last_id)
            .values(
                status="exported", batch_id=batch.id, funding_source_code="APBD", funding_year=2026
            )
        )
        count = db.session.scalar(
            select(func.count()).select_from(Registration).where(Registration.batch_id == batch.id)
        )
        batch.row_count = count
        db.session.commit()
        batch_id = batch.id
        db.engine.dispose()
    return batch_id, count


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (VmRSS) or its peak (VmHWM), in MB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak only


def child(url: str, batch_id: int, fmt: str, out: str) -> dict:
    """Export one batch in this process; the figures as a dict."""
    app = make_app(url)
    with app.app_context():  # connect and warm up, as a running server would be
        total = db.session.scalar(
            select(func.count()).select_from(Registration).where(Registration.batch_id == batch_id)
        )
        db.session.remove()
    baseline, baseline_peak = rss_mb(), rss_mb("VmHWM")
    samples: dict[str, float] = {}
    marks = {max(1, total // 10): "10%", max(1, total // 2): "50%", total: "100%"}

    def watched(rows):
        for n, row in enumerate(rows, start=1):
            if n in marks:
                samples[marks[n]] = rss_mb()
            yield row

    from flask import Response, stream_with_context

    started = time.perf_counter()
    first_piece = None
    size = 0
    with app.test_request_context(), open(out, "wb") as target:
        batch = db.session.get(EnrollmentBatch, batch_id)
        name = export_filename(batch, fmt)
        response = Response(stream_with_context(WRITERS[fmt](watched(batch_rows(batch)))))
        for piece in response.response:
            if first_piece is None:
                first_piece = time.perf_counter() - started
            data = piece.encode() if isinstance(piece, str) else piece
            size += len(data)
            target.write(data)
        response.close()
    seconds = time.perf_counter() - started
    return {
        "format": fmt,
        "file": name,
        "rows": total,
        "seconds": seconds,
        "first_piece": first_piece or 0.0,
        "bytes": size,
        "baseline_mb": baseline,
        "baseline_peak_mb": baseline_peak,
        "peak_mb": rss_mb("VmHWM"),
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "samples": samples,
    }


def run_child(url: str, batch_id: int, fmt: str, out: str) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--database-url",
        url,
        "--batch-id",
        str(batch_id),
        "--formats",
        fmt,
        "--out",
        out,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"the {fmt} export failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(label: str, results: list[dict]) -> None:
    print(f"\n{label}")
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    print(f"  load average {load:.1f} on {cpus} CPUs at the end")
    header = (
        f"  {'format':6} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'1st piece':>9} "
        f"{'MB file':>8} {'MB base':>8} {'base pk':>8} {'MB peak':>8} "
        f"{'10%/50%/100% rows: MB':>23}  target"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for r in results:
        samples = "/".join(f"{r['samples'].get(k, 0):.0f}" for k in ("10%", "50%", "100%"))
        verdict = "ok" if r["peak_mb"] < TARGET_PEAK_MB else "TOO MUCH MEMORY"
        if r["format"] == "xlsx" and r["seconds"] >= TARGET_SECONDS:
            verdict = "SLOW" if verdict == "ok" else verdict + ", SLOW"
        print(
            f"  {r['format']:6} {r['rows']:8,} {r['seconds']:8.2f} "
            f"{r['rows'] / max(r['seconds'], 1e-9):8,.0f} {r['first_piece']:9.2f} "
            f"{r['bytes'] / 2**20:8.1f} {r['baseline_mb']:8.0f} {r['baseline_peak_mb']:8.0f} "
            f"{r['peak_mb']:8.0f} "
            f"{samples:>23}  {verdict}"
        )
    print(
        f"  (targets: XLSX under {TARGET_SECONDS:.0f} s; peak resident memory under "
        f"{TARGET_PEAK_MB:.0f} MB.\n"
        "  MB base: resident memory of the export process before the export, base pk: its\n"
        "  highest until then (starting the app); MB peak: its highest over the whole run\n"
        "  (VmHWM); then its resident memory after 10%, 50% and 100% of the rows were read:\n"
        "  flat when the rows stream)"
    )
    for r in results:
        print(f"  {r['format']}: {r['file']}; ru_maxrss {r['ru_maxrss_mb']:.0f} MB")
    # The kernel's account, from this side: the largest peak of the export processes.
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  largest peak of the export processes (RUSAGE_CHILDREN): {children:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="made by generate_dataset.py")
    parser.add_argument("--rows", type=int, default=100_000, help="registrations in the batch")
    parser.add_argument("--formats", default="xlsx,csv", help="comma-separated: xlsx,csv")
    parser.add_argument("--keep", help="a folder to keep the exported files in")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    formats = [f for f in args.formats.split(",") if f]
    if unknown := set(formats) - set(WRITERS):
        parser.error(f"unknown format(s): {', '.join(sorted(unknown))}")

    if args.child:
        print(json.dumps(child(args.database_url, args.batch_id, formats[0], args.out)))
        return

    started = time.perf_counter()
    batch_id, count = prepare_batch(args.database_url, args.rows)
    print(
        f"setup: batch {batch_id} holds {count:,} registrations "
        f"({time.perf_counter() - started:.1f} s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        results = [
            run_child(args.database_url, batch_id, fmt, str(folder / f"export.{fmt}"))
            for fmt in formats
        ]
    name = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    report(f"{name}: export of one batch, {count:,} registrations", results)


if __name__ == "__main__":
    main()
