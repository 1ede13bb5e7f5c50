import datetime as dt
import re

import geopandas as gpd
import pytest
import shapely
import shapely.geometry
from django.core.cache import cache

from events import exports, territory
from events.models import ControlChange, Faction
from events.selectors import control_as_of
from geodata import selectors as places
from geodata import spatial
from geodata.models import AdminArea, Town
from tests.factories import ControlChangeFactory

AUG_31, SEP_1, SEP_2, SEP_3 = (dt.date(2017, 8, 31), dt.date(2017, 9, 1), dt.date(2017, 9, 2), dt.date(2017, 9, 3))


def _faction_at(frame, town: Town) -> str:
    point = shapely.Point(town.longitude, town.latitude)
    hits = [row.faction for row in frame.itertuples() if row.geometry.covers(point)]
    assert len(hits) == 1, hits
    return hits[0]


def test_province_control_has_one_row_per_governorate_with_the_agreed_columns(seeded):
    frame = territory.province_control_as_of(on=SEP_3)
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == 14
    assert list(frame.columns) == [
        "area_id", "code", "name", "name_ar", "slug", "geometry", "towns", "dominant_faction", "shares",
        "population_shares", "contested",
    ]
    assert frame["code"].tolist() == sorted(frame["code"])


def test_hama_on_3_september_is_held_by_the_government_but_contested_by_rebels(seeded):
    hama = territory.province_control_as_of(on=SEP_3).set_index("slug").loc["hama"]
    assert hama["towns"] == 5
    # Hama city, Salamiyah, Uqayribat are government; Al-Lataminah and Kafr Zita rebel.
    assert hama["shares"] == pytest.approx({"opposition": 0.4, "pro-government": 0.6})
    assert hama["dominant_faction"] == "pro-government"
    assert not hama["contested"]  # a 3/5 majority and no contested town
    assert sum(hama["population_shares"].values()) == pytest.approx(1.0)


def test_raqqa_is_contested_while_the_battle_goes_on(seeded):
    raqqa = territory.province_control_as_of(on=SEP_3).set_index("slug").loc["raqqa"]
    assert raqqa["contested"]
    assert raqqa["dominant_faction"] == "sdf"


def test_hama_is_contested_on_2_september_when_uqayribat_is(seeded):
    hama = territory.province_control_as_of(on=SEP_2).set_index("slug").loc["hama"]
    assert hama["contested"]


def test_a_tie_has_no_dominant_faction_and_counts_as_contested(seeded):
    # Quneitra's two seed towns: Quneitra (opposition) and Khan Arnabah (government).
    quneitra = territory.province_control_as_of(on=SEP_3).set_index("slug").loc["quneitra"]
    assert quneitra["shares"] == {"opposition": 0.5, "pro-government": 0.5}
    assert quneitra["dominant_faction"] is None
    assert quneitra["contested"]


def test_an_area_without_known_control_has_no_shares(seeded):
    frame = territory.province_control_as_of(on=dt.date(2013, 1, 1)).set_index("slug")
    assert frame.loc["hama", "towns"] == 5
    assert frame.loc["hama", "shares"] == {}
    assert frame.loc["hama", "dominant_faction"] is None
    assert not frame.loc["hama", "contested"]


def _country_km2() -> float:
    areas = places.admin_areas_frame(level=1)
    return spatial.area_km2(areas.geometry, spatial.equal_area_crs(areas)).sum()


@pytest.mark.parametrize("on", [dt.date(2014, 1, 1), dt.date(2016, 12, 31), SEP_2, SEP_3])
def test_known_and_unknown_land_make_up_the_country_within_half_a_percent(seeded, on):
    frame = territory.control_areas_as_of(on=on)
    assert frame["area_km2"].sum() + territory.unknown_km2(on=on) == pytest.approx(_country_km2(), rel=0.005)
    assert list(frame.columns) == ["faction", "faction_name", "colour", "area_km2", "towns", "population", "geometry"]
    assert frame.crs.to_epsg() == 4326


def test_when_every_town_is_known_only_land_beyond_every_reach_is_unpainted(seeded):
    frame = territory.control_areas_as_of(on=SEP_3)
    cells, _ = territory.cell_areas()
    beyond = cells.loc[cells["site"] == spatial.NO_SITE, "area_km2"].sum()
    assert territory.unknown_km2(on=SEP_3) == pytest.approx(beyond)
    assert frame["area_km2"].sum() == pytest.approx(_country_km2() - beyond, rel=0.005)
    assert frame["faction"].tolist()[-1] == "contested"


