"""Near-feature work for the criteria: counting within a distance without
testing most pairs, and running the work in memory-bounded chunks on a
thread pool.

Counting targets within ``r`` of an asset ``A`` rests on bounds that need no
geometry test. Give each target ``T`` a centre ``c`` (a point is its own
centre; a shape's is its centroid), the distance ``e`` from ``c`` to ``T``
(0 when ``c`` lies in it) and its reach ``R``, the largest distance from
``c`` to a vertex (all of ``T`` lies within ``R`` of ``c``: ``T`` lies in
the convex hull of its vertices). Then

- ``dist(A, T) <= |c - v| + e`` for any vertex ``v`` of ``A``: within ``r``
  for certain when ``c`` is within ``r - e`` of one of ``A``'s corners
  (up to :data:`CORNERS` vertices spread along it);
- ``dist(A, T) >= dist(c, box(A)) - R``: beyond ``r`` for certain when
  ``c`` is farther than ``r + R`` from ``A``'s bounding box;
- for a point outside ``A``'s box the distance is that to ``A``'s nearest
  edge, computed directly; only where it is within :data:`EPS_M` of ``r``
  (where rounding could decide) is the pair left to GEOS.

The targets' centres are binned in a grid of square cells sorted row by row,
so that one row's cells between two columns are one contiguous slice of the
sorted targets. For each asset and row, the cells wholly within ``r - e`` of
one corner are counted from the slice bounds without listing a pair, the
cells beyond ``r + R`` of the box are never visited, and only the targets of
the cells between are listed and settled by the bounds above, in a compiled
kernel (:mod:`pipeline.common._kernels`). Targets are binned by reach
(:data:`REACH_BINS`) because a bin's widest reach widens every asset's ring;
the few wide ones (a park tagged as an amenity) are paired by a tree.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

from . import settings

#: margin (m) kept by the bounds' tests so that rounding never decides a pair;
#: coordinates of ~10^6 m carry ~10^-9 m of rounding
EPS_M = 1e-6
#: bytes of working arrays per asset (box, corners, rings) and per listed (asset, target) pair
ASSET_BYTES = 600
PAIR_BYTES = 64
#: an asset's own working memory (its box, a prepared geometry) in pairs' worth
ASSET_PAIRS = ASSET_BYTES / PAIR_BYTES
#: upper ends of the bins of targets' reach (m): points, then shapes up to 4 m,
#: 16 m, ...; targets reaching farther than the last (a park as a point of
#: interest) are listed pair by pair by a tree
REACH_BINS = np.array([0.0, 4.0, 16.0, 64.0, 128.0])
MAX_CELLS = 16_000_000
#: candidate pairs in all above which counting walks the grid: below it GEOS
#: tests them in a few milliseconds, less than the compiled kernel's first
#: load in a process
GRID_ABOVE_PAIRS = 50_000.0
#: vertices kept per asset for the upper bound
CORNERS = 8


def threads() -> int:
    """Worker threads for the criteria: ``settings.THREADS``; inside a Dask
    worker, the threads it was given (its cluster shares the cores already);
    else the cores this process may use."""
    if settings.THREADS:
        return int(settings.THREADS)
    worker = _dask_worker()
    if worker is not None:
        return max(int(getattr(worker.state, "nthreads", 1)), 1)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _dask_worker():
    import sys

    if "distributed" not in sys.modules:  # never import Dask only to ask
        return None
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


_SIDE_BY_SIDE_LOCK = threading.Lock()
_side_by_side = 0


@contextlib.contextmanager
def sharing_the_budget() -> Iterator[None]:
    """Run the block as one of the computations that share
    ``WORK_MEMORY_MB`` at once (the criteria run side by side): while ``k``
    such blocks run in this process, each chunk they cut gets a ``k``-th of
    the budget, so that together they stay within it."""
    global _side_by_side
    with _SIDE_BY_SIDE_LOCK:
        _side_by_side += 1
    try:
        yield
    finally:
        with _SIDE_BY_SIDE_LOCK:
            _side_by_side -= 1


def budget_bytes() -> int:
    """This computation's share of ``WORK_MEMORY_MB`` (see :func:`sharing_the_budget`)."""
    return int(settings.WORK_MEMORY_MB * 2**20 / max(_side_by_side, 1))


