"""Drawn areas in every output (issue 24, with issue 22): the spans export of drawn areas
(/api/control-spans.*?kind=drawn) and the timelapse's frames, with the synthetic drawn-area files of
tests/theatres/test_drawn_areas.py."""

import dataclasses
import datetime as dt
import io

import orjson
import pyogrio
import shapely
from rest_framework.test import APIClient

from events import timelapse
from events.drawn_models import DrawnArea
from events.services.drawn_areas import drawn_area_retract
from tests.theatres.test_drawn_areas import (  # noqa: F401  (fixtures)
    BE,
    BY,
    DRAWN1,
    DRAWN2,
    SOURCE,
    areas,
    daily,
    deepstate,
    files,
    import_daily,
    isw,
    run,
    zenda,
)


def spans(**query) -> list[dict]:
    response = APIClient().get("/api/control-spans.geojson", {"theatre": "zenda", "kind": "drawn", **query})
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return orjson.loads(body)["features"]


def test_drawn_spans_one_feature_per_faction_per_layer_per_span(zenda, daily, tmp_path):  # noqa: F811 (the fixtures imported above)
    import_daily(daily, *SOURCE, "--commit", "--publish")
    claimed = isw(
        tmp_path / "claim.geojson",
        [({"layer": "Claimed", "date": "2021-05-01", "side": BE}, shapely.box(10.45, 0.5, 10.9, 1.0))],
    )
    run(
        "import_control_areas",
        claimed,
        "--theatre",
        "zenda",
        "--layer-field",
        "layer",
        "--date-field",
        "date",
        "--faction-field",
        "side",
        *SOURCE,
        "--commit",
        "--publish",
    )
    got = sorted(spans(), key=lambda f: (f["properties"]["layer"], f["properties"]["valid_from"]))
    assert [(f["properties"]["layer"], f["properties"]["valid_from"], f["properties"]["valid_to"]) for f in got] == [
        ("assessed", "2021-05-01", "2021-05-02"),
        ("assessed", "2021-05-02", None),
        ("claimed", "2021-05-01", None),
    ]
    first = got[0]["properties"]
    assert (first["faction"], first["basis"], first["theatre"]) == (BE, "drawn", "zenda")
    assert first["sources"] == [{"publisher": "DeepState", "title": "Daily map", "url": "https://deepstatemap.live/"}]
    assert shapely.geometry.shape(got[0]["geometry"]).equals(DRAWN1)
    assert shapely.geometry.shape(got[1]["geometry"]).equals(DRAWN2)
    # On each day, the spans in force are what the areas layer draws for that day.
    for day in ("2021-05-01", "2021-05-02", "2021-05-09"):
        in_force = {
            (f["properties"]["faction"], f["properties"]["layer"]): f["properties"]["drawn_area_id"]
            for f in got
            if f["properties"]["valid_from"] <= day
            and (f["properties"]["valid_to"] is None or day < f["properties"]["valid_to"])
        }
        drawn = {
            k: f["properties"]["drawn_on"]
            for k, f in areas(day, layer="all").items()
            if f["properties"]["basis"] == "drawn"
        }
        assert {k: str(DrawnArea.objects.get(pk=pk).drawn_on) for k, pk in in_force.items()} == drawn, day
    # from/to keep the spans in force on some day of the period.
    assert [
        f["properties"]["valid_from"]
        for f in spans(**{"from": "2021-05-02", "to": "2021-05-09"})
        if f["properties"]["layer"] == "assessed"
    ] == ["2021-05-02"]
    # A retracted drawing leaves its span to the one before it.
    drawn_area_retract(
        area=DrawnArea.objects.get(drawn_on=dt.date(2021, 5, 2), layer="assessed"), by=BY, reason="wrong"
    )
    assert [
        (f["properties"]["valid_from"], f["properties"]["valid_to"])
        for f in spans()
        if f["properties"]["layer"] == "assessed"
    ] == [("2021-05-01", None)]


