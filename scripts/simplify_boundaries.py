"""Make the official OCHA boundaries shipped in ``seeds/`` from the published files, smaller.

The published OCHA COD-AB files for Syria (governorates ``syr_admin1.geojson``, districts
``syr_admin2.geojson``; CC BY 3.0 IGO) are 6 MB. Each level is simplified as a coverage (shared
edges stay shared, so no gaps or overlaps appear), rounded to 1e-5 degree (about 1 m) and kept to
the fields the loader reads. Nothing is written unless every simplified area keeps an IoU of at
least MIN_IOU against its original; the IoU of every area is printed (the figures are in
``seeds/README.md``). Run from the repository root with the directory of the published files:

    python scripts/simplify_boundaries.py ../shared/data/ocha-syria            # writes the seeds files
    python scripts/simplify_boundaries.py ../shared/data/ocha-syria --check    # fails if they differ
"""

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geodata.boundary_checks import MIN_SHIPPED_IOU, iou  # noqa: E402  (the app's own measure)

# The credit the licence asks for is the seed theatre's (data, with its source and licence).
OCHA_ATTRIBUTION = json.loads((ROOT / "seeds" / "theatre.json").read_text(encoding="utf-8"))["boundaries_credit"]

TOLERANCE_DEG = 0.001  # about 100 m; the smallest IoU is then 0.996 (governorates) and 0.998 (districts)
GRID_DEG = 1e-5
# (source file, shipped file, the fields kept, the code field)
LEVELS = [
    ("syr_admin1.geojson", "ocha_governorates.geojson",
     ["ADM1_PCODE", "ADM1_EN", "ADM1_AR", "area_sqkm", "valid_on", "version"], "ADM1_PCODE"),
    ("syr_admin2.geojson", "ocha_districts.geojson",
     ["PCODE", "NAME_EN", "NAME_ARA", "ADMIN1_COD", "ADMIN1_EN", "AREA_SQKM"], "PCODE"),
]


def simplified(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    geoms = shapely.set_precision(shapely.coverage_simplify(frame.geometry.to_numpy(), TOLERANCE_DEG), GRID_DEG)
    return gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs)


def _plain(value):
    """JSON for a pandas value: dates as ISO days, numpy numbers as Python ones."""
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else value.item()


def dumps(frame: gpd.GeoDataFrame, fields: list[str]) -> str:
    # One feature per line keeps diffs readable; the attribution travels with the file.
    features = [
        {"type": "Feature", "properties": {f: row[f] for f in fields},
         "geometry": json.loads(shapely.to_geojson(row.geometry))} for _, row in frame.iterrows()
    ]
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":"), default=_plain) for f in features]
    head = json.dumps({"type": "FeatureCollection", "attribution": OCHA_ATTRIBUTION}, ensure_ascii=False)[:-1]
    return head + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the directory of the published files")
    parser.add_argument("--check", action="store_true", help="fail if the shipped files differ")
    args = parser.parse_args()
    differs = []
    for source, shipped, fields, code in LEVELS:
        frame = gpd.read_file(args.source / source).sort_values(code).reset_index(drop=True)
        small = frame.set_geometry(simplified(frame))
        scores = iou(frame.geometry, small.geometry)
        for area, score in zip(frame[code], scores, strict=True):
            print(f"{shipped} {area} IoU {score:.4f}")
        if not all(g.is_valid for g in small.geometry) or min(scores) < MIN_SHIPPED_IOU:
            raise SystemExit(f"{shipped}: an area is invalid or below an IoU of {MIN_SHIPPED_IOU}; nothing written")
        text = dumps(small, fields)
        path = ROOT / "seeds" / shipped
        if args.check:
            if path.read_text(encoding="utf-8") != text:
                differs.append(shipped)
            print(f"{shipped}: {'differs' if shipped in differs else 'matches'}; smallest IoU {min(scores):.4f}")
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(text) // 1024} KiB); smallest IoU {min(scores):.4f}")
    if differs:
        raise SystemExit(f"{', '.join(differs)} differ from what the script makes")


if __name__ == "__main__":
    main()