def chunks(weights: np.ndarray, bytes_each: float, parts: int | None = None) -> list[tuple[int, int]]:
    """Consecutive ``(start, stop)`` ranges over ``weights`` whose summed
    weight times ``bytes_each`` stays within one thread's share of the memory
    budget (at least one item each), split into at least ``parts`` ranges
    when there are that many items so that every thread has work."""
    n = len(weights)
    if n == 0:
        return []
    parts = parts or threads()
    cap = max(budget_bytes() / max(threads(), 1) / bytes_each, 1.0)
    total = float(np.sum(weights))
    cap = min(cap, max(total / parts, 1.0)) if n >= parts else cap
    cum = np.cumsum(weights, dtype=float)
    bounds, start = [], 0
    while start < n:
        stop = int(np.searchsorted(cum, (cum[start - 1] if start else 0.0) + cap, side="right"))
        stop = min(max(stop, start + 1), n)
        bounds.append((start, stop))
        start = stop
    return bounds


def run_chunks(work: Callable[[int, int], None], bounds: list[tuple[int, int]]) -> None:
    """Call ``work(start, stop)`` for every range, on the thread pool (shapely
    and numpy release the GIL in their loops); the first error is raised.

    What the chunks free stays with the process for the next chunks and the
    next step to reuse; the stage gives it back when it ends. Given back
    after every pool, it cost page faults to take again (on a virtual machine
    that hands freed pages to its host, about 14 us a page): sparse 1M
    features and score 2.77 s against 2.97 (medians of four, alternated), the
    peak no higher (1.94 GiB), as on the dense 100k (0.81 GiB) and the dense
    million in tiles (1.79 GiB)."""
    if len(bounds) <= 1 or threads() == 1:
        for start, stop in bounds:
            work(start, stop)
        return
    with ThreadPoolExecutor(max_workers=threads()) as pool:
        for future in [pool.submit(work, start, stop) for start, stop in bounds]:
            future.result()


def box_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance between boxes (rows of xmin, ymin, xmax, ymax), 0 where they
    meet: no two geometries in them are nearer."""
    dx = np.maximum(np.maximum(a[:, 0] - b[:, 2], b[:, 0] - a[:, 2]), 0.0)
    dy = np.maximum(np.maximum(a[:, 1] - b[:, 3], b[:, 1] - a[:, 3]), 0.0)
    return np.hypot(dx, dy)


def centres(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre coordinates ``(n, 2)``, distance ``e`` from centre to geometry
    and reach ``R`` of non-empty geometries (see the module docstring); a
    point is its own centre."""
    xy = np.empty((len(geoms), 2))
    e, reach = np.zeros(len(geoms)), np.zeros(len(geoms))
    point = shapely.get_type_id(geoms) == 0
    xy[point] = shapely.get_coordinates(geoms[point])
    shapes = geoms[~point]
    if len(shapes):
        c = shapely.centroid(shapes)
        cxy = shapely.get_coordinates(c)
        coords, owner = shapely.get_coordinates(shapes, return_index=True)
        d2 = np.einsum("ij,ij->i", coords - cxy[owner], coords - cxy[owner])
        xy[~point], e[~point] = cxy, shapely.distance(c, shapes)
        reach[~point] = np.sqrt(np.maximum.reduceat(d2, np.searchsorted(owner, np.arange(len(shapes)))))
    return xy, e, reach


