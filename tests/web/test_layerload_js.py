"""static/js/layerload.js run by Node: the URLs it asks a date's layers by carry the page's revision."""

import json
import shutil
import subprocess
from pathlib import Path

from .conftest import skip_or_fail

LAYERLOAD = Path(__file__).resolve().parents[2] / "static" / "js" / "layerload.js"

# A window with just what layerload.js reads when it loads and when it asks for layers; fetchJson
# records each URL and never answers (the drawing is the browser tests' business).
HARNESS = """
const fs = require("fs");
const asked = [];
global.window = { conflictmap: { fetchJson: (url) => { asked.push(url); return new Promise(() => {}); } },
                  setTimeout: setTimeout };
global.performance = { now: () => 0 };
eval(fs.readFileSync(process.argv[1], "utf8"));
const cm = window.conflictmap;
const endpoints = {areas: "/api/control-areas.geojson", districts: "/api/provinces.geojson?level=2",
                   towns: "/api/control.geojson"};
const signal = { aborted: false };
cm.loadLayers({ endpoints, date: "2017-09-02", revision: "7.ab c", signal, progress: () => {} });
cm.loadLayers({ endpoints: {towns: "/api/control.geojson"}, date: "2017-09-03", signal, progress: () => {} });
console.log(JSON.stringify(asked));
"""


def run_layerload() -> list[str]:
    node = shutil.which("node")
    if node is None:
        skip_or_fail("node is not installed (apt-get install nodejs)")
    out = subprocess.run([node, "-e", HARNESS, str(LAYERLOAD)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_layer_urls_carry_the_date_and_the_revision():
    assert run_layerload() == [
        "/api/control-areas.geojson?date=2017-09-02&rev=7.ab%20c",
        "/api/provinces.geojson?level=2&date=2017-09-02&rev=7.ab%20c",
        "/api/control.geojson?date=2017-09-02&rev=7.ab%20c",
        # Without a revision (a page that names none) the URL is the date alone, revalidated by ETag.
        "/api/control.geojson?date=2017-09-03",
    ]
