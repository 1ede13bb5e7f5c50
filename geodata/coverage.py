"""Cells that tile the land exactly, and their dissolve by class along shared edges (numpy, no overlay).

A polygonal *coverage* is a set of polygons that do not overlap and whose shared edges have the very
same vertices (GEOS's definition, ``shapely.coverage_is_valid``). Dissolving such cells by class needs
no geometry engine: the boundary of a class is the set of cell edges with that class on one side
only, and walking those edges (class on the left) gives its outer rings counter-clockwise and its
holes clockwise. The cells' edges are worked out once (``cell_edges``); a dissolve for a new date is
then a few array operations over them (``dissolve``), where a union of thousands of cells took seconds.
"""

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.errors

NOTHING = -1  # the class code of a cell in no class, and the "cell" beyond the coverage's edge
SLIVER = 10  # grid steps: a part of a cell thinner than this (twice its area over its perimeter) is a sliver


def make_coverage(geometries: np.ndarray, grid: float) -> np.ndarray:
    """The cells as a coverage on a ``grid`` (same order; a cell that was only slivers comes out empty).

    Cells clipped one by one (each by its own disc and area) almost match along shared edges, and
    what is left between them comes as slivers. Without the slivers, GEOS's coverage cleaner nodes
    the cells (closing the slivers' gaps); snapping every vertex to the grid then keeps shared
    vertices shared. ``cell_edges`` checks the result.
    """
    parts, cell = shapely.get_parts(geometries, return_index=True)
    thin = 2 * shapely.area(parts) / np.maximum(shapely.length(parts), 1e-300) < SLIVER * grid
    geometries = geometries.copy()
    for i in np.unique(cell[thin]):
        kept = parts[(cell == i) & ~thin]
        geometries[i] = shapely.multipolygons(kept) if len(kept) else shapely.Polygon()
    try:
        cleaned = shapely.coverage_clean(geometries, gap_width=SLIVER * grid)
    except shapely.errors.GEOSException:
        return geometries  # as they are: cell_edges finds no coverage, and territory is a union of them
    return _without_flat_parts(shapely.set_precision(cleaned, grid, mode="pointwise"))


def _without_flat_parts(geometries: np.ndarray) -> np.ndarray:
    """The cells without the parts snapping to the grid flattened (no area left: not a valid polygon).

    One such part makes the whole coverage invalid, and then every date's territory is a union of all
    the cells and snapped again (Ruritania's 1,000 towns in the bench: one flat triangle of its 13-part
    "no town within reach" cell, ~250 of the ~330 ms of its control areas after each write).
    """
    parts, cell = shapely.get_parts(geometries, return_index=True)
    flat = shapely.area(parts) <= 0
    if not flat.any():
        return geometries
    geometries = geometries.copy()
    for i in np.unique(cell[flat]):
        kept = parts[(cell == i) & ~flat]
        geometries[i] = shapely.multipolygons(kept) if len(kept) else shapely.Polygon()
    return geometries


@dataclass(frozen=True)
class CellEdges:
    """The cells' rings cut into chains: runs of segments between the same two cells, owner on the left.

    A chain shared by two cells appears once in each, run in opposite directions (its twin).
    """

    points: np.ndarray  # (n, 2) every ring's vertices in ring order, without the closing repeat
    first: np.ndarray  # each chain's first vertex in ``points``; it runs to the next chain's first
    size: np.ndarray  # number of segments (= vertices in ``points``) of each chain
    left: np.ndarray  # the cell on the left (index in the cells given to cell_edges)
    right: np.ndarray  # the cell on the right, or NOTHING on the coverage's outer edge
    after: np.ndarray  # the next chain along the same ring
    twin: np.ndarray  # the neighbour's chain run the other way (-1 on the outer edge)


