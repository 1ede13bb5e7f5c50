"""Caches per theatre: a write in one theatre leaves another's layers, ETags, ?rev= keys, cached files and map
page as they were (nothing of it rebuilt), and moves its own; a write every theatre shows moves both."""

import datetime as dt
import re

import pytest
from rest_framework.test import APIClient

from events import geojson
from events.models import ControlChange, Faction
from events.selectors import dates as date_selectors
from events.services import faction_save
from geodata import spatial
from geodata.models import Town
from geodata.services import town_save
from tests.factories import SYSTEM, ControlChangeFactory, SourceFactory
from tests.theatres.test_theatres import body, build_zenda, files  # noqa: F401  (files: a fixture)

# 2017-10-20 shows Syria's last change date (2017-09-03); a change elsewhere dated in between must not move it.
DAY = "2017-10-20"
LAYERS = [
    "/api/control.geojson?date={day}&theatre={t}",
    "/api/provinces.geojson?date={day}&theatre={t}",
    "/api/provinces.geojson?date={day}&level=2&theatre={t}",
    "/api/control-areas.geojson?date={day}&theatre={t}",
    "/api/change-dates.json?theatre={t}",
]
DAYS = {"syria": DAY, "zenda": "2021-04-10"}


class Builds:
    """How many layer files, Voronoi cell sets and date lists were built (cache misses), not read from the cache."""

    def __init__(self, monkeypatch):
        self.count = 0
        for module, name in ((geojson, "dumps"), (spatial, "voronoi_cells"), (date_selectors, "_change_dates_sql")):
            monkeypatch.setattr(module, name, self._counted(getattr(module, name)))

    def _counted(self, built):
        def counted(*args, **kwargs):
            self.count += 1
            return built(*args, **kwargs)

        return counted

    def since(self, before: int) -> int:
        return self.count - before


def page_revision(api, theatre: str) -> tuple[str, bytes]:
    """The revision a theatre's map page names (its layers' ?rev=), and the page itself."""
    page = api.get(f"/?theatre={theatre}&date={DAYS[theatre]}")
    assert page.status_code == 200
    return re.search(rb'"revision": ?"([^"]+)"', page.content).group(1).decode(), page.content


def state(api, theatre: str) -> dict:
    """Everything a reader of ``theatre`` keeps: each layer's ETag and bytes (also under its ?rev=), and the page."""
    rev, page = page_revision(api, theatre)
    found = {"rev": rev, "page": page}
    for url in LAYERS:
        url = url.format(day=DAYS[theatre], t=theatre)
        answer, pinned = api.get(url), api.get(f"{url}&rev={rev}")
        assert answer.status_code == 200 and pinned.status_code == 200, url
        assert "immutable" in pinned["Cache-Control"], url
        found[url] = (answer["ETag"], body(answer), pinned["ETag"], body(pinned))
    return found


def still_fresh(api, theatre: str, kept: dict) -> None:
    """Each of the theatre's layers answers 304 to the ETag it gave before."""
    for url in LAYERS:
        url = url.format(day=DAYS[theatre], t=theatre)
        assert api.get(url, HTTP_IF_NONE_MATCH=kept[url][0]).status_code == 304, url


def moved(before: dict, after: dict) -> bool:
    """The theatre's revision and every layer's ETag moved."""
    return before["rev"] != after["rev"] and all(
        before[url][0] != after[url][0] for url in before if url.startswith("/api/")
    )


@pytest.fixture
def two_theatres(seeded, files, monkeypatch):  # noqa: F811
    zenda = build_zenda(files)
    source = SourceFactory()  # a source is a record every theatre shows: written before the readers look
    return zenda, source, Builds(monkeypatch), APIClient()


def test_a_write_in_zenda_leaves_syrias_caches_as_they_were_and_moves_zendas(two_theatres):
    zenda, source, builds, api = two_theatres
    syria, ruritania = state(api, "syria"), state(api, "zenda")

    # A change published in Zenda, dated between Syria's last change and the day Syria's map shows.
    strelsau = Town.objects.get(slug="strel")
    ControlChangeFactory(
        town=strelsau,
        faction=Faction.objects.get(slug="black-elphberg"),
        effective_date=dt.date(2017, 10, 1),
        sources=[source],
    )
    counted = builds.count
    assert state(api, "syria") == syria  # the same revision, ETags, bytes and page...
    assert builds.since(counted) == 0  # ...read from the cache: nothing of Syria's was built again
    still_fresh(api, "syria", syria)
    after_change = state(api, "zenda")
    assert moved(ruritania, after_change)

    # A town of Zenda edited.
    strelsau.population = 12_345
    town_save(town=strelsau)
    counted = builds.count
    assert state(api, "syria") == syria
    assert builds.since(counted) == 0
    assert moved(after_change, state(api, "zenda"))


