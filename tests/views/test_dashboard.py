"""The programme dashboard: progress against the year's target, the pipeline, breakdowns,
weeks, budget and the field's health, with a CSV for each."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.conftest import login
from webapp.clock import today_in_semarang
from webapp.domain.spreadsheets import FORMULA_STARTS
from webapp.extensions import db
from webapp.models import (
    Device,
    Drive,
    EnrollmentBatch,
    FundingTarget,
    Registration,
    User,
    utcnow,
)

YEAR = 2026
NIK = "3374011205900012"  # valid_registration's worker
SECTIONS = (
    "progress",
    "pipeline",
    "occupation",
    "kecamatan",
    "drive",
    "volunteer",
    "weekly",
    "budget",
    "field",
)
IN_2026 = datetime(2026, 6, 3, 3, tzinfo=UTC)  # a Wednesday, 10:00 WIB


@pytest.fixture
def volunteer_name(make_user):
    return make_user("volunteer", username="ani", full_name="Ani Relawan")


def set_columns(app, registration_id: int, **values) -> None:
    """Change a registration directly, as the enrollment steps would have."""
    with app.app_context():
        db.session.execute(
            update(Registration).where(Registration.id == registration_id).values(**values)
        )
        db.session.commit()


def enrolled(source: str = "APBD", at: datetime = IN_2026) -> dict:
    return {
        "status": "enrolled",
        "funding_source_code": source,
        "funding_year": YEAR,
        "kpj_number": f"26{secrets.randbelow(10**9):09d}",
        "coverage_starts_on": at.date(),
        "enrolled_at": at,
    }


def add_drive(app, name: str) -> int:
    """A drive in June 2026 at Pasar Johar's kelurahan; returns its id."""
    with app.app_context():
        drive = Drive(
            name=name,
            kelurahan_code="33.74.01.1001",
            starts_on=date(2026, 6, 1),
            ends_on=date(2026, 6, 30),
        )
        db.session.add(drive)
        db.session.commit()
        return drive.id


