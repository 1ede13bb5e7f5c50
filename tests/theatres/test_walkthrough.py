"""The README's "Map another conflict" walkthrough, followed as a user would from a clean clone.

Its shell block (after the ``<!-- walkthrough`` mark) is read from the README and each command run as
written, in its own process, on a fresh SQLite database that ``make run`` has prepared (``migrate``,
``load_seed``); only ``python`` and ``manage.py`` are this interpreter and this checkout's. The input
files are made here at the paths the commands name, in the real formats: geoBoundaries' GeoJSON
(``shapeName``, ``shapeISO``, ``shapeID``, ``shapeGroup``, ``shapeType``; OCHA's fields if the README
switches preset), GeoNames' 19 tab-separated columns, the import's CSV. Then a development server
serves the page the README says to open and the theatre's API layers. The test fails when the README
changes so that its commands no longer work, or the map it promises is not there.
"""

import csv
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MARK = "<!-- walkthrough"

# Three of Mali's regions as boxes (longitude, latitude), far from Syria; codes as ISO 3166-2 has them.
REGIONS = [  # shapeName, shapeISO, (west, south, east, north)
    ("Gao", "ML-7", (-1.0, 14.5, 2.0, 18.0)),
    ("Ménaka", "ML-9", (2.0, 14.5, 4.5, 18.0)),
    ("Kidal", "ML-8", (-1.0, 18.0, 4.5, 21.0)),
]
# GeoNames rows: id, name, ascii name, alternate names, latitude, longitude, feature class and code, population.
PLACES = [
    (2457163, "Gao", "Gao", "Gao,Gao-ville", 16.27167, -0.04472, "P", "PPLA", 86633),
    (2453348, "Ménaka", "Menaka", "Menaka,Ménaka", 15.91822, 2.40217, "P", "PPLA", 9138),
    (2455290, "Kidal", "Kidal", "Kidal", 18.44111, 1.40778, "P", "PPLA", 25617),
    (2460954, "Ansongo", "Ansongo", "", 15.65970, 0.50220, "P", "PPL", 32709),
    (2455300, "Adrar Tiguiririne", "Adrar Tiguiririne", "", 19.9, 1.5, "T", "MT", 0),  # a mountain: skipped
]
CHANGES = [  # the seed's Islamic State, a faction of both theatres
    ("Ménaka", "Islamic State", "2022-03-15"),
    ("Ansongo", "islamic-state", "2022-06-01"),
]


def walkthrough() -> tuple[list[list[str]], str]:
    """The block's commands (split as a shell would) and the path the README says to open."""
    text = README.read_text(encoding="utf-8")
    assert "### Map another conflict" in text, "README: no 'Map another conflict' section"
    section = text[text.index("### Map another conflict") :]
    section = section[: section.index("\n## ")]
    assert MARK in section, f"README: the walkthrough's shell block is not marked {MARK!r}"
    block = section[section.index(MARK) :].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line, comments=True) for line in block.replace("\\\n", " ").splitlines()]
    commands = [c for c in commands if c]
    opened = re.search(r"http://127\.0\.0\.1:8000(/\?theatre=[\w-]+)", section)
    assert opened, "README: the walkthrough names no page to open (/?theatre=SLUG)"
    return commands, opened.group(1)


def _option(command: list[str], name: str, default: str | None = None) -> str | None:
    return command[command.index(name) + 1] if name in command else default


