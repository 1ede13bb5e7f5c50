"""The JS/CSS a Folium map loads: this app's files by URL (page) or inlined (a standalone file), no CDN."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import folium

from .map_verbatim import Verbatim


@dataclass(frozen=True)
class MapAssets:
    """The JS/CSS the map needs, as this app's URLs (page) or as file contents (download)."""

    js: Sequence[tuple[str, str]] = ()
    css: Sequence[tuple[str, str]] = ()
    inline: bool = False
    # For inline CSS: image name -> bytes, so url(images/x.png) references still resolve.
    css_images: Mapping[str, bytes] = field(default_factory=dict)


def _inline_css(text: str, images: Mapping[str, bytes]) -> str:
    def data_uri(match: re.Match) -> str:
        name = match.group(1)
        if name not in images:
            return match.group(0)
        mime = "image/svg+xml" if name.endswith(".svg") else "image/png"
        return f"url(data:{mime};base64,{base64.b64encode(images[name]).decode()})"

    return re.sub(r"url\(\s*['\"]?images/([\w.-]+)['\"]?\s*\)", data_uri, text)


def _use_assets(m: folium.Map, assets: MapAssets) -> None:
    """Replace Folium's CDN links with this app's files (or their contents, for a standalone file)."""
    if not assets.inline:
        # Instance attributes: Folium's class-level CDN defaults stay untouched for other code.
        m.default_js = list(assets.js)
        m.default_css = list(assets.css)
        return
    m.default_js, m.default_css = [], []
    header = m.get_root().header
    for name, text in assets.css:
        header.add_child(Verbatim(f"<style>{_inline_css(text, assets.css_images)}</style>"), name=name)
    for name, text in assets.js:
        # A script body ends at the first "</script"; escaping "</" keeps the code intact.
        header.add_child(Verbatim("<script>" + text.replace("</", "<\\/") + "</script>"), name=name)
