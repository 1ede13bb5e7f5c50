"""Cells as an exact coverage, and their dissolve by class along shared edges against GEOS's union."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.errors

from geodata import coverage, spatial

from .conftest import ALPHA, BETA


def grid_cells(rows: int, cols: int) -> np.ndarray:
    """Unit squares, row by row from the bottom left: a coverage by construction."""
    return np.array([shapely.box(c, r, c + 1, r + 1) for r in range(rows) for c in range(cols)], dtype=object)


def union_by_code(cells: np.ndarray, codes: np.ndarray, classes: int) -> list:
    return [shapely.union_all(cells[codes == k]) if (codes == k).any() else None for k in range(classes)]


def assert_same(got: list, expected: list) -> None:
    for mine, theirs in zip(got, expected, strict=True):
        if theirs is None:
            assert mine is None
            continue
        assert mine.is_valid, shapely.is_valid_reason(mine)
        assert mine.area == pytest.approx(theirs.area, rel=1e-9)
        assert mine.symmetric_difference(theirs).area < 1e-9 * theirs.area


def test_a_class_is_the_union_of_its_cells_with_holes_and_islands_inside_them():
    # 5 x 5 squares: an outer ring of class 0, a ring of class 1, and a class-0 island in the middle.
    cells = grid_cells(5, 5)
    depth = np.array([min(r, c, 4 - r, 4 - c) for r in range(5) for c in range(5)])
    codes = np.where(depth == 1, 1, 0)
    edges = coverage.cell_edges(cells)
    got = coverage.dissolve(edges, codes, 2)
    assert_same(got, union_by_code(cells, codes, 2))
    outer, island = sorted(shapely.get_parts(got[0]), key=lambda p: -p.area)
    assert len(outer.interiors) == 1 and island.area == 1
    assert len(got[1].interiors) == 1
    # RFC 7946: shells counter-clockwise, holes clockwise.
    assert outer.exterior.is_ccw and not outer.interiors[0].is_ccw


def test_a_class_touching_itself_at_a_corner_comes_out_as_two_valid_polygons():
    cells = grid_cells(2, 2)
    codes = np.array([0, 1, 1, 0])  # a chessboard: each class's squares meet at the centre only
    got = coverage.dissolve(coverage.cell_edges(cells), codes, 2)
    assert_same(got, union_by_code(cells, codes, 2))
    assert [shapely.get_num_geometries(g) for g in got] == [2, 2]


def test_cells_in_no_class_and_classes_without_cells():
    cells = grid_cells(3, 3)
    codes = np.full(9, coverage.NOTHING)
    codes[4] = 2
    got = coverage.dissolve(coverage.cell_edges(cells), codes, 3)
    assert got[0] is None and got[1] is None
    assert got[2].equals(cells[4])
    assert coverage.dissolve(coverage.cell_edges(cells), np.full(9, coverage.NOTHING), 3) == [None, None, None]


def test_cells_that_overlap_are_no_coverage_so_no_edges():
    assert coverage.cell_edges(np.array([shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1)], dtype=object)) is None


def random_towns(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(36.02, 37.98, n), rng.uniform(35.02, 35.98, n)
    klass = np.array(["red", "blue", "green", spatial.CONTESTED, None], dtype=object)[rng.integers(0, 5, n)]
    return gpd.GeoDataFrame(
        {"town_id": np.arange(1, n + 1), "area_id": pd.array(np.where(lon < 37, 1, 2), dtype="Int64"),
         "klass": pd.Series(klass, dtype=object), "population": rng.integers(0, 1000, n)},
        geometry=gpd.points_from_xy(np.round(lon, 5), np.round(lat, 5)), crs=spatial.WGS84,
    )


@pytest.mark.parametrize("radius_m", [None, 8_000.0])
def test_territory_walked_along_edges_equals_the_union_of_the_cells(radius_m):
    towns = random_towns(400, seed=7)
    areas = gpd.GeoDataFrame({"area_id": [1, 2]}, geometry=[ALPHA, BETA], crs=spatial.WGS84)
    cells, town_sites = spatial.voronoi_cells(towns, areas, radius_m=radius_m)
    edges = coverage.cell_edges(cells.geometry.to_numpy())
    assert edges is not None  # the cells are an exact coverage
    walked = spatial.control_areas_from_cells(cells[["site", "area_km2"]], town_sites, towns, edges)
    unioned = spatial.control_areas_from_cells(cells, town_sites, towns)  # the fallback: GEOS's union
    assert walked["klass"].tolist() == unioned["klass"].tolist() == ["blue", "green", "red", spatial.CONTESTED]
    assert walked["area_km2"].tolist() == unioned["area_km2"].tolist()
    assert walked[["towns", "population"]].equals(unioned[["towns", "population"]])
    assert_same(list(walked.geometry), list(unioned.geometry))
    for geometry in (*walked.geometry, *unioned.geometry):  # both on the grid, shells counter-clockwise
        xy = shapely.get_coordinates(geometry)
        assert np.abs(xy / spatial.GRID_DEG - np.round(xy / spatial.GRID_DEG)).max() < 1e-6
        assert shapely.orient_polygons(geometry, exterior_cw=False).equals_exact(geometry, tolerance=0)


def test_the_coverage_keeps_each_cell_and_its_area():
    towns = random_towns(300, seed=3)
    areas = gpd.GeoDataFrame({"area_id": [1, 2]}, geometry=[ALPHA, BETA], crs=spatial.WGS84)
    cells, _ = spatial.voronoi_cells(towns, areas, radius_m=10_000.0)
    geometries = cells.geometry.to_numpy()
    assert shapely.coverage_is_valid(geometries) and shapely.is_valid(geometries).all()
    # One cell per site, plus the unreached rest of each area; together they tile the two areas.
    assert set(cells.loc[cells["site"] >= 0, "site"]) == set(range(cells["site"].max() + 1))
    assert cells["area_km2"].sum() == pytest.approx(spatial.area_km2(gpd.GeoSeries([ALPHA, BETA], crs=4326)).sum(),
                                                    rel=1e-6)


def test_slivers_between_cells_are_given_to_their_neighbours():
    # Two cells that miss each other by a hair and a sliver of "rest" between them, as clipping leaves.
    left, right = shapely.box(0, 0, 1, 1), shapely.box(1 + 3e-7, 0, 2, 1)
    sliver = shapely.box(1, 0, 1 + 3e-7, 1)
    rest = shapely.MultiPolygon([sliver, shapely.box(0, 1, 2, 2)])
    made = coverage.make_coverage(np.array([left, right, rest], dtype=object), spatial.GRID_DEG)
    assert shapely.coverage_is_valid(made) and shapely.is_valid(made).all()
    assert shapely.get_num_geometries(made[2]) == 1 and made[2].area == pytest.approx(2)
    assert shapely.union_all(made).area == pytest.approx(4)
    assert coverage.cell_edges(made) is not None


def test_cells_the_cleaner_cannot_handle_are_kept_as_they_are_and_unioned(monkeypatch):
    def refuse(*args, **kwargs):
        raise shapely.errors.GEOSException("TopologyException: side location conflict")

    towns = random_towns(60, seed=11)
    areas = gpd.GeoDataFrame({"area_id": [1, 2]}, geometry=[ALPHA, BETA], crs=spatial.WGS84)
    expected = spatial.control_areas(towns, areas, radius_m=10_000.0)
    monkeypatch.setattr(shapely, "coverage_clean", refuse)
    got = spatial.control_areas(towns, areas, radius_m=10_000.0)
    assert got["klass"].tolist() == expected["klass"].tolist()
    assert got["area_km2"].to_numpy() == pytest.approx(expected["area_km2"].to_numpy(), rel=1e-4)
    for mine, theirs in zip(got.geometry, expected.geometry, strict=True):  # the same land, to the grid
        assert mine.is_valid and mine.symmetric_difference(theirs).area < theirs.length * spatial.GRID_DEG


def test_a_part_snapping_flattens_is_dropped_so_the_cells_stay_a_coverage(monkeypatch):
    # GEOS's cleaner can leave a part a grid step or two across, which snapping to the grid flattens into a
    # polygon of one point: an invalid cell, so no coverage and every date's territory a union of every cell
    # (Ruritania's 1,000 towns in the bench: one such part in 1,004 cells).
    grid = 1e-6
    cells = grid_cells(1, 2)
    speck = shapely.Polygon([(3 + 0.6 * grid, 0.6 * grid), (3 + 1.4 * grid, 0.6 * grid), (3 + 0.6 * grid, 1.4 * grid)])
    cleaned = np.array([cells[0], shapely.multipolygons([cells[1], speck])], dtype=object)
    monkeypatch.setattr(coverage.shapely, "coverage_clean", lambda geometries, gap_width: cleaned)
    made = coverage.make_coverage(cells, grid)
    assert shapely.is_valid(made).all(), [shapely.is_valid_reason(g) for g in made]
    assert coverage.cell_edges(made) is not None
    assert [g.area for g in made] == pytest.approx([1.0, 1.0])
