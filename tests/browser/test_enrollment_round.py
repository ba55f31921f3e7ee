"""A coordinator's enrollment round in Chromium: from approved registrations to KPJ numbers.

Three registrations arrive from a volunteer's device (through the sync API). At a desktop
the coordinator approves them (each gets APBD), makes an APBD batch (counting first),
downloads it as XLSX and as CSV, and uploads the KPJ numbers BPJS Ketenagakerjaan sent
back for two of them, built from the downloaded NIKs; a file with the wrong column
headings is refused and changes nothing. The dashboard then shows the progress, on the
desktop and on a phone.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Browser, Download, Page, Playwright, Response, expect
from test_review_flow import AGUS, BAMBANG, COORDINATOR, DESKTOP, JOKO, PHONE, create_coordinator

from tests.conftest import valid_registration
from webapp.clock import today_in_semarang

pytestmark = pytest.mark.browser

YEAR = today_in_semarang().year
VOLUNTEER = ("relawan1", "Relawan-2026!")  # seeded with the test database (conftest.py)
WORKERS = (AGUS, BAMBANG, JOKO)  # (name, NIK): Semarang Tengah, born 12-05-1990, male
KPJ_NUMBERS = ("26110000001", "26110000002")
COVER_STARTS = f"01-12-{YEAR}"

# The enrollment file's columns, in order (docs/bpjs-export.md).
EXPORT_HEADER = (
    "NIK",
    "NAMA_LENGKAP",
    "TGL_LAHIR",
    "JENIS_KELAMIN",
    "ALAMAT",
    "KELURAHAN",
    "KECAMATAN",
    "KOTA",
    "NO_HP",
    "PEKERJAAN",
    "LOKASI_KERJA",
    "PENGHASILAN",
    "NAMA_AHLI_WARIS",
    "HUBUNGAN_AHLI_WARIS",
    "NO_HP_AHLI_WARIS",
    "PROGRAM",
    "IURAN_PER_BULAN",
    "SUMBER_DANA",
    "PERIODE_AWAL",
    "PERIODE_AKHIR",
    "NO_REFERENSI",
    "NO_KPJ",
    "TGL_KEPESERTAAN",
)

# The one request meant to be refused (a KPJ file without its columns) answers 422,
# which Chromium logs as a failed resource load.
REFUSED_KPJ_FILE = (
    r"^console: Failed to load resource: the server responded with a status of 422"
    r".*/enrollment/kpj\)$",
)


# --- the field -------------------------------------------------------------------------------


def registration_item(name: str, nik: str) -> dict[str, Any]:
    """One record as the volunteer app sends it: a fisher at TPI Tambak Lorok."""
    return {
        "client_id": str(uuid.uuid4()),
        "form_version": 1,
        "captured_at": datetime.now(UTC).isoformat(),
        "payload": valid_registration(nik=nik, full_name=name),
    }


def device_sends_three(playwright: Playwright, live_server: Any) -> None:
    """The volunteer's device gets a token and syncs the three workers."""
    api = playwright.request.new_context(base_url=live_server.url)
    try:
        username, password = VOLUNTEER
        device = api.post("/api/v1/devices", data={"username": username, "password": password})
        assert device.status == 201, device.text()
        sync = api.post(
            "/api/v1/sync",
            data={
                "device": {"app_version": "test"},
                "cursor": None,
                "items": [registration_item(name, nik) for name, nik in WORKERS],
            },
            headers={"Authorization": f"Bearer {device.json()['token']}"},
        )
        assert sync.status == 200, sync.text()
        assert [r["status"] for r in sync.json()["results"]] == ["accepted"] * 3
    finally:
        api.dispose()
    rows = live_server.query("SELECT nik, status FROM registrations ORDER BY id")
    assert rows == [(nik, "submitted") for _name, nik in WORKERS]


# --- the coordinator's desk ------------------------------------------------------------------


