"""The KPJ import page: a coordinator uploads the numbers BPJS Ketenagakerjaan sent back."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from ..clock import today_in_semarang
from ..extensions import db
from ..models import Role
from ..security import role_required
from ..uploads import upload_limit
from . import bp
from .kpj import (
    COLUMN_NAMES,
    HEADER_ALIASES,
    KPJ_LENGTH,
    MAX_FILE_BYTES,
    MAX_LINES,
    ImportResult,
    KpjFileError,
    import_kpj_file,
)


def _page(
    *, result: ImportResult | None = None, error: str | None = None, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "enrollment/kpj.html",
        result=result,
        error=error,
        column_names=COLUMN_NAMES,
        aliases=HEADER_ALIASES,
        kpj_length=KPJ_LENGTH,
        max_mb=MAX_FILE_BYTES // (1024 * 1024),
        max_lines=MAX_LINES,
    ), status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(err: RequestEntityTooLarge):
    if request.endpoint != "enrollment.kpj":
        return render_template("errors/error.html", error=err), err.code
    message = _(
        "Berkas lebih dari %(mb)d MB. Bagi menjadi beberapa berkas, lalu unggah satu per satu.",
        mb=MAX_FILE_BYTES // (1024 * 1024),
    )
    return _page(error=message, status=413)


@bp.route("/kpj", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
@upload_limit(MAX_FILE_BYTES)
def kpj():
    if request.method == "GET":
        return _page()
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return _page(error=_("Pilih berkas CSV atau XLSX dulu."), status=422)
    try:
        result = import_kpj_file(
            sent.read(),
            filename=sent.filename,
            actor=current_user._get_current_object(),
            today=today_in_semarang(),
        )
        db.session.commit()
    except KpjFileError as err:
        db.session.rollback()
        if err.reason:  # which limit or check refused it: a bomb is worth knowing about
            current_app.logger.warning("KPJ file refused: %r", err.reason)
        return _page(error=str(err), status=422)
    except (IntegrityError, StaleDataError):
        # Another coordinator recorded some of these at the same moment.
        db.session.rollback()
        message = _(
            "Sebagian data baru saja diubah oleh koordinator lain; tidak ada yang dicatat. "
            "Unggah berkasnya lagi: baris yang sudah tercatat tidak akan berubah."
        )
        return _page(error=message, status=409)
    return _page(result=result)
