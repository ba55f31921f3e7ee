"""Vendored files still match the checksums recorded beside them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

VENDOR = Path(__file__).parents[2] / "webapp" / "static" / "vendor"


def test_vendored_files_match_their_recorded_checksums():
    readme = (VENDOR / "README.md").read_text()
    recorded = dict(re.findall(r"\| `([^`]+\.js)` \|[^|]+\|[^|]+\| `([0-9a-f]{64})` \|", readme))
    on_disk = {p.name for p in VENDOR.glob("*.js")}
    assert set(recorded) == on_disk
    for name, digest in recorded.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_templates_load_the_vendored_htmx_version():
    base = (Path(__file__).parents[2] / "webapp" / "templates" / "base.html").read_text()
    names = re.findall(r"vendor/(htmx-[\d.]+\.min\.js)", base)
    assert names and all((VENDOR / n).exists() for n in names)
