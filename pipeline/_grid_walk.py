"""The compiled kernel of :func:`pipeline._proximity.count_within`: walks each
asset's grid rows, counts the targets of the cells certainly within reach,
settles the listed ones by the bounds, and hands the rest to GEOS.

Compiled by numba (cached on disk after the first run); it releases the
interpreter lock, so the thread pool runs it on every core.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def _inner_run(x0, side, ylo, corners, i, sure_r):  # pragma: no cover - compiled
    """The run of a row's cells wholly within ``sure_r`` of one of asset
    ``i``'s hull corners: the union of the runs reaching farthest left and
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
def _edge_distance(px, py, ex, ey, e0, e1):  # pragma: no cover - compiled
    """Distance from (px, py) to the nearest of the segments ``k, k + 1`` for
    ``k`` in ``[e0, e1)`` whose ``ex[k + 1]`` is not NaN (rings are separated by NaN)."""
    best = math.inf
    for k in range(e0, e1):
        ax, ay, bx, by = ex[k], ey[k], ex[k + 1], ey[k + 1]
        if math.isnan(bx) or math.isnan(ax):
            continue
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else min(max(((px - ax) * dx + (py - ay) * dy) / length2, 0.0), 1.0)
        cx, cy = ax + t * dx - px, ay + t * dy - py
        best = min(best, cx * cx + cy * cy)
    return math.sqrt(best)


@numba.njit(nogil=True, cache=True)
def walk(x0, y0, side, cols, offsets, tx, ty, t_e, t_reach, box, corners, edges_x, edges_y, edge_start,
         first_row, nrows, start, radius, sure_r, reach_r, eps, counts, who, which):  # pragma: no cover - compiled
    """Count for assets ``start, start + 1, ...`` into ``counts`` and list
    the pairs the bounds leave open in ``who``/``which`` (asset, target) until
    the buffer would overflow. Returns (the first asset not done, pairs listed).

    ``edges_x``/``edges_y`` hold each polygonal asset's rings one after the
    other, NaN between rings, asset ``i``'s from ``edge_start[i]`` to
    ``edge_start[i + 1]`` (empty for points and lines)."""
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
                    if t_reach[j] == 0 and (gx > 0 or gy > 0) and edge_start[i + 1] > edge_start[i]:
                        # a point outside a polygon's box: its distance is the nearest edge's,
                        # left to GEOS only where rounding could decide
                        d = _edge_distance(px, py, edges_x, edges_y, edge_start[i], edge_start[i + 1] - 1)
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
