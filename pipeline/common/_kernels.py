"""Compiled kernels for the criteria's inner loops over numbers (never over
geometry objects): the grid walk of :func:`pipeline.common._proximity.count_within`,
the exact cell coverage of :func:`pipeline.transform._raster.zonal`, the
nearest segment of :func:`pipeline.common._segments.nearest` (GEOS's distance
formulas, so that its minimum is GEOS's to the bit) and the bounds that settle
pairs of :func:`pipeline.features.covered_area` without a test (the clipping
itself is in :mod:`pipeline.common._clipping`).

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


@numba.njit(nogil=True, cache=True, inline="always")
def _point_point(px, py, qx, qy):  # pragma: no cover - compiled
    dx, dy = px - qx, py - qy
    return math.sqrt(dx * dx + dy * dy)


@numba.njit(nogil=True, cache=True)
def point_to_segment(px, py, ax, ay, bx, by):  # pragma: no cover - compiled
    """Distance from p to segment ab, in GEOS's arithmetic (``Distance::pointToSegment``),
    so that a minimum of these is GEOS's own distance to the bit."""
    if ax == bx and ay == by:
        return _point_point(px, py, ax, ay)
    len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2
    if r <= 0.0:
        return _point_point(px, py, ax, ay)
    if r >= 1.0:
        return _point_point(px, py, bx, by)
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / len2
    return abs(s) * math.sqrt(len2)


@numba.njit(nogil=True, cache=True)
def segment_to_segment(ax, ay, bx, by, cx, cy, dx, dy):  # pragma: no cover - compiled
    """Distance between segments ab and cd, in GEOS's arithmetic (``Distance::segmentToSegment``)."""
    if ax == bx and ay == by:
        return point_to_segment(ax, ay, cx, cy, dx, dy)
    if cx == dx and cy == dy:
        return point_to_segment(dx, dy, ax, ay, bx, by)
    apart = (max(ax, bx) < min(cx, dx) or min(ax, bx) > max(cx, dx)
             or max(ay, by) < min(cy, dy) or min(ay, by) > max(cy, dy))
    if not apart:
        denom = (bx - ax) * (dy - cy) - (by - ay) * (dx - cx)
        if denom == 0:
            apart = True
        else:
            r = ((ay - cy) * (dx - cx) - (ax - cx) * (dy - cy)) / denom
            s = ((ay - cy) * (bx - ax) - (ax - cx) * (by - ay)) / denom
            apart = r < 0 or r > 1 or s < 0 or s > 1
    if not apart:
        return 0.0
    return min(point_to_segment(ax, ay, cx, cy, dx, dy), min(point_to_segment(bx, by, cx, cy, dx, dy),
               min(point_to_segment(cx, cy, ax, ay, bx, by), point_to_segment(dx, dy, ax, ay, bx, by))))


@numba.njit(nogil=True, cache=True)
def _inside_rings(px, py, xs, ys, path_start, p0, p1, is_ring):  # pragma: no cover - compiled
    """Whether (px, py) is inside the rings among paths ``p0`` to ``p1`` (even-odd rule:
    holes and the parts of a multipolygon alike); a point on an edge may go either way."""
    inside = False
    for p in range(p0, p1):
        if is_ring[p] == 0:
            continue
        for k in range(path_start[p], path_start[p + 1] - 1):
            ax, ay, bx, by = xs[k], ys[k], xs[k + 1], ys[k + 1]
            if (ay > py) != (by > py) and px < ax + (py - ay) * (bx - ax) / (by - ay):
                inside = not inside
    return inside


@numba.njit(nogil=True, cache=True)
def _to_segment(i, j, xs, ys, path_start, asset_path, is_ring, abox, sx0, sy0, sx1, sy1, best):  # pragma: no cover
    """Least distance from asset ``i`` to target segment ``j`` if under ``best``, else ``best``."""
    cx, cy, dx, dy = sx0[j], sy0[j], sx1[j], sy1[j]
    for end in range(2):
        px, py = (cx, cy) if end == 0 else (dx, dy)
        if abox[i, 0] <= px <= abox[i, 2] and abox[i, 1] <= py <= abox[i, 3]:
            if _inside_rings(px, py, xs, ys, path_start, asset_path[i], asset_path[i + 1], is_ring):
                return 0.0
    for p in range(asset_path[i], asset_path[i + 1]):
        s, e = path_start[p], path_start[p + 1]
        if e - s == 1:  # a point
            best = min(best, segment_to_segment(xs[s], ys[s], xs[s], ys[s], cx, cy, dx, dy))
            continue
        for k in range(s, e - 1):
            ax, ay, bx, by = xs[k], ys[k], xs[k + 1], ys[k + 1]
            gx = max(min(ax, bx) - max(cx, dx), min(cx, dx) - max(ax, bx), 0.0)
            gy = max(min(ay, by) - max(cy, dy), min(cy, dy) - max(ay, by), 0.0)
            if gx * gx + gy * gy > best * best:
                continue
            best = min(best, segment_to_segment(ax, ay, bx, by, cx, cy, dx, dy))
    return best


