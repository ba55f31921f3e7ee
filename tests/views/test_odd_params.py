"""Odd values in a page's address, query string or form never answer 5xx.

Every route of the app is walked as a role allowed to use it (public routes anonymously,
the volunteer's as a volunteer and as an admin, the rest as an admin), with odd values in
each place it reads one: ids out of range (0, 2**31, 2**63, 10**20), other scripts'
digits, NUL, very long text, unusual unicode, impossible dates, forged cursors. Which
names a route reads is not listed by hand: a first, valid request to the route records
every query and form name its view asks for (``RecordingRequest``), and each of those
names is then tried with each odd value while the others stay valid. Any answer but a
5xx is fine: a 4xx with the error page, the page with a message, a redirect.

``walk`` is shared with bench/fuzz_pages.py, which sends every case (thousands of
requests); the test sends a deterministic sample to stay quick: every odd path, and per
name a window of the odd values that moves along the list from one name to the next.
The JSON API (/api/) is the sync API's own tests' business.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from flask import Flask, Request
from flask import request as current_request
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing.converters import NumberConverter

from tests.conftest import PASSWORD, csrf_token, login, user_id, valid_registration
from tests.views.test_route_matrix import WHO
from webapp.clock import today_in_semarang
from webapp.domain.devices import issue_device
from webapp.domain.parsing import parse_date, parse_row_id
from webapp.extensions import db
from webapp.lifecycle import RegistrationStatus
from webapp.models import (
    BatchStatus,
    Device,
    Drive,
    EnrollmentBatch,
    FundingTarget,
    ProgrammeSetting,
    Registration,
    User,
)

# In place of an <int:...> id.
ODD_IDS = ("0", str(2**31), str(2**63), str(10**20), str(10**30), "1" * 5000, "²", "١٢")
# In place of any other part of a path (%00 is NUL).
ODD_SEGMENTS = ("²", "x" * 500, "%00", "\u202e")
# In place of a query or form value.
ODD_VALUES = (
    "²",
    "²026",
    "١٢",  # Arabic-Indic digits: Python's int() reads them, a regex's \d matches them
    "1" * 20,
    str(2**31),  # one more than a PostgreSQL INTEGER holds
    "9" * 15,
    "-1",
    "1e309",
    "0001-01-01",
    "9999-12-31",
    "31-12-9999",
    "\x00",
    "a\x00b",
    "\u202e",
    "\ufeff",
    "ａ",
    "\r\n",
    "x" * 100_000,
    "",
)


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _json_cursor(key: object, row_id: object) -> str:
    return _cursor(json.dumps([key, row_id]))


LINKS_ELSEWHERE = (
    "//example.com/",
    "/\\example.com",
    "https://example.com/",
    "/\r\nSet-Cookie: x=1",
    "/" + "x" * 5000,
)
# Odd values only some names meet; a dict sets several names at once.
MORE_VALUES: dict[str, tuple[str | dict[str, str], ...]] = {
    "after": (
        # the review queue's cursors: base64 of [sort key, id]
        _json_cursor("0001-01-01T00:00:00+14:00", 1),
        _json_cursor("9999-12-31T23:59:59+00:00", 1),
        _json_cursor("2026-01-01T00:00:00", 1),  # no time zone
        _json_cursor("2026-01-01T00:00:00+00:00", 10**20),
        _json_cursor("2026-01-01T00:00:00+00:00", 2**31),
        _cursor('["2026-01-01T00:00:00+00:00", Infinity]'),
        _cursor('["2026-01-01T00:00:00+00:00", 1.5]'),
        {"sort": "name", "after": _json_cursor(["budi"], 1)},
        {"sort": "name", "after": _json_cursor(10**20, 1)},
        {"sort": "name", "after": _json_cursor("budi\x00", 1)},
        {"sort": "name", "after": _json_cursor("budi", True)},
        {"sort": "oldest", "after": _json_cursor("2026-01-01T00:00:00+00:00", -1)},
        # the audit log's cursors: microseconds since 1970, then the id
        "9" * 20 + "-" + "9" * 20,
        "0-" + "9" * 20,
        "253402300799999999-1",
        "1-" + str(2**31),
    ),
    "next": LINKS_ELSEWHERE,
    "back": LINKS_ELSEWHERE,
}
ROLES_BY_WHO = {
    "public": ("anonymous",),
    "volunteer": ("volunteer", "admin"),
    "coordinator": ("admin",),
    "admin": ("admin",),
}
NOT_NAMES = {"csrf_token"}  # a wrong token is the CSRF tests' business


# ---------------------------------------------------------------------------
# Which names a view reads


class _RecordingDict(ImmutableMultiDict):
    """Query or form values that note each name a view asks for."""

    def _note(self, key: object) -> None:
        where = "query" if current_request.__dict__.get("args") is self else "form"
        NAMES_READ.add((where, str(key)))

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def getlist(self, key, type=None):
        self._note(key)
        return super().getlist(key, type)

    def __contains__(self, key) -> bool:
        self._note(key)
        return super().__contains__(key)


NAMES_READ: set[tuple[str, str]] = set()


class RecordingRequest(Request):
    parameter_storage_class = _RecordingDict


# ---------------------------------------------------------------------------
# What a valid request to each route looks like


@dataclass(frozen=True)
class Known:
    """Rows a valid request can point at, and a valid form for each route that takes one."""

    path_values: dict[str, str]  # URL argument -> a value that finds a row
    forms: dict[str, dict[str, str]]  # endpoint -> a valid form
    more_values: dict[str, tuple[str | dict[str, str], ...]] = field(default_factory=dict)


def find_known(app: Flask, *, volunteer: str, password: str) -> Known:
    """What a valid request may name in a seeded database, ``volunteer`` being the walker."""
    with app.app_context():
        walker = db.session.scalar(select(User).filter_by(username=volunteer))

        def first(query, default: object = 0) -> str:
            found = db.session.scalar(query.limit(1))
            return str(default if found is None else found)

        by_others = select(Registration).where(Registration.collected_by_id != walker.id)
        registration = db.session.scalar(by_others.order_by(Registration.id).limit(1))
        other = first(
            select(Registration.id).where(Registration.id != registration.id).order_by("id")
        )
        spare_user = first(
            select(User.id)
            .where(User.role == "volunteer", User.id != walker.id)
            .order_by(User.id.desc())
        )
        settings = {s.key: str(s.value) for s in db.session.scalars(select(ProgrammeSetting))}
        targets = {
            f"target-{t.id}": str(t.workers) for t in db.session.scalars(select(FundingTarget))
        }
        path_values = {
            "registration_id": str(registration.id),
            "batch_id": first(select(EnrollmentBatch.id).order_by(EnrollmentBatch.id)),
            "drive_id": first(select(Drive.id).order_by(Drive.id)),
            "device_id": first(select(Device.id).order_by(Device.id)),
            "user_id": spare_user,
            "reference": first(
                select(Registration.reference).where(Registration.collected_by_id == walker.id),
                "PS-0000-0000",
            ),
            "section": "progress",
            "fmt": "csv",
            "filename": "css/app.css",
        }
        version = str(registration.version)
        foreign_client_id = registration.client_id
        db.session.remove()
    year = str(today_in_semarang().year)
    forms = {
        "auth.login": {"username": volunteer, "password": "bukan-sandinya"},
        # The new password is refused, so that the walk never changes it.
        "auth.change_password": {
            "current_password": password,
            "new_password": "pendek",
            "confirm_password": "pendek",
        },
        "auth.language": {"lang": "en", "next": "/app"},
        "field.register": valid_registration(),
        "review.approve_selected": {"selected": str(registration.id), "back": "/review"},
        "review.decide_one": {
            "action": "reject",
            "reason": "other",
            "note": "uji",
            "version": version,
        },
        "review.resolve_duplicate": {"other": other, "keep": "this", "version": version},
        "review.not_duplicate": {"note": "bukan ganda", "version": version},
        "enrollment.allocate_chosen": {
            "registration_id": str(registration.id),
            "funding_source_code": "APBD",
            "reason": "",
        },
        "enrollment.change_funding": {
            "funding_source_code": "APBD",
            "reason": "",
            "version": version,
        },
        "enrollment.create": {
            "funding_source_code": "APBD",
            "year": year,
            "start_month": "1",
            "end_month": "12",
            "action": "check",
        },
        "enrollment.cancel": {"reason": "salah sumber dana"},
        "admin.create_drive": {
            "name": "Jemput bola Tambak Lorok",
            "place": "Balai RW 13",
            "kelurahan_code": "33.74.02.1008",
            "funding_source_code": "",
            "starts_on": f"{year}-11-01",
            "ends_on": f"{year}-11-30",
        },
        "admin.save_settings": settings,
        "admin.save_targets": targets,
        "admin.add_target": {"year": "2031", "funding_source_code": "APBD", "workers": "100"},
        "admin.add_sponsor": {"code": "CSR-UJI", "name": "Sponsor Uji"},
        "admin.create_account": {
            "username": "akun.uji",
            "full_name": "Akun Uji",
            "role": "volunteer",
        },
    }
    # Another volunteer's form id: sending it again must not fail.
    return Known(path_values, forms, {"client_id": (foreign_client_id,)})


# ---------------------------------------------------------------------------
# The walk


@dataclass(frozen=True)
class OddRequest:
    role: str
    method: str
    path: str
    query: Mapping[str, str]
    form: Mapping[str, str]
    what: str  # what is odd in it, for the report

    def describe(self) -> str:
        return f"{self.role} {self.method} {self.path[:80]} {self.what}"


@dataclass
class Answer:
    request: OddRequest
    status: int
    error: str = ""  # an exception raised while sending (counted as a 5xx)


ARGUMENT = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>")


def _shown(value: str | Mapping[str, str]) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}...({len(text)} chars)"


def _path(rule: str, values: Mapping[str, str]) -> str:
    return ARGUMENT.sub(lambda m: values[m.group(1)], rule)


def _roles(rule: str, method: str) -> tuple[str, ...]:
    if rule.startswith("/static/"):
        return ("anonymous",)
    return ROLES_BY_WHO.get(WHO.get((rule, method), "admin"), ())


def html_routes(app: Flask) -> list[tuple[str, str, str, dict[str, bool]]]:
    """(rule, endpoint, method, {argument: takes a number}) of every route but the API's."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            continue
        numeric = {
            name: isinstance(converter, NumberConverter)
            for name, converter in rule._converters.items()
        }
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, rule.endpoint, method, numeric))
    return sorted(found)


