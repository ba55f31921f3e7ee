"""Sixteen phones of one volunteer send overlapping batches at the same moment, to a real
server with several worker processes: every request is answered 200, every item gets its
result, and every record is stored exactly once (the last version sent wins).

On SQLite the writers take turns (BEGIN IMMEDIATE); on PostgreSQL the records a batch
touches are locked while it is applied, and racing inserts skip and look again.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from tests.concurrent_senders import Server, records, send_at_once
from webapp.extensions import db
from webapp.models import Registration

PHONES = 16
BATCHES_PER_PHONE = 3
BATCH_SIZE = 20
RECORDS = 60


@pytest.fixture
def server(app, migrated_database, tmp_path):
    running = Server(migrated_database, workers=4, threads=2, log_path=tmp_path / "server.log")
    yield running
    running.stop()
    print(running.log_path.read_text()[-4000:])  # shown when the test failed


def test_sixteen_phones_at_once_store_each_record_exactly_once(app, server, make_user):
    volunteer = make_user("volunteer")
    pool = records(RECORDS, random.Random(7))
    outcome = send_at_once(
        server.url,
        volunteer,
        phones=PHONES,
        batches_per_phone=BATCHES_PER_PHONE,
        batch_size=BATCH_SIZE,
        pool=pool,
        seed=7,
    )
    assert outcome.wrong == []
    assert outcome.answers == {200: PHONES * BATCHES_PER_PHONE}
    with app.app_context():
        stored = dict(
            db.session.execute(
                select(Registration.client_id, func.count()).group_by(Registration.client_id)
            ).all()
        )
        names = dict(
            db.session.execute(select(Registration.client_id, Registration.full_name)).all()
        )
    sent = {versions[0]["client_id"] for versions in pool}
    assert set(stored) <= sent
    assert set(stored.values()) == {1}
    # Each record holds one of the versions sent, whole (never a mix of two).
    for versions in pool:
        client_id = versions[0]["client_id"]
        if client_id in names:
            assert names[client_id] in {v["payload"]["full_name"] for v in versions}
