"""Compiled clipping for :func:`pipeline.features.covered_area`: the area
of a polygon's overlap with a convex ring (Sutherland-Hodgman, ring by ring,
holes subtracted) or with a polygon given as triangles, over numbers only
(the paths of :func:`pipeline.common._segments.paths`), never over geometry
objects.

Compiled by numba (cached on disk after the first run); they release the
interpreter lock, so the thread pool runs them on every core.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def convex_rings(xs, ys, path_start, geom_path, ring):  # pragma: no cover - compiled
    """+1 or -1 (the turning sense) for each geometry that is one convex ring
    (a polygon without holes that turns one way and goes round once), else 0."""
    n = len(geom_path) - 1
    out = np.zeros(n, np.int8)
    for g in range(n):
        if geom_path[g + 1] - geom_path[g] != 1 or ring[geom_path[g]] != 1:
            continue
        p = geom_path[g]
        s, e = path_start[p], path_start[p + 1] - 1  # the closing repeat dropped
        if e - s < 3:
            continue
        sense, flips_x, flips_y, last_dx, last_dy, ok = 0, 0, 0, 0.0, 0.0, True
        for k in range(s, e):
            k1, k2 = (k + 1 - s) % (e - s) + s, (k + 2 - s) % (e - s) + s
            ax, ay = xs[k1] - xs[k], ys[k1] - ys[k]
            bx, by = xs[k2] - xs[k1], ys[k2] - ys[k1]
            cross = ax * by - ay * bx
            turn = 1 if cross > 0 else (-1 if cross < 0 else 0)
            if turn != 0:
                if sense == 0:
                    sense = turn
                elif turn != sense:
                    ok = False
                    break
            if ax != 0:
                if last_dx != 0 and (ax > 0) != (last_dx > 0):
                    flips_x += 1
                last_dx = ax
            if ay != 0:
                if last_dy != 0 and (ay > 0) != (last_dy > 0):
                    flips_y += 1
                last_dy = ay
        if ok and sense != 0 and flips_x <= 2 and flips_y <= 2:
            out[g] = sense
    return out


@numba.njit(nogil=True, cache=True)
def _clip_half(xs, ys, n, out_x, out_y, ax, ay, bx, by, sense):  # pragma: no cover - compiled
    """One Sutherland-Hodgman step: the polygon ``xs/ys[:n]`` cut by the line
    through a and b, keeping the side where a convex ring of turning ``sense`` lies."""
    m = 0
    for i in range(n):
        j = i - 1 if i > 0 else n - 1
        si = sense * ((bx - ax) * (ys[i] - ay) - (by - ay) * (xs[i] - ax))
        sj = sense * ((bx - ax) * (ys[j] - ay) - (by - ay) * (xs[j] - ax))
        if (si >= 0) != (sj >= 0):
            t = sj / (sj - si)
            out_x[m], out_y[m] = xs[j] + t * (xs[i] - xs[j]), ys[j] + t * (ys[i] - ys[j])
            m += 1
        if si >= 0:
            out_x[m], out_y[m] = xs[i], ys[i]
            m += 1
    return m


@numba.njit(nogil=True, cache=True)
def _clip_room(n, k):  # pragma: no cover - compiled
    """Room for a ring of ``n`` vertices clipped by ``k`` half-planes: its
    vertices inside, the points where its edges cross the convex region's
    edge (two an edge at most), the region's corners and the bridges along
    its edges that Sutherland-Hodgman leaves between the pieces."""
    return 4 * n + 2 * k + 16


@numba.njit(nogil=True, cache=True)
def _load_ring(ax, ay, sx, sy, s_start, r):  # pragma: no cover - compiled
    """Path ``r``'s vertices (the closing repeat dropped) copied into ``ax/ay``; returns how many."""
    n = s_start[r + 1] - s_start[r] - 1
    for k in range(n):
        ax[k], ay[k] = sx[s_start[r] + k], sy[s_start[r] + k]
    return n


@numba.njit(nogil=True, cache=True)
def _ring_area(ax, ay, n):  # pragma: no cover - compiled
    """Area of the ring ``ax/ay[:n]`` (either turning), from its first vertex."""
    area = 0.0
    for k in range(n):
        j = k - 1 if k > 0 else n - 1
        area += (ax[j] - ax[0]) * (ay[k] - ay[0]) - (ax[k] - ax[0]) * (ay[j] - ay[0])
    return abs(area) / 2


