"""Still frames (geodata.frames): their size follows the extent on the ground; the scale bar is in round km."""

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

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
