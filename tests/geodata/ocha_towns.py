"""Town files in the shape of OCHA's populated places, made on the fly: GeoJSON, CSV, GeoPackage, Shapefile.

Each place is a one-point MultiPoint with NAME_EN, NAME_ARA, PCODE, ADMIN1_COD..ADMIN3_COD, LATITUDE
and LONGITUDE. A NAME_ARA given as bytes is written as those bytes (not UTF-8: the bad byte of a
real release, or UTF-8 cut mid-letter at a 50-byte field limit), through each format's own route.
"""

import csv
import io
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely

OCHA_FIELDS = ["NAME_EN", "NAME_ARA", "PCODE", "ADMIN1_COD", "ADMIN2_COD", "ADMIN3_COD", "LATITUDE", "LONGITUDE"]
BAD = "\ue000"  # a placeholder written in place of the bytes, then swapped for them


def placeholder(bad: bytes) -> str:
    """As many placeholder characters as cover the bytes (3 UTF-8 bytes each): a DBF field is as wide."""
    return BAD * max(1, -(-len(bad) // len(BAD.encode("utf-8"))))


@dataclass
class Place:
    name: str
    name_ar: str | bytes
    pcode: str
    lat: float
    lon: float
    admin1: str = "SY05"
    admin2: str = ""
    admin3: str = ""
    points: int = 1  # a MultiPoint of more than one point is not one town

    def props(self) -> dict:
        ar = self.name_ar
        return {"NAME_EN": self.name, "NAME_ARA": placeholder(ar) if isinstance(ar, bytes) else ar,
                "PCODE": self.pcode, "ADMIN1_COD": self.admin1, "ADMIN2_COD": self.admin2,
                "ADMIN3_COD": self.admin3, "LATITUDE": self.lat, "LONGITUDE": self.lon}

    def geometry(self):
        return shapely.MultiPoint([(self.lon + 0.001 * i, self.lat) for i in range(self.points)])


def _bad_bytes(places: list[Place]) -> bytes | None:
    bad = [p.name_ar for p in places if isinstance(p.name_ar, bytes)]
    assert len(bad) <= 1, "one bad value per file: the placeholder stands for it"
    return bad[0] if bad else None


def write_geojson(path: Path, places: list[Place]) -> Path:
    features = [{"type": "Feature", "properties": p.props(), "geometry": shapely.geometry.mapping(p.geometry())}
                for p in places]
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    bad = _bad_bytes(places)
    path.write_bytes(text.encode("utf-8").replace(placeholder(bad or b"").encode("utf-8"), bad or b""))
    return path


def write_csv(path: Path, places: list[Place]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, OCHA_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(p.props() for p in places)
    bad = _bad_bytes(places) or b""
    path.write_bytes(out.getvalue().encode("utf-8").replace(placeholder(bad).encode("utf-8"), bad))
    return path


def frame(places: list[Place]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame([p.props() for p in places], geometry=[p.geometry() for p in places], crs="EPSG:4326")


def write_gpkg(path: Path, places: list[Place]) -> Path:
    frame(places).to_file(path, driver="GPKG", layer="syr_pplp")
    bad = _bad_bytes(places)
    if bad:  # SQLite stores the bytes as they are; GeoPackage's triggers need SpatiaLite, so go
        with sqlite3.connect(path) as con:
            for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                con.execute(f'DROP TRIGGER "{name}"')
            con.execute("UPDATE syr_pplp SET NAME_ARA = CAST(? AS TEXT) WHERE NAME_ARA = ?", (bad, placeholder(bad)))
        con.close()
    return path


def write_shapefile(path: Path, places: list[Place]) -> Path:
    frame(places).to_file(path, driver="ESRI Shapefile", encoding="utf-8")
    bad = _bad_bytes(places)
    if bad:  # a DBF field is fixed width: the bytes replace the placeholder's, padded with spaces
        dbf = path.with_suffix(".dbf")
        marker = placeholder(bad).encode("utf-8")
        data = dbf.read_bytes()
        assert len(bad) <= len(marker) and data.count(marker) == 1
        dbf.write_bytes(data.replace(marker, bad.ljust(len(marker), b" ")))
    return path


WRITERS = {"geojson": write_geojson, "csv": write_csv, "gpkg": write_gpkg, "shp": write_shapefile}
