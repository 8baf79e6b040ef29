"""Compiled kernels for the criteria's inner loops over numbers (never over
geometry objects): the grid walk of :func:`pipeline.common._proximity.count_within`
and the exact cell coverage of :func:`pipeline.transform._raster.zonal`.

Compiled by numba (cached on disk after the first run); they release the
interpreter lock, so the thread pool runs them on every core.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def _inner_run(x0, side, ylo, corners, i, sure_r):  # pragma: no cover - compiled
    """The run of a row's cells wholly within ``sure_r`` of one of asset
    ``i``'s corners: the union of the runs reaching farthest left and
    right when they touch, else the longer. ``(lo, hi)``, empty when lo > hi."""
    none = 1 << 62
    far_left, its_hi = none, -none
    far_right, its_lo = -none, none
    for k in range(corners.shape[1]):
        qx, qy = corners[i, k, 0], corners[i, k, 1]
        dy = max(abs(ylo - qy), abs(ylo + side - qy))
        if dy > sure_r:
            continue
        w = math.sqrt(sure_r * sure_r - dy * dy)
        lo = int(math.ceil((qx - w - x0) / side))
        hi = int(math.floor((qx + w - x0) / side)) - 1
        if lo > hi:
            continue
        if lo < far_left:
            far_left, its_hi = lo, hi
        if hi > far_right:
            far_right, its_lo = hi, lo
    if far_left > far_right:
        return 1, 0
    if its_lo <= its_hi + 1:
        return far_left, far_right
    if its_hi - far_left >= far_right - its_lo:
        return far_left, its_hi
    return its_lo, far_right


@numba.njit(nogil=True, cache=True)
def _edge_distance(px, py, xs, ys, ring_start, r0, r1):  # pragma: no cover - compiled
    """Distance from (px, py) to the nearest edge of rings ``r0`` to ``r1``."""
    best = math.inf
    for r in range(r0, r1):
        s, e = ring_start[r], ring_start[r + 1]
        for k in range(s, e):
            ax, ay = xs[k], ys[k]
            bx, by = (xs[k + 1], ys[k + 1]) if k + 1 < e else (xs[s], ys[s])
            dx, dy = bx - ax, by - ay
            length2 = dx * dx + dy * dy
            t = 0.0 if length2 == 0 else min(max(((px - ax) * dx + (py - ay) * dy) / length2, 0.0), 1.0)
            cx, cy = ax + t * dx - px, ay + t * dy - py
            best = min(best, cx * cx + cy * cy)
    return math.sqrt(best)


@numba.njit(nogil=True, cache=True)
def walk(x0, y0, side, cols, offsets, tx, ty, t_e, t_reach, box, corners, ring_x, ring_y, ring_start, geom_ring,
         first_row, nrows, start, radius, sure_r, reach_r, eps, counts, who, which):  # pragma: no cover - compiled
    """Count for assets ``start, start + 1, ...`` into ``counts`` and list
    the pairs the bounds leave open in ``who``/``which`` (asset, target) until
    the buffer would overflow. Returns (the first asset not done, pairs listed).

    ``ring_x, ring_y, ring_start, geom_ring`` are the assets' rings as
    :func:`pipeline.common._proximity.polygon_rings` gives them (none for points and lines)."""
    filled = 0
    for i in range(start, len(first_row)):
        bx0, by0, bx1, by1 = box[i, 0], box[i, 1], box[i, 2], box[i, 3]
        sure = 0
        mark = filled
        for row in range(first_row[i], first_row[i] + nrows[i]):
            ylo = y0 + row * side
            dy = max(by0 - (ylo + side), ylo - by1, 0.0)
            if dy > reach_r:
                continue
            w = math.sqrt(reach_r * reach_r - dy * dy)
            lo = max(int(math.floor((bx0 - w - x0) / side)), 0)
            hi = min(int(math.floor((bx1 + w - x0) / side)), cols - 1)
            if lo > hi:
                continue
            in_lo, in_hi = _inner_run(x0, side, ylo, corners, i, sure_r)
            in_lo, in_hi = max(in_lo, lo), min(in_hi, hi)
            if in_lo > in_hi:
                in_lo, in_hi = hi + 1, hi
            base = row * cols
            sure += offsets[base + in_hi + 1] - offsets[base + in_lo]
            for part in range(2):
                j0 = offsets[base + lo] if part == 0 else offsets[base + in_hi + 1]
                j1 = offsets[base + in_lo] if part == 0 else offsets[base + hi + 1]
                for j in range(j0, j1):
                    px, py = tx[j], ty[j]
                    gx = max(bx0 - px, px - bx1, 0.0)
                    gy = max(by0 - py, py - by1, 0.0)
                    if math.sqrt(gx * gx + gy * gy) > radius + t_reach[j] + eps:
                        continue
                    nearest = math.inf
                    for k in range(corners.shape[1]):
                        dx, dy2 = corners[i, k, 0] - px, corners[i, k, 1] - py
                        nearest = min(nearest, dx * dx + dy2 * dy2)
                    if math.sqrt(nearest) <= radius - t_e[j] - eps:
                        sure += 1
                        continue
                    if t_reach[j] == 0 and (gx > 0 or gy > 0) and geom_ring[i + 1] > geom_ring[i]:
                        # a point outside a polygon's box: its distance is the nearest edge's,
                        # left to GEOS only where rounding could decide
                        d = _edge_distance(px, py, ring_x, ring_y, ring_start, geom_ring[i], geom_ring[i + 1])
                        if d <= radius - eps:
                            sure += 1
                            continue
                        if d > radius + eps:
                            continue
                    if filled == len(who):  # full: this asset is redone with the next buffer
                        return i, mark
                    who[filled], which[filled] = i, j
                    filled += 1
        counts[i] += sure
    return len(first_row), filled


@numba.njit(nogil=True, cache=True)
def _clip_edge(xs, ys, n, out_x, out_y, axis, bound, keep_above):  # pragma: no cover - compiled
    """One Sutherland-Hodgman step: the polygon ``xs/ys[:n]`` cut by the line
    ``coordinate[axis] = bound``, keeping the side above (or below) it."""
    m = 0
    for i in range(n):
        j = i - 1 if i > 0 else n - 1
        vi = xs[i] if axis == 0 else ys[i]
        vj = xs[j] if axis == 0 else ys[j]
        in_i = vi >= bound if keep_above else vi <= bound
        in_j = vj >= bound if keep_above else vj <= bound
        if in_i != in_j:
            t = (bound - vj) / (vi - vj)
            out_x[m] = bound if axis == 0 else xs[j] + t * (xs[i] - xs[j])
            out_y[m] = bound if axis == 1 else ys[j] + t * (ys[i] - ys[j])
            m += 1
        if in_i:
            out_x[m], out_y[m] = xs[i], ys[i]
            m += 1
    return m


@numba.njit(nogil=True, cache=True)
def cell_coverage(xs, ys, ring_start, ring_sign, asset_ring, pair_asset, pair_row, pair_col,
                  x0, ytop, cw, ch, out):  # pragma: no cover - compiled
    """Area of each (asset, cell) pair's intersection: each ring of the asset
    clipped to the cell (Sutherland-Hodgman, exact for any ring against a
    rectangle), its shoelace area added for an exterior ring and taken away
    for a hole. Ring ``r``'s vertices are ``xs/ys[ring_start[r]:ring_start[r + 1]]``
    (without the closing repeat); asset ``a``'s rings are ``asset_ring[a]`` to
    ``asset_ring[a + 1]``."""
    longest = 0
    for r in range(len(ring_start) - 1):
        longest = max(longest, ring_start[r + 1] - ring_start[r])
    size = 2 * longest + 8
    ax, ay = np.empty(size), np.empty(size)
    bx, by = np.empty(size), np.empty(size)
    for p in range(len(pair_asset)):
        a = pair_asset[p]
        cx0 = x0 + pair_col[p] * cw
        cy1 = ytop - pair_row[p] * ch
        total = 0.0
        for r in range(asset_ring[a], asset_ring[a + 1]):
            n = ring_start[r + 1] - ring_start[r]
            for k in range(n):
                ax[k], ay[k] = xs[ring_start[r] + k], ys[ring_start[r] + k]
            n = _clip_edge(ax, ay, n, bx, by, 0, cx0, True)
            n = _clip_edge(bx, by, n, ax, ay, 0, cx0 + cw, False)
            n = _clip_edge(ax, ay, n, bx, by, 1, cy1 - ch, True)
            n = _clip_edge(bx, by, n, ax, ay, 1, cy1, False)
            area = 0.0
            for k in range(n):
                j = k - 1 if k > 0 else n - 1
                area += (ax[j] - cx0) * (ay[k] - cy1) - (ax[k] - cx0) * (ay[j] - cy1)
            total += ring_sign[r] * abs(area) / 2
        out[p] = total
