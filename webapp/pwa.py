"""The installable app: the service worker, the web app manifest and the offline page.

The phone's scripts read their URLs and storage names from one config,
``phone_config()``, rendered into every page as JSON (``base.html``). The service
worker's source is ``static/js/sw.js``; ``/sw.js`` serves it at the root scope behind
one generated line that sets the same config plus the app shell: its URL list and a
version hashed from the files the shell is made of. A deploy that changes any of them
changes the worker's bytes, so phones pick the new version up without a manual cache
clear. A deployment may also set ``APP_RELEASE`` (``WEBAPP_APP_RELEASE``, e.g. a commit
id), which goes into that version too.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, url_for

from .security import public

bp = Blueprint("pwa", __name__)

PACKAGE_DIR = Path(__file__).parent
WORKER_SOURCE = "js/sw.js"
# What the worker loads with importScripts (order matters: idb first).
WORKER_SCRIPTS = ("vendor/idb-8.0.4.umd.js", "js/outbox.js", "js/sync.js")
# Static files of the app shell, precached on install.
SHELL_STATIC = (
    "css/app.css",
    "vendor/htmx-2.0.11.min.js",
    "vendor/idb-8.0.4.umd.js",
    "js/config.js",
    "js/app.js",
    "js/outbox.js",
    "js/sync.js",
    "js/autosync.js",
    "js/status.js",
    "js/pwa.js",
    "js/home.js",
    "js/outbox-page.js",
    "js/register.js",
    "js/form-fields.js",
    "js/draft.js",
    "js/register-save.js",
    "js/validate.js",
)
ICONS = {
    "any": (("icons/icon-192.png", "192x192"), ("icons/icon-512.png", "512x512")),
    "maskable": (("icons/icon-maskable-512.png", "512x512"),),
}
# Pages precached for offline use (each embeds what it needs, e.g. the form's choices).
SHELL_PAGES = ("field.home", "field.register", "field.outbox", "pwa.offline")
# Data precached with them: the phone's registration rules (the form page carries a copy
# made with the page, so a change of settings reaches the phone with the page).
SHELL_DATA = ("field.rules",)
THEME_COLOUR = "#0b4f8a"
BACKGROUND_COLOUR = "#ffffff"


def _package_version() -> str:
    try:
        return version("pijar-semar")
    except PackageNotFoundError:
        return "0"


@cache
def shell_hash(static_folder: str, release: str = "") -> str:
    """A digest of everything the shell is built from: static files, templates, catalogs,
    and the deployment's release label."""
    static = Path(static_folder)
    files = [static / name for name in (*SHELL_STATIC, WORKER_SOURCE)]
    files += [static / name for names in ICONS.values() for name, _ in names]
    for pattern in ("templates/**/*.html", "translations/**/*.mo", "pwa.py"):
        files += sorted(PACKAGE_DIR.glob(pattern))
    digest = hashlib.sha256(release.encode())
    for path in files:
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]


def app_version() -> str:
    """What a phone reports in its sync heartbeat, e.g. '0.1.0+3f2a9c1b07de'."""
    release = str(current_app.config.get("APP_RELEASE") or "")
    return f"{_package_version()}+{shell_hash(current_app.static_folder, release)}"


def precache_urls(include_icons: bool = True) -> list[str]:
    """The URLs the service worker stores on install (pages first)."""
    urls = [url_for(endpoint) for endpoint in SHELL_PAGES]
    urls += [url_for(endpoint) for endpoint in SHELL_DATA]
    urls += [url_for("static", filename=name) for name in SHELL_STATIC]
    urls.append(url_for("pwa.manifest"))
    if include_icons:
        icons = [name for names in ICONS.values() for name, _ in names]
        urls += [url_for("static", filename=name) for name in ("icons/icon.svg", *icons)]
    return urls


def phone_config() -> dict[str, Any]:
    """What the phone's scripts need from the server: URLs, storage and event names.

    Its shape is ``PijarConfig`` in ``static/js/globals.d.ts``. Phones in the field
    already keep data under these storage names (IndexedDB, caches, session keys):
    changing one strands what they hold.
    """
    return {
        "version": app_version(),
        "urls": {
            "sync": url_for("api.sync"),
            "devices": url_for("api.create_device"),
            "currentDevice": url_for("api.revoke_current_device"),
            "home": url_for("field.home"),
            "register": url_for("field.register"),
            "fix": url_for("field.register", fix=""),
            "outbox": url_for("field.outbox"),
            "rules": url_for("field.rules"),
            "worker": url_for("pwa.service_worker"),
            "static": url_for("static", filename=""),
        },
        "db": {
            "name": "pijar-semar",
            "outboxStore": "outbox",
            "metaStore": "meta",
            "byState": "state_created",
        },
        "meta": {
            "device": "device",
            "cursor": "cursor",
            "lastSyncAt": "last_sync_at",
            "authNeeded": "auth_needed",
            "lastError": "last_error",
            "persistAsked": "persist_asked",
        },
        "events": {
            "outboxChanged": "pijar:outbox-changed",
            "sync": "pijar:sync",
            "pristine": "pijar:pristine",
        },
        "session": {
            "reloadedForUpdate": "pijar:reloaded-for-update",
            "lastReceipt": "pijar:last-receipt",
        },
        "cachePrefix": "pijar-shell-",
        "lockName": "pijar-sync",
        "channelName": "pijar-outbox",
        "backgroundSyncTag": "pijar-outbox",
    }


@bp.app_context_processor
def pwa_context() -> dict[str, Any]:
    # phone_config as a function: only base.html calls it, not every fragment.
    return {"app_version": app_version(), "phone_config": phone_config}


@bp.get("/sw.js")
@public
def service_worker() -> Response:
    shell = {
        "precache": precache_urls(),
        "pages": [url_for(endpoint) for endpoint in SHELL_PAGES],
        "offline": url_for("pwa.offline"),
        "scripts": [url_for("static", filename=name) for name in WORKER_SCRIPTS],
    }
    config = {**phone_config(), "shell": shell}
    source = (Path(current_app.static_folder) / WORKER_SOURCE).read_text(encoding="utf-8")
    body = f"self.pijarConfig = {json.dumps(config)};\n{source}"
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
@public
def manifest() -> Response:
    icons = [
        {
            "src": url_for("static", filename=name),
            "sizes": sizes,
            "type": "image/png",
            "purpose": purpose,
        }
        for purpose, names in ICONS.items()
        for name, sizes in names
    ]
    data = {
        "id": url_for("field.home"),
        "name": "PIJAR SEMAR",
        "short_name": "PIJAR SEMAR",
        "description": "Pendaftaran pekerja rentan Kota Semarang ke BPJS Ketenagakerjaan",
        "lang": "id",
        "start_url": url_for("field.home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
    }
    response = current_app.response_class(
        json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
@public
def offline() -> str:
    return render_template("offline.html")
