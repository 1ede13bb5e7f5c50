"""A built Folium map as parts for a Django template (with their CSP hashes), or as one HTML file."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

import folium

from . import map_verbatim  # noqa: F401  (every map rendered here writes its data verbatim)


@dataclass(frozen=True)
class RenderedMap:
    """The parts of a Folium figure for a Django template: head tags, the map's div, its script."""

    header: str
    html: str
    script: str
    script_hashes: tuple[str, ...] = ()
    style_hashes: tuple[str, ...] = ()

    @property
    def csp_update(self) -> dict[str, list[str]]:
        """What a page showing this map adds to its Content-Security-Policy (django-csp's update)."""
        return {"script-src": list(self.script_hashes), "style-src": list(self.style_hashes)}


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def map_render_parts(m: folium.Map) -> RenderedMap:
    """The figure's parts, with the Content-Security-Policy hashes of their inline code.

    Folium writes inline <script> and <style> blocks (in the header) and the map's script (which the
    page puts in a <script> tag of its own, exactly as given). A page serving them adds
    ``script_hashes`` to its policy's script-src and ``style_hashes`` to its style-src: the browser
    runs exactly this code and nothing injected beside it, and no template needs to change.
    """
    figure = m.get_root()
    figure.render()
    header, script = figure.header.render(), figure.script.render()
    blocks = re.findall(r"<(script|style)>(.*?)</\1>", header, flags=re.DOTALL)
    return RenderedMap(
        header=header,
        html=figure.html.render(),
        script=script,
        script_hashes=tuple(dict.fromkeys(
            [_csp_hash(body) for tag, body in blocks if tag == "script"] + [_csp_hash(script)]
        )),
        style_hashes=tuple(dict.fromkeys(_csp_hash(body) for tag, body in blocks if tag == "style")),
    )


def map_render_standalone(m: folium.Map, *, title: str) -> str:
    """One self-contained HTML document (Folium's own output)."""
    figure = m.get_root()
    figure.title = title
    return figure.render()
