"""The contract between the server and the phone's scripts, checked from both sides.

The scripts' side is written as TypeScript types in ``webapp/static/js/globals.d.ts``
(checked against the scripts by ``tsc`` in ``make lint``); the server's side is
``pwa.phone_config()``, the lifecycle's phone words (``phone_status``) and the ingest's
result statuses. A value changed on one side only fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from webapp import create_app
from webapp.domain.ingest_rules import RESULT_STATUS
from webapp.lifecycle import PHONE_WORDS
from webapp.pwa import phone_config

TYPES = (Path(__file__).parents[2] / "webapp" / "static" / "js" / "globals.d.ts").read_text()


def union(name: str) -> set[str]:
    """The string literals of ``type name = 'a' | 'b';`` in globals.d.ts."""
    found = re.search(rf"type {name} = ([^;]+);", TYPES)
    assert found, f"no type {name} in globals.d.ts"
    return set(re.findall(r"'([^']+)'", found.group(1)))


def literals(block: str) -> dict[str, str]:
    """``key: 'value'`` pairs of the object type ``block: {...}`` in PijarConfig."""
    found = re.search(rf"\b{block}: \{{([^}}]+)\}}", TYPES)
    assert found, f"no {block} in PijarConfig"
    return dict(re.findall(r"(\w+): '([^']+)'", found.group(1)))


@pytest.fixture(scope="module")
def config() -> dict:
    app = create_app({"SECRET_KEY": TEST_SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        return phone_config()


# DESIGN.md, "Sync API": every word ``updates[].status`` may hold. The server sends
# PHONE_WORDS today; ``refused`` and ``exited`` are for statuses still to come.
SYNC_CONTRACT_WORDS = {
    "in_review",
    "needs_fix",
    "approved",
    "in_batch",
    "sent_to_bpjs",
    "enrolled",
    "refused",
    "rejected",
    "duplicate",
    "exited",
}


def test_the_phone_knows_every_status_the_server_sends():
    assert PHONE_WORDS.issubset(union("ServerStatus"))
    assert union("ServerStatus").issubset(SYNC_CONTRACT_WORDS)


def test_the_phone_knows_every_result_of_an_item():
    found = re.search(r"interface SyncItemResult \{.*?status: ([^;]+);", TYPES, re.S)
    assert set(re.findall(r"'([^']+)'", found.group(1))) == set(RESULT_STATUS.values())


def test_storage_names_are_those_phones_in_the_field_already_hold(config):
    # Changing one of these strands the records a phone keeps under the old name.
    held = {"name": "pijar-semar", "outboxStore": "outbox", "metaStore": "meta"}
    assert config["db"] | held == config["db"]
    assert literals("db") == config["db"]
    assert literals("meta") == config["meta"]
    assert config["cachePrefix"] == "pijar-shell-"


def test_the_urls_are_the_servers_own(config):
    assert config["urls"]["sync"] == "/api/v1/sync"
    assert config["urls"]["devices"] == "/api/v1/devices"
    assert config["urls"]["fix"].startswith(config["urls"]["register"] + "?fix=")