def walk(
    app: Flask,
    send: Callable[[OddRequest], Answer],
    known: Known,
    *,
    per_name: int | None = None,
) -> Iterator[Answer]:
    """Send the odd requests and yield their answers, route by route in a fixed order.

    ``per_name``: how many odd values each name gets (a window moving along the list
    from one name to the next), or None for all of them.
    """
    app.request_class = RecordingRequest
    turn = 0
    for rule, endpoint, method, numeric in html_routes(app):
        for role in _roles(rule, method):
            path = _path(rule, known.path_values)
            form = dict(known.forms.get(endpoint, {})) if method == "POST" else {}
            NAMES_READ.clear()
            yield send(OddRequest(role, method, path, {}, form, "(valid)"))
            names = set(NAMES_READ) | {("form", name) for name in form}
            for argument, is_number in numeric.items():
                for value in ODD_IDS if is_number else ODD_SEGMENTS:
                    odd_path = _path(rule, {**known.path_values, argument: value})
                    what = f"path {argument}={_shown(value)}"
                    yield send(OddRequest(role, method, odd_path, {}, form, what))
            for where, name in sorted(
                names - {(w, n) for w in ("query", "form") for n in NOT_NAMES}
            ):
                if where == "form" and method != "POST":
                    continue
                values = (*ODD_VALUES, *MORE_VALUES.get(name, ()), *known.more_values.get(name, ()))
                if per_name is not None:
                    start = turn * per_name
                    values = tuple(values[(start + i) % len(values)] for i in range(per_name))
                    turn += 1
                for value in values:
                    changes = value if isinstance(value, dict) else {name: value}
                    query = changes if where == "query" else {}
                    sent = {**form, **changes} if where == "form" else form
                    what = f"{where} {name}={_shown(value)}"
                    yield send(OddRequest(role, method, path, query, sent, what))