def _outside(geom, border) -> float:
    """The area of ``geom`` beyond ``border``, less the strip its snapping to the grid may move its edge."""
    strip = geom.length * spatial.GRID_DEG  # each vertex moves less than one grid step
    return max(0.0, shapely.difference(geom, border).area - strip)


def test_early_dates_paint_only_the_land_of_the_towns_known_then(seeded):
    # On 1 January 2014 only Uqayribat's IS record exists: IS holds its town's cell, not all of Syria.
    early = territory.control_areas_as_of(on=dt.date(2014, 1, 1)).set_index("faction")
    assert list(early.index) == ["islamic-state"] and early.loc["islamic-state", "towns"] == 1
    assert early.loc["islamic-state", "area_km2"] < 0.05 * _country_km2()
    uqayribat = Town.objects.get(slug="uqayribat")
    assert _faction_at(early.reset_index(), uqayribat) == "islamic-state"
    hama = shapely.geometry.shape(AdminArea.objects.get(slug="hama").geometry)
    assert _outside(early.loc["islamic-state", "geometry"], hama) == 0  # stays in Hama
    # On 31 December 2016, Aleppo (government) is known too: two small areas, each in its own governorate.
    late = territory.control_areas_as_of(on=dt.date(2016, 12, 31)).set_index("faction")
    assert sorted(late.index) == ["islamic-state", "pro-government"]
    assert late["area_km2"].sum() < 0.1 * _country_km2()
    aleppo = shapely.geometry.shape(AdminArea.objects.get(slug="aleppo").geometry)
    assert _outside(late.loc["pro-government", "geometry"], aleppo) == 0
    # The same figures as the factions page's cheap path.
    over_time = territory.territory_over_time().at(dt.date(2016, 12, 31))
    assert over_time["area_km2"].to_dict() == pytest.approx(late["area_km2"].to_dict())


def test_a_governorate_whose_towns_are_all_unknown_is_claimed_by_nobody(seeded):
    # On 31 December 2016 only Uqayribat (Hama) and Aleppo (Aleppo) have records; Homs, Raqqa and
    # the rest border them but none of their land may go to those two towns.
    frame = territory.control_areas_as_of(on=dt.date(2016, 12, 31))
    others = AdminArea.objects.filter(level=1).exclude(slug__in=["hama", "aleppo"])
    assert others.count() == 12
    for area in others:
        shape = shapely.geometry.shape(area.geometry)
        assert all(shapely.intersection(g, shape).area < 1e-8 for g in frame.geometry), area.slug


def test_the_contested_colour_stands_apart_from_every_seed_faction_at_map_opacity(seeded):
    from events.colours import TOO_CLOSE, colour_distance

    def on_white(colour: str, alpha: float = 0.35) -> str:
        rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
        return "#" + "".join(f"{round(alpha * v + (1 - alpha) * 255):02x}" for v in rgb)

    for faction in Faction.objects.all():
        assert colour_distance(on_white(territory.CONTESTED_COLOUR), on_white(faction.colour)) >= TOO_CLOSE, faction
    frame = territory.control_areas_as_of(on=SEP_3).set_index("faction")
    assert frame.loc["contested", "colour"] == territory.CONTESTED_COLOUR


def test_territory_over_time_matches_control_areas_on_every_change_date(seeded):
    from events.selectors import change_dates

    dates = change_dates()
    over_time = territory.territory_over_time()
    # The seed has few dates: one point per change date, each the slice of that date.
    assert over_time.step == "day" and over_time.dates == dates
    for on in dates:
        frame = territory.control_areas_as_of(on=on).set_index("faction")
        mine = over_time.at(on)
        mine = mine[mine["area_km2"] > 0]
        assert sorted(mine.index) == sorted(frame.index), on
        for column in ("towns", "population", "area_km2"):
            assert mine[column].to_dict() == pytest.approx(frame[column].to_dict()), (on, column)


def test_territory_over_time_by_month_ends_each_month_on_its_slice(seeded):
    from events.selectors import change_dates

    by_month = territory.territory_over_time(step="month")
    months = {}
    for on in change_dates():
        months[on.isoformat()[:7]] = on
    assert by_month.dates == sorted(months.values())  # each point is its month's last change date
    for on in by_month.dates:
        frame = territory.control_areas_as_of(on=on).set_index("faction")
        mine = by_month.at(on)
        assert mine["towns"].to_dict() == frame["towns"].to_dict(), on
        assert mine["area_km2"].to_dict() == pytest.approx(frame["area_km2"].to_dict()), on