def test_a_write_in_syria_leaves_zendas_caches_as_they_were(two_theatres):
    zenda, source, builds, api = two_theatres
    syria, ruritania = state(api, "syria"), state(api, "zenda")

    raqqa = Town.objects.get(slug="raqqa")
    ControlChangeFactory(
        town=raqqa,
        faction=Faction.objects.get(slug="sdf"),
        effective_date=dt.date(2017, 10, 5),
        sources=[source],
        day_part=ControlChange.DayPart.EVENING,
    )
    counted = builds.count
    assert state(api, "zenda") == ruritania
    assert builds.since(counted) == 0
    still_fresh(api, "zenda", ruritania)
    assert moved(syria, state(api, "syria"))


def test_a_faction_colour_edit_moves_every_theatre(two_theatres):
    zenda, source, builds, api = two_theatres
    syria, ruritania = state(api, "syria"), state(api, "zenda")

    islamic_state = Faction.objects.get(slug="islamic-state")  # holds land in both theatres
    islamic_state.colour = "#101010"
    faction_save(faction=islamic_state, by=SYSTEM)
    assert moved(syria, state(api, "syria"))
    assert moved(ruritania, state(api, "zenda"))


def test_a_rolled_back_write_in_a_theatre_moves_no_revision(two_theatres):
    from django.db import transaction

    from events.selectors import data_version

    zenda, source, builds, api = two_theatres
    before = (data_version(), data_version(theatre=zenda), data_version(theatre=Town.objects.get(slug="raqqa").theatre))
    strelsau = Town.objects.get(slug="strel")
    with pytest.raises(RuntimeError), transaction.atomic():
        strelsau.population = 1
        town_save(town=strelsau)
        raise RuntimeError("rolled back")
    assert (
        data_version(),
        data_version(theatre=zenda),
        data_version(theatre=Town.objects.get(slug="raqqa").theatre),
    ) == before


def test_every_theatres_control_areas_are_each_theatres_own_side_by_side(seeded, files):  # noqa: F811
    api = APIClient()
    url = "/api/control-areas.geojson?date=2021-04-10"
    before = {f["id"]: f for f in api.get(url).json()["features"]}
    build_zenda(files)
    after = {f["id"]: f for f in api.get(url).json()["features"]}
    zenda = {f["id"]: f for f in api.get(url + "&theatre=zenda").json()["features"]}
    assert set(after) == set(before) | set(zenda)
    # Adding Zenda leaves every class Zenda has not as it was, to the coordinate and the km².
    for faction in set(before) - set(zenda):
        assert after[faction] == before[faction], faction
    # A faction of both holds its Syrian land as before and its Zenda land beside it.
    shared = after["islamic-state"]
    assert shared["geometry"]["type"] == "MultiPolygon"
    parts = shared["geometry"]["coordinates"]
    for theatre_feature in (before["islamic-state"], zenda["islamic-state"]):
        geometry = theatre_feature["geometry"]
        own = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        assert all(part in parts for part in own)
    assert len(parts) == len(own) + (
        1
        if before["islamic-state"]["geometry"]["type"] == "Polygon"
        else len(before["islamic-state"]["geometry"]["coordinates"])
    )
    assert shared["properties"]["towns"] == before["islamic-state"]["properties"]["towns"] + 1
    assert shared["properties"]["area_km2"] == pytest.approx(
        before["islamic-state"]["properties"]["area_km2"] + zenda["islamic-state"]["properties"]["area_km2"], abs=0.2
    )
    assert after["black-elphberg"]["geometry"] == zenda["black-elphberg"]["geometry"]


def test_api_list_rows_name_their_theatre(seeded, files, django_assert_max_num_queries):  # noqa: F811
    api = APIClient()
    build_zenda(files)
    for url in ("/api/towns/", "/api/areas/", "/api/control-changes/"):
        for theatre in ("syria", "zenda"):
            rows = api.get(f"{url}?theatre={theatre}&limit=1000").json()["results"]
            assert rows and {row["theatre"] for row in rows} == {theatre}, url
        with django_assert_max_num_queries(8):  # the theatre comes with the rows: no query per row
            rows = api.get(f"{url}?limit=1000").json()["results"]
        assert {row["theatre"] for row in rows} == {"syria", "zenda"}, url
    raqqa = api.get("/api/towns/raqqa/").json()
    assert raqqa["theatre"] == "syria"