def submit(page: Page, button) -> Response:
    """Click a form's submit button; the server's answer, once its page has loaded."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response


def approve_all(desk: Page, live_server: Any) -> None:
    """Bulk approval on /review: all three, none flagged; approval pays them from APBD."""
    desk.goto(live_server.url + "/review")
    expect(desk.locator("#results tbody tr[data-registration]")).to_have_count(3)
    for (reference,) in live_server.query("SELECT reference FROM registrations"):
        desk.get_by_label(f"Pilih {reference}", exact=True).check()
    submit(desk, desk.get_by_role("button", name="Setujui yang dipilih (tanpa tanda)"))
    expect(desk.locator(".notice-success[role=status]")).to_contain_text("3 disetujui, 0 dilewati")
    assert (
        live_server.query("SELECT status, funding_source_code, funding_year FROM registrations")
        == [("approved", "APBD", YEAR)] * 3
    )


def batch_label(live_server: Any) -> str:
    """The one batch's label, as the app shows it (B-year-id)."""
    ((year, batch_id),) = live_server.query("SELECT year, id FROM enrollment_batches")
    return f"B-{year}-{batch_id:04d}"


def make_apbd_batch(desk: Page, live_server: Any) -> str:
    """From the APBD row on /enrollment, count first, then make the batch; its URL."""
    desk.goto(live_server.url + "/enrollment")
    apbd = desk.locator("table[data-quotas] tr[data-source=APBD]")
    expect(apbd.locator("[data-ready]")).to_have_text("3")
    expect(apbd.locator("[data-allocated]")).to_have_text("3")
    apbd.get_by_role("link", name="Buat batch", exact=True).click()
    desk.wait_for_url(re.compile(r"/enrollment/batches/new\?.*funding_source_code=APBD"))
    expect(desk.get_by_label("Sumber dana")).to_have_value("APBD")
    expect(desk.get_by_label("Tahun anggaran")).to_have_value(str(YEAR))

    submit(desk, desk.get_by_role("button", name="Hitung dulu"))
    matching = desk.locator("[data-matching]")
    expect(matching).to_have_attribute("data-matching", "3")
    expect(matching).to_have_text("3 pendaftaran akan masuk batch ini.")
    assert live_server.scalar("SELECT count(*) FROM enrollment_batches") == 0  # only counted

    submit(desk, desk.get_by_role("button", name="Buat batch", exact=True))
    desk.wait_for_url(re.compile(r"/enrollment/batches/\d+$"))
    label = batch_label(live_server)
    expect(desk.locator(".notice-success[role=status]")).to_contain_text(
        f"Batch {label} dibuat dengan 3 pendaftaran."
    )
    expect(desk.locator("h1")).to_have_text(f"Batch {label}")
    expect(desk.locator("[data-batch-status]")).to_have_attribute("data-batch-status", "ready")
    expect(desk.locator("[data-rows]")).to_have_text("3")
    expect(desk.locator("table[data-batch-rows] tbody tr")).to_have_count(3)
    expect(desk.locator("[data-count=exported] .count")).to_have_text("3")
    for name, _nik in WORKERS:
        expect(desk.locator("table[data-batch-rows]")).to_contain_text(name)
    assert live_server.query("SELECT DISTINCT status FROM registrations") == [("exported",)]
    return desk.url


def download(desk: Page, link_selector: str, folder: Path) -> Path:
    with desk.expect_download() as info:
        desk.locator(link_selector).click()
    got: Download = info.value
    assert got.failure() is None
    target = folder / got.suggested_filename
    got.save_as(target)
    return target


