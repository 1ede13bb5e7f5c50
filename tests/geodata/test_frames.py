"""Still frames (geodata.frames): their size follows the extent on the ground; the scale bar is in round km."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from matplotlib.path import Path
from shapely.geometry import box
from shapely.plotting import patch_from_polygon

from geodata import frames
from geodata.spatial import WGS84

SYRIA = (35.5, 32.2, 42.5, 37.4)  # west, south, east, north


@pytest.mark.parametrize(
    ("span_deg", "latitude", "km"),
    [(7.0, 35.0, 100), (7.0, 0.0, 100), (0.5, 35.0, 5), (40.0, 60.0, 200), (0.01, 0.0, 0.2)],
)
def test_the_scale_bar_is_a_round_fifth_of_the_width(span_deg, latitude, km):
    assert frames.scale_bar_km(span_deg=span_deg, latitude=latitude) == pytest.approx(km)


def test_a_degree_of_longitude_is_shorter_away_from_the_equator():
    # 7 degrees are 779 km at the equator (a fifth: 156, so 100), 390 km at 60 degrees (a fifth: 78, so 50).
    assert frames.scale_bar_km(span_deg=7.0, latitude=60.0) == 50


def test_the_frame_follows_the_extents_shape_and_keeps_encoder_sizes():
    width, height = frames.frame_size(SYRIA, 800)
    assert width == 800 and width % 16 == 0 and height % 16 == 0
    wide = frames.frame_size((0.0, 0.0, 40.0, 1.0), 800)  # a strip: the map is at least half as high as wide
    tall = frames.frame_size((0.0, 0.0, 1.0, 40.0), 800)  # a column: at most one and a quarter
    assert wide[1] < height < tall[1]


def test_the_extent_is_widened_to_the_frame_never_cut():
    west, south, east, north = frames.fitted_extent(SYRIA, (800, 800))
    assert west < SYRIA[0] and south < SYRIA[1] and east > SYRIA[2] and north > SYRIA[3]


def test_a_frame_is_drawn_at_its_size_with_the_towns_colour():
    outlines = gpd.GeoDataFrame(geometry=[box(*SYRIA)], crs=WGS84)
    canvas = frames.FrameCanvas(bounds=SYRIA, outlines=outlines, credits="Credits", width=480)
    towns = gpd.GeoDataFrame({"colour": ["#ff0000"]}, geometry=gpd.points_from_xy([39.0], [34.8]), crs=WGS84)
    areas = gpd.GeoDataFrame({"colour": []}, geometry=[], crs=WGS84)
    data = frames.FrameData(
        heading="Somewhere", areas=areas, towns=towns, legend=[frames.LegendEntry("Red", "#ff0000")]
    )
    pixels = canvas.draw(data)
    assert pixels.shape == (canvas.size[1], canvas.size[0], 3)
    column, row = canvas.pixel_at(39.0, 34.8)
    assert tuple(pixels[row, column]) == (255, 0, 0)
    assert frames.frames_gif([pixels, pixels[::-1].copy()])[:6] == b"GIF89a"
    assert np.array_equal(canvas.draw(data), pixels)  # the next frame starts from the same background


def _many_squares(count: int, *, holed: bool = False):
    """``count`` squares of 0.05° in rows of 20 (wider than half a pixel: simplifying keeps them), clockwise
    (shapely.plotting orients them), each holed if asked."""
    squares = []
    for i in range(count):
        x, y = 36.0 + (i % 20) * 0.1, 33.0 + (i // 20) * 0.1
        shell = [(x, y), (x, y + 0.05), (x + 0.05, y + 0.05), (x + 0.05, y)]
        hole = [(x + 0.01, y + 0.01), (x + 0.04, y + 0.01), (x + 0.04, y + 0.04), (x + 0.01, y + 0.04)]
        squares.append(shapely.Polygon(shell, [hole] if holed else []))
    return shapely.MultiPolygon(squares)


def test_an_area_is_the_path_shapely_plotting_draws():
    area = _many_squares(5, holed=True)
    ours = frames.polygon_patch(area).get_path()
    theirs = patch_from_polygon(area).get_path()
    assert np.array_equal(ours.vertices, theirs.vertices) and np.array_equal(ours.codes, theirs.codes)
    one = frames.polygon_patch(area.geoms[0]).get_path()
    assert np.array_equal(one.vertices, patch_from_polygon(area.geoms[0]).get_path().vertices)


def _frame(parts: int, towns: int, ringed: int = 0) -> frames.FrameData:
    colours = ["#ff0000", "#00ff00", "#0000ff"]
    areas = gpd.GeoDataFrame({"colour": ["#ff0000"]}, geometry=[_many_squares(parts)], crs=WGS84)
    rings = ["#ff00ff"] * ringed + ["#ffffff"] * (towns - ringed)
    points = gpd.GeoDataFrame(
        {"colour": [colours[i % 3] for i in range(towns)], "ring": rings},
        geometry=gpd.points_from_xy([36.0 + i * 0.002 for i in range(towns)], [35.0] * towns),
        crs=WGS84,
    )
    return frames.FrameData(heading="Somewhere", areas=areas, towns=points, legend=[])


def test_a_frames_work_does_not_grow_with_the_areas_parts_nor_the_towns(monkeypatch):
    """An area of 400 polygons is one path built by arrays (shapely.plotting made two Paths a polygon: half a
    timelapse's time at 10,000 towns); plain towns are stamped markers, one artist a colour, and only the ringed
    ones are rendered one by one."""
    canvas = frames.FrameCanvas(bounds=SYRIA, outlines=gpd.GeoDataFrame(geometry=[], crs=WGS84), credits="", width=480)
    made = 0
    original = Path.__init__

    def counted(self, *args, **kwargs):
        nonlocal made
        made += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "__init__", counted)
    renderer = canvas.canvas.get_renderer()
    one_by_one = []
    draw_collection = renderer.draw_path_collection

    def path_collection(gc, master_transform, paths, all_transforms, offsets, *args):
        one_by_one.append(len(offsets))
        return draw_collection(gc, master_transform, paths, all_transforms, offsets, *args)

    monkeypatch.setattr(renderer, "draw_path_collection", path_collection)
    canvas.draw(_frame(parts=4, towns=30, ringed=2))
    small, made = made, 0
    canvas.draw(_frame(parts=400, towns=3000, ringed=2))
    assert made - small < 20, (made, small)
    assert max(one_by_one) <= 2  # the ringed towns' scatter; the areas' one patch; never a path per plain town
