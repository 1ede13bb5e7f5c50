"""The database every test sees: the shipped scenario (``seeded``) or an empty project.

The seed is loaded once per run, in ``django_db_setup``, and committed; each test then runs in a
transaction rolled back at its end, so the seed comes back for the next one. A test that uses the
database without asking for ``seeded`` was written for an empty one: the project's tables are
emptied inside its transaction (the rollback brings the seed back). Transactional tests
(``transaction=True``, ``live_server``) commit and are flushed at their end, which wipes the seed;
``seeded`` then loads it again, so any order of tests works.

A test that needs a tool or a file this machine may lack asks through ``requires_tool`` or
``requires_file``: it skips, with what to install, on a developer's machine and fails under CI (CI=true,
read as the settings read a flag). Under CI every other skip fails too, save the one kind a run is
expected to have: a test marked ``sqlite_only`` or ``postgresql_only`` on the other database.
"""

import os
import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import connection

from conflictmap.settings.base import env_bool
from events.seeding import seed_scenario_load
from events.territory import provinces
from geodata.models import Theatre
from tests.events.roles import client_as, user_in
from tests.seed_theatre import SEED_THEATRE  # the seed's theatre as a migrated database holds it

# --- what a run must have: skips a developer may see, failures under CI --------------------------------

DATABASE_ONLY = {"sqlite_only": "sqlite", "postgresql_only": "postgresql"}
DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def in_ci() -> bool:
    return env_bool("CI")


