"""What several criteria share: tag masks, nearest distances (exact,
two-pass) and the area of a shape that other shapes cover."""

from __future__ import annotations


import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..common import _proximity, _segments, settings
from ..transform import Context
from ._registry import SELF_LAYERS, log


def _tag_mask(tags: pd.Series, wanted: dict[str, set[str]]) -> np.ndarray:
    return np.fromiter((any(t.get(k) in v for k, v in wanted.items()) for t in tags), bool, len(tags))


def _grown_boxes(geoms: np.ndarray, by: float) -> np.ndarray:
    b = shapely.bounds(geoms)
    return shapely.box(b[:, 0] - by, b[:, 1] - by, b[:, 2] + by, b[:, 3] + by)


def nearest_distance(assets: gpd.GeoDataFrame, targets: np.ndarray, label: str) -> pd.Series:
    """Distance (m) from each asset to the nearest target geometry.

    Capped at ``NEAREST_SEARCH_M``. With no targets at all the distance is
    unknown (NaN) and a warning says so.

    Points and lines (roads, stops) are searched by a compiled kernel over
    their segments in a grid (:mod:`pipeline.common._segments`), with GEOS's
    formulas. Targets with polygons, whose inside is at distance 0, go by
    GEOS:

    Exact, in passes: the candidates whose boxes meet the asset's box grown by
    about the targets' typical spacing (any target within that distance is
    among them, so a minimum under it is the nearest), of which only those
    whose box could still be nearer are measured (:func:`_nearest_among`);
    then the same with a 3x wider box for the assets that found none. The
    few left after ``NEAREST_PASSES`` get GEOS's nearest-neighbour search
    (26 us an asset on the dense benchmark, twice a box pass), except those
    farther than ``NEAREST_SEARCH_M``, whose answer is the cap.
    """
    if len(targets) == 0:
        if len(assets):
            log.warning("no %s in the data: that distance is unknown for every asset", label)
        return pd.Series(np.nan, index=assets.index)
    geoms = assets.geometry.to_numpy()
    if _segments.handles(targets):  # points and lines: the compiled grid search, GEOS's distances to the bit
        return pd.Series(np.minimum(_segments.nearest(geoms, targets, settings.NEAREST_SEARCH_M),
                                    settings.NEAREST_SEARCH_M), index=assets.index)
    tree = shapely.STRtree(targets)
    x0, y0, x1, y1 = shapely.total_bounds(targets)
    spacing = np.sqrt(max((x1 - x0) * (y1 - y0), 1.0) / len(targets))
    radius = float(np.clip(0.7 * spacing, 25.0, settings.NEAREST_SEARCH_M))
    out = np.full(len(geoms), np.inf)
    b, target_box = shapely.bounds(geoms), shapely.bounds(targets)
    pending = np.arange(len(geoms))
    for k in range(NEAREST_PASSES):
        if k:
            radius = min(3 * radius, settings.NEAREST_SEARCH_M)
        part = np.full(len(pending), np.inf)

        def work(start: int, stop: int, by: float = radius, mine: np.ndarray = pending, part: np.ndarray = part) -> None:
            a_idx, t_idx = tree.query(_grown_boxes(geoms[mine[start:stop]], by))
            part[start:stop] = _nearest_among(geoms[mine[start:stop]], targets, a_idx, t_idx,
                                              _proximity.box_gap(b[mine[start:stop]][a_idx], target_box[t_idx]))

        # chunks sized by the candidates expected in each grown box, so that their pairs fit the budget
        density = len(targets) / max((x1 - x0 + 2 * radius) * (y1 - y0 + 2 * radius), 1.0)
        bp = b[pending]
        expected = density * (bp[:, 2] - bp[:, 0] + 2 * radius) * (bp[:, 3] - bp[:, 1] + 2 * radius)
        _proximity.run_chunks(work, _proximity.chunks(np.nan_to_num(expected) + _proximity.ASSET_PAIRS, _proximity.PAIR_BYTES * 2))
        out[pending] = part
        pending = pending[part > radius]
        if not len(pending) or radius >= settings.NEAREST_SEARCH_M:
            break
    if len(pending) and radius < settings.NEAREST_SEARCH_M:  # beyond it the cap is the answer
        (l_idx, _), dist = tree.query_nearest(geoms[pending], return_distance=True, all_matches=False)
        out[pending[l_idx]] = dist
    return pd.Series(np.minimum(out, settings.NEAREST_SEARCH_M), index=assets.index)


