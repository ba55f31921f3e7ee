from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..config import LANGUAGE_COOKIE
from ..domain.accounts import (
    DEACTIVATED_MESSAGE,
    MIN_PASSWORD_LENGTH,
    AccountDeactivated,
    authenticate,
    password_problem,
)
from ..domain.audit import record_event
from ..extensions import db, limiter, login_manager
from ..models import Role, User
from ..security import local_path, public, role_required
from . import bp

HOME_BY_ROLE = {
    Role.VOLUNTEER: "field.home",
    Role.COORDINATOR: "review.queue",
    Role.ADMIN: "admin.home",
}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


login_manager.login_view = "auth.login"
login_manager.login_message = None  # the login page says what to do already


@bp.before_app_request
def require_password_change():
    """A user with a one-time password must choose their own before anything else."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint
        not in {"auth.change_password", "auth.logout", "static", "auth.language"}
    ):
        return redirect(url_for("auth.change_password"))
    return None


@bp.get("/")
@public
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME_BY_ROLE[Role(current_user.role)]))


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login():
    # ?reauth=1: a logged-in volunteer whose phone needs a new sync token signs in again.
    reauth = request.args.get("reauth") == "1"
    if current_user.is_authenticated and not reauth:
        return redirect(url_for("auth.index"))
    error = None
    status = 200
    username = current_user.username if current_user.is_authenticated else ""
    if request.method == "POST":
        username = request.form.get("username", "")
        try:
            user = authenticate(username, request.form.get("password", ""))
        except AccountDeactivated as refused:
            # The password was right: telling them is no secret, and saves a wasted trip.
            user, error, status = None, str(DEACTIVATED_MESSAGE), 401
            record_event("auth.login_deactivated", actor=None, target=refused.user)
            db.session.commit()
        else:
            if user is None:
                error, status = _("Nama pengguna atau kata sandi salah."), 401
                record_event("auth.login_failed", actor=None, details={"username": username[:64]})
                db.session.commit()
        if user is not None:
            session.clear()
            login_user(user)
            session.permanent = True
            record_event("auth.login", actor=user, target=user)
            db.session.commit()
            return redirect(local_path(request.args.get("next")) or url_for("auth.index"))
    return render_template("auth/login.html", error=error, username=username), status


@bp.route("/logout", methods=["GET", "POST"])
@public
def logout():
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return render_template("auth/logout.html")
    if current_user.is_authenticated:
        record_event("auth.logout", actor=current_user, target=current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@role_required(Role.VOLUNTEER)
def change_password():
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        current = request.form.get("current_password", "")
        new = request.form.get("new_password", "")
        if not current_user.check_password(current):
            errors["current_password"] = [_("Kata sandi saat ini salah.")]
        elif problem := password_problem(new, username=current_user.username):
            errors["new_password"] = [problem]
        elif new != request.form.get("confirm_password", ""):
            errors["confirm_password"] = [_("Kedua kata sandi baru tidak sama.")]
        else:
            current_user.set_password(new)
            current_user.must_change_password = False
            record_event("auth.password_changed", actor=current_user, target=current_user)
            db.session.commit()
            flash(_("Kata sandi sudah diganti."), "success")
            return redirect(url_for("auth.index"))
    return render_template(
        "auth/password.html", errors=errors, min_password_length=MIN_PASSWORD_LENGTH
    ), (422 if errors else 200)


@bp.post("/language")
@public
def language():
    code = request.form.get("lang", "")
    target = local_path(request.form.get("next")) or url_for("auth.index")
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    return response
