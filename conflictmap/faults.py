"""When the database is unreachable or locked, or the disk is full: a one-line answer, never a traceback.

A database that is down answers 503 with Retry-After (JSON under /api/). Every worker checks its kept
connection before the first query of a request (``CONN_HEALTH_CHECKS``), so when the database is
back the next request reconnects instead of failing on the dead connection. The log says once per
worker process when the database went away and once when it came back, one line each, not a
traceback per request.

A full disk (``ENOSPC``, SQLite's "database or disk is full", PostgreSQL's "could not extend file")
is not something to retry in a few seconds: it answers 507 and says the disk is full.
"""

import errno
import logging
import os
import sqlite3
import threading
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import Error as DatabaseError
from django.db import InterfaceError, OperationalError, connection
from django.db.backends.signals import connection_created
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
MESSAGE = "The database is not answering just now. Please try again in a few seconds."
DISK_FULL = "The disk is full"
DISK_FULL_MESSAGE = f"{DISK_FULL} on the server, so nothing was saved. Please tell the site's operator."

# Words the databases use for a full disk (sqlite3.OperationalError, psycopg's DiskFull / could not extend).
DISK_FULL_WORDS = ("database or disk is full", "no space left on device", "could not extend file")


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the disk is full."""
    for link in _chain(exc):
        if isinstance(link, OSError) and link.errno == errno.ENOSPC:
            return True
        if getattr(link, "sqlite_errorcode", None) == 13 or getattr(link, "sqlstate", None) == "53100":
            return True  # SQLITE_FULL; PostgreSQL's disk_full
        words = str(link).lower()
        if isinstance(link, OSError | DatabaseError | sqlite3.Error) and any(w in words for w in DISK_FULL_WORDS):
            return True
    return False


def is_database_down(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError | InterfaceError) and not is_disk_full(exc)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


class _DatabaseState:
    """Whether this worker process last found the database down; logs only when that changes."""

    def __init__(self):
        self.down = False
        self.lock = threading.Lock()

    def went_down(self, exc: BaseException) -> None:
        with self.lock:
            if self.down:
                return
            self.down = True
        logger.error(
            "Database unavailable in worker %s; answering 503 until it is back (%s)", os.getpid(), one_line(exc)
        )

    def came_back(self) -> None:
        with self.lock:
            if not self.down:
                return
            self.down = False
        logger.warning("Database reachable again in worker %s", os.getpid())


database_state = _DatabaseState()


def _connected(sender, connection, **kwargs) -> None:
    database_state.came_back()


connection_created.connect(_connected, dispatch_uid="conflictmap.faults.connected")


def _answered(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    database_state.came_back()
    return result


def _answer(request, message: str, status: int) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=status)
    else:
        title = "Disk full" if status == 507 else "Temporarily unavailable"
        response = HttpResponse(
            f"<!doctype html><meta charset=utf-8><title>{title}</title><p>{escape(message)}</p>", status=status
        )
    # Logged once per change of state above; Django's per-request "Service Unavailable" line would repeat it.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def database_unavailable(request) -> HttpResponse:
    response = _answer(request, MESSAGE, 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def disk_full(request) -> HttpResponse:
    return _answer(request, DISK_FULL_MESSAGE, 507)


def fault_response(request, exc: BaseException) -> HttpResponse | None:
    """The answer for a full disk or a database that is down, logged in one line; None for any other error."""
    if is_disk_full(exc):
        logger.error("Disk full on %s %s: %s", request.method, request.path, one_line(exc))
        return disk_full(request)
    if is_database_down(exc):
        database_state.went_down(exc)
        return database_unavailable(request)
    return None


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not database_state.down:
            return self._respond(request)
        # The first query that works says the database is back, e.g. after SQLite's "database is locked"
        # on a connection that stayed open (a new connection says so through connection_created).
        with connection.execute_wrapper(_answered):
            return self._respond(request)

    def _respond(self, request):
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError, OSError) as exc:  # raised outside a view, e.g. by sessions
            response = fault_response(request, exc)
            if response is None:
                raise
            return response

    def process_exception(self, request, exception):
        return fault_response(request, exception)


@contextmanager
def disk_full_command_error(nothing_written: str):
    """In a management command: a full disk is one line (CommandError), not a traceback."""
    try:
        yield
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        raise CommandError(
            f"{DISK_FULL}: {nothing_written} ({one_line(exc)}). Free some space and run it again."
        ) from None
