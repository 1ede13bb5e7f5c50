"""Writes at size: create, edit, publish, reject and retract of a control change, through the API (a
reviewer's session) and through the admin (a reviewer's POST), each timed as the request a user sends.

Each run happens in a transaction rolled back afterwards (the change it needs first, e.g. a draft to
publish, is made there through the services, untimed), so the cached country keeps its counts and its
revision. The commit itself (one fsync on SQLite, one WAL flush on PostgreSQL) is therefore not in the
figure. Target: <= 100 ms each.
"""

import datetime as dt
import statistics
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import OperationalError, transaction

from bench.route_figures import Params, retry_locked
from events import services
from events.models import ControlChange

WRITE_TARGET = 0.100
NEW_DAY = dt.date(2026, 6, 1)  # after the synthetic log: no clash with a change of the same day


def _draft(params: Params, reviewer) -> ControlChange:
    return services.control_change_create(
        town=params.town, faction=params.faction, effective_date=NEW_DAY, sources=[params.source],
        note="bench draft", entered_by=reviewer,
    )


def _form(params: Params, **extra) -> dict:
    return {"town": params.town.pk, "faction": params.faction.pk, "status": "controlled", "contested_by": "",
            "effective_date": NEW_DAY.isoformat(), "date_precision": "day", "day_part": "0",
            "confidence": "reported", "sources": [params.source.pk], "note": "bench", "supersedes": "", **extra}


def _check(response, *statuses: int):
    assert response.status_code in statuses, (response.status_code, response.content[:400])
    if response.status_code == 200 and b"errornote" in response.content:  # an admin form sent back
        raise AssertionError(response.content.decode()[:400])
    return response


def _api(client, params: Params) -> dict[str, tuple[Callable, Callable]]:
    """name: (setup(reviewer) -> the change it needs, request(change))."""
    url = "/api/control-changes/"

    def create(_):
        return _check(client.post(url, {"town": params.town.slug, "faction": params.faction.slug,
                                         "effective_date": NEW_DAY.isoformat(), "sources": [params.source.pk],
                                         "note": "bench"}, content_type="application/json"), 201)

    def draft(reviewer):
        return _draft(params, reviewer)

    return {
        "create": (lambda r: None, create),
        "edit": (draft, lambda c: _check(client.patch(f"{url}{c.pk}/", {"note": "bench edit"},
                                                      content_type="application/json"), 200)),
        "publish": (draft, lambda c: _check(client.post(f"{url}{c.pk}/publish/"), 200)),
        "reject": (draft, lambda c: _check(client.post(f"{url}{c.pk}/reject/", {"reason": "bench"},
                                                       content_type="application/json"), 200)),
        "retract": (lambda r: params.change, lambda c: _check(client.post(
            f"{url}{c.pk}/retract/", {"reason": "bench"}, content_type="application/json"), 200)),
    }


def _admin(client, params: Params) -> dict[str, tuple[Callable, Callable]]:
    changes, queue = "/admin/events/controlchange/", "/admin/events/controlchangeforreview/"

    def action(url, name, change, **extra):
        return _check(client.post(url, {"action": name, ACTION_CHECKBOX_NAME: [change.pk], "index": 0, **extra}),
                      302)

    def draft(reviewer):
        return _draft(params, reviewer)

    return {
        "create": (lambda r: None, lambda _: _check(client.post(f"{changes}add/", _form(params)), 302)),
        "edit": (draft, lambda c: _check(client.post(f"{changes}{c.pk}/change/", _form(params, note="bench edit")),
                                         302)),
        "publish": (draft, lambda c: action(queue, "publish_selected", c, apply="1")),  # past any source warning
        "reject": (draft, lambda c: action(queue, "reject_selected", c, reason="bench", apply="1")),
        "retract": (lambda r: params.change, lambda c: action(changes, "retract_selected", c, reason="bench",
                                                              apply="1")),
    }


def _once(setup, request, reviewer) -> float:
    with transaction.atomic():
        change = setup(reviewer)
        start = time.perf_counter()
        try:
            request(change)
        finally:
            elapsed = time.perf_counter() - start
            transaction.set_rollback(True)
    return elapsed


def _once_retrying(setup, request, reviewer) -> float | None:
    """One timed write; another process holding SQLite's write lock is waited out (``retry_locked``),
    then the write counts as failed (None) rather than ending the bench."""
    try:
        return retry_locked(lambda: _once(setup, request, reviewer))
    except OperationalError:
        return None


def write_figures(*, params: Params, client, reviewer, runs: int) -> list[tuple[str, float | None, int]]:
    """[(name, median seconds, runs)] for each write through each interface; counts unchanged afterwards."""
    before = ControlChange.objects.count()
    limits = settings.RATE_LIMITS
    settings.RATE_LIMITS = {**limits, "write": "100000/min"}  # the bench is one user writing fast
    out = []
    try:
        for interface, ops in (("API", _api(client, params)), ("admin", _admin(client, params))):
            for name, (setup, request) in ops.items():
                _once_retrying(setup, request, reviewer)  # warm the code paths (imports, templates)
                times = [t for t in (_once_retrying(setup, request, reviewer) for _ in range(runs)) if t is not None]
                median = statistics.median(times) if times else None
                out.append((f"write: {name} ({interface})", median, len(times)))
    finally:
        settings.RATE_LIMITS = limits
    assert ControlChange.objects.count() == before, "a bench write was not rolled back"
    return out