@numba.njit(nogil=True, cache=True)
def convex_overlap(sx, sy, s_start, s_geom, s_ring, cx, cy, c_start, c_geom, c_sense, pair_s, pair_c, out):  # pragma: no cover
    """Area of each pair's overlap: the polygon ``pair_s[p]`` of the subject
    paths (rings with +1 exterior, -1 hole) clipped to the convex ring
    ``pair_c[p]`` of the clip paths (turning ``c_sense``), ring by ring."""
    longest = 0
    for p in range(len(s_start) - 1):
        longest = max(longest, s_start[p + 1] - s_start[p])
    longest_c = 0
    for p in range(len(c_start) - 1):
        longest_c = max(longest_c, c_start[p + 1] - c_start[p])
    size = _clip_room(longest, longest_c)
    ax, ay = np.empty(size), np.empty(size)
    bx, by = np.empty(size), np.empty(size)
    for p in range(len(pair_s)):
        g, c = pair_s[p], pair_c[p]
        q = c_geom[c]
        c0, c1 = c_start[q], c_start[q + 1] - 1
        total = 0.0
        for r in range(s_geom[g], s_geom[g + 1]):
            if s_ring[r] == 0:
                continue
            n = _load_ring(ax, ay, sx, sy, s_start, r)
            for k in range(c0, c1):
                n = _clip_half(ax, ay, n, bx, by, cx[k], cy[k], cx[k + 1], cy[k + 1], c_sense[c])
                for m in range(n):
                    ax[m], ay[m] = bx[m], by[m]
                if n == 0:
                    break
            total += s_ring[r] * _ring_area(ax, ay, n)
        out[p] = total


@numba.njit(nogil=True, cache=True)
def _clip_to_box(ax, ay, n, bx, by, x0, y0, x1, y1):  # pragma: no cover - compiled
    """The polygon ``ax/ay[:n]`` cut to the box (in place; returns its new length)."""
    for e in range(4):  # the box's edges, counter-clockwise
        if e == 0:
            n = _clip_half(ax, ay, n, bx, by, x0, y0, x1, y0, 1)
        elif e == 1:
            n = _clip_half(ax, ay, n, bx, by, x1, y0, x1, y1, 1)
        elif e == 2:
            n = _clip_half(ax, ay, n, bx, by, x1, y1, x0, y1, 1)
        else:
            n = _clip_half(ax, ay, n, bx, by, x0, y1, x0, y0, 1)
        for m in range(n):
            ax[m], ay[m] = bx[m], by[m]
        if n == 0:
            break
    return n


@numba.njit(nogil=True, cache=True)
def _triangle_piece(rx, ry, kept, ax, ay, bx, by, tx, ty, q, sense):  # pragma: no cover - compiled
    """Area of the polygon ``rx/ry[:kept]`` clipped to the triangle whose
    vertices are ``tx/ty[q:q + 4]`` (closed), turning ``sense``."""
    n = kept
    for m in range(n):
        ax[m], ay[m] = rx[m], ry[m]
    for k in range(q, q + 3):
        n = _clip_half(ax, ay, n, bx, by, tx[k], ty[k], tx[k + 1], ty[k + 1], sense)
        for m in range(n):
            ax[m], ay[m] = bx[m], by[m]
        if n == 0:
            return 0.0
    return _ring_area(ax, ay, n)


@numba.njit(nogil=True, cache=True)
def triangulated_overlap(sx, sy, s_start, s_geom, s_ring, tx, ty, t_start, t_sense, first, box, pair_s, pair_u,
                         out):  # pragma: no cover - compiled
    """Area of each pair's overlap where the cover polygon ``pair_u[p]`` is
    given as triangles (paths ``first[u]`` to ``first[u + 1]`` of ``tx/ty``,
    turning ``t_sense``; 0, a degenerate one, is skipped): each ring of the
    subject polygon ``pair_s[p]`` (+1 exterior, -1 hole) is cut to the cover
    polygon's box ``box[u]`` once, then clipped to each triangle, and the
    pieces added."""
    longest = 0
    for p in range(len(s_start) - 1):
        longest = max(longest, s_start[p + 1] - s_start[p])
    size = _clip_room(longest, 7)
    ax, ay = np.empty(size), np.empty(size)
    bx, by = np.empty(size), np.empty(size)
    rx, ry = np.empty(size), np.empty(size)
    for p in range(len(pair_s)):
        g, u = pair_s[p], pair_u[p]
        total = 0.0
        for r in range(s_geom[g], s_geom[g + 1]):
            if s_ring[r] == 0:
                continue
            n = _load_ring(ax, ay, sx, sy, s_start, r)
            kept = _clip_to_box(ax, ay, n, bx, by, box[u, 0], box[u, 1], box[u, 2], box[u, 3])
            for m in range(kept):
                rx[m], ry[m] = ax[m], ay[m]
            for t in range(first[u], first[u + 1]):
                if kept and t_sense[t] != 0:
                    total += s_ring[r] * _triangle_piece(rx, ry, kept, ax, ay, bx, by, tx, ty, t_start[t], t_sense[t])
        out[p] = total
