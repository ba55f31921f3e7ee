"""Flask extensions, made here and wired to the app in ``create_app``."""

from flask import has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Stable constraint names, so that migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)


# How long a SQLite writer waits for another to finish before giving up (milliseconds).
# A coordinator approving thousands of records holds the write lock for a few seconds.
SQLITE_BUSY_TIMEOUT_MS = 20_000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets the office read while phones write; SQLite needs foreign keys switched on."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_writers_begin_as_writers(connection) -> None:
    """On SQLite, a request that may write takes the write lock when its transaction begins.

    Left to the driver, a transaction begins only at its first write, after the request
    has already read: if another process committed in between, the write fails at once
    with "database is locked" (the busy timeout cannot help a stale snapshot). BEGIN
    IMMEDIATE waits its turn instead, up to the busy timeout, and makes the request's
    SAVEPOINTs real. Requests that only read (GET, HEAD) keep the driver's way: their
    reads take no lock in WAL mode, so they never wait for writers.
    """
    if (
        connection.dialect.name == "sqlite"
        and has_request_context()
        and request.method not in SAFE_METHODS
    ):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
