"""Still maps drawn server-side with matplotlib (Agg, no browser), and frames joined into a GIF or MP4.

Plain data in (GeoDataFrames in WGS84, colours, words), pixels or file bytes out; no ORM. The figure
is made with matplotlib's object API (``Figure`` + the Agg canvas), never ``pyplot``: pyplot keeps
global state, which threads of one worker would share.
"""

import io
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import to_rgba_array
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path

from .spatial import WGS84

DPI = 100
KM_PER_DEGREE = 111.32  # along a meridian, and along the equator
SIZE_STEP = 16  # video encoders work in 16-pixel blocks: sides are multiples of it
OUTLINE_COLOUR = "#555555"


@dataclass(frozen=True)
class LegendEntry:
    name: str
    colour: str
    ring: bool = False  # drawn as a ring (a contested town's), not a swatch
    hatch: str = ""  # drawn hatched (a drawn overlay: advances, claims, counteroffensives)


# The drawn overlays' hatching, as the live map's (static/js/controlmap.js HATCH_ANGLE): never filled.
OVERLAY_HATCH = {"advance": "////", "claimed": "\\\\\\\\", "counteroffensive": "++"}


TOWN_SIZE, RINGED_SIZE = 14, 30  # points²: a ringed town is drawn larger, so its fill still shows
RING_COLOUR = "#555555"  # a legend's ring entry: the ring's colour varies with the contesting side


@dataclass(frozen=True)
class FrameData:
    """One frame: the control areas (``colour`` column), the towns (``colour``, and ``ring`` where a town
    is ringed in another colour than white), the words."""

    heading: str
    areas: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame
    legend: Sequence[LegendEntry]
    # Drawn overlays (``colour`` and ``layer`` columns), hatched over the areas; never part of them.
    overlays: gpd.GeoDataFrame | None = None


def polygon_patch(geometry) -> PathPatch:
    """A (Multi)Polygon as one patch: the path ``shapely.plotting.patch_from_polygon`` makes (exterior rings
    counter-clockwise, holes clockwise, a MOVETO starting each ring), built by whole arrays.

    shapely.plotting builds two Paths per polygon in Python; a class's land at 10,000 towns is ~550
    polygons, ~8,000 a frame, which cost half of a timelapse's time (13.5 s of CPU for 30 frames).
    """
    rings = shapely.get_rings(shapely.get_parts(shapely.orient_polygons(geometry)))
    counts = shapely.get_num_coordinates(rings)
    rings, counts = rings[counts > 0], counts[counts > 0]
    vertices = shapely.get_coordinates(rings)
    codes = np.full(len(vertices), Path.LINETO, dtype=Path.code_type)
    codes[np.cumsum(counts) - counts] = Path.MOVETO
    return PathPatch(Path(vertices, codes))


def _rgba(colours) -> np.ndarray:
    """Colours as an (n, 4) array, each distinct colour parsed once (a frame names 10,000 towns' colours)."""
    names, inverse = np.unique(np.asarray(colours, dtype=object).astype(str), return_inverse=True)
    return to_rgba_array(names)[inverse.reshape(-1)]


HEADING_PX = 44  # the band above the map; the legend's and the credits' are below it


def credits_px(width: int) -> int:
    return 40 if width >= 640 else 56  # the credits wrap to a fourth line in a narrow frame


LEGEND_COLUMN_PX, LEGEND_ROW_PX = 300, 16


