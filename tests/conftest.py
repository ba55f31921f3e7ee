"""Fixtures shared by the database, view and API tests.

Database tests run on SQLite, and on PostgreSQL too when ``TEST_DATABASE_URL`` is set:
the ``database_url`` fixture is parametrized, so each such test runs once per database.

Two things keep the suite fast as it grows: passwords are hashed with a cheap method
(scrypt costs about 90 ms a hash; tests marked ``production_hashing`` get it), and the
reference data is seeded once per session, then copied back into the emptied tables
before each test.
"""

from __future__ import annotations

import os
import re
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import MetaData, inspect, text

from webapp import create_app
from webapp.config import PASSWORD_HASH_METHOD as PRODUCTION_PASSWORD_HASH
from webapp.domain.accounts import create_user
from webapp.domain.reference import seed
from webapp.extensions import db
from webapp.models import User

TEST_SECRET = secrets.token_urlsafe(48)
CHEAP_PASSWORD_HASH = "pbkdf2:sha256:1"  # tests only: production refuses it
PASSWORD = "Rahasia-Lapangan-2026"
DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


_apps_made: list[Flask] = []


def make_app(database_url: str, **overrides: Any) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": TEST_SECRET,
            "PASSWORD_HASH_METHOD": CHEAP_PASSWORD_HASH,
            **overrides,
        }
    )
    _apps_made.append(app)
    return app


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    """Close each test's database connections (PostgreSQL warns of unclosed ones)."""
    yield
    while _apps_made:
        app = _apps_made.pop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def drop_everything(app: Flask) -> None:
    """Leave the database empty, as on a fresh machine (tables of any earlier run too)."""
    with app.app_context():
        meta = MetaData()
        meta.reflect(bind=db.engine)
        meta.drop_all(bind=db.engine)


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")
    return os.environ["TEST_DATABASE_URL"]


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> str:
    """The schema built by the Alembic migrations on an empty database, once per session."""
    app = make_app(database_url)
    drop_everything(app)
    with app.app_context():
        upgrade()
    return database_url


def empty_tables(app: Flask, reference: ReferenceRows | None = None) -> None:
    """Empty every table, then put back ``reference`` (rows by table name), in one go."""
    tables = [t for t in db.metadata.sorted_tables if inspect(db.engine).has_table(t.name)]
    with db.engine.begin() as conn:
        for table in reversed(tables):  # children before parents
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":  # ids start again at 1, as on a fresh database
            for table in tables:
                if "id" in table.c and table.c.id.primary_key:
                    sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
                    conn.execute(text(f"SELECT setval({sequence}, 1, false)"))
        for table in tables:  # parents before children
            if reference and reference.get(table.name):
                conn.execute(table.insert(), reference[table.name])


ReferenceRows = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="session")
def reference_rows(migrated_database: str) -> ReferenceRows:
    """The seeded reference data, read back once per session to be copied into each test.

    Generated ids are left out, so that each copy numbers its rows as a fresh seed would.
    """
    app = make_app(migrated_database)
    with app.app_context():
        empty_tables(app)
        seed()
        rows = {}
        for table in db.metadata.sorted_tables:
            found = [dict(r) for r in db.session.execute(table.select()).mappings()]
            generated = {c.name for c in table.primary_key.columns if c.name == "id"}
            rows[table.name] = [{k: v for k, v in r.items() if k not in generated} for r in found]
        db.session.remove()
    return rows


@pytest.fixture
def app(migrated_database: str, reference_rows: ReferenceRows, request) -> Iterator[Flask]:
    """The app on a migrated database holding only the seeded reference data."""
    overrides = {}
    if request.node.get_closest_marker("production_hashing"):
        overrides["PASSWORD_HASH_METHOD"] = PRODUCTION_PASSWORD_HASH
    app = make_app(migrated_database, **overrides)
    with app.app_context():
        empty_tables(app, reference_rows)
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask):
    """Create a user; returns its username. The password is ``PASSWORD``."""

    def make(role: str, username: str | None = None, **kwargs: Any) -> str:
        username = username or f"{role}{secrets.token_hex(3)}"
        with app.app_context():
            create_user(username, PASSWORD, role, **kwargs)
            db.session.commit()
        return username

    return make


def csrf_token(client: FlaskClient, path: str) -> str:
    """The form token a browser would have after loading ``path``."""
    response = client.get(path)
    match = CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, f"no csrf_token on {path} ({response.status_code})"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD):
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_token(client, "/login"),
        },
    )


@pytest.fixture
def volunteer(client: FlaskClient, make_user) -> str:
    """A volunteer, logged in on ``client``."""
    username = make_user("volunteer", full_name="Ani Relawan")
    assert login(client, username).status_code == 302
    return username


def valid_registration(**changes: str) -> dict[str, str]:
    """What a volunteer types for a fisher at TPI Tambak Lorok."""
    form = {
        "nik": "3374011205900012",
        "full_name": "Budi Santoso",
        "birth_date": "1990-05-12",
        "sex": "L",
        "phone": "0812-3456-7890",
        "address": "Jl. Tambak Lorok RT 02/RW 13",
        "kelurahan_code": "33.74.02.1008",
        "occupation": "nelayan",
        "occupation_other": "",
        "workplace": "TPI Tambak Lorok",
        "monthly_income": "1.500.000",
        "heir_name": "Siti Aminah",
        "heir_relationship": "istri",
        "heir_phone": "+62 812 9876 5432",
        "consent": "yes",
    }
    form.update(changes)
    return form


def user_id(app: Flask, username: str) -> int:
    with app.app_context():
        return db.session.query(User.id).filter_by(username=username).scalar()


@pytest.fixture
def make_registration(app: Flask):
    """Store a registration directly (as if synced); returns its id.

    ``status`` and ``flags`` may be given; other keyword arguments change the form values.
    """
    from datetime import date

    from webapp.domain.choices import load_form_choices
    from webapp.domain.registrations import (
        content_hash,
        insert_registrations,
        new_references,
        registration_row,
    )
    from webapp.domain.schemas import validate_registration

    def make(
        collected_by: str, *, status: str = "submitted", flags=(), received_at=None, **changes: str
    ) -> int:
        with app.app_context():
            user = db.session.scalar(db.select(User).filter_by(username=collected_by))
            data, errors = validate_registration(
                valid_registration(**changes), choices=load_form_choices(), today=date(2026, 11, 24)
            )
            assert not errors, errors
            now = received_at or datetime.now(UTC)
            row = registration_row(
                data,
                reference=new_references(1)[0],
                flags=list(flags),
                collected_by=user,
                client_id=str(uuid.uuid4()),
                content_hash=content_hash(data, 1),
                captured_at=now,
                form_version=1,
                device=None,
                now=now,
            )
            row["status"] = status
            ids = insert_registrations([row])
            db.session.commit()
            return ids[row["client_id"]]

    return make
