"""The commands an admin runs: seed, create-user."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from webapp.domain.reference import load_settings
from webapp.extensions import db
from webapp.models import FundingTarget, ProgrammeSetting, Region, User


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_seed_loads_kota_semarang_and_is_idempotent(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed"])  # the app fixture has seeded once already
    assert result.exit_code == 0
    assert "regions +0" in result.output
    with app.app_context():
        assert count(Region, Region.level == "kecamatan") == 16
        assert count(Region, Region.level == "kelurahan") == 177
        # Mangunharjo is in Tembalang and in Tugu: keyed on code, both present.
        assert count(Region, Region.name == "Mangunharjo") == 2
        targets = {
            (t.year, t.funding_source_code): t.workers
            for t in db.session.scalars(select(FundingTarget))
        }
        assert targets == {(2026, "APBD"): 7_500, (2026, "DBHCHT"): 1_000}
        settings = load_settings()
        assert (settings.jkk_rate_bp, settings.jkk_income_floor, settings.jkm_monthly) == (
            100,
            1_000_000,
            6_800,
        )
        assert (settings.min_age, settings.max_age) == (18, 65)


def test_seed_keeps_what_an_admin_changed(app):
    with app.app_context():
        db.session.get(ProgrammeSetting, "jkm_monthly").value = 7_000
        db.session.commit()
    app.test_cli_runner().invoke(args=["seed"])
    with app.app_context():
        assert load_settings().jkm_monthly == 7_000


@pytest.mark.production_hashing
def test_create_user_makes_an_account_that_can_log_in(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--username",
            "relawan1",
            "--password",
            "Relawan-2026!",
            "--role",
            "volunteer",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Relawan-2026!" not in result.output
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(username="relawan1"))
        assert user.role == "volunteer"
        assert user.password_hash.startswith("scrypt:")
    assert login(app.test_client(), "relawan1", "Relawan-2026!").status_code == 302


def test_create_user_refuses_bad_input_with_a_message(app):
    runner = app.test_cli_runner()
    cases = [
        (
            ["--username", "a b", "--password", "long-enough-1", "--role", "volunteer"],
            "Nama pengguna",
        ),
        (["--username", "ani", "--password", "short", "--role", "volunteer"], "paling sedikit"),
        (["--username", "ani", "--password", "long-enough-1", "--role", "boss"], "Invalid value"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["create-user", *args])
        assert result.exit_code != 0
        assert message in result.output
    runner.invoke(
        args=[
            "create-user",
            "--username",
            "ani",
            "--password",
            "long-enough-1",
            "--role",
            "volunteer",
        ]
    )
    again = runner.invoke(
        args=[
            "create-user",
            "--username",
            "ANI",
            "--password",
            "long-enough-1",
            "--role",
            "volunteer",
        ]
    )
    assert again.exit_code != 0
    assert "sudah dipakai" in again.output
    with app.app_context():
        assert count(User) == 1