#: box passes (each 3x wider) before GEOS's nearest-neighbour search takes the assets left
NEAREST_PASSES = 2


#: candidates each asset measures in order of box distance before the rest
#: are measured at once (each round is one call into GEOS for every asset)
NEAREST_ROUNDS = 2


def _nearest_among(geoms: np.ndarray, targets: np.ndarray, a_idx: np.ndarray, t_idx: np.ndarray,
                   gap: np.ndarray) -> np.ndarray:
    """For each of ``geoms``, the least distance to its candidate targets
    (pairs ``a_idx``, ``t_idx`` with box distances ``gap``; inf without any).

    Each asset measures its candidates nearest box first; a candidate whose
    box is no nearer than the least distance found cannot be nearer, so it is
    never measured (on the dense benchmark an asset measures 3.6 of its 11.7
    candidates). The result is the same minimum of the same GEOS distances
    as measuring every pair.
    """
    best = np.full(len(geoms), np.inf)
    order = np.lexsort((gap, a_idx))
    a_idx, t_idx, gap = a_idx[order], t_idx[order], gap[order]
    starts = np.flatnonzero(np.r_[True, a_idx[1:] != a_idx[:-1]]) if len(a_idx) else np.zeros(0, int)
    place = np.arange(len(a_idx)) - np.repeat(starts, np.diff(np.r_[starts, len(a_idx)]))

    def measure(pairs: np.ndarray) -> None:
        np.minimum.at(best, a_idx[pairs], shapely.distance(geoms[a_idx[pairs]], targets[t_idx[pairs]]))

    for k in range(NEAREST_ROUNDS):
        pairs = starts + k
        pairs = pairs[pairs < len(a_idx)]
        measure(pairs[(place[pairs] == k) & (gap[pairs] < best[a_idx[pairs]])])
    measure(np.flatnonzero((place >= NEAREST_ROUNDS) & (gap < best[a_idx])))
    return best


#: an area with more candidate cover polygons than this (a neighbourhood of a
#: town) has them tested against it prepared, most wholly inside; fewer
#: (a plot, a building) go to the compiled clipping
CROWDED_PAIRS = 16
#: cover polygons whose extent estimates the cover's density (chunk sizes only)
SPREAD_SAMPLE = 1000
#: overlaps under this share of the cover polygon's area are the rounding of clipping two polygons
#: that only touch: GEOS finds none, and neither do we
SLIVER = 1e-9


