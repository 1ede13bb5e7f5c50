"""The pure control-area and area-control computations on small made-up frames."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geodata import spatial

from .conftest import ALPHA, BETA


def areas(*rows) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"area_id": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs=spatial.WGS84)


def towns(*rows) -> gpd.GeoDataFrame:
    """(town_id, area_id, klass, population, lon, lat)"""
    return gpd.GeoDataFrame(
        {"town_id": [r[0] for r in rows], "area_id": pd.array([r[1] for r in rows], dtype="Int64"),
         "klass": pd.Series([r[2] for r in rows], dtype=object), "population": [r[3] for r in rows]},
        geometry=[shapely.Point(r[4], r[5]) for r in rows], crs=spatial.WGS84,
    )


def test_two_towns_split_their_area_along_the_bisector():
    result = spatial.control_areas(
        towns((1, 1, "red", 100, 36.25, 35.5), (2, 1, "blue", None, 36.75, 35.5)), areas((1, ALPHA))
    ).set_index("klass")
    assert list(result.index) == ["blue", "red"]
    assert result.loc["red", "area_km2"] == pytest.approx(result.loc["blue", "area_km2"], rel=0.01)
    assert result.loc["red", "geometry"].bounds[2] == pytest.approx(36.5, abs=0.01)
    assert result.loc["red", "population"] == 100 and result.loc["blue", "population"] == 0


def test_cells_stay_inside_their_own_area_and_an_area_without_known_towns_is_nobodys():
    # Red's town sits near Beta's border, but Beta's only town is unknown: Beta is claimed by no one
    # (it used to be shared out among the known towns of its neighbours).
    both = areas((1, ALPHA), (2, BETA))
    some = towns((1, 1, "blue", 0, 36.1, 35.5), (2, 2, None, 0, 37.5, 35.5), (3, 1, "red", 0, 36.95, 35.5))
    result = spatial.control_areas(some, both).set_index("klass")
    alpha_km2 = spatial.area_km2(areas((1, ALPHA)).geometry, spatial.equal_area_crs(both)).sum()
    assert result["area_km2"].sum() == pytest.approx(alpha_km2, rel=1e-6)
    assert result.loc["red", "towns"] == 1 and "None" not in result.index
    assert all(g.intersection(BETA).area < 1e-10 for g in result.geometry)


def test_an_unknown_town_keeps_its_own_cell_out_of_its_neighbours_territory():
    # Two towns split Alpha; only one is known: it gets its half, not the whole area.
    some = towns((1, 1, "red", 0, 36.25, 35.5), (2, 1, None, 0, 36.75, 35.5))
    result = spatial.control_areas(some, areas((1, ALPHA)))
    cells, sites = spatial.voronoi_cells(some, areas((1, ALPHA)))
    assert result["klass"].tolist() == ["red"]
    assert result.loc[0, "geometry"].bounds[2] == pytest.approx(36.5, abs=0.01)
    assert result.loc[0, "area_km2"] == pytest.approx(cells["area_km2"].sum() / 2, rel=0.01)
    classes = spatial.site_classes(pd.Series({1: "red", 2: None}, dtype=object), sites)
    assert spatial.class_km2(cells, classes).to_dict() == pytest.approx({"red": result.loc[0, "area_km2"]})


def test_an_area_without_any_town_is_one_cell_of_no_site():
    cells, sites = spatial.voronoi_cells(towns((1, 1, "red", 0, 36.25, 35.5)), areas((1, ALPHA), (2, BETA)))
    assert cells.set_index("area_id").loc[2, "site"] == spatial.NO_SITE
    assert sites.to_dict() == {1: cells.set_index("area_id").loc[1, "site"]}


def test_towns_at_the_same_spot_held_by_different_sides_make_a_contested_cell():
    result = spatial.control_areas(
        towns((1, 1, "red", 0, 36.25, 35.5), (2, 1, "blue", 0, 36.25, 35.5), (3, 1, "red", 0, 36.75, 35.5)),
        areas((1, ALPHA)),
    )
    assert result["klass"].tolist() == ["red", "contested"]


def test_nothing_known_means_no_territory():
    result = spatial.control_areas(towns((1, 1, None, 0, 36.25, 35.5)), areas((1, ALPHA)))
    assert result.empty


def counts(*rows) -> pd.DataFrame:
    """(area_id, controller, contested, towns, populated, population)"""
    return pd.DataFrame(list(rows), columns=["area_id", "controller", "contested", "towns", "populated", "population"])


def test_area_control_rules():
    frame = counts(
        (1, "red", False, 2, 1, 100), (1, "blue", False, 1, 1, 300),  # one red town's population unknown
        (2, "red", True, 1, 1, 10), (2, None, False, 1, 1, 50),
    )
    result = spatial.area_control(frame, areas((1, ALPHA), (2, BETA), (3, shapely.box(0, 0, 1, 1)))).set_index(
        "area_id"
    )
    assert result.loc[1, "shares"] == pytest.approx({"blue": 1 / 3, "red": 2 / 3})
    assert result.loc[1, "population_shares"] == pytest.approx({"blue": 0.75, "red": 0.25})
    assert result.loc[1, "dominant_faction"] == "red" and not result.loc[1, "contested"]
    assert result.loc[2, "towns"] == 2 and result.loc[2, "contested"]  # a contested town
    assert result.loc[2, "shares"] == {"red": 1.0}  # the town nothing is known of is left out
    assert result.loc[3, "towns"] == 0 and result.loc[3, "dominant_faction"] is None
    assert result.loc[3, "shares"] == {} and not result.loc[3, "contested"]


def test_area_control_adds_up_rows_of_one_controller_and_reads_no_majority_as_contested():
    # Red holds 2 towns (one of them contested), blue 2: a tie, so nobody dominates.
    frame = counts((1, "red", True, 1, 0, 0), (1, "red", False, 1, 1, 40), (1, "blue", False, 2, 2, 0))
    row = spatial.area_control(frame, areas((1, ALPHA))).set_index("area_id").loc[1]
    assert row["towns"] == 4 and row["shares"] == {"blue": 0.5, "red": 0.5}
    assert row["dominant_faction"] is None and row["contested"]
    # Blue's towns have a known population of 0: blue is named with a share of 0.
    assert row["population_shares"] == {"blue": 0.0, "red": 1.0}
    # Without a contested town a plurality short of half is contested too.
    plurality = counts((1, "red", False, 2, 0, 0), (1, "blue", False, 1, 0, 0), (1, "green", False, 1, 0, 0))
    row = spatial.area_control(plurality, areas((1, ALPHA))).set_index("area_id").loc[1]
    assert row["dominant_faction"] == "red" and row["contested"] and row["population_shares"] == {}


# The bounded rule: a site speaks for its cell only within a radius (and its area).
R_M = 15_000.0
DISC_KM2 = 3.14159 * 15**2  # 707 km²


def test_a_lone_town_speaks_for_a_disc_of_the_radius_not_its_whole_area():
    result = spatial.control_areas(towns((1, 1, "red", 0, 36.5, 35.5)), areas((1, ALPHA)), radius_m=R_M)
    assert result.loc[0, "area_km2"] == pytest.approx(DISC_KM2, rel=0.005)
    # Every painted point lies within the radius (a degree of latitude is ~111 km).
    assert shapely.Point(36.5, 35.5).hausdorff_distance(result.loc[0, "geometry"]) < 15.1 / 111 * 1.25


def test_land_beyond_every_reach_is_a_no_site_cell_so_cells_still_tile_the_area():
    some = towns((1, 1, "red", 0, 36.5, 35.5))
    cells, sites = spatial.voronoi_cells(some, areas((1, ALPHA)), radius_m=R_M)
    alpha_km2 = spatial.area_km2(areas((1, ALPHA)).geometry).sum()
    assert sorted(cells["site"]) == [spatial.NO_SITE, sites[1]]
    assert cells["area_km2"].sum() == pytest.approx(alpha_km2, rel=1e-4)
    assert cells.set_index("site").loc[spatial.NO_SITE, "area_km2"] == pytest.approx(alpha_km2 - DISC_KM2, rel=0.005)


def test_the_reach_stops_at_the_area_border_and_at_the_bisector():
    # A town 5 km from Beta's border reaches into Beta for nobody; a neighbour 10 km away halves the overlap.
    alone = spatial.control_areas(towns((1, 1, "red", 0, 36.945, 35.5)), areas((1, ALPHA), (2, BETA)), radius_m=R_M)
    assert alone.loc[0, "geometry"].intersection(BETA).area < 1e-10
    assert alone.loc[0, "area_km2"] < 0.75 * DISC_KM2
    pair = spatial.control_areas(
        towns((1, 1, "red", 0, 36.4, 35.5), (2, 1, "blue", 0, 36.5, 35.5)), areas((1, ALPHA)), radius_m=R_M
    ).set_index("klass")
    assert pair.loc["red", "area_km2"] == pytest.approx(pair.loc["blue", "area_km2"], rel=0.01)
    assert pair.loc["red", "geometry"].bounds[2] == pytest.approx(36.45, abs=0.002)
    assert pair["area_km2"].sum() < 2 * DISC_KM2


def test_a_smaller_radius_paints_less():
    some = towns((1, 1, "red", 0, 36.25, 35.5), (2, 1, "blue", 0, 36.75, 35.5))
    wide = spatial.control_areas(some, areas((1, ALPHA)), radius_m=R_M)["area_km2"].sum()
    narrow = spatial.control_areas(some, areas((1, ALPHA)), radius_m=1_000.0)["area_km2"].sum()
    assert narrow == pytest.approx(2 * 3.14159, rel=0.01)
    assert narrow < wide / 100
