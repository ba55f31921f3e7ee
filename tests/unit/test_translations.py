"""Every UI text has its English translation, and the catalog knows every UI text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[2]
CATALOG = ROOT / "webapp" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def read(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def test_every_message_is_translated():
    untranslated = [
        m.id
        for m in read(CATALOG)
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert untranslated == []


def test_catalog_is_up_to_date_with_the_sources(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    in_sources = {m.id for m in read(pot) if m.id}
    in_catalog = {m.id for m in read(CATALOG) if m.id}
    assert in_sources - in_catalog == set(), "run `make messages` and translate the new entries"