def test_each_writer_moves_the_revision_of_the_theatre_it_wrote(seeded, files):  # noqa: F811
    from events.selectors import data_version
    from events.services import factions_save_many
    from events.services.coalitions import faction_role_set
    from geodata.models import AdminArea, Theatre
    from geodata.services import admin_area_save
    from tests.theatres.test_theatres import changes_csv, run

    zenda = build_zenda(files)
    syria = Theatre.objects.get(slug="syria")

    def versions():
        return data_version(theatre=syria), data_version(theatre=zenda), data_version()

    def after(write) -> tuple[bool, bool, bool]:
        before = versions()
        write()
        return tuple(b != a for b, a in zip(before, versions(), strict=True))

    area = AdminArea.objects.get(code="ZZ01")
    area.name_ar = "الشمال"
    assert after(lambda: admin_area_save(area=area)) == (False, True, True)
    russia = Faction.objects.get(slug="russia")
    assert after(lambda: faction_role_set(theatre=zenda, faction=russia, coalition=None, by=SYSTEM)) == (
        False,
        True,
        True,
    )
    more = changes_csv(files["dir"] / "more.csv", [("Strelsau", "Black Elphberg", "2021-05-01")])
    assert after(lambda: run("import_changes", more, "--theatre", "zenda", "--commit", "--publish")) == (
        False,
        True,
        True,
    )
    assert after(lambda: factions_save_many(factions=[], by=SYSTEM)) == (False, False, False)  # an empty batch
    assert after(lambda: SourceFactory()) == (True, True, True)  # a source every theatre may cite
    raqqa = Town.objects.get(slug="raqqa")
    raqqa.population = 1
    assert after(lambda: town_save(town=raqqa)) == (True, False, True)


def _counted_theatres(monkeypatch) -> list:
    """The theatres whose summary /api/theatres/ counts (not read from the cache)."""
    from events.selectors import theatres as theatre_selectors

    counted: list = []
    real = theatre_selectors._summaries

    def counting(theatres, *, every):
        counted.append(sorted(t.slug for t in theatres))
        return real(theatres, every=every)

    monkeypatch.setattr(theatre_selectors, "_summaries", counting)
    return counted


def _plain_counts(slug: str) -> tuple:
    from events.selectors import changes_in_force

    log = changes_in_force(published_only=True).filter(town__theatre__slug=slug)
    dates = sorted(log.values_list("effective_date", flat=True))
    return log.count(), dates[0].isoformat(), dates[-1].isoformat()


@pytest.mark.parametrize("written", ["zenda", "syria"])
def test_a_write_in_one_theatre_counts_that_theatres_summary_alone(two_theatres, monkeypatch, written):
    zenda, source, builds, api = two_theatres
    counted = _counted_theatres(monkeypatch)
    first = {t["slug"]: t for t in api.get("/api/theatres/").json()["results"]}
    assert counted == [["syria", "zenda"]]  # nothing kept yet: both, in one pass over the log
    assert api.get("/api/theatres/").json()["results"] == sorted(first.values(), key=lambda t: t["name"])
    assert len(counted) == 1  # kept

    town = Town.objects.get(slug="strel" if written == "zenda" else "raqqa")
    ControlChangeFactory(town=town, faction=Faction.objects.get(slug="black-elphberg"),
                         effective_date=dt.date(2021, 5, 1) if written == "zenda" else dt.date(2017, 10, 5),
                         sources=[source], day_part=ControlChange.DayPart.EVENING)
    after = {t["slug"]: t for t in api.get("/api/theatres/").json()["results"]}
    assert counted[1:] == [[written]]  # the other theatre's summary is read from the cache
    for slug in ("syria", "zenda"):  # each equal to a plain count of its log
        summary = after[slug]
        assert (summary["counts"]["changes"], summary["first_change"], summary["last_change"]) == _plain_counts(slug)
    assert after[written]["counts"]["changes"] == first[written]["counts"]["changes"] + 1
    other = "syria" if written == "zenda" else "zenda"
    assert after[other] == first[other]
    assert api.get(f"/api/theatres/{written}/").json() == after[written]
