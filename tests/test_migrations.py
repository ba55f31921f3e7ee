"""The Alembic migrations build, on an empty database, exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from tests.conftest import drop_everything, make_app
from webapp.extensions import db


def test_migrations_apply_to_an_empty_database_and_match_the_models(migrated_database):
    app = make_app(migrated_database)
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
        assert context.get_current_revision() is not None


def test_upgrade_from_nothing_creates_every_table(tmp_path):
    app = make_app("sqlite:///" + str(tmp_path / "fresh.sqlite3"))
    drop_everything(app)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_coordinator_queries_have_indexes(migrated_database):
    app = make_app(migrated_database)
    with app.app_context():
        indexed = {
            tuple(ix["column_names"]) for ix in inspect(db.engine).get_indexes("registrations")
        }
    assert ("nik",) in indexed
    assert ("received_at",) in indexed
    assert ("status", "received_at") in indexed


def test_every_migration_downgrades_and_upgrades_again(tmp_path):
    from flask_migrate import downgrade

    app = make_app("sqlite:///" + str(tmp_path / "roundtrip.sqlite3"))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
