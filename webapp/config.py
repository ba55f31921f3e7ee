"""Settings from the environment, with safe defaults for development.

Every setting can be given as an environment variable prefixed with ``WEBAPP_``
(``WEBAPP_SECRET_KEY``, ``WEBAPP_RATELIMIT_STORAGE_URI``...), read by
``app.config.from_prefixed_env()``; the most common ones are also read without the
prefix: ``DATABASE_URL``, ``SECRET_KEY``, ``RATELIMIT_STORAGE_URI``, ``APP_ENV``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

DEV_SECRET_FILE = "secret_key"  # noqa: S105 (a file name)
LANGUAGE_COOKIE = "lang"
# How passwords are hashed (Werkzeug's method string). The test suite sets a cheap one
# to stay fast; production refuses to start with anything but scrypt.
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a method name, not a password)


class ConfigError(RuntimeError):
    """The application cannot start with this configuration."""


def sqlite_url(instance_path: str) -> str:
    """The default database: a SQLite file in the instance folder."""
    return "sqlite:///" + str(Path(instance_path) / "pijar_semar.sqlite3")


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` and ``postgresql://`` forms for psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def dev_secret_key(instance_path: str) -> str:
    """A random secret generated once into ``instance/`` and reused after."""
    path = Path(instance_path) / DEV_SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load(app, overrides: dict | None = None) -> None:
    """Fill ``app.config``: defaults, then the environment, then ``overrides``."""
    env = os.environ
    instance = app.instance_path
    Path(instance).mkdir(parents=True, exist_ok=True)
    app.config.update(
        APP_ENV=env.get("APP_ENV", "development"),
        SQLALCHEMY_DATABASE_URI=normalise_database_url(
            env.get("DATABASE_URL") or sqlite_url(instance)
        ),
        # hide_parameters: a database error in the log never carries a NIK or a phone number.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "hide_parameters": True},
        SECRET_KEY=env.get("SECRET_KEY"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Secure is added per request when it arrives over HTTPS (see security.py).
        SESSION_COOKIE_SECURE=False,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,  # a form may sit half-filled for a long time at a market
        RATELIMIT_STORAGE_URI=env.get("RATELIMIT_STORAGE_URI", "memory://"),
        RATELIMIT_HEADERS_ENABLED=True,
        LOGIN_RATE_LIMIT=env.get("LOGIN_RATE_LIMIT", "10 per minute;100 per hour"),
        BABEL_DEFAULT_LOCALE="id",
        BABEL_DEFAULT_TIMEZONE="Asia/Jakarta",
        LANGUAGES={"id": "Bahasa Indonesia", "en": "English"},
        PROXY_FIX_HOPS=int(env.get("PROXY_FIX_HOPS", "0")),
        # A phone's sync token lasts this long; then the volunteer logs in again.
        DEVICE_TOKEN_DAYS=int(env.get("DEVICE_TOKEN_DAYS", "90")),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        PASSWORD_HASH_METHOD=PASSWORD_HASH_METHOD,
    )
    app.config.from_prefixed_env("WEBAPP")
    if overrides:
        app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    _check_secret(app)
    _check_password_hashing(app)


def _check_password_hashing(app) -> None:
    method = app.config["PASSWORD_HASH_METHOD"]
    if app.config["APP_ENV"] == "production" and method != PASSWORD_HASH_METHOD:
        raise ConfigError(
            f"PASSWORD_HASH_METHOD must be {PASSWORD_HASH_METHOD!r} in production, not {method!r}."
        )


def _check_secret(app) -> None:
    key = app.config.get("SECRET_KEY")
    if app.config["APP_ENV"] == "production":
        if not key or len(key) < 32 or key in {"dev", "change-me", "secret"}:
            raise ConfigError(
                "SECRET_KEY must be set to a random string of at least 32 characters "
                "in production (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
    elif not key:
        app.config["SECRET_KEY"] = dev_secret_key(app.instance_path)
