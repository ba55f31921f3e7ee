"""Fixtures shared by the view tests of the coordinator's pages."""

from __future__ import annotations

import pytest

from tests.conftest import login


@pytest.fixture
def coordinator(app, make_user):
    """A logged-in coordinator's browser (a test client); ``.username`` is theirs."""
    client = app.test_client()
    username = make_user("coordinator", full_name="Dewi Koordinator")
    login(client, username)
    client.username = username
    return client


@pytest.fixture
def volunteer_name(make_user):
    """The username of a volunteer who collected registrations."""
    return make_user("volunteer", full_name="Ani Relawan")