def legend_layout(width: int, entries: int) -> tuple[int, int]:
    """(columns, band height in pixels) of a legend of up to ``entries`` names in a frame ``width`` wide."""
    columns = max(1, width // LEGEND_COLUMN_PX)
    return columns, -(-max(entries, 1) // columns) * LEGEND_ROW_PX + 14


def frame_size(bounds: Sequence[float], width: int, legend_entries: int = 8) -> tuple[int, int]:
    """(width, height) in pixels for a map of ``bounds`` (west, south, east, north) ``width`` wide.

    The map's height follows the extent's shape on the ground (a degree of longitude shrinks with the
    cosine of the latitude), within half and one and a quarter of the width, plus the heading, legend
    and credits bands; both sides are multiples of SIZE_STEP.
    """
    west, south, east, north = bounds
    squeeze = math.cos(math.radians((south + north) / 2))
    shape = (north - south) / max((east - west) * squeeze, 1e-9)
    height = (
        width * min(max(shape, 0.5), 1.25) + HEADING_PX + legend_layout(width, legend_entries)[1] + credits_px(width)
    )
    return _step(width), _step(height)


def _step(pixels: float) -> int:
    return max(SIZE_STEP, int(round(pixels / SIZE_STEP)) * SIZE_STEP)


def scale_bar_km(*, span_deg: float, latitude: float) -> float:
    """A round length (1, 2 or 5 x 10^n km) near a fifth of ``span_deg`` of longitude at ``latitude``."""
    span_km = span_deg * KM_PER_DEGREE * math.cos(math.radians(latitude))
    target = max(span_km / 5, 1e-3)
    power = 10 ** math.floor(math.log10(target))
    return max(step * power for step in (1, 2, 5) if step * power <= target)


def fitted_extent(bounds: Sequence[float], box_px: tuple[float, float]) -> tuple[float, float, float, float]:
    """``bounds`` widened (never cut), with a margin, to the shape of a ``box_px`` (width, height) box on the ground."""
    west, south, east, north = bounds
    margin_x, margin_y = 0.02 * (east - west), 0.02 * (north - south)
    west, south, east, north = west - margin_x, south - margin_y, east + margin_x, north + margin_y
    squeeze = math.cos(math.radians((south + north) / 2))
    ground = (east - west) * squeeze / max(north - south, 1e-9)  # width over height, as the land is
    box = box_px[0] / box_px[1]
    if ground < box:  # too tall for the box: more longitude either side
        grow = ((north - south) * box / squeeze - (east - west)) / 2
        west, east = west - grow, east + grow
    else:
        grow = ((east - west) * squeeze / box - (north - south)) / 2
        south, north = south - grow, north + grow
    return west, south, east, north


class FrameCanvas:
    """A figure whose still parts are rendered once; ``draw`` adds one date's layers over them.

    The credits and the legend are kept as a rendered background (laying out and rendering their text
    costs more than the rest of a frame; the legend is rendered again only when its entries change).
    Each frame restores it, then draws the date's control areas, the outlines and the scale bar over
    them, the towns and the heading (matplotlib's blitting, on the Agg canvas).
    """

    def __init__(
        self, *, bounds: Sequence[float], outlines: gpd.GeoDataFrame, credits: str, width: int, legend_entries: int = 8
    ):
        """``legend_entries``: the most names a frame's legend may hold (its band is sized for them)."""
        if outlines.crs is not None and not outlines.crs.equals(WGS84):
            raise ValueError(f"frames are drawn in WGS84, not {outlines.crs}")
        self.size = width_px, height_px = frame_size(bounds, width, legend_entries)
        self.legend_columns, legend_px = legend_layout(width_px, legend_entries)
        self.figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, facecolor="white")
        self.canvas = FigureCanvasAgg(self.figure)
        below = legend_px + credits_px(width_px)
        box = (0.98 * width_px, height_px - HEADING_PX - below)
        self.ax = self.figure.add_axes((0.01, below / height_px, 0.98, box[1] / height_px))
        self.ax.set_axis_off()
        west, south, east, north = fitted_extent(bounds, box)
        self.ax.set_xlim(west, east)
        self.ax.set_ylim(south, north)
        # Half a pixel in degrees: finer detail is not seen, and drawing it would cost most of a frame.
        self.tolerance = (east - west) / box[0] / 2
        self._over: list = []  # drawn over each frame's areas, in this order
        if not outlines.empty:
            lines = [
                np.asarray(line.coords)
                for g in outlines.boundary.simplify(self.tolerance)
                if g is not None and not g.is_empty
                for line in getattr(g, "geoms", [g])
            ]
            self._over.append(self.ax.add_collection(LineCollection(lines, colors=OUTLINE_COLOUR, linewidths=0.6)))
        self._over += self._scale_bar(west, east, south, north)
        self.figure.text(0.01, 6 / height_px, credits, fontsize=7, color="#444444", ha="left", va="bottom", wrap=True)
        heading_pt = max(11, min(15, width_px / 40))  # a date's heading fits on one line at any width allowed
        self._heading = self.figure.text(
            0.01, 1 - 8 / height_px, "", fontsize=heading_pt, weight="bold", ha="left", va="top"
        )
        for artist in (*self._over, self._heading):
            artist.set_animated(True)  # left out of the background
        self._legend: Legend | None = None
        self._legend_entries: tuple | None = None
        self._background = None

    def _scale_bar(self, west: float, east: float, south: float, north: float) -> list:
        latitude = south + 0.05 * (north - south)
        km = scale_bar_km(span_deg=east - west, latitude=latitude)
        length_deg = km / (KM_PER_DEGREE * math.cos(math.radians(latitude)))
        left = east - 0.03 * (east - west) - length_deg  # bottom right, clear of the legend's side
        thick = 0.008 * (north - south)
        return [
            self.ax.add_patch(
                Rectangle(
                    (left - 0.01 * (east - west), latitude - thick),
                    length_deg + 0.02 * (east - west),
                    6 * thick,
                    facecolor="white",
                    alpha=0.75,
                    edgecolor="none",
                )
            ),
            self.ax.add_patch(Rectangle((left, latitude), length_deg, thick, facecolor="black")),
            self.ax.text(
                left + length_deg / 2, latitude + 1.6 * thick, f"{km:g} km", ha="center", va="bottom", fontsize=8
            ),
        ]

    def _legend_set(self, entries: Sequence[LegendEntry]) -> None:
        if tuple(entries) == self._legend_entries:
            return
        if self._legend is not None:
            self._legend.remove()
        handles = [
            Patch(facecolor=e.colour, edgecolor=RING_COLOUR, linewidth=1.6, label=e.name)
            if e.ring
            else Patch(facecolor="none", edgecolor=e.colour, hatch=e.hatch, linewidth=0.8, label=e.name)
            if e.hatch
            else Patch(facecolor=e.colour, edgecolor="#333333", linewidth=0.4, label=e.name)
            for e in entries
        ]
        self._legend = (
            self.figure.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(0.005, self.ax.get_position().y0),
                ncol=self.legend_columns,
                fontsize=8,
                frameon=False,
                handlelength=1.2,
                columnspacing=1.2,
                borderaxespad=0.2,
            )
            if handles
            else None
        )
        self._legend_entries = tuple(entries)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)

    def pixel_at(self, longitude: float, latitude: float) -> tuple[int, int]:
        """(column, row) of a place in the frames (row 0 at the top)."""
        x, y = self.ax.transData.transform((longitude, latitude))
        return int(x), int(self.size[1] - y)

    def _towns(self, towns: gpd.GeoDataFrame) -> list[Artist]:
        """The towns: plain ones (a thin white edge) as markers, one artist per colour, then the ringed
        (contested) ones over them.

        Markers of one style are rasterised once and stamped (Agg's draw_markers): a scatter of 10,000 towns
        rendered each one as a path (0.1 s a frame), and a width per town had matplotlib scale a dash pattern
        per town on every frame. The few ringed towns, of many fill and ring pairs, stay one scatter.
        """
        fills = towns["colour"].to_numpy(dtype=object)
        rings = towns["ring"].to_numpy(dtype=object) if "ring" in towns else np.full(len(towns), "#ffffff", object)
        plain = np.array([ring.lower() == "#ffffff" for ring in rings], dtype=bool)
        x, y = towns.geometry.x.to_numpy(), towns.geometry.y.to_numpy()
        which, colours = pd.factorize(fills[plain], sort=True)
        layers: list[Artist] = [
            self.ax.add_line(
                Line2D(
                    x[plain][which == i],
                    y[plain][which == i],
                    linestyle="none",
                    marker="o",
                    markersize=math.sqrt(TOWN_SIZE),
                    markerfacecolor=colour,
                    markeredgecolor="#ffffff",
                    markeredgewidth=0.4,
                )
            )
            for i, colour in enumerate(colours)
        ]
        if not plain.all():
            ringed = ~plain
            layers.append(
                self.ax.scatter(
                    x[ringed],
                    y[ringed],
                    c=_rgba(fills[ringed]),
                    s=RINGED_SIZE,
                    edgecolors=cast(Any, _rgba(rings[ringed])),  # an (n, 4) RGBA array, which matplotlib takes
                    linewidths=1.6,
                )
            )
        return layers

    def draw(self, data: FrameData) -> np.ndarray:
        """The frame as an RGB array (height, width, 3)."""
        self._legend_set(data.legend)
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        layers: list[Artist] = []
        if not data.areas.empty:
            shapes = data.areas.geometry.simplify(self.tolerance, preserve_topology=False)
            patches = [polygon_patch(g) for g in shapes if g is not None and not g.is_empty]
            collection = PatchCollection(patches, facecolors=list(data.areas["colour"]), alpha=0.35, linewidths=0)
            layers.append(self.ax.add_collection(collection))
        if data.overlays is not None and not data.overlays.empty:
            shapes = data.overlays.geometry.simplify(self.tolerance, preserve_topology=False)
            for geometry, colour, layer in zip(shapes, data.overlays["colour"], data.overlays["layer"], strict=True):
                if geometry is None or geometry.is_empty:
                    continue
                hatched = PatchCollection(
                    [polygon_patch(geometry)],
                    facecolors="none",
                    edgecolors=colour,
                    linewidths=0.8,
                    hatch=OVERLAY_HATCH.get(layer, "xx"),
                )
                layers.append(self.ax.add_collection(hatched))
        layers += self._over
        if not data.towns.empty:
            layers += self._towns(data.towns)
        self._heading.set_text(data.heading)
        for layer in layers:
            self.ax.draw_artist(layer)
        self._heading.draw(renderer)
        pixels = np.asarray(self.canvas.buffer_rgba())[:, :, :3].copy()
        for layer in layers:
            if layer not in self._over:
                layer.remove()
        return pixels


