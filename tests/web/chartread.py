"""Read a chart back from a page's HTML: what its SVG draws per column, and the shares table beside it."""

import re
from html.parser import HTMLParser


class DrawnColumns(HTMLParser):
    """The columns an SVG chart draws: per column, its date and its rectangles (key, x, y, width, height),
    read from each class's path."""

    def __init__(self):
        super().__init__()
        self.columns: list[dict] = []
        self.plot: dict[str, float] = {}
        self.labels: list[str] = []  # the dates under the columns
        self.y_labels: list[str] = []  # the value axis's labels, bottom to top
        self._in_label: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "g" and a.get("class") == "columns":
            xs = [float(x) for x in a["data-xs"].split()]
            self.columns = [{"date": d, "x": x, "rects": []} for d, x in zip(a["data-dates"].split(), xs, strict=True)]
        elif tag == "path" and a.get("class") == "part":
            # Each rectangle of the path: M x,y h width v height h -width z; its column is the one at x.
            at = {c["x"]: c for c in self.columns}
            for x, y, w, h in re.findall(r"M([-\d.]+),([-\d.]+)h([-\d.]+)v([-\d.]+)h-[-\d.]+z", a["d"]):
                at[float(x)]["rects"].append(
                    {"key": a["data-key"], "x": float(x), "y": float(y), "width": float(w), "height": float(h)}
                )
        elif tag == "line" and a.get("class") == "grid":
            ys = self.plot.setdefault("grid", [])
            ys.append(float(a["y1"]))
        elif tag == "line" and a.get("class") == "axis":
            self.plot["bottom"] = float(a["y1"])
        if tag == "text" and not a.get("class"):
            self._in_label = {"middle": self.labels, "end": self.y_labels}.get(a.get("text-anchor"))

    def handle_data(self, data):
        if self._in_label is not None and data.strip():
            self._in_label.append(data.strip())
        self._in_label = None

    def shares(self) -> list[tuple[str, dict[str, float]]]:
        """Per column: its date and each key's drawn height as a share of the plot's full height."""
        top, bottom = min(self.plot["grid"]), self.plot["bottom"]
        return [(c["date"], {r["key"]: r["height"] / (bottom - top) for r in c["rects"]}) for c in self.columns]


def shares_table(html: str) -> tuple[list[str], list[tuple[str, list[int], int, int]]]:
    """An area page's shares table: its faction columns, and per row (date, percents, with a record, without)."""
    table = html.split('class="data-table shares-table"')[1].split("</table>")[0]
    names = re.findall(r'<th class="num">([^<]*)</th>', table)[:-2]
    rows = []
    for date, cells in re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td>(.*?)</tr>", table):
        values = re.findall(r'<td class="num">([^<]*)</td>', cells)
        rows.append((date, [int(v.rstrip("%")) for v in values[:-2]], int(values[-2]), int(values[-1])))
    return names, rows
