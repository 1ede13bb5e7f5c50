"""The control log's list keeps its count per data version: the same answers as counting every time, and a
client paging through after no write waits for no count."""

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_filters import ChoiceFilter, ModelChoiceFilter

from events import services
from events.api.filters import AreaField, FactionField, IsoDateField, TheatreField
from events.api.views import ControlChangeViewSet
from events.models import ControlChange, Faction, Source
from geodata.models import AdminArea, Theatre, Town
from tests.factories import ControlChangeFactory

pytestmark = pytest.mark.django_db

# Every page at once (the seed's log is shorter): the whole answer is compared, not only its count.
WHOLE = "limit=1000"


def _spread(values: list) -> list:
    """The first, a middle and the last of ``values`` (all of them when fewer)."""
    return values if len(values) <= 3 else [values[0], values[len(values) // 2], values[-1]]


def filter_values(name: str, found) -> list[str]:
    """Values of the list's filter ``name`` from the data, chosen by what the filter parses."""
    field = found.field_class
    if issubclass(field, IsoDateField):
        return [
            d.isoformat() for d in _spread(sorted(set(ControlChange.objects.values_list("effective_date", flat=True))))
        ]
    if issubclass(field, FactionField):
        return list(Faction.objects.order_by("slug").values_list("slug", flat=True))
    if issubclass(field, AreaField):
        areas = AdminArea.objects.filter(towns__control_changes__isnull=False).select_related("parent")
        return _spread(sorted({(area if area.level == 1 else area.parent).slug for area in areas}))
    if issubclass(field, TheatreField):
        return list(Theatre.objects.order_by("slug").values_list("slug", flat=True))
    if isinstance(found, ModelChoiceFilter):
        rows = found.extra["queryset"].filter(control_changes__isnull=False).distinct().order_by("pk")
        return _spread([str(getattr(row, found.extra.get("to_field_name") or "pk")) for row in rows])
    if isinstance(found, ChoiceFilter):
        return [key for key, _ in found.extra["choices"]]
    raise AssertionError(f"No values for the list's filter '{name}': say here how to choose them.")


def filter_cases() -> list[str]:
    """No filter; each filter with each of its values; each pair of filters with their first values."""
    values = {
        name: filter_values(name, found) for name, found in ControlChangeViewSet.filterset_class.get_filters().items()
    }
    singles = [f"{name}={value}" for name, options in values.items() for value in options]
    pairs = [f"{a}={values[a][0]}&{b}={values[b][0]}" for a, b in itertools.combinations(sorted(values), 2)]
    return ["", *singles, *pairs]


def answers(readers, cases) -> dict:
    found = {}
    for (who, client, extra), case in itertools.product(readers, cases):
        response = client.get(f"/api/control-changes/?{WHOLE}&{case}{extra}")
        assert response.status_code in (200, 400), (who, case, response.content)
        found[who, case] = (response.status_code, response.json())
    return found


def test_counts_kept_equal_counting_every_time(seeded, api, editor_client, reviewer, monkeypatch):
    cases = filter_cases()
    assert len(cases) > 50
    moment = timezone.now().isoformat()
    readers = [
        ("public", api, ""),
        ("editor", editor_client, ""),
        ("editor as published", editor_client, f"&as_published={moment}"),
    ]
    answers(readers, cases)  # kept under the seed's version
    town, sdf = Town.objects.get(slug="uqayribat"), Faction.objects.get(slug="sdf")
    draft = ControlChangeFactory(
        town=town, faction=sdf, effective_date=dt.date(2017, 9, 4), state="draft", sources=[Source.objects.first()]
    )
    published = (
        ControlChange.objects.filter(state="published", supersedes=None).exclude(town=town).order_by("pk").first()
    )
    writes = [
        lambda: services.control_change_publish(change=draft, by=reviewer),
        lambda: services.control_change_retract(change=published, by=reviewer, reason="Misread the source."),
        lambda: services.control_change_create(
            town=town,
            faction=Faction.objects.get(slug="islamic-state"),
            effective_date=dt.date(2017, 9, 2),
            sources=[Source.objects.first()],
            supersedes=ControlChange.objects.get(town=town, effective_date=dt.date(2017, 9, 2), state="published"),
            state="published",
            entered_by=reviewer,
        ),
    ]
    for write in writes:
        write()
        kept = answers(readers, cases)
        with monkeypatch.context() as plain:  # DRF's COUNT, every one, and the page in the planner's own way
            plain.setattr(ControlChangeViewSet, "count_key", lambda view: None)
            plain.setattr(ControlChangeViewSet, "page_keys", lambda view, queryset: queryset)
            counted = answers(readers, cases)
        differ = [key for key in counted if kept[key] != counted[key]]
        assert not differ, differ[:5]
        assert any(status == 200 and body["count"] for status, body in counted.values())


def _count_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.parametrize("query", ["", "&faction=sdf", "&governorate=hama&from=2017-09-01"])
def test_a_second_page_after_no_write_makes_no_count(seeded, api, reviewer, query):
    first = api.get(f"/api/control-changes/?limit=1{query}").json()
    with CaptureQueriesContext(connection) as queries:
        second = api.get(f"/api/control-changes/?limit=1&offset=1{query}").json()
    assert not _count_queries(queries.captured_queries)
    assert second["count"] == first["count"] > 1 and second["previous"] and len(second["results"]) == 1
    # After a write the next page counts again, and counts the change it published.
    draft = ControlChangeFactory(
        town=Town.objects.get(slug="hama"),
        faction=Faction.objects.get(slug="sdf"),
        effective_date=dt.date(2017, 9, 20),
        state="draft",
        sources=[Source.objects.first()],
    )
    services.control_change_publish(change=draft, by=reviewer)
    with CaptureQueriesContext(connection) as queries:
        third = api.get(f"/api/control-changes/?limit=1&offset=2{query}").json()
    assert _count_queries(queries.captured_queries)
    assert third["count"] == first["count"] + 1


@pytest.mark.sqlite_only("SQLite's planner: PostgreSQL chooses its own way to the page")
def test_the_page_walks_the_date_index(seeded, api):
    """The page is read along change_date_idx, not as every change sorted (4 s a page at a million changes)."""
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/control-changes/?limit=5&offset=5").status_code == 200
    ordered = [q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"] and "LIMIT 5" in q["sql"]]
    assert len(ordered) == 1
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {ordered[0]}")
        plan = " | ".join(row[-1] for row in cursor.fetchall())
    assert "USING INDEX change_date_idx" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan
