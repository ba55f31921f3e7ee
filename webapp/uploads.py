"""File uploads: each upload page states its own size limit, applied before anything
reads the request (the CSRF check reads the form, with the app-wide 2 MB limit)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request


def upload_limit(max_bytes: int) -> Callable:
    """Let this view's requests be up to ``max_bytes`` (instead of MAX_CONTENT_LENGTH)."""

    def decorate(view: Callable) -> Callable:
        view.max_upload_bytes = max_bytes  # read by _apply_upload_limit
        return view

    return decorate


def view_upload_limit() -> int | None:
    """The stated limit of the view this request is for, if it takes uploads."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "max_upload_bytes", None)


def _apply_upload_limit(endpoint: str | None, values: dict | None) -> None:
    limit = view_upload_limit()
    if limit is not None:
        request.max_content_length = limit


def init_app(app: Flask) -> None:
    # URL value preprocessors run before the before_request functions (the CSRF check).
    app.url_value_preprocessor(_apply_upload_limit)