class _Grid:
    """Target centres binned in square cells, sorted by cell (row-major)."""

    def __init__(self, xy: np.ndarray, density_area: float, radius: float):
        n = len(xy)
        low = xy.min(0) if n else np.zeros(2)
        self.x0, self.y0 = float(low[0]), float(low[1])
        span = xy.max(0) - low if n else np.zeros(2)
        # listing ring cells costs about (cell side x targets per m2) per row, walking
        # the rows about 1 / cell side: the two balance near 1 / sqrt(2 x density)
        density = n / max(density_area, 1.0)
        side = math.sqrt(1 / (2 * density)) if density > 0 else radius
        side = min(max(side, radius / 64, 1.0), max(radius / 2, 1.0))
        side = max(side, math.sqrt(float((span[0] + 1) * (span[1] + 1)) / MAX_CELLS))
        self.side = side
        self.cols = int(span[0] // side) + 1
        self.rows = int(span[1] // side) + 1
        cell = (((xy[:, 1] - self.y0) // side).astype(np.int64) * self.cols
                + ((xy[:, 0] - self.x0) // side).astype(np.int64))
        self.order = np.argsort(cell, kind="stable")
        self.x, self.y = xy[self.order, 0], xy[self.order, 1]
        self.offsets = np.zeros(self.rows * self.cols + 1, dtype=np.int64)
        np.cumsum(np.bincount(cell, minlength=self.rows * self.cols), out=self.offsets[1:])


def count_within(geoms: np.ndarray, targets: np.ndarray, radius: float, method: str = "auto") -> np.ndarray:
    """How many of ``targets`` lie within ``radius`` (m) of each of ``geoms``
    (GEOS's ``dwithin``: distance at most ``radius``), exactly.

    ``method``: ``grid`` tests only the pairs the bounds of the module
    docstring leave open; ``pairs`` tests every pair whose boxes meet with
    GEOS; ``auto`` takes the grid where there are more than
    :data:`GRID_ABOVE_PAIRS` candidate pairs in all (on the sparse benchmark
    at 100k, 9 services an asset, the grid took 0.12-0.17 s against the pairs' 0.65 s),
    the pairs for a small run. Both give the same counts.
    """
    out = np.zeros(len(geoms))
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    live = targets[~(shapely.is_missing(targets) | shapely.is_empty(targets))]
    if len(live) == 0 or not usable.any():
        return out
    idx = np.flatnonzero(usable)
    g = geoms[idx]
    t_xy, t_e, t_reach = centres(live)
    spread = float(np.prod(np.ptp(t_xy, axis=0) + 2 * radius))
    box = shapely.bounds(g)
    candidates = len(live) / spread * (box[:, 2] - box[:, 0] + 2 * radius) * (box[:, 3] - box[:, 1] + 2 * radius) + 1
    if method == "pairs" or (method == "auto" and float(np.sum(candidates)) <= GRID_ABOVE_PAIRS):
        out[idx] = _count_pairs(g, live, radius, box, candidates)
        return out
    # binned by reach (points, then shapes reaching up to 4, 16, ... m): the widest
    # reach of a bin widens every asset's ring, so a few large shapes must not set it for all
    bins = np.searchsorted(REACH_BINS, t_reach, side="left")
    grids = [_Binned(live[bins == b], t_xy[bins == b], t_e[bins == b], t_reach[bins == b], spread, radius)
             for b in range(len(REACH_BINS)) if (bins == b).any()]
    wide = bins == len(REACH_BINS)
    listed = _Listed(live[wide], t_xy[wide], t_e[wide]) if wide.any() else None
    counted = np.zeros(len(g))

    def work(start: int, stop: int) -> None:
        part = g[start:stop]
        from ._segments import paths

        shape = paths(part)  # read once for the corners and the rings
        corners, edges = spread_corners(part, of_paths=shape), polygon_rings(part, of_paths=shape)
        counted[start:stop] = sum(grid.count(part, box[start:stop], corners, edges, radius) for grid in grids)
        if listed is not None:
            counted[start:stop] += listed.count(part, box[start:stop], corners, radius)

    run_chunks(work, chunks(np.ones(len(g)), ASSET_BYTES, parts=8 * threads()))
    out[idx] = counted
    return out


def _count_pairs(g, targets, radius: float, box, candidates) -> np.ndarray:
    """Every pair whose boxes come within ``radius``, tested by GEOS, in chunks."""
    tree = shapely.STRtree(targets)
    counted = np.zeros(len(g))

    def work(start: int, stop: int) -> None:
        b = box[start:stop]
        a_idx, t_idx = tree.query(shapely.box(b[:, 0] - radius, b[:, 1] - radius, b[:, 2] + radius, b[:, 3] + radius))
        near = shapely.dwithin(g[start:stop][a_idx], targets[t_idx], radius)
        counted[start:stop] = np.bincount(a_idx[near], minlength=stop - start)

    run_chunks(work, chunks(candidates + ASSET_PAIRS, PAIR_BYTES))
    return counted


class _Listed:
    """The few wide targets: every pair whose boxes come within the radius is
    listed by a tree, the bounds settle most, GEOS the rest."""

    def __init__(self, targets: np.ndarray, xy: np.ndarray, e: np.ndarray):
        self.targets, self.xy, self.e = targets, xy, e
        self.tree = shapely.STRtree(targets)
        self.box = shapely.bounds(targets)

    def count(self, g, box, corners, radius: float) -> np.ndarray:
        grown = shapely.box(box[:, 0] - radius, box[:, 1] - radius, box[:, 2] + radius, box[:, 3] + radius)
        a_idx, t_idx = self.tree.query(grown)
        gap = box_gap(box[a_idx], self.box[t_idx])
        nearest = np.full(len(a_idx), np.inf)
        for k in range(corners.shape[1]):
            np.minimum(nearest, np.hypot(*(corners[a_idx, k] - self.xy[t_idx]).T), out=nearest)
        sure = nearest <= radius - self.e[t_idx] - EPS_M
        test = ~sure & (gap <= radius + EPS_M)
        near = shapely.dwithin(g[a_idx[test]], self.targets[t_idx[test]], radius)
        return np.bincount(a_idx[sure], minlength=len(g)) + np.bincount(a_idx[test][near], minlength=len(g))


class _Binned:
    """Targets of one reach bin on their grid, and the bounds of the walk:
    a target counts for certain when its centre is within ``sure_r`` of an
    asset's corner, and can count only when within ``reach_r`` of its box."""

    def __init__(self, targets, xy, e, reach, spread: float, radius: float):
        self.grid = _Grid(xy, spread, radius)
        order = self.grid.order
        self.targets, self.e, self.reach = targets[order], e[order], reach[order]
        self.sure_r = radius - float(e.max()) - EPS_M
        self.reach_r = radius + float(reach.max()) + EPS_M

    def count(self, g, box, corners, edges, radius: float) -> np.ndarray:
        from ._kernels import walk

        grid = self.grid
        first_row = np.floor((box[:, 1] - self.reach_r - grid.y0) / grid.side).clip(0, grid.rows).astype(np.int64)
        last_row = np.floor((box[:, 3] + self.reach_r - grid.y0) / grid.side).clip(-1, grid.rows - 1).astype(np.int64)
        nrows = np.maximum(last_row - first_row + 1, 0)
        counted = np.zeros(len(g))
        # the pairs the bounds leave open go through a buffer of one thread's share of the budget
        capacity = max(int(budget_bytes() / max(threads(), 1) / PAIR_BYTES), 1024)
        who, which = np.empty(capacity, np.int64), np.empty(capacity, np.int64)
        done = 0
        while done < len(g):
            upto, filled = walk(grid.x0, grid.y0, grid.side, grid.cols, grid.offsets, grid.x, grid.y, self.e, self.reach,
                                box, corners, edges[0], edges[1], edges[2], edges[4], first_row, nrows, done, radius, self.sure_r, self.reach_r, EPS_M,
                                counted, who, which)
            if upto == done:  # one asset's pairs outgrew the buffer
                who, which = np.empty(2 * len(who), np.int64), np.empty(2 * len(who), np.int64)
                continue
            near = shapely.dwithin(g[who[:filled]], self.targets[which[:filled]], radius)
            counted += np.bincount(who[:filled][near], minlength=len(g))
            done = upto
        return counted


def spread_corners(geoms: np.ndarray, k: int = CORNERS, of_paths: tuple[np.ndarray, ...] | None = None) -> np.ndarray:
    """``k`` vertices of each (non-empty) geometry spread along its coordinates
    ``(n, k, 2)`` (all of a small polygon's corners, a sample of a large
    one's): points of the geometry, so the distance to the nearest of them
    bounds the distance to the geometry from above. ``of_paths``: the
    geometries' :func:`pipeline.common._segments.paths`, when the caller has them."""
    from ._segments import paths

    xs, ys, start, _, geom_path = of_paths if of_paths is not None else paths(geoms)
    first = start[geom_path[:-1]]
    count = start[geom_path[1:]] - first
    pick = first[:, None] + (np.arange(k)[None, :] * count[:, None]) // k
    return np.stack([xs[pick], ys[pick]], axis=-1)


def polygon_rings(geoms: np.ndarray, of_paths: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, ...]:
    """The rings of the polygonal parts of ``geoms``, for the compiled kernels:
    ``x, y`` of every ring's vertices (the closing repeat dropped), where
    each ring starts (``rings + 1`` offsets), +1 for an exterior and -1 for
    a hole, and where each geometry's rings start (``n + 1`` offsets; points
    and lines have none). ``of_paths`` as for :func:`spread_corners`."""
    from ._segments import paths

    xs, ys, start, ring, geom_path = of_paths if of_paths is not None else paths(geoms)
    count = np.diff(start)
    is_ring = ring != 0
    keep = np.repeat(is_ring, count)
    keep[start[1:][is_ring & (count > 0)] - 1] = False  # the closing repeat
    ring_start = np.zeros(int(is_ring.sum()) + 1, np.int64)
    np.cumsum(np.maximum(count[is_ring] - 1, 0), out=ring_start[1:])
    owner = np.repeat(np.arange(len(geoms)), np.diff(geom_path))
    geom_ring = np.zeros(len(geoms) + 1, np.int64)
    np.cumsum(np.bincount(owner[is_ring], minlength=len(geoms)), out=geom_ring[1:])
    return (np.ascontiguousarray(xs[keep]), np.ascontiguousarray(ys[keep]), ring_start,
            ring[is_ring].astype(float), geom_ring)