def sender(clients: Mapping[str, FlaskClient], tokens: Mapping[str, str]):
    """A function sending an OddRequest with the client of its role."""

    def send(odd: OddRequest) -> Answer:
        client = clients[odd.role]
        url = odd.path + ("?" + urlencode(odd.query) if odd.query else "")
        data = {**odd.form, "csrf_token": tokens[odd.role]} if odd.method == "POST" else None
        try:
            with client.open(url, method=odd.method, data=data) as response:
                response.get_data()  # a streamed body runs its code now
        except Exception as error:  # reported with the request that raised it
            return Answer(odd, 599, f"{type(error).__name__}: {error}"[:300])
        return Answer(odd, response.status_code)

    return send


def failures(answers: list[Answer]) -> list[str]:
    return [
        f"{a.status} {a.request.describe()} {a.error}".rstrip() for a in answers if a.status >= 500
    ]


# ---------------------------------------------------------------------------
# The test


@pytest.fixture
def walkers(app: Flask, make_user, make_registration) -> tuple[dict[str, FlaskClient], Known]:
    """A little data (registrations, a batch, a drive, a phone) and a client per role."""
    app.config["LOGIN_RATE_LIMIT"] = "100000 per minute"  # the walk logs in many times
    collector = make_user("volunteer", full_name="Sri Relawan")
    walker = make_user("volunteer", full_name="Ani Relawan")
    admin = make_user("admin", full_name="Admin Dinas")
    make_user("volunteer", full_name="Akun Cadangan")  # deactivated and reset by the walk
    make_registration(collector, flags=["possible_duplicate"])
    make_registration(collector, nik="3374011205900020")
    make_registration(walker, full_name="Sari Wulandari", nik="3374015506920004")
    approved = make_registration(collector, status="approved", nik="3374011205900038")
    with app.app_context():
        today = today_in_semarang()
        found = db.session.get(Registration, approved)
        found.funding_source_code, found.funding_year = "APBD", today.year
        batch = EnrollmentBatch(
            funding_source_code="APBD",
            year=today.year,
            period_start=today.replace(month=1, day=1),
            period_end=today.replace(month=12, day=31),
            status=BatchStatus.READY,
            row_count=1,
            filters={},
            created_by_id=user_id(app, admin),
        )
        db.session.add(batch)
        db.session.flush()
        found.batch_id, found.status = batch.id, RegistrationStatus.EXPORTED
        db.session.add(
            Drive(
                name="Pasar Johar",
                place="Balai Kelurahan",
                kelurahan_code="33.74.02.1008",
                starts_on=today,
                ends_on=today + timedelta(days=7),
                created_by_id=user_id(app, admin),
            )
        )
        owner = db.session.scalar(select(User).filter_by(username=walker))
        issue_device(owner, "HP Ani", lifetime=timedelta(days=90))
        db.session.commit()
    clients = {role: app.test_client() for role in ("anonymous", "volunteer", "admin")}
    login(clients["volunteer"], walker)
    login(clients["admin"], admin)
    return clients, find_known(app, volunteer=walker, password=PASSWORD)


