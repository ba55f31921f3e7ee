"""App shell size: what the service worker precaches, in bytes, raw and gzip -9.

Builds the app on a fresh SQLite database in a temporary directory (migrated, seeded,
one volunteer), logs in with Flask's test client, reads the precache list from
``/sw.js`` itself and fetches every URL on it, icons excluded. Each file is gzipped on
its own, as a server would send it.

Usage, from the project root::

    .venv/bin/python bench/shell_size.py

Target: under 80 KB gzip in all.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import tempfile
from pathlib import Path

from flask_migrate import upgrade

from webapp import create_app
from webapp.domain.accounts import create_user
from webapp.domain.reference import seed
from webapp.extensions import db

TARGET_GZIP_BYTES = 80 * 1024
ICONS = "/static/icons/"
USERNAME, PASSWORD = "relawan.bench", "Bench-Relawan-2026!"
CONFIG_LINE = re.compile(r"^self\.pijarConfig = (\{.*\});$", re.MULTILINE)
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def logged_in_client(app):
    with app.app_context():
        upgrade()
        seed()
        create_user(USERNAME, PASSWORD, "volunteer")
        db.session.commit()
    client = app.test_client()
    token = CSRF_INPUT.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, "could not log in"
    return client


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'shell.sqlite3'}",
                "SECRET_KEY": "bench-only-" + "x" * 40,
            },
            instance_path=tmp,
        )
        client = logged_in_client(app)
        worker = client.get("/sw.js").get_data(as_text=True)
        config = json.loads(CONFIG_LINE.search(worker).group(1))
        rows = []
        for url in config["shell"]["precache"]:
            if url.startswith(ICONS):
                continue
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            body = response.get_data()
            rows.append((url, len(body), len(gzip.compress(body, compresslevel=9))))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    width = max(len(url) for url, _, _ in rows)
    print(f"{'precached (icons excluded)':<{width}}  {'raw':>9}  {'gzip -9':>9}")
    for url, raw, packed in sorted(rows, key=lambda row: -row[2]):
        print(f"{url:<{width}}  {raw:>9,}  {packed:>9,}")
    total_raw = sum(raw for _, raw, _ in rows)
    total_gzip = sum(packed for _, _, packed in rows)
    print(f"{'total, ' + str(len(rows)) + ' files':<{width}}  {total_raw:>9,}  {total_gzip:>9,}")
    print(f"service worker itself (not precached): {len(worker.encode()):,} bytes raw")
    verdict = "within" if total_gzip <= TARGET_GZIP_BYTES else "OVER"
    target_kb = TARGET_GZIP_BYTES // 1024
    print(f"gzip total {total_gzip / 1024:.1f} KB: {verdict} the {target_kb} KB target")
    return 0 if total_gzip <= TARGET_GZIP_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
