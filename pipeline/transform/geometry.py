"""Geometry rules of the transform stage: repair, polygon-only layers, clipping,
and finding the footprint a point stands in."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from ..common import settings
from .report import Report

POLYGONAL = settings.POLYGONAL


def repair_geometries(gdf: gpd.GeoDataFrame, source: str, report: Report,
                      polygons_only: bool = False) -> gpd.GeoDataFrame:
    """Make geometries valid, drop empty ones, and for polygon layers keep the
    polygonal parts of collections and drop points and lines.

    Counts of repaired and dropped features go to ``report``.
    """
    if gdf.empty:
        return gdf
    geoms = gdf.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        report.add(source, "dropped: empty geometry", missing.sum())
    gdf = gdf[~missing].copy()
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf.loc[invalid, "geometry"] = gdf.geometry[invalid].make_valid()
        report.add(source, "repaired: invalid geometry (make_valid)", invalid.sum())
    if polygons_only:
        collections = (gdf.geom_type == "GeometryCollection").to_numpy()
        if collections.any():
            parts = [shapely.union_all([p for p in g.geoms if p.geom_type in POLYGONAL])
                     for g in gdf.geometry.to_numpy()[collections]]
            gdf.loc[gdf.index[collections], "geometry"] = parts
            report.add(source, "repaired: kept the polygon parts of mixed geometries", collections.sum())
        bad = ~gdf.geom_type.isin(POLYGONAL) | gdf.geometry.is_empty
        if bad.any():
            kinds = ", ".join(sorted(set(gdf.geom_type[bad].dropna())))
            report.add(source, "dropped: not a polygon", bad.sum(), kinds)
            gdf = gdf[~bad]
        flat = (gdf.geometry.area == 0).to_numpy()  # valid, yet its area underflows: no land to measure
        if flat.any():
            report.add(source, "dropped: polygon without area", int(flat.sum()))
            gdf = gdf[~flat]
    return gdf


def prepare_layer(gdf: gpd.GeoDataFrame, crs: CRS, area, source: str, report: Report,
                  polygons_only: bool = False) -> gpd.GeoDataFrame:
    """A layer in the project CRS, repaired, limited to features touching ``area``."""
    gdf = repair_geometries(gdf.to_crs(crs), source, report, polygons_only)
    return gdf[gdf.intersects(area)].reset_index(drop=True)


def host_footprints(points: gpd.GeoSeries, polygons: gpd.GeoDataFrame,
                    radius: float = settings.POINT_ASSET_RADIUS_M):
    """For each point, the smallest polygon containing it, else a circle.

    Returns a frame aligned with ``points`` (``osm_ref``, ``tags``, geometry)
    and a boolean array telling which points found a host.
    """
    n = len(points)
    pos: np.ndarray = np.full(n, -1)
    if len(polygons) and n:
        tree = shapely.STRtree(polygons.geometry.to_numpy())
        p_idx, g_idx = tree.query(points.to_numpy(), predicate="within")
        order = np.argsort(-polygons.geometry.area.to_numpy()[g_idx])  # largest first, so the smallest wins
        pos[p_idx[order]] = g_idx[order]
    hosted = pos >= 0
    ref: np.ndarray
    circles = shapely.buffer(points.to_numpy(), radius)
    if len(polygons):
        safe = np.maximum(pos, 0)
        geom = np.where(hosted, polygons.geometry.to_numpy()[safe], circles)
        ref = np.where(hosted, polygons["osm_ref"].to_numpy()[safe], np.array(None, dtype=object))
        tags = [polygons["tags"].iloc[p] if p >= 0 else {} for p in pos]
    else:
        geom, ref, tags = circles, np.full(n, None, dtype=object), [{} for _ in range(n)]
    return gpd.GeoDataFrame({"osm_ref": ref, "tags": tags}, geometry=geom, crs=points.crs, index=points.index), hosted


def clip_to_boundary(assets: gpd.GeoDataFrame, area, report: Report, ids) -> gpd.GeoDataFrame:
    """Cut assets to the boundary; drop those wholly outside; report both."""
    if assets.empty:
        return assets
    inside = shapely.intersects(assets.geometry.to_numpy(), area)
    if (~inside).any():
        report.add("inventory", "dropped: outside the boundary", (~inside).sum(),
                   ", ".join(ids(assets.index[~inside])[:20]))
    assets = assets[inside].copy()
    crossing = ~shapely.within(assets.geometry.to_numpy(), area)
    if crossing.any():
        clipped = shapely.intersection(assets.geometry.to_numpy()[crossing], area)
        clipped = [shapely.union_all([p for p in getattr(g, "geoms", [g]) if p.geom_type in POLYGONAL]) for g in clipped]
        assets.loc[assets.index[crossing], "geometry"] = clipped
        report.add("inventory", "clipped to the boundary", crossing.sum())
        assets = assets[~assets.geometry.is_empty & assets.geom_type.isin(POLYGONAL)]
    return assets


def swapped_xy(points: gpd.GeoSeries, area, crs: CRS) -> np.ndarray:
    """Which points fall outside ``area`` (project CRS) but inside it once
    their x and y are exchanged: coordinates typed lat/lon instead of lon/lat,
    or northing/easting."""
    if len(points) == 0:
        return np.zeros(0, bool)
    inside = shapely.within(points.to_crs(crs).to_numpy(), area)
    flipped = gpd.GeoSeries(shapely.transform(points.to_numpy(), lambda xy: xy[:, ::-1]), crs=points.crs)
    try:
        flipped_inside = shapely.within(flipped.to_crs(crs).to_numpy(), area)
    except Exception:  # a flip may leave the CRS's valid area
        return np.zeros(len(points), bool)
    return ~inside & flipped_inside
