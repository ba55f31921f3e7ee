"""The one place that decides between a whole page and an htmx fragment."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template, request
from flask.wrappers import Response


def is_fragment_request() -> bool:
    """An htmx request that swaps part of the page (not a boosted link, not a history restore)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(page: str, fragment: str, status: int = 200, **context: Any) -> Response:
    """Render ``page`` for a normal request, ``fragment`` alone for an htmx one."""
    template = fragment if is_fragment_request() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