FRAME_SECONDS = 0.8  # how long each date stays on screen


def frames_gif(frames: Sequence[np.ndarray]) -> bytes:
    """An animated GIF (Pillow), looping, FRAME_SECONDS a frame, the last one held three times as long.

    One palette for every frame, made from all of them (every fourth row): a colour keeps its index from
    frame to frame (no flicker), and mapping a frame to a known palette is a tenth of quantizing it.
    """
    from PIL import Image

    sample = Image.fromarray(np.concatenate([f[::4] for f in frames]))
    palette = sample.quantize(colors=255, method=Image.Quantize.FASTOCTREE)
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    durations = [int(FRAME_SECONDS * 1000)] * len(images)
    durations[-1] *= 3
    out = io.BytesIO()
    images[0].save(
        out, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0, optimize=False
    )
    return out.getvalue()


def frames_mp4(frames: Sequence[np.ndarray]) -> bytes:
    """An H.264 MP4 through the ffmpeg that the imageio-ffmpeg wheel ships (never one fetched at run time)."""
    import imageio.v2 as imageio

    fd, path = tempfile.mkstemp(suffix=".mp4")
    os.close(fd)
    try:
        # ffmpeg writes to a file it can seek in (the MP4 index goes at the front: +faststart).
        writer = imageio.get_writer(
            path,
            format="FFMPEG",
            fps=1 / FRAME_SECONDS,
            codec="libx264",
            pixelformat="yuv420p",
            macro_block_size=SIZE_STEP,
            output_params=["-movflags", "+faststart"],
            ffmpeg_log_level="error",
        )
        with writer:
            for frame in frames:
                writer.append_data(frame)
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


ENCODERS: dict[str, tuple[Callable[[Sequence[np.ndarray]], bytes], str]] = {
    "gif": (frames_gif, "image/gif"),
    "mp4": (frames_mp4, "video/mp4"),
}
