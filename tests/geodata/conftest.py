"""Small boundary files made on the fly: two squares sharing a border at 37°E and an island area."""

import json

import geopandas as gpd
import pytest
import shapely

from geodata.models import AdminArea
from geodata.services import admin_area_save, geometry_json

ALPHA = shapely.box(36.0, 35.0, 37.0, 36.0)
BETA = shapely.box(37.0, 35.0, 38.0, 36.0)
# Gamma: a mainland square plus an island.
GAMMA = shapely.MultiPolygon([shapely.box(38.0, 35.0, 39.0, 36.0), shapely.box(39.5, 35.2, 39.7, 35.4)])


def ocha_frame(rows: list[tuple[str, str, object]], crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ADM1_PCODE": [r[0] for r in rows], "ADM1_EN": [r[1] for r in rows], "ADM1_AR": ["" for _ in rows]},
        geometry=[r[2] for r in rows], crs=crs,
    )


def write_geojson(path, features: list[dict]) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")


def feature(props: dict, geom) -> dict:
    geometry = None if geom is None else shapely.geometry.mapping(geom)
    return {"type": "Feature", "properties": props, "geometry": geometry}


@pytest.fixture
def squares_file(tmp_path):
    path = tmp_path / "squares.geojson"
    ocha_frame([("XA01", "Alpha", ALPHA), ("XA02", "Beta", BETA), ("XA03", "Gamma", GAMMA)]).to_file(path)
    return path


@pytest.fixture
def squares(db):
    """The same three areas already in the database."""
    return {
        code: admin_area_save(area=AdminArea(
            code=code, name=name, slug=name.lower(), level=1, country_code="XA", geometry=geometry_json(geom)
        ))
        for code, name, geom in [("XA01", "Alpha", ALPHA), ("XA02", "Beta", BETA), ("XA03", "Gamma", GAMMA)]
    }