def covered_area(areas: np.ndarray, cover: np.ndarray,
                 grown: tuple[np.ndarray, float, float] | None = None) -> np.ndarray:
    """Area of each polygon in ``areas`` covered by the polygons in ``cover``
    (overlaps between cover polygons are counted once per pair).

    ``grown``: ``(geoms, inner, outer)`` when each area is ``geoms[i]`` grown
    (a buffer): it holds every point within ``inner`` of ``geoms[i]`` and
    none farther than ``outer``. Then the pairs these bounds settle are not
    tested at all (:func:`_settled_by_reach`): a cover polygon whose box's
    circle lies within ``inner`` of a vertex of ``geoms[i]`` adds its own
    area, one whose circle lies beyond ``outer`` of ``geoms[i]``'s box adds
    nothing, and only those left, near the edge, are clipped.

    Otherwise each pair whose boxes meet is measured one of two ways. An
    area with few candidates (a plot, a building): clipped
    (:func:`_clipped_overlap`), by a compiled kernel when one of the two is a
    convex ring (most buildings and plots), the other clipped to it edge by
    edge (:func:`pipeline.common._clipping.convex_overlap`), else to each
    triangle of the cover polygon (:func:`_triangulated_overlap`). An area
    with many (more than :data:`CROWDED_PAIRS`): prepared, a cover polygon
    wholly inside (``contains_properly``) adds its own area and only those
    crossing the edge are clipped. A pair's value depends only on the pair
    and the area's candidates, and the pieces are added in a fixed order, so
    partitioned runs give identical results.
    """
    out = np.zeros(len(areas))
    if len(cover) == 0 or len(areas) == 0:
        return out
    tree = shapely.STRtree(cover)
    b = shapely.bounds(areas)
    # the cover's density, only to size the chunks: from a sample's extent
    sample = shapely.bounds(cover[:: max(1, len(cover) // SPREAD_SAMPLE)])
    span = np.nan_to_num(np.nanmax(sample[:, 2:], axis=0) - np.nanmin(sample[:, :2], axis=0)) + 1.0
    expected = len(cover) / float(np.prod(span)) * (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])

    def work(start: int, stop: int) -> None:
        part = areas[start:stop]
        a_idx, c_idx = tree.query(part)
        piece = np.zeros(len(a_idx))
        if grown is not None:
            inside, outside = _settled_by_reach(grown[0][start:stop], grown[1], grown[2], a_idx, cover[c_idx])
            piece[inside] = shapely.area(cover[c_idx[inside]])
            k = np.flatnonzero(~(inside | outside))
            piece[k] = _clipped_overlap(part, cover, a_idx[k], c_idx[k])
        else:
            crowded = np.bincount(a_idx, minlength=stop - start)[a_idx] > CROWDED_PAIRS
            k = np.flatnonzero(crowded)
            piece[k] = _prepared_overlap(part, cover, a_idx[k], c_idx[k], b[start:stop])
            k = np.flatnonzero(~crowded)
            piece[k] = _clipped_overlap(part, cover, a_idx[k], c_idx[k])
        # added in a fixed order (by asset, then piece size) so that the sum does not
        # depend on the cover's row order: partitioned runs give identical results
        order = np.lexsort((piece, a_idx))
        local = np.zeros(stop - start)
        np.add.at(local, a_idx[order], piece[order])
        out[start:stop] = local

    _proximity.run_chunks(work, _proximity.chunks(np.nan_to_num(expected) + _proximity.ASSET_PAIRS, _proximity.PAIR_BYTES * 2))
    return out


def _settled_by_reach(geoms: np.ndarray, inner: float, outer: float, a_idx: np.ndarray,
                      pieces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which pairs ``(geoms[a_idx[p]], pieces[p])`` the bounds settle without
    a test: ``pieces[p]`` wholly within ``inner`` of its geometry, or wholly
    beyond ``outer``. A piece lies in the circle around its box's centre
    through the box's corners (radius ``h``); a point of it is then within
    ``|c - v| + h`` of the geometry for any vertex ``v`` (up to
    :data:`~pipeline.common._proximity.CORNERS` spread along it) and at
    least ``dist(c, box) - h`` from it."""
    from ..common._kernels import reach_settled

    inside, outside = np.zeros(len(a_idx), bool), np.zeros(len(a_idx), bool)
    if not len(a_idx):
        return inside, outside
    hosts, host_of = np.unique(a_idx, return_inverse=True)
    pb = shapely.bounds(pieces)
    reach_settled(_proximity.spread_corners(geoms[hosts]), shapely.bounds(geoms[hosts]), host_of,
                  (pb[:, 0] + pb[:, 2]) / 2, (pb[:, 1] + pb[:, 3]) / 2,
                  np.hypot(pb[:, 2] - pb[:, 0], pb[:, 3] - pb[:, 1]) / 2, inner, outer, inside, outside)
    return inside, outside


def _prepared_overlap(part, cover, a_idx, c_idx, box) -> np.ndarray:
    """Overlap of each pair: a cover polygon wholly inside its area (tested
    by GEOS on the prepared area) is its own area, the others are clipped."""
    cb = shapely.bounds(cover[c_idx])
    maybe = np.flatnonzero((cb[:, 0] > box[a_idx, 0]) & (cb[:, 1] > box[a_idx, 1])
                           & (cb[:, 2] < box[a_idx, 2]) & (cb[:, 3] < box[a_idx, 3]))
    hosts, host_of = np.unique(a_idx[maybe], return_inverse=True)
    # prepared copies this call owns: the criteria run side by side on the same assets, and a
    # geometry one thread prepares another must not unprepare while it is in use (a crash in GEOS)
    own = shapely.transform(part[hosts], lambda xy: xy)
    shapely.prepare(own)
    inside = np.zeros(len(a_idx), bool)
    inside[maybe] = shapely.contains_properly(own[host_of], cover[c_idx[maybe]])
    piece = np.zeros(len(a_idx))
    piece[inside] = shapely.area(cover[c_idx[inside]])
    edge = np.flatnonzero(~inside)
    piece[edge] = _clipped_overlap(part, cover, a_idx[edge], c_idx[edge])
    return piece


def _clipped_overlap(part, cover, a_idx, c_idx) -> np.ndarray:
    """Overlap of each pair, clipped by the compiled kernel to whichever of
    the two is a convex ring, or to the cover polygon's triangles where
    neither is; a piece under :data:`SLIVER` of the cover polygon is none."""
    from ..common._clipping import convex_overlap, convex_rings

    piece = np.zeros(len(a_idx))
    if not len(a_idx):
        return piece
    hosts, a_local = np.unique(a_idx, return_inverse=True)
    used, c_local = np.unique(c_idx, return_inverse=True)
    a_paths, c_paths = _segments.paths(part[hosts]), _segments.paths(cover[used])
    a_convex = convex_rings(a_paths[0], a_paths[1], a_paths[2], a_paths[4], a_paths[3])
    c_convex = convex_rings(c_paths[0], c_paths[1], c_paths[2], c_paths[4], c_paths[3])
    by_cover = c_convex[c_local] != 0
    by_area = ~by_cover & (a_convex[a_local] != 0)
    for mine, subject, s_pick, clip, c_pick, sense in ((by_cover, a_paths, a_local, c_paths, c_local, c_convex),
                                                       (by_area, c_paths, c_local, a_paths, a_local, a_convex)):
        k = np.flatnonzero(mine)
        if len(k):
            found = np.empty(len(k))
            convex_overlap(subject[0], subject[1], subject[2], subject[4], subject[3], clip[0], clip[1], clip[2],
                           clip[4], sense, s_pick[k], c_pick[k], found)
            piece[k] = found
    rest = np.flatnonzero(~by_cover & ~by_area)
    if len(rest):
        piece[rest] = _triangulated_overlap(a_paths, a_local[rest], part[hosts], cover, c_idx[rest])
    # two polygons that only touch leave a sliver of rounding (of either sign) where GEOS finds nothing
    piece[np.abs(piece) <= SLIVER * _path_areas(c_paths)[c_local]] = 0.0
    return piece


def _path_areas(of_paths: tuple[np.ndarray, ...]) -> np.ndarray:
    """Each geometry's area from its :func:`pipeline.common._segments.paths`
    (exterior rings less holes; lines and points none), by the shoelace."""
    xs, ys, start, ring, geom_path = of_paths
    counts = np.diff(start)  # each path from its first vertex: products of metres, not of millions of metres
    x, y = xs - np.repeat(xs[start[:-1]], counts), ys - np.repeat(ys[start[:-1]], counts)
    cross = np.zeros(len(xs) + 1)  # one zero more: every path and geometry below starts within the array
    cross[:len(xs) - 1] = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross[start[1:] - 1] = 0.0  # a path's last vertex starts no edge
    per_path = np.zeros(len(start))
    per_path[:-1] = np.abs(np.add.reduceat(cross, start[:-1])) * ring if len(start) > 1 else 0.0
    summed = np.add.reduceat(per_path, geom_path[:-1]) if len(geom_path) > 1 else np.zeros(0)
    return np.where(np.diff(geom_path) > 0, summed, 0.0) / 2


def _triangulated_overlap(subject: tuple[np.ndarray, ...], s_pick: np.ndarray, subject_geoms: np.ndarray,
                          cover: np.ndarray, c_idx: np.ndarray) -> np.ndarray:
    """Overlap of pairs where neither polygon is one convex ring (a concave
    building on a concave plot or neighbourhood): the cover polygon cut into
    triangles by GEOS's constrained Delaunay triangulation (which partitions
    it exactly, holes left out), the subject polygon ``s_pick[p]`` of
    ``subject`` (:func:`pipeline.common._segments.paths` of ``subject_geoms``) cut to the cover
    polygon's box and clipped to each triangle by the compiled kernel
    (:func:`pipeline.common._clipping.triangulated_overlap`). A polygon GEOS
    cannot triangulate (a near-degenerate one) is intersected by GEOS."""
    from ..common._clipping import triangulated_overlap

    used, local = np.unique(c_idx, return_inverse=True)
    try:
        whole = shapely.constrained_delaunay_triangles(cover[used])
    except shapely.errors.GEOSException:  # a near-degenerate polygon GEOS cannot triangulate: each on its own
        whole = np.array([_triangles_or_none(p) for p in cover[used]], dtype=object)
    # each triangle a closed ring of 4 coordinates, read without making an object of it
    coords, coord_owner = shapely.get_coordinates(whole, return_index=True)
    xs, ys = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])
    t_start = np.arange(0, len(xs) + 1, 4)
    a = t_start[:-1]
    turn = (xs[a + 1] - xs[a]) * (ys[a + 2] - ys[a]) - (xs[a + 2] - xs[a]) * (ys[a + 1] - ys[a])
    sense = np.sign(turn).astype(np.int8)  # 0: a degenerate triangle
    first = np.zeros(len(used) + 1, np.int64)
    np.cumsum(np.bincount(coord_owner[a], minlength=len(used)), out=first[1:])
    piece = np.empty(len(c_idx))
    triangulated_overlap(subject[0], subject[1], subject[2], subject[4], subject[3], xs, ys, t_start, sense, first,
                         shapely.bounds(cover[used]), s_pick, local, piece)
    untriangulated = np.flatnonzero(shapely.is_missing(whole)[local])
    if len(untriangulated):  # by GEOS's intersection, as all such pairs once were
        piece[untriangulated] = shapely.area(shapely.intersection(subject_geoms[s_pick[untriangulated]],
                                                                  cover[c_idx[untriangulated]]))
    return piece


def _triangles_or_none(polygon):
    """GEOS's constrained Delaunay triangles of one polygon, or None where it cannot make them."""
    try:
        return shapely.constrained_delaunay_triangles(polygon)
    except shapely.errors.GEOSException:
        return None


def _not_self(context: Context, layer: str, assets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The context ``layer``'s features other than the assets themselves (all
    the project's assets, when ``context.asset_refs`` names them); ``layer``
    is one of ``SELF_LAYERS``."""
    frame = getattr(context, layer)
    others = _others(context, layer, assets)
    return frame if others is None else frame[others]


def _not_self_geometry(context: Context, layer: str, assets: gpd.GeoDataFrame) -> np.ndarray:
    """The geometries of :func:`_not_self`, without copying the layer's other columns."""
    geoms = getattr(context, layer).geometry.to_numpy()
    others = _others(context, layer, assets)
    return geoms if others is None else geoms[others]


def _others(context: Context, layer: str, assets: gpd.GeoDataFrame) -> np.ndarray | None:
    """Which of the layer's features are not assets; None when all are not."""
    if layer not in SELF_LAYERS:
        raise ValueError(f"{layer} is not among the layers that hold assets {SELF_LAYERS}")
    frame = getattr(context, layer)
    refs = context.asset_refs if context.asset_refs is not None else assets["osm_ref"]
    if frame.empty:
        return None
    import pyarrow.compute as pc

    own = pc.drop_null(_arrow_strings(refs))
    if len(own) == 0:
        return None
    # Arrow's hash set is ~10x faster than pandas' isin on a million object strings
    mine = pc.is_in(_arrow_strings(frame["osm_ref"]), value_set=own)
    return ~mine.fill_null(False).to_numpy(zero_copy_only=False)


def _arrow_strings(values):
    """``values`` (a pandas string or object column, or a sequence) as an Arrow
    string array: an Arrow-backed column as it is, without a copy."""
    import pyarrow as pa

    values = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types in an object column
        return pa.array(values.map(lambda v: None if pd.isna(v) else str(v)), type=pa.string())