def test_no_odd_value_gets_a_server_error(app, walkers):
    clients, known = walkers
    tokens = {
        role: csrf_token(client, "/login" if role == "anonymous" else "/account/password")
        for role, client in clients.items()
    }
    answers = list(walk(app, sender(clients, tokens), known, per_name=2))
    assert len(answers) > 400
    assert failures(answers) == []


# ---------------------------------------------------------------------------
# What a person sees instead


def page_text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        f"/review/{2**31}",
        f"/review/{10**20}",
        f"/enrollment/batches/{2**63}",
        f"/enrollment/batches/{10**30}/export.csv",
        "/review/١",  # an Arabic-Indic one
        "/review/0",
    ],
)
def test_an_id_no_row_can_have_is_not_found(coordinator, path):
    response = coordinator.get(path)
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in page_text(response)


def test_nul_gets_the_error_page_saying_so(app, client, coordinator, make_user):
    volunteer = make_user("volunteer")
    form = {
        "username": volunteer + "\x00",
        "password": "x",
        "csrf_token": csrf_token(client, "/login"),
    }
    answers = [
        client.post("/login", data=form),
        coordinator.get("/review?q=budi%00"),
        coordinator.get("/app/receipt/PS-%00"),
        coordinator.get("/admin/audit?actor=%00"),
    ]
    for response in answers:
        assert response.status_code == 400
        assert "karakter NUL" in page_text(response)


def test_nul_in_the_registration_form_is_shown_by_its_field(client, volunteer):
    form = valid_registration(full_name="Budi\x00Santoso")
    response = client.post(
        "/app/register", data={**form, "csrf_token": csrf_token(client, "/app/register")}
    )
    assert response.status_code == 422
    text = page_text(response)
    assert 'id="full_name-error"' in text
    assert "TPI Tambak Lorok" in text  # what was typed is still there