def page(client, query: str = f"?year={YEAR}") -> str:
    response = client.get(f"/dashboard{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def card(html: str, source: str) -> str:
    """The text of a progress card (data-source="APBD", "total"...), tags removed."""
    found = re.search(rf'<li class="dash-stat[^"]*" data-source="{source}">(.*?)</li>', html, re.S)
    assert found, f"no card for {source}"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def row(html: str, key: str, section: str | None = None) -> list[str]:
    """The cells of the table row data-row="key" (within section id=... when given)."""
    if section:
        html = re.search(rf'<section id="{section}".*?</section>', html, re.S).group(0)
    found = re.search(rf'<tr data-row="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert found, f"no row {key}"
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", found.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


def figure(html: str, name: str) -> str:
    return re.search(rf'<figure class="dash-figure" id="fig-{name}">.*?</figure>', html, re.S)[0]


def download(client, section: str, year: int = YEAR) -> tuple[object, list[list[str]]]:
    response = client.get(f"/dashboard/{section}.csv?year={year}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return response, list(csv.reader(io.StringIO(text[1:])))


# Who may see it ------------------------------------------------------------------------


def test_volunteers_are_refused_and_strangers_sent_to_log_in(app, client, volunteer_name):
    for path in ("/dashboard", "/dashboard/progress.csv"):
        response = app.test_client().get(path)
        assert response.status_code == 302 and response.location.startswith("/login?next=")
    login(client, volunteer_name)
    assert client.get("/dashboard").status_code == 403
    assert client.get("/dashboard/volunteer.csv").status_code == 403


def test_admins_see_it_too(app, make_user):
    client = app.test_client()
    login(client, make_user("admin"))
    assert "Dasbor program" in page(client)


# Progress ------------------------------------------------------------------------------


def test_progress_moves_as_registrations_are_approved_and_enrolled(
    app, coordinator, make_registration, volunteer_name
):
    html = page(coordinator)
    assert card(html, "total").startswith("Terdaftar di BPJS 0 / 8.500 0% · 0 dalam proses")
    assert card(html, "APBD") == "APBD 0 / 7.500 0% · 0 dalam proses"

    ids = [make_registration(volunteer_name, received_at=IN_2026) for _ in range(4)]
    set_columns(app, ids[0], status="approved", funding_source_code="APBD", funding_year=YEAR)
    set_columns(app, ids[1], **enrolled("APBD"))
    set_columns(app, ids[2], **enrolled("DBHCHT"))
    # Approved, but without a source (the quota was full): not counted anywhere yet.
    set_columns(app, ids[3], status="approved")

    html = page(coordinator)
    assert card(html, "total") == "Terdaftar di BPJS 2 / 8.500 0% · 1 dalam proses"
    assert card(html, "APBD") == "APBD 1 / 7.500 0% · 1 dalam proses"
    assert card(html, "DBHCHT") == "DBHCHT 1 / 1.000 0% · 0 dalam proses"
    assert row(html, "APBD", "progress") == ["APBD Kota Semarang", "7.500", "1 (0%)", "1", "7.498"]
    assert row(html, "total", "progress") == ["Total", "8.500", "2 (0%)", "1", "8.497"]
    assert 'id="chart-progress"' in html

    # Another year's funding does not count towards this one.
    set_columns(app, ids[3], **{**enrolled("APBD"), "funding_year": YEAR + 1})
    assert card(page(coordinator), "total").startswith("Terdaftar di BPJS 2 / 8.500")


def test_the_percentage_of_the_target(app, coordinator, make_registration, volunteer_name):
    with app.app_context():
        target = db.session.scalar(db.select(FundingTarget).filter_by(year=YEAR, workers=1_000))
        target.workers = 4
        db.session.commit()
    for _ in range(3):
        set_columns(app, make_registration(volunteer_name), **enrolled("DBHCHT"))
    html = page(coordinator)
    assert card(html, "DBHCHT") == "DBHCHT 3 / 4 75% · 0 dalam proses"
    _, rows = download(coordinator, "progress")
    assert rows[0] == [
        "Sumber dana",
        "Nama",
        "Target",
        "Terdaftar di BPJS",
        "Dalam proses",
        "Persen terdaftar",
    ]
    assert ["DBHCHT", "Dana Bagi Hasil Cukai Hasil Tembakau (DBHCHT)", "4", "3", "0", "75"] in rows
    assert rows[-1] == ["", "Total", "7504", "3", "0", "0"]


# Pipeline ------------------------------------------------------------------------------


def test_the_pipeline_counts_every_status(app, coordinator, make_registration, volunteer_name):
    statuses = ["submitted"] * 3 + ["needs_fix", "approved", "approved", "rejected", "duplicate"]
    for status in statuses:
        make_registration(volunteer_name, status=status)
    html = page(coordinator)
    assert row(html, "submitted", "pipeline") == ["Menunggu tinjauan", "3"]
    assert row(html, "approved", "pipeline") == ["Disetujui", "2"]
    assert row(html, "enrolled", "pipeline") == ["Terdaftar di BPJS", "0"]
    assert row(html, "duplicate", "pipeline") == ["Ganda", "1"]
    _, rows = download(coordinator, "pipeline")
    assert rows[0] == ["Kode status", "Status", "Jumlah"]
    assert rows[1:] == [
        ["submitted", "Menunggu tinjauan", "3"],
        ["needs_fix", "Perlu diperbaiki", "1"],
        ["approved", "Disetujui", "2"],
        ["exported", "Dikirim ke BPJS", "0"],
        ["enrolled", "Terdaftar di BPJS", "0"],
        ["rejected", "Ditolak", "1"],
        ["duplicate", "Ganda", "1"],
    ]


# Breakdowns ----------------------------------------------------------------------------


def test_breakdowns_count_the_years_registrations_and_the_enrolled_among_them(
    app, coordinator, make_registration, volunteer_name, make_user
):
    budi = make_user("volunteer", username="budi")  # no full name: shown by username
    with app.app_context():
        drive = Drive(
            name="Pendataan TPI Tambak Lorok",
            kelurahan_code="33.74.02.1008",
            starts_on=date(2026, 6, 1),
            ends_on=date(2026, 6, 30),
        )
        db.session.add(drive)
        db.session.commit()
        drive_id = drive.id
    at_drive = make_registration(volunteer_name, received_at=IN_2026, drive_id=str(drive_id))
    set_columns(app, at_drive, **enrolled())
    make_registration(volunteer_name, received_at=IN_2026, drive_id=str(drive_id))
    make_registration(budi, received_at=IN_2026, occupation="pkl", kelurahan_code="33.74.01.1001")
    # Turned away, or from another year: not counted.
    make_registration(budi, received_at=IN_2026, status="rejected")
    make_registration(budi, received_at=IN_2026, status="duplicate")
    make_registration(budi, received_at=datetime(2025, 6, 3, tzinfo=UTC))

    html = page(coordinator)
    assert row(html, "nelayan", "breakdowns") == ["Nelayan", "2", "1"]
    assert row(html, "pkl", "breakdowns") == ["Pedagang kaki lima (PKL)", "1", "0"]
    assert row(html, "33.74.02", "breakdowns") == ["Semarang Utara", "2", "1"]
    assert row(html, "33.74.01", "breakdowns") == ["Semarang Tengah", "1", "0"]
    assert row(html, str(drive_id), "breakdowns") == ["Pendataan TPI Tambak Lorok", "2", "1"]
    assert row(html, "", "breakdowns") == ["Tanpa kegiatan", "1", "0"]
    assert row(html, "ani", "breakdowns") == ["Ani Relawan", "2", "1"]
    assert row(html, "budi", "breakdowns") == ["budi", "1", "0"]
    for name in ("occupation", "kecamatan", "drive", "volunteer"):
        assert f'id="chart-{name}"' in figure(html, name)
    assert "Nelayan" in figure(html, "occupation")

    response, rows = download(coordinator, "volunteer")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="pijar-semar-dasbor-volunteer-2026.csv"'
    )
    assert rows == [
        ["Nama pengguna", "Nama", "Pendaftaran", "Terdaftar di BPJS"],
        ["ani", "Ani Relawan", "2", "1"],
        ["budi", "budi", "1", "0"],
    ]
    _, rows = download(coordinator, "drive")
    assert rows[1:] == [
        [str(drive_id), "Pendataan TPI Tambak Lorok", "2", "1"],
        ["", "Tanpa kegiatan", "1", "0"],
    ]
    _, rows = download(coordinator, "kecamatan")
    assert rows[1:] == [
        ["33.74.02", "Semarang Utara", "2", "1"],
        ["33.74.01", "Semarang Tengah", "1", "0"],
    ]
    _, rows = download(coordinator, "occupation")
    assert rows[1:] == [
        ["nelayan", "Nelayan", "2", "1"],
        ["pkl", "Pedagang kaki lima (PKL)", "1", "0"],
    ]
    _, rows = download(coordinator, "occupation", year=2025)
    assert rows[1:] == [["nelayan", "Nelayan", "1", "0"]]


def test_a_long_breakdown_charts_the_largest_and_lists_them_all(
    app, coordinator, make_registration, make_user
):
    names = [make_user("volunteer", username=f"relawan{n:02d}") for n in range(17)]
    for n, name in enumerate(names):
        for _ in range(1 + n % 3):
            make_registration(name, received_at=IN_2026)
    html = figure(page(coordinator), "volunteer")
    assert "Grafik: 16 terbesar dari 17; tabel dan CSV memuat semuanya." in html
    assert len(re.findall(r'<tr data-row="relawan\d\d">', html)) == 17
    assert html.count('<g class="bar">') == 16


def test_drive_and_volunteer_names_are_escaped(app, coordinator, make_registration, make_user):
    name = make_user("volunteer", full_name='<b onmouseover="x()">Ani</b>')
    drive_id = add_drive(app, "<script>alert(1)</script> Pasar Johar")
    make_registration(name, received_at=IN_2026, drive_id=str(drive_id))
    html = page(coordinator)
    assert "<script>alert(1)</script>" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Pasar Johar" in html


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\n", "＝", "＋", "－", "＠"])
def test_a_name_that_a_spreadsheet_would_run_stays_text_in_the_csv(
    app, coordinator, make_registration, volunteer_name, start
):
    drive_id = add_drive(app, f'{start}HYPERLINK("http://x.test","klik")')
    make_registration(volunteer_name, received_at=IN_2026, drive_id=str(drive_id))
    _, rows = download(coordinator, "drive")
    names = [r[1] for r in rows[1:]]
    assert f'\'{start}HYPERLINK("http://x.test","klik")' in names


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Pasar;=1+1;Johar", "Pasar;'=1+1;Johar"),
        ("Pasar Johar, Blok A", "Pasar Johar, Blok A"),
        ('Pasar "Johar"', 'Pasar "Johar"'),
        ("Pasar\n@SUM(A1)", "Pasar\n'@SUM(A1)"),
    ],
)
def test_a_name_with_a_separator_stays_one_cell_of_text_in_the_csv(
    app, coordinator, make_registration, volunteer_name, name, shown
):
    """Read with ",", the name is one cell; read with ";" (Excel with Indonesian
    settings), no cell starts a formula."""
    drive_id = add_drive(app, name)
    make_registration(volunteer_name, received_at=IN_2026, drive_id=str(drive_id))
    response, rows = download(coordinator, "drive")
    assert shown in [r[1] for r in rows[1:]]
    text = response.get_data(as_text=True)[1:]
    by_semicolon = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    assert not [c for r in by_semicolon for c in r if c.startswith(FORMULA_STARTS)]