def test_area_shares_over_time_match_province_control_on_each_date(seeded):
    hama = AdminArea.objects.get(slug="hama")
    step, timeline = territory.area_shares_over_time(area=hama)
    assert step == "day" and [d for d, _ in timeline][-3:] == [SEP_1, SEP_2, SEP_3]
    for on, shares in timeline:
        frame = territory.province_control_as_of(on=on).set_index("slug")
        assert shares == pytest.approx(frame.loc["hama", "shares"]), on


def test_control_areas_never_leave_the_country(seeded):
    frame = territory.control_areas_as_of(on=SEP_3)
    country = shapely.union_all(places.admin_areas_frame(level=1).geometry.to_numpy())
    for geom in frame.geometry:
        assert geom.geom_type in ("Polygon", "MultiPolygon")
        assert _outside(geom, country) == 0


def test_control_area_pieces_do_not_overlap(seeded):
    frame = territory.control_areas_as_of(on=SEP_3)
    geoms = list(spatial.to_metric(frame.geometry, spatial.equal_area_crs(frame)))
    for i, a in enumerate(geoms):
        for b in geoms[i + 1:]:
            assert shapely.intersection(a, b).area < 1_000  # m², float noise along ~1,000s of km of borders


def test_uqayribat_area_changes_faction_between_31_august_and_1_september(seeded):
    uqayribat = Town.objects.get(slug="uqayribat")
    assert _faction_at(territory.control_areas_as_of(on=AUG_31), uqayribat) == "islamic-state"
    assert _faction_at(territory.control_areas_as_of(on=SEP_1), uqayribat) == "pro-government"
    assert _faction_at(territory.control_areas_as_of(on=SEP_2), uqayribat) == "contested"


def test_control_areas_count_towns_and_population_per_faction(seeded):
    frame = territory.control_areas_as_of(on=SEP_3).set_index("faction")
    snapshot = control_as_of(on=SEP_3)
    contested = [t.town.slug for t in snapshot if t.change.status == ControlChange.Status.CONTESTED]
    assert "raqqa" in contested
    assert frame.loc["contested", "towns"] == len(contested)
    assert frame.loc["tfsa", "towns"] == 1  # al-Bab
    assert frame.loc["tfsa", "population"] == Town.objects.get(slug="al-bab").population
    assert frame.loc["pro-government", "colour"] == Faction.objects.get(slug="pro-government").colour
    assert frame["towns"].sum() == Town.objects.count()  # every seed town has a controller on 3 Sep


def test_control_areas_are_deterministic(seeded):
    first = territory.control_areas_as_of(on=SEP_3)
    cache.clear()
    second = territory.control_areas_as_of(on=SEP_3)
    assert first["faction"].tolist() == second["faction"].tolist()
    assert all(a.equals_exact(b, 0) for a, b in zip(first.geometry, second.geometry, strict=True))


def _reads_the_log(queries) -> bool:
    """Whether any of ``queries`` looks up changes up to a date (a time slice)."""
    # The ORM's quoted column on SQLite, the LATERAL query's x.effective_date on PostgreSQL.
    return any(re.search(r'effective_date"?\s*<=', q["sql"]) for q in queries)


def test_the_control_areas_layer_is_kept_per_date_and_data_version(seeded, django_assert_max_num_queries):
    areas = exports.LAYERS["areas"]
    first = areas.export({"date": SEP_3.isoformat()})
    # A kept date costs the data version's read and no time slice.
    with django_assert_max_num_queries(5) as cached:
        assert areas.export({"date": SEP_3.isoformat()}) == first
    assert not _reads_the_log(cached.captured_queries)
    with django_assert_max_num_queries(50) as other_date:
        areas.export({"date": SEP_2.isoformat()})
    assert _reads_the_log(other_date.captured_queries)
    ControlChangeFactory(
        town=Town.objects.get(slug="palmyra"), faction=Faction.objects.get(slug="islamic-state"),
        effective_date=SEP_3, day_part=ControlChange.DayPart.EVENING,
    )
    with django_assert_max_num_queries(50) as after_edit:
        after = areas.export({"date": SEP_3.isoformat()})
    assert _reads_the_log(after_edit.captured_queries)
    assert after.content != first.content
    assert _faction_at(territory.control_areas_as_of(on=SEP_3), Town.objects.get(slug="palmyra")) == "islamic-state"


