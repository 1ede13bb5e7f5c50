"""Reading the map's towns in a browser: they are drawn on one canvas, so a test asks Leaflet's
markers (colour, ring, drawing order) and clicks at the pixel where a town is drawn."""

_FIND = """name => {
    let found = null;
    conflictmap.registered.layers.towns.eachLayer(l => { if (l.feature.properties.name === name) found = l; });
    return found;
}"""

_DRAWN = f"""name => {{
    const l = ({_FIND})(name);
    if (!l || !l._map) return null;
    const o = l.options, p = l.feature.properties;
    return {{fill: o.fillColor.toLowerCase(), stroke: o.color.toLowerCase(), stroke_on: o.stroke,
             fill_opacity: o.fillOpacity, filled: o.fill, radius: l.getRadius(), interactive: o.interactive,
             status: p.status, faction: p.faction, canvas: l._renderer instanceof L.Canvas}};
}}"""


def town_drawn(page, name: str) -> dict | None:
    """How the map draws the town called ``name`` (None if it is not drawn)."""
    return page.evaluate(_DRAWN, name)


def wait_town(page, name: str) -> None:
    page.wait_for_function(f"name => !!(window.conflictmap && conflictmap.registered && ({_FIND})(name))", arg=name)


def towns_drawn(page) -> int:
    return page.evaluate("() => conflictmap.registered.layers.towns.getLayers().filter(l => l._map).length")


def town_point(page, name: str) -> tuple[float, float]:
    """The page coordinates of the town's dot."""
    return tuple(page.evaluate(
        f"""name => {{
            const l = ({_FIND})(name), map = conflictmap.registered.map;
            const p = map.latLngToContainerPoint(l.getLatLng()), box = map.getContainer().getBoundingClientRect();
            return [box.x + p.x, box.y + p.y];
        }}""",
        name,
    ))


def click_town(page, name: str) -> None:
    """A real click on the canvas where the town is drawn (Leaflet's hit test picks the town)."""
    x, y = town_point(page, name)
    page.mouse.click(x, y)


def drawing_order(page) -> list[dict]:
    """The towns in the order the canvas paints them (the last is on top), with whether each is recorded."""
    return page.evaluate(
        """() => {
            const towns = conflictmap.registered.layers.towns.getLayers().filter(l => l._map);
            if (!towns.length) return [];
            const out = [];
            for (let o = towns[0]._renderer._drawFirst; o; o = o.next) {
                const p = o.layer.feature && o.layer.feature.properties;
                if (p) out.push({name: p.name, recorded: !!p.faction});
            }
            return out;
        }"""
    )
