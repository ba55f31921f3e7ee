"""Whatever a phone (or anyone with its token) sends, the sync API answers without a 5xx,
with one result per item, and stores every accepted item exactly once.

A bounded sample here, on each database; bench/fuzz_sync.py sends thousands.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from tests.conftest import PASSWORD
from tests.sync_fuzz import bodies, client_ids_in, problems, stored_rows

EXAMPLES = 120


@pytest.fixture
def token(client, make_user) -> str:
    username = make_user("volunteer")
    response = client.post("/api/v1/devices", json={"username": username, "password": PASSWORD})
    return response.json["token"]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies())
def test_any_body_gets_an_answer_and_valid_items_are_stored_once(app, client, token, body):
    response = client.post(
        "/api/v1/sync",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with app.app_context():
        rows = stored_rows(client_ids_in(body))
    answer = response.get_json(silent=True) if response.status_code == 200 else None
    assert problems(body, response.status_code, answer, rows) == []