# Weeks ---------------------------------------------------------------------------------


def test_weeks_start_on_monday_in_semarang(app, coordinator, make_registration, volunteer_name):
    """Times are stored in UTC; a week (and a year) starts at midnight WIB (UTC+7)."""
    sunday_night = datetime(2026, 3, 8, 16, 59, tzinfo=UTC)  # Sunday 8 March, 23:59 WIB
    monday_morning = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)  # Monday 9 March, 00:00 WIB
    new_year = datetime(2025, 12, 31, 17, 30, tzinfo=UTC)  # Thursday 1 January 2026, 00:30 WIB
    old_year = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)  # Wednesday 31 December 2025, 23:30
    for at in (sunday_night, sunday_night, monday_morning, new_year, old_year):
        make_registration(volunteer_name, received_at=at)
    enrolled_one = make_registration(volunteer_name, received_at=new_year)
    set_columns(app, enrolled_one, **enrolled(at=monday_morning))

    _, rows = download(coordinator, "weekly")
    assert rows[0] == ["Minggu mulai (Senin)", "Pendaftaran diterima", "Terdaftar di BPJS"]
    weeks = {monday: (int(n), int(e)) for monday, n, e in rows[1:]}
    assert rows[1][0] == "2025-12-29"  # the week holding 1 January
    assert weeks["2025-12-29"] == (2, 0)  # 1 January only: not 31 December
    assert weeks["2026-03-02"] == (2, 0)
    assert weeks["2026-03-09"] == (1, 1)
    assert sum(n for n, _ in weeks.values()) == 5
    assert all(date.fromisoformat(monday).weekday() == 0 for monday in weeks)
    html = page(coordinator)
    assert row(html, "2026-03-09", "weekly") == ["09-03-2026", "1", "1"]
    assert 'id="chart-weekly-received"' in html and 'id="chart-weekly-enrolled"' in html

    _, rows = download(coordinator, "weekly", year=2025)
    assert rows[-1] == ["2025-12-29", "1", "0"]  # 31 December 2025, in WIB