def skip_or_fail(reason: str, *, what: str = "this test") -> None:
    """Skip for a developer who lacks something; fail under CI, which must never pass by skipping."""
    if in_ci():
        pytest.fail(f"CI={os.environ['CI']} and {what} cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def requires_tool(name: str, *, install: str) -> str:
    """The tool's path (a name on PATH, or an absolute path); else skip, or fail under CI, saying what to install."""
    found = shutil.which(name)
    if found is None:
        skip_or_fail(f"{name} is not installed ({install})", what=f"a test needing {Path(name).name}")
    return found


def requires_file(path: Path, *, provide: str) -> Path:
    """``path`` if it exists; else skip, or fail under CI, saying how to provide it."""
    if not path.exists():
        skip_or_fail(f"{path} is absent ({provide})", what=f"a test needing {path.name}")
    return path


def other_database(item) -> str | None:
    """Why ``item`` does not run on this run's database, or None if it does."""
    for name, vendor in DATABASE_ONLY.items():
        marker = item.get_closest_marker(name)
        if marker is not None and connection.vendor != vendor:
            why = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            return f"{DATABASE_NAMES[vendor]} only" + (f": {why}" if why else "")
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = other_database(item)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


def skip_reason(report) -> str:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return reason.removeprefix("Skipped: ")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI a skip fails the test, unless the test is declared for the other database."""
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and in_ci() and other_database(item) is None:
        reason = skip_reason(report)
        report.outcome = "failed"
        report.longrepr = (f"CI={os.environ['CI']}: a skip fails the run ({reason}). Install what it needs "
                           f"(.ci/run), or mark it sqlite_only / postgresql_only if it belongs to one database.")
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """Under CI a module that skips itself at collection (importorskip, skip(allow_module_level=True)) fails."""
    report = yield
    if report.skipped and in_ci():
        reason = skip_reason(report)
        report.outcome = "failed"
        report.longrepr = f"CI={os.environ['CI']}: {collector.nodeid} skips itself at collection ({reason})."
    return report


# --- the database ------------------------------------------------------------------------------------------

# The project's own data; auth, contenttypes and sessions are left alone (groups come from migrations).
PROJECT_APPS = ("events", "geodata")
DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


@dataclass
class SessionSeed:
    report: object = None
    counts: dict[str, int] = field(default_factory=dict)


SESSION_SEED = SessionSeed()


@cache
def project_models() -> tuple:
    """Every table of the project (history and many-to-many ones too), referencing tables first."""
    models = [
        m for label in PROJECT_APPS for m in apps.get_app_config(label).get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]
    ordered: list = []

    def visit(model, path=()):
        if model in ordered or model in path:
            return
        for other in models:  # whatever points at this model is deleted before it
            if other is not model and any(
                f.many_to_one or f.one_to_one for f in other._meta.concrete_fields
                if f.is_relation and f.related_model is model and getattr(f, "db_constraint", True)
            ):
                visit(other, (*path, model))
        ordered.append(model)

    for model in models:
        visit(model)
    return tuple(ordered)


def project_tables_empty() -> None:
    """Delete every row of the project's tables: one raw DELETE per table, foreign-key safe; then the one
    theatre a migrated database starts with (``geodata/migrations/0004_theatres``, with the credit lines
    ``0005_theatre_boundaries_source`` gives it: the seed's theatre.json)."""
    with connection.cursor() as cursor:
        for model in project_models():
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    Theatre.objects.create(**SEED_THEATRE)


def project_counts() -> dict[str, int]:
    return {m._meta.db_table: m._base_manager.count() for m in project_models()}


def seed_load() -> None:
    """Load the scenario into empty project tables and remember what it looks like."""
    project_tables_empty()
    SESSION_SEED.report = seed_scenario_load()
    SESSION_SEED.counts = project_counts()


def wants_seed(item) -> bool:
    return "seeded" in getattr(item, "fixturenames", ())


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """pytest-django's test databases, then the seed once, committed (only if a test asks for it)."""
    if any(wants_seed(item) for item in request.session.items):
        with django_db_blocker.unblock():
            seed_load()


def uses_db(request) -> bool:
    return request.node.get_closest_marker("django_db") is not None or bool(DB_FIXTURES & set(request.fixturenames))


@pytest.fixture(scope="session", autouse=True)
def _test_exports_removed():
    """The whole history's files this run wrote (settings.test's own folder; never one EXPORTS_DIR names)."""
    yield
    if Path(settings.EXPORTS_DIR) == getattr(settings, "TEST_EXPORTS_DIR", None):
        shutil.rmtree(settings.TEST_EXPORTS_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _database_as_the_test_expects(request):
    """Empty project tables for a test not asking for ``seeded``; no cached result from another test."""
    for django_cache in caches.all():
        django_cache.clear()
    # The areas' frames a worker keeps per version of the areas (ids, levels, parents, updated_at): a test that
    # changes an area with QuerySet.update() and is rolled back leaves the version as it was, the frame not.
    provinces.forget_kept_areas()
    if uses_db(request) and not wants_seed(request.node):
        request.getfixturevalue("db")
        project_tables_empty()
    yield
    for django_cache in caches.all():
        django_cache.clear()


@pytest.fixture
def seeded(db):
    """The shipped Syria 2017 scenario (loaded once per run; put back if a transactional test wiped it)."""
    if not SESSION_SEED.counts or project_counts() != SESSION_SEED.counts:
        seed_load()
    return SESSION_SEED.report


@pytest.fixture
def editor(db):
    """A user in the editor group (adds and edits drafts)."""
    return user_in("editor")


@pytest.fixture
def reviewer(db):
    """A user in the reviewer group (publishes, rejects, retracts)."""
    return user_in("reviewer")


@pytest.fixture
def editor_client(editor):
    """A test client logged in as ``editor``."""
    return client_as(editor)


@pytest.fixture
def reviewer_client(reviewer):
    """A test client logged in as ``reviewer``."""
    return client_as(reviewer)


class RecordedBar:
    """Stands in for tqdm in conflictmap.progress: keeps its arguments, stages, count and total."""

    def __init__(self, bars: list, **kwargs):
        self.kwargs, self.n, self.total, self.stages, self.closed = kwargs, 0, None, [], False
        bars.append(self)

    def reset(self, total):
        self.n, self.total = 0, total

    def set_description(self, stage):
        self.stages.append(stage)

    def update(self, n):
        self.n += n

    def close(self):
        self.closed = True


@pytest.fixture
def progress_bars(monkeypatch) -> list[RecordedBar]:
    """Every progress bar a command opens, in order (conflictmap.progress's tqdm replaced by RecordedBar)."""
    from conflictmap import progress

    bars: list[RecordedBar] = []
    monkeypatch.setattr(progress, "tqdm", lambda **kwargs: RecordedBar(bars, **kwargs))
    return bars
