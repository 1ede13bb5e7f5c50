"""An outage is logged once per worker when it starts and once when it ends, never as a traceback per request."""

import logging

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper

from conflictmap.faults import database_state

pytestmark = pytest.mark.django_db


def lines(caplog, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


def test_one_line_when_the_database_goes_and_one_when_it_is_back(client, caplog):
    database_state.down = False
    with caplog.at_level(logging.INFO):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(CursorWrapper, "execute", lambda *a, **k: (_ for _ in ()).throw(OperationalError("locked")))
            assert [client.get("/api/factions").status_code for _ in range(5)] == [503] * 5
        assert [client.get("/api/factions").status_code for _ in range(3)] == [200] * 3

    assert len(lines(caplog, "Database unavailable in worker")) == 1
    assert len(lines(caplog, "Database reachable again in worker")) == 1
    assert not [r for r in caplog.records if r.exc_info]  # no traceback
    assert not lines(caplog, "Service Unavailable")  # nor Django's line per request