def cell_edges(geometries: np.ndarray) -> CellEdges | None:
    """The chains of cells that form a valid coverage; None when they do not (dissolve cannot use them)."""
    geometries = np.asarray(geometries, dtype=object)
    if not len(geometries) or not shapely.is_valid(geometries).all() or not shapely.coverage_is_valid(geometries):
        return None
    parts, cell = shapely.get_parts(geometries, return_index=True)
    oriented = shapely.orient_polygons(parts, exterior_cw=False)  # the owner on every segment's left
    rings, part = shapely.get_rings(oriented, return_index=True)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    nodes, node = np.unique(xy, axis=0, return_inverse=True)
    node = node.ravel()
    keep = (ring[:-1] == ring[1:]) & (node[:-1] != node[1:])  # repeated vertices: zero-length segments
    start, end, ring = node[:-1][keep], node[1:][keep], ring[:-1][keep]
    left = cell[part[ring]]
    ring_start = np.append(True, ring[1:] != ring[:-1])
    after = np.arange(1, len(start) + 1)
    ring_last = np.flatnonzero(np.append(ring_start[1:], True))
    after[ring_last] = np.flatnonzero(ring_start)
    # A shared edge is a segment of one cell run backwards by its neighbour.
    n = np.int64(len(nodes))
    key = start.astype(np.int64) * n + end
    order = np.argsort(key)
    twin_key = end.astype(np.int64) * n + start
    at = order[np.minimum(np.searchsorted(key, twin_key, sorter=order), len(key) - 1)]
    twin = np.where(key[at] == twin_key, at, -1)
    right = np.where(twin >= 0, left[np.maximum(twin, 0)], NOTHING)
    # Chains break at every node where a ring starts or where other than two segments leave (both
    # sides of a shared edge then break at the same nodes), and where the neighbour changes.
    cut = np.bincount(start, minlength=len(nodes)) != 2
    cut[start[ring_start]] = True
    first = np.flatnonzero(ring_start | cut[start] | (right != np.roll(right, 1)))
    chain = np.cumsum(np.isin(np.arange(len(start)), first)) - 1
    size = np.diff(np.append(first, len(start)))
    last = first + size - 1
    chain_twin = np.where(twin[first] >= 0, chain[np.maximum(twin[first], 0)], -1)
    paired = chain_twin >= 0
    if (chain_twin[chain_twin[paired]] != np.flatnonzero(paired)).any() or \
            (size[chain_twin[paired]] != size[paired]).any():
        return None
    return CellEdges(nodes[start], first, size, left[first], right[first], chain[after[last]], chain_twin)


def dissolve(edges: CellEdges, codes: np.ndarray, classes: int) -> list:
    """One geometry per class code 0..classes-1 (None where a class has no cell): the union of its cells.

    ``codes``: each cell's class code, NOTHING for a cell in no class. Rings are minimal (a class
    touching itself at a point gives two rings), so the polygons are valid; outer rings run
    counter-clockwise and holes clockwise (RFC 7946).
    """
    code = np.append(np.asarray(codes, dtype=np.int64), NOTHING)  # index NOTHING (-1) reads the last
    mine = code[edges.left]
    border = (mine != NOTHING) & (mine != code[edges.right])
    chosen = np.flatnonzero(border)
    if not len(chosen):
        return [None] * classes
    members, ring_first_member = _rings(_following(edges, border, chosen))
    chains = chosen[members]
    size = edges.size[chains]
    ends = np.cumsum(size)
    coords = edges.points[np.repeat(edges.first[chains] - (ends - size), size) + np.arange(ends[-1])]
    ring_starts = (ends - size)[ring_first_member]
    return _polygons(coords, ring_starts, mine[chains[ring_first_member]], classes)