@numba.njit(nogil=True, cache=True)
def nearest_segment(xs, ys, path_start, asset_path, is_ring, abox, x0, y0, side, cols, rows, cell_start, cell_seg,
                    sx0, sy0, sx1, sy1, cap, start, stop, out):  # pragma: no cover - compiled
    """For assets ``start`` to ``stop``: the least distance to the target
    segments binned in the grid (``cell_seg[cell_start[c]:cell_start[c + 1]]``
    are the segments whose box meets cell ``c``), written to ``out``; rings
    of cells around the asset's box are searched outwards until the next
    ring lies farther than the least distance found or than ``cap``.

    Asset ``i``'s paths (rings, lines, single points) are ``asset_path[i]``
    to ``asset_path[i + 1]``, path ``p``'s vertices ``xs/ys[path_start[p]:path_start[p + 1]]``."""
    for i in range(start, stop):
        c0 = int(math.floor((abox[i, 0] - x0) / side))
        c1 = int(math.floor((abox[i, 2] - x0) / side))
        r0 = int(math.floor((abox[i, 1] - y0) / side))
        r1 = int(math.floor((abox[i, 3] - y0) / side))
        best = math.inf
        k = 0
        while True:
            if k > 0 and (k - 1) * side > min(best, cap):
                break
            lo_c, hi_c, lo_r, hi_r = c0 - k, c1 + k, r0 - k, r1 + k
            for row in range(max(lo_r, 0), min(hi_r, rows - 1) + 1):
                edge_row = k == 0 or row == lo_r or row == hi_r
                step = 1 if edge_row else max(hi_c - lo_c, 1)
                for col in range(lo_c, hi_c + 1, step):
                    if col < 0 or col >= cols:
                        continue
                    cell = row * cols + col
                    for q in range(cell_start[cell], cell_start[cell + 1]):
                        j = cell_seg[q]
                        gx = max(abox[i, 0] - max(sx0[j], sx1[j]), min(sx0[j], sx1[j]) - abox[i, 2], 0.0)
                        gy = max(abox[i, 1] - max(sy0[j], sy1[j]), min(sy0[j], sy1[j]) - abox[i, 3], 0.0)
                        if gx * gx + gy * gy > best * best:
                            continue
                        best = _to_segment(i, j, xs, ys, path_start, asset_path, is_ring, abox, sx0, sy0, sx1, sy1, best)
                if best == 0.0:
                    break
            if best == 0.0 or (lo_c <= 0 and hi_c >= cols - 1 and lo_r <= 0 and hi_r >= rows - 1):
                break
            k += 1
        out[i] = best


@numba.njit(nogil=True, cache=True)
def reach_settled(corners, box, host, cx, cy, h, inner, outer, inside, outside):  # pragma: no cover - compiled
    """For each pair, a circle (centre ``cx, cy``, radius ``h``) against the
    geometry ``host[p]`` (its ``corners`` and ``box``): wholly within
    ``inner`` of one corner (``inside``) or wholly beyond ``outer`` of the box
    (``outside``)."""
    for p in range(len(host)):
        i = host[p]
        gx = max(box[i, 0] - cx[p], cx[p] - box[i, 2], 0.0)
        gy = max(box[i, 1] - cy[p], cy[p] - box[i, 3], 0.0)
        if math.sqrt(gx * gx + gy * gy) - h[p] > outer:
            outside[p] = True
            continue
        near = math.inf
        for k in range(corners.shape[1]):
            dx, dy = corners[i, k, 0] - cx[p], corners[i, k, 1] - cy[p]
            near = min(near, dx * dx + dy * dy)
        inside[p] = math.sqrt(near) + h[p] <= inner