def boundaries_file(path: Path, command: list[str]) -> None:
    level, preset = int(_option(command, "--level", "1")), _option(command, "--preset")
    features = []
    for n, (name, iso, (west, south, east, north)) in enumerate(REGIONS):
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        if preset == "ocha":
            props = {f"ADM{level}_EN": name, f"ADM{level}_PCODE": f"ML0{n + 1}" + ("01" if level == 2 else "")}
            if level == 2:
                props["ADM1_PCODE"] = f"ML0{n + 1}"
        else:  # geoBoundaries' own fields
            props = {
                "shapeName": name,
                "shapeISO": iso,
                "shapeID": f"83927591B{n}",
                "shapeGroup": "MLI",
                "shapeType": f"ADM{level}",
            }
        features.append(
            {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")


def geonames_dump(path: Path) -> None:
    lines = []
    for gid, name, ascii_name, alternates, lat, lon, klass, code, population in PLACES:
        cells = [
            gid,
            name,
            ascii_name,
            alternates,
            lat,
            lon,
            klass,
            code,
            "ML",
            "",
            "07",
            "",
            "",
            "",
            population,
            "",
            300,
            "Africa/Bamako",
            "2024-01-01",
        ]
        lines.append("\t".join(str(c) for c in cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def changes_csv(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["town", "faction", "date", "source_title", "source_publisher"])
        writer.writerows(
            (town, faction, day, f"{town}: who holds it", "Sahel monitor") for town, faction, day in CHANGES
        )


def make_input(directory: Path, command: list[str]) -> None:
    """The file a walkthrough command reads, in the format it names."""
    name = command[2]
    if name not in ("load_boundaries", "load_towns", "import_changes"):
        return
    path = directory / command[3]
    if name == "load_boundaries":
        boundaries_file(path, command)
    elif name == "load_towns":
        assert _option(command, "--format", "geonames") == "geonames" and path.suffix in ("", ".txt"), command
        geonames_dump(path)
    else:
        changes_csv(path)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """A clean clone's settings: development defaults, everything written under tmp_path."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DEBUG", "SECRET_KEY", "REDIS_URL"}
    }
    return {
        **kept,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECRET_KEY_FILE": str(tmp_path / "key"),
        "CACHE_DIR": str(tmp_path / "cache"),
        "IMPORT_UPLOAD_DIR": str(tmp_path / "uploads"),
        "JOBS_SYNC": "1",
    }


def manage(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{shlex.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - a local server of this test
        return response.status, response.read()


def test_the_readme_walkthrough_maps_another_conflict_as_written(env, tmp_path):
    commands, page = walkthrough()
    assert all(c[:2] == ["python", "manage.py"] for c in commands), commands
    assert {"add_theatre", "load_boundaries", "load_towns", "import_changes"} <= {c[2] for c in commands}, commands
    manage(["migrate", "--no-input"], env, tmp_path)  # what `make run` does first
    manage(["load_seed"], env, tmp_path)
    outputs = []
    for command in commands:
        make_input(tmp_path, command)
        outputs.append(manage(command[2:], env, tmp_path))  # as written, from the directory holding the files
    slug = page.split("theatre=")[1]
    added = next(c for c in commands if c[2] == "add_theatre")
    assert added[3] == slug, f"the README opens {page}, but adds the theatre {added[3]}"
    towns_said = outputs[[c[2] for c in commands].index("load_towns")]
    assert "1 rows not populated places" in towns_said, towns_said  # the mountain

    port = _free_port()
    log = (tmp_path / "runserver.log").open("w")  # a file, not a pipe: a full pipe would stall the server
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                _get(f"{base}/api/")
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"runserver stopped: {(tmp_path / 'runserver.log').read_text()[-2000:]}")
                time.sleep(0.5)
        status, body = _get(base + page)
        # The map under the theatre's name, from its first to its last change.
        assert status == 200 and f"Who controls what in {_option(added, '--name')}, 15" in body.decode(), body[:3000]

        theatre = json.loads(_get(f"{base}/api/theatres/{slug}/")[1])
        west, south, east, north = theatre["bbox"]
        assert (west, south, east, north) == (-1.0, 14.5, 4.5, 21.0), theatre
        assert theatre["counts"]["towns"] == 4 and theatre["counts"]["changes"] == len(CHANGES), theatre

        layer = json.loads(_get(f"{base}/api/control.geojson?theatre={slug}")[1])
        held = {f["properties"]["name"]: f["properties"].get("faction") for f in layer["features"]}
        assert set(held) == {"Gao", "Ménaka", "Kidal", "Ansongo"}, held  # the mountain is no town
        assert held["Ménaka"] and held["Ansongo"] and not held["Gao"], held
        provinces = json.loads(_get(f"{base}/api/provinces.geojson?theatre={slug}")[1])
        assert {f["properties"]["name"] for f in provinces["features"]} == {r[0] for r in REGIONS}
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
