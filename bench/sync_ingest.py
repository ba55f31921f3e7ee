"""Server ingest through POST /api/v1/sync, against a raw bulk INSERT of the same rows.

Usage:
    .venv/bin/python bench/sync_ingest.py [--records 5000] [--batch 100]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each database it builds a fresh schema with the migrations, then
1. sends the records through /api/v1/sync (Flask's test client: the whole request
   path in-process, JSON parsing, validation, flags, the commit; no network),
   in batches, one transaction per batch, as a phone would;
2. inserts the same rows straight into the registrations table with
   SQLAlchemy Core executemany, one transaction per batch (the storage limit).
It prints registrations per second for both and their ratio (our overhead).
WARNING: with --postgres the given database is emptied.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade
from sqlalchemy import MetaData, insert

from webapp import create_app
from webapp.domain.accounts import create_user
from webapp.domain.reference import seed, wilayah_rows
from webapp.domain.registrations import new_references
from webapp.extensions import db
from webapp.models import Registration, User, utcnow

PASSWORD = "Bench-Relawan-2026"
OCCUPATIONS = ["pkl", "pedagang_pasar", "nelayan", "juru_parkir", "sopir", "ojek"]
FIRST = ["Budi", "Siti", "Agus", "Sri", "Joko", "Dewi", "Slamet", "Wahyuni", "Eko", "Rina"]
LAST = ["Santoso", "Lestari", "Prasetyo", "Rahayu", "Hidayat", "Wibowo", "Susanti", "Purnomo"]


def make_payloads(count: int, rng: random.Random) -> list[dict]:
    kelurahan = [r["code"] for r in wilayah_rows() if r["level"] == "kelurahan"]
    payloads = []
    for n in range(count):
        born = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 40))
        sex = rng.choice("LP")
        day = born.day + (40 if sex == "P" else 0)
        kecamatan = rng.randrange(1, 17)
        nik = f"3374{kecamatan:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{n % 9999 + 1:04d}"
        payloads.append(
            {
                "nik": nik,
                "full_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "birth_date": born.isoformat(),
                "sex": sex,
                "phone": f"0812{rng.randrange(10**7, 10**8)}",
                "address": f"Jl. Contoh No. {n} RT 01/RW 02",
                "kelurahan_code": rng.choice(kelurahan),
                "occupation": rng.choice(OCCUPATIONS),
                # Optional fields left empty now and then, as in the field.
                "workplace": "Pasar Johar" if rng.random() < 0.8 else "",
                "monthly_income": str(rng.randrange(800_000, 3_000_000)),
                "heir_name": "Ahli Waris Uji",
                "heir_relationship": "anak",
                "heir_phone": f"0813{rng.randrange(10**7, 10**8)}",
                "consent": "yes",
            }
        )
        if rng.random() < 0.05:
            payloads[-1].update(occupation="lainnya", occupation_other="Tukang tambal ban")
    return payloads


def fresh_app(url: str):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "b" * 48,
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    with app.app_context():
        meta = MetaData()
        meta.reflect(bind=db.engine)
        meta.drop_all(bind=db.engine)
        upgrade()
        seed()
        create_user("relawan", PASSWORD, "volunteer")
        db.session.commit()
    return app


def through_api(app, payloads: list[dict], batch: int) -> float:
    client = app.test_client()
    token = client.post("/api/v1/devices", json={"username": "relawan", "password": PASSWORD}).json[
        "token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    items = [
        {
            "client_id": str(uuid.uuid4()),
            "form_version": 1,
            "captured_at": "2026-11-06T09:12:00+07:00",
            "payload": p,
        }
        for p in payloads
    ]
    start = time.perf_counter()
    for i in range(0, len(items), batch):
        response = client.post(
            "/api/v1/sync", json={"items": items[i : i + batch]}, headers=headers
        )
        statuses = {r["status"] for r in response.json["results"]}
        assert response.status_code == 200 and statuses <= {"accepted"}, response.json["results"][
            :2
        ]
    return time.perf_counter() - start


def raw_insert(app, payloads: list[dict], batch: int) -> float:
    with app.app_context():
        user_id = db.session.scalar(db.select(User.id).filter_by(username="relawan"))
        refs = new_references(len(payloads))
        now = utcnow()
        rows = [
            {
                **{k: v for k, v in p.items() if k != "consent"},
                "birth_date": date.fromisoformat(p["birth_date"]),
                "monthly_income": int(p["monthly_income"]),
                "phone": "+62" + p["phone"][1:],
                "heir_phone": "+62" + p["heir_phone"][1:],
                "reference": ref,
                "client_id": str(uuid.uuid4()),
                "form_version": 1,
                "status": "submitted",
                "collected_by_id": user_id,
                "captured_at": now,
                "received_at": now,
                "updated_at": now,
                "consent_at": now,
                "workplace": p["workplace"] or None,
                "occupation_other": p.get("occupation_other"),
                "name_key": p["full_name"].lower(),
                "kecamatan_code": p["kelurahan_code"][:8],
                "drive_id": None,
                "content_hash": None,
                "device_id": None,
            }
            for p, ref in zip(payloads, refs, strict=True)
        ]
        table = Registration.__table__
        start = time.perf_counter()
        for i in range(0, len(rows), batch):
            with db.engine.begin() as conn:
                conn.execute(insert(table), rows[i : i + batch])
        return time.perf_counter() - start


def run(name: str, url: str, payloads: list[dict], batch: int) -> None:
    api_seconds = through_api(fresh_app(url), payloads, batch)
    raw_seconds = raw_insert(fresh_app(url), payloads, batch)
    n = len(payloads)
    api_rate, raw_rate = n / api_seconds, n / raw_seconds
    print(f"{name:10} {n} registrations, batches of {batch}")
    print(f"  via /api/v1/sync : {api_seconds:6.2f} s  {api_rate:8.0f} registrations/s")
    print(f"  raw bulk INSERT  : {raw_seconds:6.2f} s  {raw_rate:8.0f} rows/s")
    print(f"  overhead         : raw is {raw_rate / api_rate:.1f}x faster than the API")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--postgres", help="a PostgreSQL URL to measure too (it is emptied)")
    args = parser.parse_args()
    payloads = make_payloads(args.records, random.Random(26))
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.sqlite3", payloads, args.batch)
    if args.postgres:
        run("PostgreSQL", args.postgres, payloads, args.batch)


if __name__ == "__main__":
    main()