def _following(edges: CellEdges, border: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """For each chosen (boundary) chain, the position in ``chosen`` of the next one along its class's boundary.

    From a chain's end, turn around that node through the cells of the same class (the next chain of
    the ring, then across to the neighbour's) up to an edge with another class beyond it: the walk
    stays in one wedge of the class, so a class touching itself at a node gives separate rings.
    """
    step = edges.after[chosen]
    for _ in range(len(edges.left)):
        inside = np.flatnonzero(~border[step])
        if not len(inside):
            break
        step[inside] = edges.after[edges.twin[step[inside]]]
    position = np.full(len(edges.left), -1)
    position[chosen] = np.arange(len(chosen))
    following = position[step]
    if (following < 0).any() or np.bincount(following, minlength=len(chosen)).max() != 1:
        raise ValueError("the cells' edges do not close into rings: not a coverage")
    return following


def _rings(following: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cycles of ``following``: positions in ring order (one ring after another), where each ring begins."""
    n = len(following)
    ring, jump = np.arange(n), following.copy()
    steps = int(np.ceil(np.log2(n + 1))) + 1
    for _ in range(steps):  # each segment's ring: the lowest position on its cycle
        ring = np.minimum(ring, ring[jump])
        jump = jump[jump]
    # Cut each cycle before its lowest position; count the steps from each segment to the cut.
    last = following == ring
    jump = np.where(last, np.arange(n), following)
    to_cut = np.where(last, 0, 1)
    for _ in range(steps):
        to_cut = to_cut + to_cut[jump]
        jump = jump[jump]
    size = np.bincount(ring, minlength=n)
    offset = np.cumsum(size) - size
    members = np.empty(n, dtype=np.int64)
    members[offset[ring] + size[ring] - 1 - to_cut] = np.arange(n)
    return members, offset[size > 0]


def _polygons(coords: np.ndarray, ring_starts: np.ndarray, ring_class: np.ndarray, classes: int) -> list:
    """Each class's rings (counter-clockwise shells, clockwise holes) as its (multi)polygon."""
    ring_size = np.diff(np.append(ring_starts, len(coords)))
    local = coords - coords[0]  # near the data: a ring of one grid step's area still gets its sign right
    x, y = local[:, 0], local[:, 1]
    ahead = np.arange(1, len(coords) + 1)
    ahead[ring_starts + ring_size - 1] = ring_starts
    is_shell = np.add.reduceat(x * y[ahead] - x[ahead] * y, ring_starts) > 0
    # Each ring's first edge: its midpoint places a hole in its shell (see _holders).
    marks = (coords[ring_starts] + coords[ahead[ring_starts]]) / 2
    shells, holes = np.flatnonzero(is_shell), np.flatnonzero(~is_shell)
    # Rings in polygon order (each shell, then its holes), polygons in class order.
    polygon_of = np.empty(len(ring_starts), dtype=np.int64)
    polygon_of[shells] = np.arange(len(shells))
    polygon_of[holes] = polygon_of[_holders(coords, ring_starts, ring_size, ring_class, is_shell, holes, marks)]
    rings = np.lexsort((~is_shell, polygon_of, ring_class))  # a hole has its shell's class
    size = ring_size[rings] + 1  # with the closing vertex
    ends = np.cumsum(size)
    begins = ends - size
    take = np.repeat(ring_starts[rings] - begins, size) + np.arange(ends[-1])
    take[ends - 1] = ring_starts[rings]  # close the ring
    polygon_rings = np.flatnonzero(is_shell[rings])
    polygon_class = ring_class[rings[polygon_rings]]
    class_polygons = np.flatnonzero(np.append(True, polygon_class[1:] != polygon_class[:-1]))
    offsets = (np.append(begins, ends[-1]), np.append(polygon_rings, len(rings)),
               np.append(class_polygons, len(polygon_rings)))
    parts = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords[take], offsets)
    result = [None] * classes
    for k, count, geometry in zip(polygon_class[class_polygons], np.diff(np.append(class_polygons, len(polygon_rings))),
                                  parts, strict=True):
        result[k] = shapely.get_geometry(geometry, 0) if count == 1 else geometry
    return result


def _holders(coords, ring_starts, ring_size, ring_class, is_shell, holes, marks) -> np.ndarray:
    """For each hole, the ring of its shell: the smallest shell of its class around the hole's mark.

    The mark (its first edge's midpoint) is inside the shell that holds the hole and on no other ring.
    """
    if not len(holes):
        return np.empty(0, dtype=np.int64)
    ring_of = np.repeat(np.arange(len(ring_starts)), ring_size)
    low, high = np.minimum.reduceat(coords, ring_starts), np.maximum.reduceat(coords, ring_starts)
    shells = np.flatnonzero(is_shell & np.isin(ring_class, ring_class[holes]))  # of a class with holes
    boxes = shapely.STRtree(shapely.box(low[shells, 0], low[shells, 1], high[shells, 0], high[shells, 1]))
    hole_at, shell_at = boxes.query(shapely.points(marks[holes]), predicate="intersects")
    same = ring_class[holes[hole_at]] == ring_class[shells[shell_at]]
    hole_at, shell_at = hole_at[same], shell_at[same]
    candidates, where = np.unique(shell_at, return_inverse=True)
    wanted = np.isin(ring_of, shells[candidates])
    rings = shapely.linearrings(coords[wanted], indices=np.searchsorted(shells[candidates], ring_of[wanted]))
    inside = shapely.contains_xy(shapely.polygons(rings)[where], marks[holes[hole_at], 0], marks[holes[hole_at], 1])
    hole_at, shell_at = hole_at[inside], shell_at[inside]
    size = (high - low).prod(axis=1)[shells[shell_at]]  # nested shells: the inner one has the smaller box
    pick = np.lexsort((size, hole_at))
    hole_at, shell_at = hole_at[pick], shell_at[pick]
    first = np.append(True, hole_at[1:] != hole_at[:-1])
    holder = np.full(len(holes), -1)
    holder[hole_at[first]] = shell_at[first]
    if (holder < 0).any():
        raise ValueError("a hole lies in no shell of its class: not a coverage")
    return shells[holder]