def as_text(value: Any) -> str:
    """An XLSX cell as the CSV writes it: amounts are whole rupiah."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def download_both(desk: Page, live_server: Any, folder: Path) -> list[str]:
    """The XLSX and the CSV of the batch: the same header and rows; the NIKs in order."""
    label = desk.locator("h1").inner_text().removeprefix("Batch ")
    xlsx_path = download(desk, "a[data-download=xlsx]", folder)
    csv_path = download(desk, "a[data-download=csv]", folder)
    assert xlsx_path.name == f"pijar-semar-{label}-APBD.xlsx"
    assert csv_path.name == f"pijar-semar-{label}-APBD.csv"
    downloads = "SELECT count(*) FROM audit_events WHERE action = 'batch.download'"
    assert live_server.scalar(downloads) == 2  # every download is recorded

    workbook = openpyxl.load_workbook(xlsx_path)
    assert workbook.sheetnames[0] == "PESERTA"
    sheet = workbook["PESERTA"]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header == EXPORT_HEADER
    niks = [row[0] for row in body]
    assert niks == [nik for _name, nik in WORKERS]  # in the order they were received
    for cell in sheet["A"][1:]:
        assert cell.data_type == "s", f"NIK {cell.coordinate} is not a text cell"
        assert re.fullmatch(r"[0-9]{16}", cell.value)
        assert cell.number_format == "@"
    assert {row[header.index("SUMBER_DANA")] for row in body} == {"APBD"}
    assert [row[header.index("NAMA_LENGKAP")] for row in body] == [n for n, _nik in WORKERS]
    references = [
        r for (r,) in live_server.query("SELECT reference FROM registrations ORDER BY id")
    ]
    assert [row[header.index("NO_REFERENSI")] for row in body] == references

    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM, for Excel
    assert b"\r\n" in raw
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert tuple(lines[0]) == EXPORT_HEADER
    assert lines[1:] == [[as_text(value) for value in row] for row in body]
    return niks


def kpj_csv(lines: list[tuple[str, str]], header: str = "NIK,NO_KPJ,TGL_KEPESERTAAN") -> bytes:
    return (
        header + "\r\n" + "".join(f"{nik},{kpj},{COVER_STARTS}\r\n" for nik, kpj in lines)
    ).encode()


def upload_kpj(desk: Page, base: str, name: str, content: bytes) -> int:
    """Through the form on /enrollment/kpj; the HTTP status of the answer."""
    desk.goto(base + "/enrollment/kpj")
    desk.get_by_label("Berkas nomor KPJ (.xlsx atau .csv)").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    return submit(desk, desk.get_by_role("button", name="Unggah dan catat")).status


def enrollment_state(live_server: Any) -> list[tuple]:
    return live_server.query(
        "SELECT r.nik, r.status, r.kpj_number, r.coverage_starts_on, b.status "
        "FROM registrations r JOIN enrollment_batches b ON b.id = r.batch_id ORDER BY r.id"
    )


def record_kpj_numbers(desk: Page, live_server: Any, batch_url: str, niks: list[str]) -> None:
    """BPJS answered for two of the three: recorded; the batch is now sent."""
    base = live_server.url
    label = batch_label(live_server)
    good = kpj_csv(list(zip(niks[:2], KPJ_NUMBERS, strict=True)))
    assert upload_kpj(desk, base, "kpj-bpjs.csv", good) == 200
    summary = desk.locator("[data-kpj-summary]")
    expect(summary).to_contain_text("Berkas kpj-bpjs.csv diproses.")
    expect(summary).to_contain_text("Tercatat sekarang: 2")
    expect(summary).to_contain_text("Bermasalah, tidak dicatat: 0")
    expect(summary).to_contain_text(f"Batch {label} kini ditandai terkirim ke BPJS")
    expect(desk.locator("[data-kpj-error]")).to_have_count(0)
    expect(desk.locator("table[data-kpj-problems]")).to_have_count(0)

    desk.goto(batch_url)
    status = desk.locator("[data-batch-status]")
    expect(status).to_have_attribute("data-batch-status", "sent")
    expect(status).to_have_text("Terkirim ke BPJS")
    expect(desk.locator("[data-count=enrolled] .count")).to_have_text("2")
    expect(desk.locator("[data-count=exported] .count")).to_have_text("1")
    for kpj in KPJ_NUMBERS:
        expect(desk.locator("table[data-batch-rows]")).to_contain_text(kpj)
    cover = f"{YEAR}-12-01"
    assert enrollment_state(live_server) == [
        (niks[0], "enrolled", KPJ_NUMBERS[0], cover, "sent"),
        (niks[1], "enrolled", KPJ_NUMBERS[1], cover, "sent"),
        (niks[2], "exported", None, None, "sent"),
    ]

    # The third worker's number, under headings that are not the KPJ file's: refused whole.
    before = enrollment_state(live_server)
    imports = "SELECT count(*) FROM audit_events WHERE action = 'kpj.import'"
    imports_before = live_server.scalar(imports)
    broken = kpj_csv([(niks[2], "26110000003")], header="NIK,NOMOR,TANGGAL")
    assert upload_kpj(desk, base, "kpj-salah.csv", broken) == 422
    error = desk.locator("[data-kpj-error]")
    expect(error).to_have_attribute("role", "alert")
    expect(error).to_have_text(
        "Kolom yang diperlukan tidak ada: NO_KPJ, TGL_KEPESERTAAN. "
        "Kolom yang ditemukan di baris 1: NIK, NOMOR, TANGGAL."
    )
    expect(desk.locator("[data-kpj-summary]")).to_have_count(0)
    assert enrollment_state(live_server) == before
    assert live_server.scalar(imports) == imports_before


# --- the dashboard ----------------------------------------------------------------------------


def dashboard_on_desktop(desk: Page, base: str, folder: Path) -> None:
    desk.goto(base + "/dashboard")
    expect(desk.locator("h1")).to_have_text(f"Dasbor program {YEAR}")
    progress = desk.locator("#progress")
    expect(progress.locator("[data-source=APBD] .dash-stat-value")).to_have_text("2 / 7.500")
    expect(progress.locator("[data-source=total] .dash-stat-value")).to_have_text("2 / 8.500")
    expect(progress.locator("[data-source=APBD] .dash-stat-sub")).to_contain_text("1 dalam proses")

    # Every chart is an SVG read as an image, with its title as its name.
    charts = desk.locator("svg.chart")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 3
    for i in range(charts.count()):
        chart = charts.nth(i)
        expect(chart).to_have_attribute("role", "img")
        expect(chart).to_be_visible()
        expect(chart).not_to_have_accessible_name("")
    for figure in ("progress", "pipeline", "weekly"):
        expect(desk.locator(f"#fig-{figure}").get_by_role("img").first).to_be_visible()

    # The progress table as CSV.
    with desk.expect_download() as info:
        desk.locator("#fig-progress .dash-download a").click()
    got = info.value
    assert got.suggested_filename == f"pijar-semar-dasbor-progress-{YEAR}.csv"
    path = folder / got.suggested_filename
    got.save_as(path)
    table = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    progress = {row["Nama"]: row for row in table}
    apbd, total = progress["APBD Kota Semarang"], progress["Total"]
    assert (apbd["Target"], apbd["Terdaftar di BPJS"], apbd["Dalam proses"]) == ("7500", "2", "1")
    assert (total["Target"], total["Terdaftar di BPJS"]) == ("8500", "2")


def dashboard_on_phone(phone: Page, base: str) -> None:
    phone.goto(base + "/dashboard")
    total = phone.locator("#progress [data-source=total]")
    expect(total.locator(".dash-stat-value")).to_have_text("2 / 8.500")
    expect(total.locator(".dash-stat-value")).to_be_in_viewport()
    expect(phone.locator("#progress [data-source=APBD] .dash-stat-value")).to_be_visible()
    expect(phone.locator("#fig-progress").get_by_role("img")).to_be_visible()
    widths = phone.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert widths["client"] == 412
    assert widths["scroll"] <= widths["client"] + 1, f"the page scrolls sideways: {widths}"


# --- the test ---------------------------------------------------------------------------------


def test_enrollment_round_from_approval_to_kpj_and_the_dashboard(
    browser: Browser, playwright: Playwright, live_server, login, browser_errors, tmp_path
):
    create_coordinator(live_server)
    device_sends_three(playwright, live_server)
    downloads = tmp_path / "downloads"
    downloads.mkdir()

    desk_context = browser.new_context(**DESKTOP, accept_downloads=True)
    browser_errors.watch(desk_context)
    try:
        desk = desk_context.new_page()
        login(desk, live_server.url, *COORDINATOR)
        approve_all(desk, live_server)
        batch_url = make_apbd_batch(desk, live_server)
        niks = download_both(desk, live_server, downloads)
        record_kpj_numbers(desk, live_server, batch_url, niks)
        dashboard_on_desktop(desk, live_server.url, downloads)
    finally:
        desk_context.close()

    phone_context = browser.new_context(**playwright.devices["Pixel 7"], **PHONE)
    browser_errors.watch(phone_context)
    try:
        phone = phone_context.new_page()
        login(phone, live_server.url, *COORDINATOR)
        dashboard_on_phone(phone, live_server.url)
    finally:
        phone_context.close()

    browser_errors.assert_none(allow=REFUSED_KPJ_FILE)
