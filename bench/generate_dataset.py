"""A realistic data set for the review screens and their benchmark.

Usage:
    .venv/bin/python bench/generate_dataset.py --database-url sqlite:///bench.sqlite3
        [--registrations 100000] [--volunteers 300] [--drives 200] [--seed 2026]
        [--chunk 2000] [--analyze]
    .venv/bin/python bench/generate_dataset.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

A relative SQLite path is inside instance/ (Flask-SQLAlchemy's rule): the first example
writes instance/bench.sqlite3. WARNING: the given database is emptied: every table in it is
dropped, then the schema is built with the migrations and the reference data is seeded.

What it holds (repeatable: the same --seed gives the same rows, when run within the same
hour, since ages, statuses and "received over the last months" follow the clock):
- users: N volunteers (``relawan001``...), 5 coordinators (``koordinator1``..5) and one
  ``admin``, all with the password in PASSWORD (one scrypt hash, computed once);
- each volunteer's phone (device) with its last report: ~20% with records waiting, ~8%
  silent for more than two days with records waiting, old phones and those of inactive
  volunteers revoked (registrations themselves carry no device);
- outreach drives over the same months (2026, run now) at kelurahan offices and markets,
  past ones mostly closed;
- registrations received over the last ~11 months (more recently, as the programme grew),
  about half collected at drives, weighted towards Semarang Utara (Tanjung Mas), Genuk
  and Semarang Tengah, and towards street vendors and market traders (fishers on the
  coast); Javanese and Indonesian names; structurally valid NIKs (33 74 kk DDMMYY+40
  ssss); statuses by age (recent ones mostly submitted, old ones approved, exported,
  enrolled), each decision with its status event by a coordinator;
- flags as the app computes them (webapp.domain.registrations.assess_flags): ~5%
  possible_duplicate (a later registration of a NIK already registered; some resolved as
  ``duplicate`` of the first), ~3% nik_outside_semarang, ~2% nik_birth_mismatch, ~2%
  age_out_of_range; and ~1% near-duplicates (same name and birth date, NIK one digit off);
- enrollment, as the funding rules would leave it: an approved registration gets a funding
  source in the year of its approval (its drive's DBHCHT, else APBD) while that source's
  quota has room, paced by month (by the end of month m, m/12 of the year's quota); the
  rest stay approved without a source (over quota, waiting). One enrollment batch per
  source per month, made on the 25th and sent a day or three later; a worker goes into
  the first batch after their approval (some a month or two later) and is ``exported``;
  their KPJ number (11 digits) comes back 10 to 30 days after the batch was sent (~5%
  weeks later), and they are ``enrolled`` (enrolled_at, coverage from that day). Years in
  the data after the last year with targets get that year's targets. At 100,000
  registrations the quotas fill (about 11/12 of each by late November, ~12% of the
  places DBHCHT's); smaller runs stay under them (~10% DBHCHT, the drives' share).

Rows go in through webapp.domain.registrations.registration_row and insert_registrations (the
sync API's bulk path), in chunks, one commit per chunk. Without --analyze, SQLite gets no
ANALYZE (the app never runs one); PostgreSQL always gets VACUUM ANALYZE, as autovacuum
would soon after a bulk load.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from random import Random
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade
from sqlalchemy import MetaData, bindparam, insert, select, text, update
from werkzeug.security import generate_password_hash

from webapp import create_app
from webapp.clock import WIB
from webapp.domain.reference import (
    OCCUPATIONS,
    ProgrammeSettings,
    load_settings,
    seed,
    wilayah_rows,
)
from webapp.domain.registrations import (
    REFERENCE_ALPHABET,
    REFERENCE_PREFIX,
    age_on,
    assess_flags,
    content_hash,
    insert_registrations,
    registration_row,
)
from webapp.extensions import db
from webapp.lifecycle import HOLDS_QUOTA_PLACE, RegistrationStatus
from webapp.models import (
    BatchStatus,
    Device,
    Drive,
    EnrollmentBatch,
    FundingTarget,
    Registration,
    RegistrationEvent,
    RegistrationEventKind,
    User,
)

PASSWORD = "Bench-Koordinator-2026"

S = RegistrationStatus

# Where workers live: kecamatan code suffix -> weight.
KECAMATAN_WEIGHTS = {
    "01": 9, "02": 15, "03": 7, "04": 6, "05": 12, "06": 8, "07": 5, "08": 4,
    "09": 3, "10": 6, "11": 5, "12": 3, "13": 9, "14": 3, "15": 4, "16": 3,
}  # fmt: skip
# Kelurahan with many informal workers (ports, markets, fishing villages): extra weight.
KELURAHAN_BOOST = {
    "Tanjung Mas": 7, "Bandarharjo": 3, "Kemijen": 2.5, "Tambakrejo": 2.5, "Terboyo Wetan": 2,
    "Trimulyo": 2, "Kauman": 2.5, "Purwodinatan": 2, "Mangkang Wetan": 2, "Kaligawe": 2,
}  # fmt: skip
COASTAL = {"02", "05", "16", "13", "04"}
FISHING_KELURAHAN = {"Tanjung Mas", "Bandarharjo", "Tambakrejo", "Trimulyo", "Mangkang Wetan"}
OCCUPATION_WEIGHTS = {
    "pkl": 27, "pedagang_pasar": 24, "ojek": 10, "sopir": 8, "juru_parkir": 8,
    "art": 6, "buruh_gendong": 5, "pemulung": 5, "nelayan": 3, "lainnya": 4,
}  # fmt: skip
assert set(OCCUPATION_WEIGHTS) == {code for code, _, _ in OCCUPATIONS}
# Monthly income range in thousands of rupiah.
INCOME = {
    "pkl": (900, 3500), "pedagang_pasar": (1000, 4500), "ojek": (1200, 3500),
    "sopir": (1500, 4000), "juru_parkir": (700, 2500), "art": (800, 2500),
    "buruh_gendong": (400, 1500), "pemulung": (400, 1500), "nelayan": (800, 3500),
    "lainnya": (600, 3000),
}  # fmt: skip
MARKETS = [
    "Pasar Johar", "Pasar Bulu", "Pasar Karangayu", "Pasar Peterongan", "Pasar Jatingaleh",
    "Pasar Gang Baru", "Pasar Kobong", "Pasar Rejomulyo", "Pasar Waru", "Pasar Genuk",
    "Pasar Mangkang", "Pasar Banyumanik", "Pasar Ngaliyan", "Pasar Pedurungan", "Pasar Dargo",
    "Pasar Karimata", "Pasar Langgar", "Pasar Sampangan", "Pasar Srondol",
]  # fmt: skip
STREET_SPOTS = [
    "Simpang Lima", "Jl. Pahlawan", "Kawasan Kota Lama", "Jl. Pandanaran", "Taman KB",
    "Jl. Kartini", "Alun-alun Semarang", "Jl. MT Haryono", "Jl. Setiabudi", "Jl. Majapahit",
    "Stasiun Tawang", "Stasiun Poncol", "Jl. Ngesrep Timur", "Jl. Pemuda",
]  # fmt: skip
WORKPLACES = {
    "pkl": STREET_SPOTS,
    "pedagang_pasar": MARKETS,
    "juru_parkir": STREET_SPOTS + MARKETS,
    "buruh_gendong": ["Pasar Johar", "Pasar Bulu", "Pasar Rejomulyo", "Pasar Karangayu"],
    "nelayan": ["TPI Tambak Lorok", "Tambak Lorok", "Mangkang Wetan", "Tambakrejo", "Trimulyo"],
    "sopir": ["Terminal Terboyo", "Terminal Mangkang", "Pelabuhan Tanjung Emas", "Angkot C10"],
    "ojek": ["Ojek daring", "Pangkalan Stasiun Tawang", "Pangkalan Simpang Lima"],
    "pemulung": ["TPA Jatibarang", "Keliling kampung"],
    "art": ["Rumah tangga"],
    "lainnya": [],
}
OTHER_OCCUPATIONS = ["Tukang cukur", "Penjahit", "Buruh bangunan", "Tukang becak", "Buruh cuci"]
STREETS = [
    "Jl. Pemuda", "Jl. Gajah Mada", "Jl. Dr. Cipto", "Jl. Kaligawe", "Jl. Cumi-Cumi",
    "Jl. Tambak Lorok", "Jl. Layur", "Jl. Arteri Utara", "Jl. Fatmawati", "Jl. Sriwijaya",
    "Jl. Imam Bonjol", "Jl. Hasanudin", "Jl. Walisongo", "Jl. Kedungmundu", "Jl. Bangetayu",
    "Jl. Woltermonginsidi", "Jl. Sendangguwo", "Jl. Taman Srinindito", "Jl. Purwosari",
    "Gg. Mawar", "Gg. Melati", "Gg. Kenanga", "Gg. Anggrek", "Jl. Kampung Baru",
]  # fmt: skip
# First names with rough frequencies (Budi and Siti very common).
MALE_FIRST = {
    "Budi": 30, "Agus": 28, "Joko": 18, "Slamet": 18, "Eko": 16, "Bambang": 14, "Sugeng": 10,
    "Wahyu": 12, "Teguh": 9, "Heru": 9, "Dwi": 10, "Tri": 9, "Sutrisno": 8, "Supriyadi": 7,
    "Suparman": 6, "Mulyono": 6, "Rudi": 9, "Hendra": 7, "Yusuf": 6, "Ahmad": 14,
    "Muhammad": 16, "Ari": 7, "Didik": 6, "Imam": 6, "Sigit": 5, "Wawan": 6, "Andi": 8,
    "Bayu": 6, "Fajar": 6, "Adi": 7, "Arif": 8, "Rahmat": 6, "Sutarno": 4, "Haryanto": 4,
    "Kusno": 3, "Paijo": 2, "Tukiman": 2, "Dedi": 6, "Gunawan": 4, "Dimas": 5, "Bagus": 5,
    "Budiman": 3, "Budiono": 3, "Yanto": 5, "Sukardi": 3, "Darmanto": 3, "Nur": 4,
}  # fmt: skip
FEMALE_FIRST = {
    "Siti": 30, "Sri": 28, "Dewi": 14, "Wahyuni": 8, "Rina": 8, "Ani": 9, "Endang": 10,
    "Sumarni": 6, "Suminah": 4, "Yuni": 7, "Ratna": 6, "Kartini": 4, "Sulastri": 6,
    "Puji": 5, "Nur": 8, "Rini": 8, "Indah": 6, "Fitri": 7, "Ayu": 6, "Dwi": 8, "Tri": 7,
    "Eni": 5, "Partini": 3, "Sumiyati": 4, "Suwarni": 4, "Tutik": 5, "Umi": 5, "Wulan": 5,
    "Yanti": 6, "Marni": 4, "Ngatini": 3, "Lina": 5, "Novi": 5, "Retno": 5, "Astuti": 4,
}  # fmt: skip
MALE_LAST = [
    "Santoso", "Prasetyo", "Hidayat", "Wibowo", "Purnomo", "Setiawan", "Kurniawan", "Saputra",
    "Nugroho", "Hartono", "Wijaya", "Susilo", "Pratama", "Utomo", "Sulistyo", "Hermawan",
    "Wahyudi", "Kusuma", "Purwanto", "Suharto", "Sutanto", "Firmansyah", "Maulana", "Widodo",
    "Setiyono", "Riyanto", "Yulianto", "Suprapto", "Budiarto", "Triyono", "Sugiarto",
]  # fmt: skip
FEMALE_LAST = [
    "Lestari", "Rahayu", "Susanti", "Handayani", "Suryani", "Sari", "Rahmawati", "Mulyani",
    "Ningsih", "Haryati", "Astuti", "Wulandari", "Kusumawati", "Purwaningsih", "Setyowati",
    "Fatimah", "Aminah", "Maryati", "Wahyuningsih", "Kurniasih", "Pratiwi",
]  # fmt: skip
# NIKs first issued outside Kota Semarang: Kab. Semarang, Demak, Kendal, Grobogan, Pati,
# Kudus, Jepara, Boyolali, Salatiga, Jakarta Timur, Surabaya, Bandung, Lampung Selatan.
OUTSIDE_REGENCIES = [
    "3322", "3321", "3324", "3315", "3318", "3319", "3320", "3309", "3373", "3172", "3578",
    "3273", "1801",
]  # fmt: skip
PHONES = ["Samsung A05", "Redmi 13C", "OPPO A18", "vivo Y03", "realme C51", "Infinix Smart 8"]
FIX_NOTES = [
    "Foto KTP kurang jelas, mohon diulang.",
    "Nomor HP ahli waris tidak aktif.",
    "Alamat belum lengkap (RT/RW).",
    "Tanggal lahir tidak sesuai KTP.",
]
REJECT_NOTES = [
    "Sudah terdaftar sebagai peserta BPJS Ketenagakerjaan.",
    "Bukan pekerja rentan (penghasilan di atas batas).",
    "Usia di luar ketentuan program.",
    "Domisili di luar Kota Semarang.",
]


BATCH_DAY = 25  # enrollment batches are made on this day of each month, at 10:00 WIB


@dataclass
class Batch:
    """A planned enrollment batch: when it was made and sent, and how long KPJs take."""

    id: int
    made: datetime
    sent: datetime | None
    kpj_delay: timedelta


@dataclass
class Person:
    """What a later registration of the same worker (or a typo of them) copies."""

    nik: str
    full_name: str
    birth_date: date
    sex: str
    phone: str
    kelurahan: str
    occupation: str
    client_id: str
    counted: bool  # not rejected: a later registration of this NIK gets flagged


def local(day: date, hour: float) -> datetime:
    """A moment on ``day`` at ``hour`` (fractional) in Semarang, as an aware UTC datetime."""
    start = datetime(day.year, day.month, day.day, tzinfo=WIB)
    return (start + timedelta(hours=hour)).astimezone(UTC)


def weighted(rng: Random, items: list, weights: list[float]):
    """A sampler that draws from ``items`` with ``weights`` (cumulative, bisect)."""
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    return lambda: items[bisect.bisect_right(cum, rng.random() * total)]


class Generator:
    def __init__(self, rng: Random, now: datetime):
        self.rng = rng
        self.now = now
        self.today = now.astimezone(WIB).date()
        # Registrations arrive over the last ~11 months; drives run over that time and
        # the next few weeks (in November 2026: the whole of 2026).
        self.start = self.today - timedelta(days=330)
        rows = wilayah_rows()
        self.kelurahan_by_kec: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for r in rows:
            if r["level"] == "kelurahan":
                self.kelurahan_by_kec[r["parent_code"]].append((r["code"], r["name"]))
        self.kelurahan_name = {c: n for rows in self.kelurahan_by_kec.values() for c, n in rows}
        codes, weights = [], []
        for kec, kels in sorted(self.kelurahan_by_kec.items()):
            share = KECAMATAN_WEIGHTS[kec[-2:]]
            boosts = [KELURAHAN_BOOST.get(name, rng.uniform(0.6, 1.4)) for _, name in kels]
            for (code, _), boost in zip(kels, boosts, strict=True):
                codes.append(code)
                weights.append(share * boost / sum(boosts))
        self.any_kelurahan = weighted(rng, codes, weights)
        self.kelurahan_in = {
            kec: weighted(
                rng,
                [c for c, _ in kels],
                [KELURAHAN_BOOST.get(n, 1.0) for _, n in kels],
            )
            for kec, kels in self.kelurahan_by_kec.items()
        }
        occ = list(OCCUPATION_WEIGHTS)
        self.occupation_at = {}
        for code, name in self.kelurahan_name.items():
            w = dict(OCCUPATION_WEIGHTS)
            if code[6:8] in COASTAL:
                w["nelayan"] *= 2.5
            if name in FISHING_KELURAHAN:
                w["nelayan"] *= 4
            self.occupation_at[code] = weighted(rng, occ, [w[o] for o in occ])
        self.male_first = weighted(rng, list(MALE_FIRST), list(MALE_FIRST.values()))
        self.female_first = weighted(rng, list(FEMALE_FIRST), list(FEMALE_FIRST.values()))
        self.used_niks: set[str] = set()
        self.used_refs: set[str] = set()
        self.people: list[Person] = []  # registered once: candidates for repeats and typos
        self.counted: list[Person] = []  # ...not rejected: a repeat of these gets flagged
        # Enrollment: drive id -> its funding source, (year, source) -> quota and places
        # taken, (source, year) -> its batches in the order they were made.
        self.drive_source: dict[int, str | None] = {}
        self.targets: dict[tuple[int, str], int] = {}
        self.allocated: Counter = Counter()
        self.batches: dict[tuple[str, int], list[Batch]] = defaultdict(list)
        self.used_kpj: set[str] = set()

    # People -----------------------------------------------------------------------------

    def name(self, sex: str) -> str:
        rng = self.rng
        first = self.male_first() if sex == "L" else self.female_first()
        if rng.random() < 0.25:  # many Javanese have a single name
            return first
        last = rng.choice(MALE_LAST if sex == "L" else FEMALE_LAST)
        if rng.random() < 0.1:
            return f"{first} {rng.choice(MALE_LAST)} {last}"
        return f"{first} {last}"

    def phone(self) -> str:
        prefix = self.rng.choice(["812", "813", "821", "822", "852", "853", "857", "878", "895"])
        return f"+62{prefix}{self.rng.randrange(10**7, 10**8)}"

    def nik(self, prefix: str, born: date, sex: str) -> str:
        day = born.day + (40 if sex == "P" else 0)
        stem = f"{prefix}{day:02d}{born.month:02d}{born.year % 100:02d}"
        while True:
            nik = f"{stem}{self.rng.randrange(1, 10000):04d}"
            if nik not in self.used_niks:
                self.used_niks.add(nik)
                return nik

    def birth_date(self, on: date, low: float, high: float, mode: float) -> date:
        while True:
            age = self.rng.triangular(low, high, mode)
            born = on - timedelta(days=int(age * 365.25))
            if int(low) <= age_on(born, on) <= int(high):
                return born

    def client_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def reference(self) -> str:
        while True:
            chars = "".join(self.rng.choice(REFERENCE_ALPHABET) for _ in range(8))
            ref = f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:]}"
            if ref not in self.used_refs:
                self.used_refs.add(ref)
                return ref

    # Users and drives -------------------------------------------------------------------

    def users(self, volunteers: int, coordinators: int) -> list[dict]:
        rng = self.rng
        hashed = generate_password_hash(PASSWORD, method="scrypt")
        joined = local(self.start - timedelta(days=30), 9)
        rows = [
            {
                "username": "admin",
                "full_name": "Admin Dinas",
                "role": "admin",
                "password_hash": hashed,
                "created_at": joined,
            }
        ]
        for n in range(1, coordinators + 1):
            sex = rng.choice("LP")
            rows.append(
                {
                    "username": f"koordinator{n}",
                    "full_name": self.name(sex),
                    "role": "coordinator",
                    "password_hash": hashed,
                    "created_at": joined,
                }
            )
        for n in range(1, volunteers + 1):
            sex = rng.choice("LP")
            rows.append(
                {
                    "username": f"relawan{n:03d}",
                    "full_name": self.name(sex),
                    "role": "volunteer",
                    "password_hash": hashed,
                    "active": rng.random() > 0.04,
                    "created_at": joined + timedelta(days=rng.randrange(0, 200)),
                    "last_login_at": self.now - timedelta(hours=rng.randrange(1, 24 * 30)),
                }
            )
        return rows

    def devices(self, volunteers: list[tuple[int, str, bool]], admin_id: int) -> list[dict]:
        """Each volunteer's phone (some have had two), with what it last reported."""
        rng = self.rng
        rows = []
        for user_id, full_name, active in volunteers:
            replaced = [True] if rng.random() < 0.12 else []  # a phone lost or changed
            for old in [*replaced, False]:
                created = self.now - timedelta(days=rng.uniform(1, 80))
                seen = self.now - timedelta(hours=rng.expovariate(1 / 10))
                pending = rng.randrange(1, 15) if rng.random() < 0.2 else 0
                if rng.random() < 0.08:  # out of signal, or forgotten in a drawer
                    seen = self.now - timedelta(days=rng.uniform(2.2, 12))
                    pending = rng.randrange(1, 40)
                revoked = old or not active
                rows.append(
                    {
                        "user_id": user_id,
                        "label": f"{rng.choice(PHONES)} {full_name.split()[0]}",
                        "token_hash": f"{rng.getrandbits(256):064x}",
                        "created_at": created,
                        "expires_at": created + timedelta(days=90),
                        "revoked_at": min(seen + timedelta(hours=1), self.now) if revoked else None,
                        "revoked_by_id": admin_id if revoked else None,
                        "last_seen_at": max(seen, created),
                        "app_version": "1",
                        "pending_count": 0 if revoked else pending,
                        "needs_fix_count": rng.randrange(1, 4) if rng.random() < 0.05 else 0,
                    }
                )
        return rows

    def drives(self, count: int, coordinator_ids: list[int]) -> list[dict]:
        rng = self.rng
        rows = []
        first, last = self.start + timedelta(days=4), self.today + timedelta(days=26)
        for _ in range(count):
            kelurahan = self.any_kelurahan()
            name = self.kelurahan_name[kelurahan]
            starts = first + timedelta(days=rng.randrange((last - first).days))
            ends = starts + timedelta(days=rng.choice([0, 0, 0, 1, 1, 2]))
            place = rng.choice(MARKETS) if rng.random() < 0.4 else f"Balai Kelurahan {name}"
            closed = None
            if ends < self.today and rng.random() < 0.8:
                closed = local(ends + timedelta(days=rng.randrange(1, 6)), 16.5)
                closed = min(closed, self.now)
            rows.append(
                {
                    "name": f"Pendataan pekerja rentan {name} ({starts:%d-%m-%Y})",
                    "place": place,
                    "kelurahan_code": kelurahan,
                    "funding_source_code": "DBHCHT" if rng.random() < 0.2 else "APBD",
                    "starts_on": starts,
                    "ends_on": ends,
                    "closed_at": closed,
                    "created_by_id": rng.choice(coordinator_ids),
                    "created_at": local(starts - timedelta(days=rng.randrange(7, 30)), 10),
                }
            )
        return rows

    def batch_rows(self, sources: list[str], coordinator_ids: list[int]) -> list[dict]:
        """One batch per source per month of the data, made on BATCH_DAY (if that has passed)."""
        rng = self.rng
        rows = []
        month = date(self.start.year, self.start.month, 1)
        while month <= self.today:
            made = local(month.replace(day=BATCH_DAY), 10)
            if made < self.now and any((month.year, s) in self.targets for s in sources):
                for source in sources:
                    sent = made + timedelta(hours=rng.uniform(20, 72))
                    sent = sent if sent < self.now else None
                    # Cover is paid from the next month, to the end of the funding year.
                    cover = month if month.month == 12 else month.replace(month=month.month + 1)
                    rows.append(
                        {
                            "funding_source_code": source,
                            "year": month.year,
                            "period_start": cover,
                            "period_end": date(month.year, 12, 31),
                            "status": (BatchStatus.SENT if sent else BatchStatus.READY).value,
                            "row_count": 0,
                            "filters": {"funding_source": source},
                            "created_by_id": rng.choice(coordinator_ids),
                            "created_at": made,
                            "sent_at": sent,
                            "sent_by_id": rng.choice(coordinator_ids) if sent else None,
                        }
                    )
            month = month.replace(day=28) + timedelta(days=4)
            month = month.replace(day=1)
        return rows

    def allocate(self, drive_id: int | None, at: datetime) -> tuple[str | None, int]:
        """(source, funding year) for a worker approved at ``at``; source None when full."""
        local_at = at.astimezone(WIB)
        year = local_at.year
        for code in (self.drive_source.get(drive_id), "APBD"):
            quota = self.targets.get((year, code)) if code else None
            # Paced: by the end of month m, m/12 of the year's quota.
            if quota and self.allocated[year, code] < -(-quota * local_at.month // 12):
                self.allocated[year, code] += 1
                return code, year
        return None, year

    def kpj_number(self) -> str:
        while True:
            kpj = str(self.rng.randrange(10**10, 10**11))
            if kpj not in self.used_kpj:
                self.used_kpj.add(kpj)
                return kpj

    def enroll(
        self, steps: list[tuple[str, str | None, datetime]], drive_id: int | None
    ) -> tuple[str, list[tuple[str, str | None, datetime]], dict]:
        """What became of an approved worker: (status, its decisions, enrollment columns).

        The time of approval is kept; being exported and enrolled follow the batches.
        """
        rng = self.rng
        approved = steps[0]
        source, year = self.allocate(drive_id, approved[2])
        if source is None:
            return S.APPROVED.value, [approved], {}
        columns = {"funding_source_code": source, "funding_year": year}
        later = [b for b in self.batches[source, year] if b.made > approved[2]]
        r = rng.random()
        skip = 0 if r < 0.85 else 1 if r < 0.95 else 2  # some wait a month or two
        if skip >= len(later):
            return S.APPROVED.value, [approved], columns
        batch = later[skip]
        columns["batch_id"] = batch.id
        exported = (S.EXPORTED.value, None, batch.made)
        enrolled_at = None
        if batch.sent:
            # Most KPJs of a batch come back together; a few need a second round.
            late = timedelta(days=rng.uniform(15, 45)) if rng.random() < 0.05 else timedelta()
            enrolled_at = batch.sent + batch.kpj_delay + late + timedelta(hours=rng.uniform(0, 72))
        if enrolled_at is None or enrolled_at >= self.now:
            return S.EXPORTED.value, [approved, exported], columns
        columns.update(
            kpj_number=self.kpj_number(),
            coverage_starts_on=enrolled_at.astimezone(WIB).date(),
            enrolled_at=enrolled_at,
        )
        return (
            S.ENROLLED.value,
            [approved, exported, (S.ENROLLED.value, None, enrolled_at)],
            columns,
        )

    # Registrations ----------------------------------------------------------------------

    def skeleton(
        self, count: int, drives: list[tuple[int, str, date, date]], volunteers: list[int]
    ) -> list[tuple[datetime, datetime, str, int | None, int]]:
        """(received_at, captured_at, kelurahan, drive id, volunteer id), in received order."""
        rng = self.rng
        # Volunteers work in a home kecamatan; some collect far more than others.
        by_kec: dict[str, list[int]] = defaultdict(list)
        kec_codes = sorted(self.kelurahan_by_kec)
        pick_kec = weighted(rng, kec_codes, [KECAMATAN_WEIGHTS[k[-2:]] for k in kec_codes])
        for i, user_id in enumerate(volunteers):
            by_kec[kec_codes[i] if i < len(kec_codes) else pick_kec()].append(user_id)
        activity = {user_id: rng.paretovariate(1.5) for user_id in volunteers}
        everyone = weighted(rng, volunteers, [activity[v] for v in volunteers])
        volunteer_in = defaultdict(
            lambda: everyone,  # a kecamatan without volunteers of its own (tiny runs)
            {k: weighted(rng, ids, [activity[v] for v in ids]) for k, ids in by_kec.items()},
        )
        past = [d for d in drives if d[2] <= self.today]
        pick_drive = weighted(rng, past, [rng.lognormvariate(0, 0.7) for _ in past])
        teams = {d[0]: [volunteer_in[d[1][:8]]() for _ in range(rng.randrange(3, 9))] for d in past}
        span = (self.today - self.start).days + 1
        out = []
        for _ in range(count):
            if past and rng.random() < 0.5:
                drive_id, drive_kel, starts, ends = pick_drive()
                days = (min(ends, self.today) - starts).days
                day = starts + timedelta(days=rng.randrange(days + 1))
                kelurahan = (
                    drive_kel
                    if rng.random() < 0.5
                    else self.kelurahan_in[drive_kel[:8]]()
                    if rng.random() < 0.8
                    else self.any_kelurahan()
                )
                volunteer = rng.choice(teams[drive_id])
            else:
                drive_id = None
                # The programme grew: later days are likelier (density rising linearly).
                day = self.start + timedelta(days=int(span * rng.random() ** 0.6))
                kelurahan = self.any_kelurahan()
                volunteer = volunteer_in[kelurahan[:8]]()
            captured = local(day, rng.uniform(7.5, 16.5))
            # Most arrive within minutes; some wait on a phone without signal for a day or two.
            delay = rng.uniform(0.02, 0.5) if rng.random() < 0.8 else rng.uniform(1, 48)
            received = captured + timedelta(hours=delay)
            if received > self.now:
                received = self.now - timedelta(minutes=rng.uniform(1, 600))
                captured = min(captured, received - timedelta(minutes=1))
            out.append((received, captured, kelurahan, drive_id, volunteer))
        out.sort(key=lambda row: row[0])
        return out

    def person(self, kelurahan: str, on: date, anomaly: str | None) -> tuple[str, str, date]:
        """(nik, sex, birth date) of a new worker."""
        rng = self.rng
        sex = "P" if rng.random() < 0.45 else "L"
        if anomaly == "age":
            born = (
                self.birth_date(on, 66, 75, 67)
                if rng.random() < 0.75
                else self.birth_date(on, 15, 17.99, 17)
            )
        else:
            born = self.birth_date(on, 18, 65.99, 42)
        if anomaly == "outside":
            prefix = f"{rng.choice(OUTSIDE_REGENCIES)}{rng.randrange(1, 21):02d}"
        else:
            kec = kelurahan[6:8] if rng.random() < 0.85 else f"{rng.randrange(1, 17):02d}"
            prefix = f"3374{kec}"
        if anomaly != "mismatch":
            return self.nik(prefix, born, sex), sex, born
        # The form and the NIK disagree: day and month swapped, a slip of the day or year, or
        # a woman's NIK without the +40 (which reads as a man's).
        kind = rng.random()
        nik_sex, nik_born = sex, born
        if kind < 0.25 and sex == "P":
            nik_sex = "L"
        elif kind < 0.5 and born.day <= 12 and born.day != born.month:
            nik_born = born.replace(month=born.day, day=born.month)
        elif kind < 0.75:
            nik_born = born + timedelta(days=rng.choice([-365, 365]))
        else:
            nik_born = born + timedelta(days=rng.choice([-3, -2, -1, 1, 2, 3]))
        if (nik_born == born and nik_sex == sex) or nik_born > on:
            nik_born = born - timedelta(days=1)
        return self.nik(prefix, nik_born, nik_sex), sex, born

    def near_nik(self, nik: str) -> str | None:
        """The same NIK with one digit of the serial mistyped."""
        for _ in range(10):
            pos = 12 + self.rng.randrange(4)
            digit = self.rng.choice([d for d in "0123456789" if d != nik[pos]])
            typo = nik[:pos] + digit + nik[pos + 1 :]
            if typo[12:] != "0000" and typo not in self.used_niks:
                self.used_niks.add(typo)
                return typo
        return None

    def status(self, received: datetime, flags: list[str]) -> str:
        rng = self.rng
        age = (self.now - received).days
        r = rng.random()
        if age < 3:
            table = [(0.92, S.SUBMITTED), (0.96, S.NEEDS_FIX), (1, S.APPROVED)]
        elif age < 14:
            table = [(0.7, S.SUBMITTED), (0.78, S.NEEDS_FIX), (0.97, S.APPROVED), (1, S.REJECTED)]
        elif age < 60:
            table = [
                (0.4, S.SUBMITTED), (0.46, S.NEEDS_FIX), (0.86, S.APPROVED),
                (0.9, S.REJECTED), (1, S.EXPORTED),
            ]  # fmt: skip
        else:  # the backlog: a coordinator team that does not keep up everywhere
            table = [
                (0.14, S.SUBMITTED), (0.17, S.NEEDS_FIX), (0.55, S.APPROVED),
                (0.6, S.REJECTED), (0.8, S.EXPORTED), (1, S.ENROLLED),
            ]  # fmt: skip
        status = next(s for bound, s in table if r < bound)
        if flags and status not in (S.SUBMITTED, S.NEEDS_FIX) and rng.random() < 0.4:
            # Flagged records are looked at more closely: more rejections and fixes.
            status = S.REJECTED if rng.random() < 0.6 else S.NEEDS_FIX
        return status.value

    def decisions(self, status: str, received: datetime) -> list[tuple[str, str | None, datetime]]:
        """The status events that led to ``status``: (status, note, at)."""
        rng = self.rng
        path = {
            S.SUBMITTED: [],
            S.NEEDS_FIX: [S.NEEDS_FIX],
            S.APPROVED: [S.APPROVED],
            S.REJECTED: [S.REJECTED],
            S.DUPLICATE: [S.DUPLICATE],
            S.EXPORTED: [S.APPROVED, S.EXPORTED],
            S.ENROLLED: [S.APPROVED, S.EXPORTED, S.ENROLLED],
        }[S(status)]
        out, at = [], received
        for step in path:
            gap = rng.uniform(0.1, 3 if step in (S.APPROVED, S.NEEDS_FIX) else 15) * 24
            at = min(at + timedelta(hours=gap), self.now - timedelta(minutes=1))
            note = {
                S.NEEDS_FIX: rng.choice(FIX_NOTES),
                S.REJECTED: rng.choice(REJECT_NOTES),
                S.DUPLICATE: "NIK sudah terdaftar.",
            }.get(step)
            out.append((step.value, note, at))
        return out

    def registration(
        self, planned: tuple, settings: ProgrammeSettings
    ) -> tuple[dict, list[tuple[str, str | None, datetime]], str, str | None]:
        """A row for insert_registrations, its decisions, its kind, the first one's client id.

        Kinds: "repeat" (a worker registered before, same NIK), "near-duplicate" (same
        name and birth date, NIK one digit off) or "new" (sometimes with an anomaly).
        """
        rng = self.rng
        received, captured, kelurahan, drive_id, volunteer = planned
        on = received.astimezone(WIB).date()
        r = rng.random()
        first, occupation, nik = None, None, None
        if r < 0.055 and self.counted:
            kind, first = "repeat", rng.choice(self.counted)
            nik, sex, born, full_name = first.nik, first.sex, first.birth_date, first.full_name
            if rng.random() < 0.2:  # typed a little differently the second time
                full_name = full_name.upper() if rng.random() < 0.5 else full_name.split()[0]
            if rng.random() < 0.7:
                kelurahan = first.kelurahan
            if rng.random() < 0.8:
                occupation = first.occupation
        elif r < 0.065 and self.people:
            kind, first = "near-duplicate", rng.choice(self.people)
            nik = self.near_nik(first.nik)
            sex, born, full_name = first.sex, first.birth_date, first.full_name
            kelurahan, occupation = first.kelurahan, first.occupation
        if nik is None:
            kind, anomaly = "new", None
            if 0.065 <= r < 0.095:
                anomaly = "outside"
            elif 0.095 <= r < 0.115:
                anomaly = "mismatch"
            elif 0.115 <= r < 0.135:
                anomaly = "age"
            nik, sex, born = self.person(kelurahan, on, anomaly)
            full_name = self.name(sex)
        occupation = occupation or self.occupation_at[kelurahan]()
        data = self.data(nik, full_name, born, sex, kelurahan, occupation)
        data["drive_id"] = drive_id
        if kind == "repeat" and rng.random() < 0.5:
            data["phone"] = first.phone
        flags = assess_flags(
            data, settings=settings, today=on, nik_already_registered=kind == "repeat"
        )
        status = self.status(received, flags)
        if kind == "repeat" and status != S.SUBMITTED and rng.random() < 0.35:
            status = S.DUPLICATE.value
        client_id = self.client_id()
        row = registration_row(
            data,
            reference=self.reference(),
            flags=flags,
            collected_by=SimpleNamespace(id=volunteer),
            client_id=client_id,
            content_hash=content_hash({**data, "birth_date": born.isoformat()}, 1),
            captured_at=captured,
            form_version=1,
            device=None,
            now=received,
        )
        steps = self.decisions(status, received)
        row.update(dict.fromkeys(ENROLLMENT_COLUMNS))
        if status in HOLDS_QUOTA_PLACE:
            status, steps, columns = self.enroll(steps, drive_id)
            row.update(columns)
        row["status"] = status
        row["version"] = 1 + len(steps)
        if steps:
            row["updated_at"] = steps[-1][2]
        if kind == "new":
            person = Person(
                nik, full_name, born, sex, data["phone"], kelurahan, occupation, client_id,
                counted=status != S.REJECTED,
            )  # fmt: skip
            self.people.append(person)
            if person.counted:
                self.counted.append(person)
        return row, steps, kind, first.client_id if first else None

    def data(
        self, nik: str, full_name: str, born: date, sex: str, kelurahan: str, occupation: str
    ) -> dict:
        rng = self.rng
        places = WORKPLACES[occupation]
        workplace = rng.choice(places) if places else None
        if occupation == "art":
            workplace = f"Rumah tangga di {self.kelurahan_name[self.any_kelurahan()]}"
        low, high = INCOME[occupation]
        married = rng.random() < 0.7
        relationship = (
            ("istri" if sex == "L" else "suami")
            if married
            else rng.choice(["anak", "orang_tua", "saudara", "lainnya"])
        )
        heir_sex = {"istri": "P", "suami": "L"}.get(relationship, rng.choice("LP"))
        return {
            "nik": nik,
            "full_name": full_name,
            "birth_date": born,
            "sex": sex,
            "phone": self.phone(),
            "address": (
                f"{rng.choice(STREETS)} No. {rng.randrange(1, 150)} "
                f"RT {rng.randrange(1, 13):02d}/RW {rng.randrange(1, 10):02d}"
            ),
            "kelurahan_code": kelurahan,
            "occupation": occupation,
            "occupation_other": rng.choice(OTHER_OCCUPATIONS) if occupation == "lainnya" else None,
            "workplace": workplace,
            "monthly_income": rng.randrange(low, high + 1, 50) * 1000,
            "heir_name": self.name(heir_sex),
            "heir_relationship": relationship,
            "heir_phone": self.phone(),
        }


ENROLLMENT_COLUMNS = (
    "funding_source_code",
    "funding_year",
    "batch_id",
    "kpj_number",
    "coverage_starts_on",
    "enrolled_at",
)


def null_columns(row: dict) -> tuple[str, ...]:
    return tuple(key for key, value in row.items() if value is None)


def empty_and_migrate(app) -> None:
    """Drop every table, then build the schema with the migrations and seed it."""
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # With foreign keys on, SQLite empties a table row by row before dropping it
            # and checks every reference; registrations.duplicate_of_id has no index, so
            # that is a full scan per row (hours at 100,000 rows).
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        meta = MetaData()
        meta.reflect(bind=conn)
        meta.drop_all(bind=conn)
        conn.commit()
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    with app.app_context():
        upgrade()
        seed()


def plan_enrollment(gen: Generator, coordinator_ids: list[int]) -> None:
    """Load the quotas (extended to later years of the data) and insert the batches."""
    targets = {
        (year, source): workers
        for year, source, workers in db.session.execute(
            select(FundingTarget.year, FundingTarget.funding_source_code, FundingTarget.workers)
        )
    }
    last = max((year for year, _ in targets), default=None)
    if last is not None:
        for year in range(last + 1, gen.today.year + 1):
            for (known, source), workers in list(targets.items()):
                if known == last:
                    targets[year, source] = workers
                    db.session.add(
                        FundingTarget(year=year, funding_source_code=source, workers=workers)
                    )
    gen.targets = targets
    sources = sorted({source for _, source in targets})
    rows = gen.batch_rows(sources, coordinator_ids)
    if rows:
        db.session.execute(insert(EnrollmentBatch), rows)
    for b in db.session.execute(
        select(
            EnrollmentBatch.id,
            EnrollmentBatch.funding_source_code,
            EnrollmentBatch.year,
            EnrollmentBatch.created_at,
            EnrollmentBatch.sent_at,
        ).order_by(EnrollmentBatch.created_at, EnrollmentBatch.id)
    ):
        delay = timedelta(days=gen.rng.uniform(10, 30))
        gen.batches[b.funding_source_code, b.year].append(
            Batch(b.id, b.created_at, b.sent_at, delay)
        )


def count_enrollment() -> dict[str, int]:
    """Each batch's row count; batches left empty are deleted. Returns figures to print."""
    batch = EnrollmentBatch.__table__
    reg = Registration.__table__
    in_batch = select(db.func.count()).where(reg.c.batch_id == batch.c.id).scalar_subquery()
    db.session.execute(update(batch).values(row_count=in_batch))
    db.session.execute(batch.delete().where(batch.c.row_count == 0))
    counts = {"enrollment batches": db.session.scalar(select(db.func.count()).select_from(batch))}
    for source, year, n in db.session.execute(
        select(reg.c.funding_source_code, reg.c.funding_year, db.func.count())
        .where(reg.c.funding_source_code.is_not(None))
        .group_by(reg.c.funding_source_code, reg.c.funding_year)
    ):
        counts[f"funded: {year} {source}"] = n
    return counts


def generate(
    url: str,
    *,
    registrations: int = 100_000,
    volunteers: int = 300,
    coordinators: int = 5,
    drives: int = 200,
    seed_value: int = 2026,
    chunk: int = 2_000,
    analyze: bool = False,
    quiet: bool = False,
) -> dict[str, int]:
    """Empty the database at ``url`` and fill it; return how many rows of each kind."""
    say = (lambda *a: None) if quiet else print
    started = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "g" * 48})
    empty_and_migrate(app)
    schema_s = time.perf_counter() - started
    rng = Random(seed_value)
    # "Now" is the real clock (the queue and ages depend on it), to the hour, so that two
    # runs on the same day and hour give the same data.
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    gen = Generator(rng, now)
    counts: Counter = Counter()
    with app.app_context():
        settings = load_settings()
        db.session.execute(insert(User), gen.users(volunteers, coordinators))
        users = db.session.execute(select(User.id, User.role).order_by(User.id)).all()
        coordinator_ids = [u.id for u in users if u.role == "coordinator"]
        volunteer_ids = [u.id for u in users if u.role == "volunteer"]
        counts["users (volunteer)"] = len(volunteer_ids)
        counts["users (coordinator)"] = len(coordinator_ids)
        counts["users (admin)"] = 1
        volunteers_for_devices = [
            (u.id, u.full_name, u.active)
            for u in db.session.execute(
                select(User.id, User.full_name, User.active)
                .where(User.role == "volunteer")
                .order_by(User.id)
            )
        ]
        admin_id = next(u.id for u in users if u.role == "admin")
        db.session.execute(insert(Device), gen.devices(volunteers_for_devices, admin_id))
        counts["devices"] = db.session.scalar(select(db.func.count()).select_from(Device))
        db.session.execute(insert(Drive), gen.drives(drives, coordinator_ids))
        drive_rows = [
            (d.id, d.kelurahan_code, d.starts_on, d.ends_on)
            for d in db.session.execute(
                select(Drive.id, Drive.kelurahan_code, Drive.starts_on, Drive.ends_on).order_by(
                    Drive.id
                )
            )
        ]
        counts["drives"] = len(drive_rows)
        counts["drives (closed)"] = db.session.scalar(
            select(db.func.count()).select_from(Drive).where(Drive.closed_at.is_not(None))
        )
        gen.drive_source = {
            drive_id: source
            for drive_id, source in db.session.execute(select(Drive.id, Drive.funding_source_code))
        }
        plan_enrollment(gen, coordinator_ids)
        db.session.commit()

        plan = gen.skeleton(registrations, drive_rows, volunteer_ids)
        duplicate_links: list[tuple[str, str]] = []  # (client id, client id of the first)
        client_ids: dict[str, int] = {}
        row_s = insert_s = 0.0
        for begin in range(0, len(plan), chunk):
            t0 = time.perf_counter()
            rows, events = [], []
            for planned in plan[begin : begin + chunk]:
                row, steps, kind, first = gen.registration(planned, settings)
                rows.append(row)
                events.extend((row["client_id"], step) for step in steps)
                if row["status"] == S.DUPLICATE:
                    duplicate_links.append((row["client_id"], first))
                counts[f"registrations ({row['status']})"] += 1
                counts[f"kind: {kind}"] += 1
                for flag in row["flags"]:
                    counts[f"flag: {flag}"] += 1
                counts["flagged (any)"] += bool(row["flags"])
            # The ORM's bulk INSERT leaves NULLs out of a row and so starts a new statement
            # whenever the set of NULL columns changes (drive_id, workplace...): group the
            # rows by it (stable; ids then follow received_at only within a group).
            rows.sort(key=null_columns)
            events.sort(key=lambda event: event[1][1] is None)
            t1 = time.perf_counter()
            ids = insert_registrations(rows)
            client_ids.update(ids)
            if events:
                db.session.execute(
                    insert(RegistrationEvent),
                    [
                        {
                            "registration_id": ids[client_id],
                            "kind": RegistrationEventKind.STATUS.value,
                            "status": step_status,
                            "note": note,
                            "actor_id": rng.choice(coordinator_ids),
                            "at": at,
                        }
                        for client_id, (step_status, note, at) in events
                    ],
                )
            db.session.commit()
            counts["status events"] += len(events)
            row_s += t1 - t0
            insert_s += time.perf_counter() - t1
        if duplicate_links:
            table = Registration.__table__
            db.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(duplicate_of_id=bindparam("b_first")),
                [{"b_id": client_ids[c], "b_first": client_ids[f]} for c, f in duplicate_links],
            )
            db.session.commit()
        counts.update(count_enrollment())
        db.session.commit()
        counts["registrations"] = sum(
            v for k, v in counts.items() if k.startswith("registrations (")
        )
        counts["received events"] = counts["registrations"]
        t2 = time.perf_counter()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load: statistics, and the visibility
            # map that lets PostgreSQL answer from an index alone.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        elif analyze:
            with db.engine.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()
        analyze_s = time.perf_counter() - t2
        db.engine.dispose()
    gc.enable()
    total = time.perf_counter() - started
    n = counts["registrations"]
    say(f"{n} registrations into {db_name(url)} (seed {seed_value}, chunks of {chunk})")
    for key in sorted(counts):
        if key != "registrations":
            share = f"  ({counts[key] / n:6.1%})" if n and key.startswith(("flag", "regis")) else ""
            say(f"  {key:34} {counts[key]:8}{share}")
    say(f"  schema + seed      : {schema_s:6.2f} s")
    say(f"  building rows      : {row_s:6.2f} s")
    say(f"  inserting, commits : {insert_s:6.2f} s")
    if analyze_s > 0.01:
        say(f"  (VACUUM) ANALYZE   : {analyze_s:6.2f} s")
    say(f"  total              : {total:6.2f} s  ({n / total:,.0f} registrations/s overall)")
    return dict(counts)


def db_name(url: str) -> str:
    """The URL without a password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", required=True, help="SQLite or PostgreSQL URL (it is emptied)"
    )
    parser.add_argument("--registrations", "-n", type=int, default=100_000)
    parser.add_argument("--volunteers", type=int, default=300)
    parser.add_argument("--coordinators", type=int, default=5)
    parser.add_argument("--drives", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--chunk", type=int, default=2_000, help="rows per insert and commit")
    parser.add_argument(
        "--analyze", action="store_true", help="run ANALYZE on SQLite too (always on PostgreSQL)"
    )
    args = parser.parse_args()
    generate(
        args.database_url,
        registrations=args.registrations,
        volunteers=args.volunteers,
        coordinators=args.coordinators,
        drives=args.drives,
        seed_value=args.seed,
        chunk=args.chunk,
        analyze=args.analyze,
    )


if __name__ == "__main__":
    main()
