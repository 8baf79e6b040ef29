"""Nearest distance to points and lines without GEOS calls: the targets'
segments binned in a grid, searched ring by ring around each asset by a
compiled kernel (:func:`pipeline.common._kernels.nearest_segment`).

The kernel measures with GEOS's own formulas (``Distance::segmentToSegment``
and ``pointToSegment``) and, like GEOS's ``DistanceOp``, gives 0 where a
target vertex lies inside a polygonal asset; the least of these distances is
the distance GEOS gives. Targets with polygons are left to the caller (a
polygon's inside counts as distance 0, which its segments alone do not tell).
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from . import _proximity

#: target segments listed per cell on average, at most (a long segment is listed
#: in every cell its box meets; the cells grow until the listing fits)
LISTED_PER_SEGMENT = 8
#: about this many target segments per cell
SEGMENTS_PER_CELL = 0.5


def handles(targets: np.ndarray) -> bool:
    """Whether every target is a point or a line (or a multi-part of them)."""
    types = shapely.get_type_id(targets[~(shapely.is_missing(targets) | shapely.is_empty(targets))])
    return bool(np.isin(types, [0, 1, 2, 4, 5]).all())


def paths(geoms: np.ndarray) -> tuple[np.ndarray, ...]:
    """The geometries as paths for the kernels: ``x, y`` of every vertex,
    where each path starts (``paths + 1`` offsets), +1 for a polygon's
    exterior ring, -1 for a hole and 0 for a line or a point, and where each
    geometry's paths start (``n + 1``).
    A ring or line is a path of its vertices; a point, a path of one."""
    types = shapely.get_type_id(geoms)
    # a point, a line or a polygon without holes is one path: no part or ring objects made
    single = (np.isin(types, [0, 1, 2]) | ((types == 3) & (shapely.get_num_interior_rings(geoms) == 0))) & ~shapely.is_empty(geoms)
    many = np.flatnonzero(~single)
    parts, part_owner = shapely.get_parts(geoms[many], return_index=True)
    polygon = shapely.get_type_id(parts) == 3
    rings, ring_part = shapely.get_rings(parts[polygon], return_index=True)
    one = np.flatnonzero(single)
    pieces = np.concatenate([geoms[one], rings, parts[~polygon]])
    piece_owner = np.concatenate([one, many[part_owner[polygon][ring_part]], many[part_owner[~polygon]]])
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]] if len(rings) else np.zeros(0, bool)
    ring = np.concatenate([(types[one] == 3).astype(np.int8), np.where(exterior, 1, -1).astype(np.int8),
                           np.zeros(int((~polygon).sum()), np.int8)])
    if len(many):
        order = np.argsort(piece_owner, kind="stable")
        pieces, piece_owner, ring = pieces[order], piece_owner[order], ring[order]
    coords, coord_piece = shapely.get_coordinates(pieces, return_index=True)
    path_start = np.zeros(len(pieces) + 1, np.int64)
    np.cumsum(np.bincount(coord_piece, minlength=len(pieces)), out=path_start[1:])
    geom_path = np.zeros(len(geoms) + 1, np.int64)
    np.cumsum(np.bincount(piece_owner, minlength=len(geoms)), out=geom_path[1:])
    return (np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1]), path_start, ring, geom_path)


def segments(targets: np.ndarray) -> np.ndarray:
    """Every segment of the targets' lines, and each point as a segment of
    length 0: rows of ``x0, y0, x1, y1``."""
    xs, ys, start, _, _ = paths(targets)
    count = np.diff(start)
    point = start[:-1][count == 1]
    first = np.ones(len(xs), bool)
    first[start[1:] - 1] = False  # a path's last vertex starts no segment
    a = np.flatnonzero(first)
    return np.concatenate([np.column_stack([xs[a], ys[a], xs[a + 1], ys[a + 1]]),
                           np.column_stack([xs[point], ys[point], xs[point], ys[point]])])


class SegmentGrid:
    """Target segments listed in every square cell their box meets, the
    cells sorted row by row (``cell_start`` offsets into ``cell_seg``)."""

    def __init__(self, seg: np.ndarray):
        self.seg = seg
        lo = np.minimum(seg[:, :2], seg[:, 2:])
        hi = np.maximum(seg[:, :2], seg[:, 2:])
        self.x0, self.y0 = float(lo[:, 0].min()), float(lo[:, 1].min())
        span = hi.max(0) - lo.min(0) + 1.0
        side = max(math.sqrt(float(span[0] * span[1]) * SEGMENTS_PER_CELL / len(seg)), 1.0)
        while True:
            c_lo = np.floor((lo - (self.x0, self.y0)) / side).astype(np.int64)
            c_hi = np.floor((hi - (self.x0, self.y0)) / side).astype(np.int64)
            listed = (c_hi - c_lo + 1).prod(axis=1)
            cols, rows = int(span[0] // side) + 1, int(span[1] // side) + 1
            if listed.sum() <= LISTED_PER_SEGMENT * len(seg) and cols * rows <= _proximity.MAX_CELLS:
                break
            side *= 1.5
        self.side, self.cols, self.rows = side, cols, rows
        # each segment once per cell of its box, in cell order
        which = np.repeat(np.arange(len(seg)), listed)
        place = np.arange(len(which)) - np.repeat(np.cumsum(listed) - listed, listed)
        width = (c_hi[:, 0] - c_lo[:, 0] + 1)[which]
        cell = (c_lo[which, 1] + place // width) * cols + c_lo[which, 0] + place % width
        order = np.argsort(cell, kind="stable")
        self.cell_seg = which[order]
        self.cell_start = np.zeros(cols * rows + 1, np.int64)
        np.cumsum(np.bincount(cell, minlength=cols * rows), out=self.cell_start[1:])


def nearest(geoms: np.ndarray, targets: np.ndarray, cap: float) -> np.ndarray:
    """Least distance from each of ``geoms`` to ``targets`` (points and lines,
    :func:`handles`), as GEOS measures it; ``inf`` where none is within ``cap``
    (or the geometry is empty)."""
    out = np.full(len(geoms), np.inf)
    usable = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    live = targets[~(shapely.is_missing(targets) | shapely.is_empty(targets))]
    if len(live) == 0 or len(usable) == 0:
        return out
    from ._kernels import nearest_segment

    g = geoms[usable]
    grid = SegmentGrid(segments(live))
    s = grid.seg
    sx0, sy0, sx1, sy1 = (np.ascontiguousarray(s[:, k]) for k in range(4))
    found = np.full(len(g), np.inf)

    def work(start: int, stop: int) -> None:
        # each chunk takes its own coordinates: on the pool's threads, and small
        # arrays that the allocator reuses (fresh memory costs page faults)
        part = g[start:stop]
        xs, ys, path_start, ring, geom_path = paths(part)
        nearest_segment(xs, ys, path_start, geom_path, ring, shapely.bounds(part), grid.x0, grid.y0, grid.side,
                        grid.cols, grid.rows, grid.cell_start, grid.cell_seg, sx0, sy0, sx1, sy1, float(cap), 0,
                        stop - start, found[start:stop])

    _proximity.run_chunks(work, _proximity.chunks(np.ones(len(g)), _proximity.ASSET_BYTES,
                                                  parts=8 * _proximity.threads()))
    out[usable] = found
    return out