def test_another_volunteers_form_id_keeps_what_was_typed(
    app, client, volunteer, make_user, make_registration
):
    other = make_registration(make_user("volunteer"), nik="3374011205900020")
    with app.app_context():
        taken = db.session.get(Registration, other).client_id
    form = valid_registration(full_name="Sari Wulandari", nik="3374015506920004")
    token = csrf_token(client, "/app/register")
    response = client.post("/app/register", data={**form, "client_id": taken, "csrf_token": token})
    assert response.status_code == 422
    text = page_text(response)
    assert "sudah pernah dikirim dari akun lain" in text
    assert "Sari Wulandari" in text
    new_id = re.search(r'name="client_id" value="([^"]+)"', text).group(1)
    assert new_id != taken and uuid.UUID(new_id)
    again = client.post("/app/register", data={**form, "client_id": new_id, "csrf_token": token})
    assert again.status_code == 303  # stored, under this volunteer's name
    with app.app_context():
        mine = db.session.scalar(select(Registration).filter_by(client_id=new_id))
        assert mine.collected_by.username == volunteer
        assert db.session.get(Registration, other).full_name == "Budi Santoso"


def test_queue_dates_no_page_accepts_are_ignored(coordinator, volunteer_name, make_registration):
    make_registration(volunteer_name)
    response = coordinator.get("/review?from=0001-01-01&to=9999-12-31")
    assert response.status_code == 200
    assert "Budi Santoso" in page_text(response)


def test_the_audit_log_refuses_dates_and_cursors_out_of_range(app, make_user):
    admin = app.test_client()
    login(admin, make_user("admin"))
    response = admin.get("/admin/audit?from=0001-01-01&to=31-12-9999")
    assert response.status_code == 422
    assert "Tanggal tidak valid" in page_text(response)
    assert admin.get(f"/admin/audit?after=1-{2**31}").status_code == 400
    assert admin.get(f"/admin/audit?after={'9' * 20}-1").status_code == 400


@pytest.mark.parametrize(
    "cursor",
    [
        _json_cursor("0001-01-01T00:00:00+14:00", 1),
        _json_cursor("2026-01-01T00:00:00", 1),
        _json_cursor("2026-01-01T00:00:00+00:00", 10**20),
        _cursor('["2026-01-01T00:00:00+00:00", Infinity]'),
    ],
)
def test_a_forged_queue_cursor_shows_the_first_page(
    coordinator, volunteer_name, make_registration, cursor
):
    make_registration(volunteer_name)
    response = coordinator.get("/review", query_string={"after": cursor})
    assert response.status_code == 200
    assert "Budi Santoso" in page_text(response)
    by_name = coordinator.get(
        "/review", query_string={"sort": "name", "after": _json_cursor(["x"], 1)}
    )
    assert by_name.status_code == 200


@pytest.mark.parametrize("back", ["//example.com/", "/\\example.com", "/\r\nSet-Cookie: a=1"])
def test_after_approving_the_queue_stays_on_this_site(coordinator, back):
    token = csrf_token(coordinator, "/review")
    response = coordinator.post("/review/approve", data={"back": back, "csrf_token": token})
    assert response.status_code == 302
    assert response.location == "/review"


def test_too_large_and_wrong_method_pages_speak_indonesian(app, make_user):
    admin = app.test_client()
    login(admin, make_user("admin"))
    token = csrf_token(admin, "/admin/drives")
    big = admin.post("/admin/drives", data={"name": "x" * 3_000_000, "csrf_token": token})
    assert big.status_code == 413
    assert "Berkas atau isian terlalu besar" in page_text(big)
    wrong = admin.get("/review/approve")
    assert wrong.status_code == 405
    assert "tidak bisa dibuka dengan cara itu" in page_text(wrong)


def test_a_target_larger_than_the_city_is_refused(app, make_user):
    admin = app.test_client()
    login(admin, make_user("admin"))
    token = csrf_token(admin, "/admin/settings")
    form = {
        "year": "2031",
        "funding_source_code": "APBD",
        "workers": str(2**31),
        "csrf_token": token,
    }
    response = admin.post("/admin/settings/targets/new", data=form)
    assert response.status_code == 422
    assert "Paling banyak 10.000.000 pekerja." in page_text(response)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1900-01-01", date(1900, 1, 1)),
        ("31-12-2100", date(2100, 12, 31)),
        ("1899-12-31", None),
        ("2101-01-01", None),
        ("0001-01-01", None),
        ("31-12-9999", None),
    ],
)
def test_dates_are_read_between_1900_and_2100(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1", 1), (str(2**31 - 1), 2**31 - 1), (str(2**31), None), ("0", None), ("١", None)],
)
def test_row_ids_fit_an_integer_column(typed, expected):
    assert parse_row_id(typed) == expected
