"""The database every test sees: the shipped scenario (``seeded``) or an empty project.

The seed is loaded once per run, in ``django_db_setup``, and committed; each test then runs in a
transaction rolled back at its end, so the seed comes back for the next one. A test that uses the
database without asking for ``seeded`` was written for an empty one: the project's tables are
emptied inside its transaction (the rollback brings the seed back). Transactional tests
(``transaction=True``, ``live_server``) commit and are flushed at their end, which wipes the seed;
``seeded`` then loads it again, so any order of tests works.
"""

from dataclasses import dataclass, field
from functools import cache

import pytest
from django.apps import apps
from django.core.cache import caches
from django.db import connection

from events.seeding import seed_scenario_load
from tests.events.roles import user_in

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
    """Delete every row of the project's tables: one raw DELETE per table, foreign-key safe."""
    with connection.cursor() as cursor:
        for model in project_models():
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


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


@pytest.fixture(autouse=True)
def _database_as_the_test_expects(request):
    """Empty project tables for a test not asking for ``seeded``; no cached result from another test."""
    for django_cache in caches.all():
        django_cache.clear()
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