def test_drawn_spans_as_geopackage_and_kml(zenda, daily):  # noqa: F811 (the fixtures imported above)
    import_daily(daily, *SOURCE, "--commit", "--publish")
    response = APIClient().get("/api/control-spans.gpkg", {"theatre": "zenda", "kind": "drawn"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    frame = pyogrio.read_dataframe(io.BytesIO(body))
    assert sorted(str(d.date()) for d in frame["valid_from"]) == ["2021-05-01", "2021-05-02"]
    assert set(frame["basis"]) == {"drawn"} and set(frame["layer"]) == {"assessed"}
    kml = APIClient().get("/api/control-spans.kml", {"theatre": "zenda", "kind": "drawn"})
    text = (b"".join(kml.streaming_content) if kml.streaming else kml.content).decode()
    assert text.count("<Placemark") == 2 and "<TimeSpan><begin>2021-05-01</begin><end>2021-05-02</end>" in text


def test_spans_kind_unknown_is_a_400_naming_it(zenda):  # noqa: F811 (the fixtures imported above)
    response = APIClient().get("/api/control-spans.geojson", {"kind": "<polygons>"})
    assert response.status_code == 400
    assert "kind" in response.json() and "'<polygons>' is not a kind of spans" in str(response.json())
    # The towns' spans are unchanged without the parameter.
    towns = APIClient().get("/api/control-spans.geojson", {"theatre": "zenda"})
    assert towns.status_code == 200


def hex_colour(pixel) -> str:
    return "#{:02x}{:02x}{:02x}".format(*pixel)


def test_timelapse_frames_draw_the_drawn_areas_of_each_frames_date(zenda, daily, tmp_path):  # noqa: F811 (the fixtures imported above)
    """The strip DRAWN2 adds to DRAWN1 (east of 10.45) is Black Elphberg's drawn land on 2 May, not on 1 May;
    a claim is hatched over it, named in the legend, and the canvas says how areas are drawn."""
    import_daily(daily, *SOURCE, "--commit", "--publish")
    claimed = isw(
        tmp_path / "claim.geojson",
        [({"layer": "Claimed", "date": "2021-05-02", "side": BE}, shapely.box(10.7, 0.6, 10.9, 1.0))],
    )
    run(
        "import_control_areas",
        claimed,
        "--theatre",
        "zenda",
        "--layer-field",
        "layer",
        "--date-field",
        "date",
        "--faction-field",
        "side",
        *SOURCE,
        "--commit",
        "--publish",
    )
    p = timelapse.TimelapseParameters.parse(
        {"theatre": "zenda", "from": "2021-04-30", "to": "2021-05-02", "step": "days"}, fmt="gif"
    )
    canvas = timelapse.timelapse_canvas(p)
    first, second = (timelapse.frame_data(on=dt.date(2021, 5, d), theatre=p.theatre) for d in (1, 2))
    drawn = {r.faction: r.basis for r in second.areas.itertuples()}
    assert drawn[BE] == "drawn"
    be = second.areas[second.areas["faction"] == BE].geometry.iloc[0]
    assert be.equals(DRAWN2)
    assert first.areas[first.areas["faction"] == BE].geometry.iloc[0].equals(DRAWN1)
    assert list(first.overlays["layer"]) == [] and list(second.overlays["layer"]) == ["claimed"]
    assert "Claimed (drawn, hatched)" in [e.name for e in second.legend]
    # The strip drawn on 2 May only (x 10.5, y 0.58: inside DRAWN2, outside DRAWN1) is painted only then.
    column, row = canvas.pixel_at(10.52, 0.58)
    before, after = (hex_colour(canvas.draw(d)[row, column]) for d in (first, second))
    assert before != after
    # The claim is hatched over its box on 2 May: the frame differs there from the same frame without it.
    left, top = canvas.pixel_at(10.7, 1.0)
    right, bottom = canvas.pixel_at(10.9, 0.6)
    pixels, bare = canvas.draw(second), canvas.draw(dataclasses.replace(second, overlays=None))
    assert (pixels[top:bottom, left:right] != bare[top:bottom, left:right]).any(axis=2).mean() > 0.1
    assert "drawn map" in canvas.figure.texts[0].get_text()
