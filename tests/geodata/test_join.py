"""Town → admin area by spatial join: within, 1 km snap, holes, islands, borders, CRS."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from django.core.exceptions import ValidationError

from geodata import spatial
from geodata.models import Town
from geodata.services import town_save, towns_assign_admin_areas
from tests.factories import TownFactory

from .conftest import ALPHA, BETA, GAMMA

# Outer area with a hole, and the area that fills the hole (Rural Damascus / Damascus).
OUTER = shapely.box(36.0, 33.0, 37.0, 34.0).difference(shapely.box(36.4, 33.4, 36.6, 33.6))
INNER = shapely.box(36.4, 33.4, 36.6, 33.6)


def areas(*rows) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area_id": [r[0] for r in rows], "code": [r[1] for r in rows]}, geometry=[r[2] for r in rows],
        crs=spatial.WGS84,
    )


def points(*lonlat) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[shapely.Point(x, y) for x, y in lonlat], crs=spatial.WGS84)


def test_a_point_in_the_hole_goes_to_the_area_that_fills_it_not_the_one_around_it():
    joined = spatial.towns_join_areas(points((36.5, 33.5), (36.2, 33.2)), areas((1, "OUT", OUTER), (2, "IN", INNER)))
    assert joined["area_id"].tolist() == [2, 1]
    assert joined["how"].tolist() == ["within", "within"]


def test_a_point_deep_in_a_hole_with_nothing_filling_it_is_left_outside():
    joined = spatial.towns_join_areas(points((36.5, 33.5)), areas((1, "OUT", OUTER)))
    assert pd.isna(joined["area_id"].iloc[0])
    assert joined["how"].iloc[0] == "outside"
    assert joined["distance_m"].iloc[0] == pytest.approx(9_300, rel=0.05)  # ~0.1° to the hole's edge


def test_a_town_on_an_island_of_a_multipolygon_area_belongs_to_it():
    joined = spatial.towns_join_areas(points((39.6, 35.3)), areas((1, "A", ALPHA), (3, "G", GAMMA)))
    assert joined["area_id"].tolist() == [3]


def test_a_town_on_a_shared_border_goes_to_the_lowest_code_whatever_the_order():
    on_border = points((37.0, 35.5))
    first = spatial.towns_join_areas(on_border, areas((1, "XA01", ALPHA), (2, "XA02", BETA)))
    second = spatial.towns_join_areas(on_border, areas((2, "XA02", BETA), (1, "XA01", ALPHA)))
    assert first["area_id"].tolist() == second["area_id"].tolist() == [1]
    assert first["how"].iloc[0] == "nearest" and first["distance_m"].iloc[0] == 0


def test_a_town_just_off_the_coast_snaps_to_the_nearest_area_but_one_far_out_does_not():
    # 0.005° of longitude at 35.5°N is about 450 m; 0.05° about 4.5 km.
    joined = spatial.towns_join_areas(points((35.995, 35.5), (35.95, 35.5)), areas((1, "A", ALPHA)))
    assert joined["area_id"].iloc[0] == 1 and joined["how"].iloc[0] == "nearest"
    assert joined["distance_m"].iloc[0] == pytest.approx(453, rel=0.02)
    assert pd.isna(joined["area_id"].iloc[1]) and joined["how"].iloc[1] == "outside"
    assert joined["distance_m"].iloc[1] == pytest.approx(4_530, rel=0.02)


def test_both_sides_of_a_join_must_share_a_crs():
    with pytest.raises(spatial.CrsMismatch):
        spatial.towns_join_areas(points((36.5, 35.5)).to_crs("EPSG:32637"), areas((1, "A", ALPHA)))
    with pytest.raises(spatial.CrsMismatch):
        spatial.towns_join_areas(points((36.5, 35.5)).set_crs(None, allow_override=True), areas((1, "A", ALPHA)))


def test_towns_are_reassigned_when_boundaries_arrive(db, request):
    inside = TownFactory(name="Inside", latitude=35.5, longitude=37.5)
    far = TownFactory(name="Far", latitude=30.0, longitude=30.0)
    island = TownFactory(name="Islander", latitude=35.3, longitude=39.6)
    squares = request.getfixturevalue("squares")  # the boundaries arrive after the towns
    report = towns_assign_admin_areas()
    inside.refresh_from_db(), far.refresh_from_db(), island.refresh_from_db()
    assert inside.admin_area == squares["XA02"]
    assert island.admin_area == squares["XA03"]
    assert far.admin_area is None
    assert [t.name for t, _ in report.outside] == ["Far"]
    assert len(report.changed) == 2
    assert towns_assign_admin_areas().changed == []  # a second run changes nothing


def test_town_save_places_the_town_and_moves_it_when_its_location_changes(squares):
    town = town_save(town=Town(name="Mover", slug="mover", latitude=35.5, longitude=36.5))
    assert town.admin_area == squares["XA01"]
    town.longitude = 37.5
    town_save(town=town)
    town.refresh_from_db()
    assert town.admin_area == squares["XA02"]


def test_town_save_rejects_a_town_far_outside_the_boundaries_unless_flagged(squares):
    # Latitude and longitude swapped: a classic import mistake.
    town = Town(name="Swapped", slug="swapped", latitude=36.5, longitude=35.5)
    with pytest.raises(ValidationError) as excinfo:
        town_save(town=town)
    assert "latitude" in excinfo.value.message_dict
    assert "outside every loaded boundary" in excinfo.value.message_dict["latitude"][0]
    assert not Town.objects.filter(slug="swapped").exists()
    town.outside_boundaries = True
    saved = town_save(town=town)
    assert saved.pk and saved.admin_area is None


def test_town_save_accepts_any_town_while_no_boundaries_are_loaded(db):
    town = town_save(town=Town(name="Anywhere", slug="anywhere", latitude=10.0, longitude=10.0))
    assert town.pk and town.admin_area is None


def test_town_save_still_validates_the_fields(squares):
    with pytest.raises(ValidationError) as excinfo:
        town_save(town=Town(name="Bad", slug="bad", latitude=135.5, longitude=36.5))
    assert "latitude" in excinfo.value.message_dict