# Budget --------------------------------------------------------------------------------


def test_budget_per_source_in_rupiah(app, coordinator, make_registration, volunteer_name):
    with app.app_context():
        coordinator_id = db.session.scalar(db.select(User.id).filter_by(role="coordinator"))
        batch = EnrollmentBatch(
            funding_source_code="APBD",
            year=YEAR,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            status="sent",
            row_count=1,
            created_by_id=coordinator_id,
        )
        db.session.add(batch)
        db.session.commit()
        batch_id = batch.id
    covered = make_registration(volunteer_name, monthly_income="1.500.000")
    set_columns(app, covered, **enrolled(), batch_id=batch_id)
    waiting = make_registration(volunteer_name, monthly_income="800.000")
    set_columns(app, waiting, status="approved", funding_source_code="APBD", funding_year=YEAR)

    html = page(coordinator)
    budget = re.search(r'<section id="budget".*?</section>', html, re.S).group(0)
    # One worker at Rp1.500.000: JKK 1 persen (Rp15.000) and JKM Rp6.800 a month.
    assert re.search(r"Iuran per bulan</th><td class=\"num\">Rp21\.800</td>", budget)
    assert re.search(r"Pekerja menunggu batch</th><td class=\"num\">1</td>", budget)
    assert 'id="chart-budget"' in budget
    _, rows = download(coordinator, "budget")
    assert rows[0][:3] == ["Sumber dana", "Pekerja ditanggung", "Iuran per bulan (Rp)"]
    apbd = next(r for r in rows if r[0] == "APBD")
    assert apbd[1:3] == ["1", "21800"] and apbd[4] == "1" and apbd[6] == "7498"


# Field health --------------------------------------------------------------------------


def add_device(app, username: str, label: str, **values) -> None:
    with app.app_context():
        user_id = db.session.scalar(db.select(User.id).filter_by(username=username))
        db.session.add(
            Device(
                user_id=user_id,
                label=label,
                token_hash=secrets.token_hex(32),
                expires_at=utcnow() + timedelta(days=90),
                **values,
            )
        )
        db.session.commit()


