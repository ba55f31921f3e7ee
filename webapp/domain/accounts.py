"""Account rules: authentication, password policy, creating users."""

from __future__ import annotations

import secrets
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Role, User, utcnow
from .text import is_storable

MIN_PASSWORD_LENGTH = 10


@cache
def _dummy_hash(method: str) -> str:
    """Checked when the username is unknown, so that both failures take the same time."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


class AccountError(ValueError):
    """A rule about accounts was broken; the message is for the user."""


class AccountDeactivated(Exception):
    """The password is right, but an admin deactivated the account.

    Raised only after the password checked out, so that it never tells a stranger
    whether an account exists.
    """

    def __init__(self, user: User) -> None:
        super().__init__(user.username)
        self.user = user


DEACTIVATED_MESSAGE = _l("Akun Anda sudah dinonaktifkan. Hubungi koordinator.")


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (for every kind of failure alike).

    Raises AccountDeactivated when the credentials are right but the account is not active.
    """
    if not (is_storable(username) and is_storable(password)):  # no username holds these
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), "")
        return None
    user = db.session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower())
    )
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not user.check_password(password):
        return None
    if not user.active:
        raise AccountDeactivated(user)
    user.last_login_at = utcnow()
    return user


def password_problem(password: str, *, username: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return str(_l("Kata sandi paling sedikit %(n)d karakter.", n=MIN_PASSWORD_LENGTH))
    if password.strip().lower() == username.strip().lower():
        return str(_l("Kata sandi tidak boleh sama dengan nama pengguna."))
    return None


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    full_name: str = "",
    must_change_password: bool = False,
) -> User:
    """Add a user to the session after checking the rules; the caller commits."""
    username = username.strip()
    if (
        not username
        or len(username) > 64
        or not username.replace(".", "").replace("_", "").replace("-", "").isalnum()
    ):
        raise AccountError(_l("Nama pengguna: huruf, angka, titik, garis bawah atau tanda hubung."))
    if role not in {r.value for r in Role}:
        raise AccountError(_l("Peran harus volunteer, coordinator atau admin."))
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise AccountError(_l("Nama pengguna %(u)s sudah dipakai.", u=username))
    problem = password_problem(password, username=username)
    if problem:
        raise AccountError(problem)
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        must_change_password=must_change_password,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def generate_password() -> str:
    return secrets.token_urlsafe(12)