def test_territory_between_lists_handovers_and_area_gained_and_lost(seeded):
    change = territory.territory_between(start=AUG_31, end=SEP_3)
    by_town = {h.town.slug: h for h in change.handovers}
    assert set(by_town) == {"uqayribat", "raqqa", "kabajib"}
    assert by_town["uqayribat"].from_faction.slug == "islamic-state"
    assert by_town["uqayribat"].to_faction.slug == "pro-government"
    assert by_town["uqayribat"].date == SEP_3
    assert by_town["raqqa"].to_faction.slug == "sdf"
    gov = change.area_change["pro-government"]
    assert gov["gained_km2"] > 100 and gov["lost_km2"] == pytest.approx(0, abs=0.01)
    assert change.area_change["islamic-state"]["lost_km2"] > 100
    gained = sum(v["gained_km2"] for v in change.area_change.values())
    lost = sum(v["lost_km2"] for v in change.area_change.values())
    assert gained == pytest.approx(lost, rel=1e-3)  # land changes hands, it is not made


def test_territory_between_the_same_day_is_empty(seeded):
    change = territory.territory_between(start=SEP_3, end=SEP_3)
    assert change.handovers == []
    assert change.flows == []
    for v in change.area_change.values():
        assert v["gained_km2"] == v["lost_km2"] == v["newly_recorded_km2"] == v["no_longer_recorded_km2"] == 0
        assert v["before_km2"] == v["after_km2"]
    with pytest.raises(ValueError):
        territory.territory_between(start=SEP_3, end=SEP_1)


def test_draft_changes_only_count_for_an_editor_preview(seeded):
    ControlChangeFactory(
        town=Town.objects.get(slug="palmyra"), faction=Faction.objects.get(slug="islamic-state"),
        effective_date=SEP_3, day_part=ControlChange.DayPart.EVENING, state=ControlChange.State.DRAFT,
    )
    palmyra = Town.objects.get(slug="palmyra")
    assert _faction_at(territory.control_areas_as_of(on=SEP_3), palmyra) == "pro-government"
    assert _faction_at(territory.control_areas_as_of(on=SEP_3, published_only=False), palmyra) == "islamic-state"


def test_towns_in_a_district_roll_up_to_their_governorate(seeded):
    # The seed's towns lie in OCHA's districts; Uqayribat is in As-Salamiyeh (SY0503), a Hama district.
    uqayribat = Town.objects.get(slug="uqayribat")
    assert uqayribat.admin_area.code == "SY0503" and uqayribat.admin_area.parent.slug == "hama"
    provinces = territory.province_control_as_of(on=SEP_3).set_index("slug")
    assert provinces.loc["hama", "towns"] == 5
    districts = territory.province_control_as_of(on=SEP_3, level=2).set_index("code")
    assert districts.loc["SY0503", "towns"] == 2
    assert districts.loc["SY0503", "shares"] == {"pro-government": 1.0}
    assert districts["towns"].sum() == provinces["towns"].sum()
    assert _faction_at(territory.control_areas_as_of(on=AUG_31), uqayribat) == "islamic-state"


def test_land_that_becomes_known_is_newly_recorded_not_gained(seeded):
    start, end = dt.date(2016, 12, 31), SEP_3
    change = territory.territory_between(start=start, end=end)
    gained = sum(v["gained_km2"] for v in change.area_change.values())
    lost = sum(v["lost_km2"] for v in change.area_change.values())
    newly = sum(v["newly_recorded_km2"] - v["no_longer_recorded_km2"] for v in change.area_change.values())
    newly_known = territory.unknown_km2(on=start) - territory.unknown_km2(on=end)
    assert newly_known > 0.05 * _country_km2()
    assert gained == pytest.approx(lost, abs=0.01)  # land changes hands, it is not made
    assert newly == pytest.approx(newly_known, rel=0.001)


@pytest.mark.parametrize("window", [shapely.box(37.0, 35.0, 39.5, 36.5), shapely.Point(38.8, 35.9).buffer(0.4)])
def test_the_areas_inside_a_window_are_the_whole_areas_cut_to_it(seeded, window):
    """A drawn diff asks whose land a small piece was: the town rule inside the piece, without every cell."""
    whole = territory.control_areas_as_of(on=SEP_3).set_index("faction")
    inside = territory.control_areas_as_of(on=SEP_3, window=window).set_index("faction")
    expected = {f: g.intersection(window) for f, g in whole.geometry.items() if g.intersection(window).area > 1e-9}
    assert set(inside.index[shapely.area(inside.geometry.to_numpy()) > 1e-9]) == set(expected)
    for faction, geometry in expected.items():
        got = inside.loc[faction, "geometry"]
        assert got.symmetric_difference(geometry).area < 1e-6 * geometry.area + 1e-9, faction
        measured = spatial.area_km2(gpd.GeoSeries([geometry], crs=spatial.WGS84)).iloc[0]
        assert inside.loc[faction, "area_km2"] == pytest.approx(measured, rel=0.01)  # km² of the land inside
    assert list(inside.columns) == list(whole.columns)