def test_field_health_counts_what_waits_on_phones(app, coordinator, volunteer_name):
    now = utcnow()
    add_device(app, volunteer_name, "HP Ani", last_seen_at=now, pending_count=4, needs_fix_count=1)
    add_device(
        app, volunteer_name, "HP Sepi", last_seen_at=now - timedelta(days=3), pending_count=6
    )
    add_device(app, volunteer_name, "HP Baru", last_seen_at=None, pending_count=2)
    add_device(app, volunteer_name, "HP Kosong", last_seen_at=now - timedelta(days=9))
    add_device(app, volunteer_name, "HP Dicabut", pending_count=50, revoked_at=now)

    html = page(coordinator)
    field = re.search(r'<section id="field".*?</section>', html, re.S).group(0)
    stats = dict(re.findall(r'data-field="(\w+)">.*?class="dash-stat-value">([^<]+)<', field))
    assert stats == {"waiting": "12", "needs_fix": "1", "silent": "2"}
    assert "HP Dicabut" not in field and "HP Kosong" not in field
    assert field.count("data-silent") == 2
    assert 'href="/review/field"' in field
    assert 'id="chart-field"' in field and "diam" in field

    _, rows = download(coordinator, "field")
    assert rows[0] == [
        "Relawan",
        "Perangkat",
        "Terakhir terlihat",
        "Menunggu",
        "Perlu diperbaiki",
        "Diam",
    ]
    by_label = {r[1]: r for r in rows[1:]}
    assert set(by_label) == {"HP Ani", "HP Sepi", "HP Baru"}
    assert by_label["HP Sepi"][3:] == ["6", "0", "ya"]
    assert by_label["HP Baru"][2] == "" and by_label["HP Baru"][5] == "ya"
    assert by_label["HP Ani"][2].endswith("+07:00") and by_label["HP Ani"][5] == "tidak"


# Years ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["abc", "20266", "1999", "-1", "2026.5"])
def test_a_year_that_is_not_one_gets_a_message_not_an_error(coordinator, bad):
    response = coordinator.get(f"/dashboard?year={bad}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "tidak dikenal" in html and "data-problem" in html
    assert 'id="progress"' in html  # the current year is shown instead
    response = coordinator.get(f"/dashboard/progress.csv?year={bad}")
    assert response.status_code == 400
    assert "tidak dikenal" in response.get_data(as_text=True)


def test_years_offered_and_a_year_without_targets(coordinator):
    html = page(coordinator, "?year=2024")
    assert "Belum ada target untuk tahun 2024" in html
    years = re.findall(r'<option value="(\d+)"( selected)?>', html)
    assert ("2024", " selected") in years
    assert ("2026", "") in years  # the year with targets (and today's, as it happens)
    assert str(today_in_semarang().year) in {y for y, _ in years}


def test_an_unknown_section_is_not_found(coordinator):
    assert coordinator.get("/dashboard/nik.csv").status_code == 404
    assert coordinator.get("/dashboard/progress.xlsx").status_code == 404


# Privacy and page rules ----------------------------------------------------------------


def test_no_personal_data_on_the_page_or_in_any_csv(
    app, coordinator, make_registration, volunteer_name
):
    registration = make_registration(volunteer_name, received_at=IN_2026)
    set_columns(app, registration, **enrolled())
    add_device(app, volunteer_name, "HP Ani", last_seen_at=utcnow(), pending_count=1)
    with app.app_context():
        r = db.session.get(Registration, registration)
        secrets_of_the_worker = [
            r.nik,
            r.phone,
            r.phone[3:],
            r.heir_phone,
            r.heir_name,
            r.full_name,
            r.address,
            r.kpj_number,
        ]
    assert NIK in secrets_of_the_worker
    texts = [page(coordinator)]
    texts += ["\n".join(",".join(row) for row in download(coordinator, s)[1]) for s in SECTIONS]
    for text in texts:
        for secret in secrets_of_the_worker:
            assert secret not in text


def test_the_page_has_no_inline_styles_and_links_its_stylesheet(coordinator):
    response = coordinator.get(f"/dashboard?year={YEAR}")
    html = response.get_data(as_text=True)
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert ' style="' not in html and "<style" not in html
    assert '<link rel="stylesheet" href="/static/css/dashboard.css">' in html
    assert html.count('role="img"') == html.count("<svg")
    for name in SECTIONS:
        assert f'href="/dashboard/{name}.csv?year=2026"' in html


def test_the_page_renders_in_english_too(coordinator, make_registration, volunteer_name):
    make_registration(volunteer_name, received_at=IN_2026)
    coordinator.set_cookie("lang", "en")
    html = page(coordinator)
    assert '<html lang="en">' in html
    # Month names under the weekly charts follow the language.
    assert ">May</text>" in html and ">Mei</text>" not in html
    coordinator.set_cookie("lang", "id")
    assert ">Mei</text>" in page(coordinator)
