"""Raster helpers: reprojection to the project grid, slope, zonal statistics."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource
from pyproj import CRS
from rasterio.warp import Resampling, calculate_default_transform, reproject

from ..common import _proximity
from ..extract.raster import RasterLayer


def to_crs(layer: RasterLayer, crs: CRS) -> RasterLayer:
    """Reproject a raster layer onto a grid in ``crs`` of about the same cell size.

    Land cover uses nearest-neighbour (classes must not be averaged); other
    kinds use bilinear interpolation. NaN stays NaN.
    """
    if layer.crs.equals(crs):
        return layer
    h, w = layer.array.shape
    transform, width, height = calculate_default_transform(layer.crs, crs, w, h, *layer.bounds)
    out = np.full((height, width), np.nan, dtype="float32")
    reproject(
        layer.array, out, src_transform=layer.transform, src_crs=layer.crs, dst_transform=transform,
        dst_crs=crs, src_nodata=np.nan, dst_nodata=np.nan,
        resampling=Resampling.nearest if layer.kind == "landcover" else Resampling.bilinear,
    )
    return replace(layer, array=out, transform=transform, crs=crs)


def slope(dem: RasterLayer) -> RasterLayer:
    """Slope in degrees from a DEM on a metric grid (central differences)."""
    if not dem.crs.is_projected:
        raise ValueError("slope needs a DEM on a metric grid; reproject it first")
    dy, dx = np.gradient(dem.array.astype("float64"), abs(dem.transform.e), abs(dem.transform.a))
    degrees = np.degrees(np.arctan(np.hypot(dx, dy))).astype("float32")
    return replace(dem, kind="slope", array=degrees, unit="°")


def zonal(assets: gpd.GeoDataFrame, layer: RasterLayer, op: str) -> pd.Series:
    """One statistic of ``layer`` per asset, each cell weighted by the exact
    share of it the asset covers: ``mean`` (of the valid cells) or
    ``majority`` (the value covering the most; the smallest on a tie).
    NaN where the asset covers no valid cell (and for points and lines).

    The coverage is computed the way exactextract does (each polygon clipped
    to each cell of its box), by a compiled kernel on budget-sized chunks on
    the thread pool; exactextract itself spends most of its time passing
    features one by one (:func:`zonal_exactextract` is the reference the tests compare with).
    """
    if op not in ("mean", "majority"):
        raise ValueError(f"unknown zonal statistic {op!r}: mean or majority")
    out = np.full(len(assets), np.nan)
    t = layer.transform
    if t.b != 0 or t.d != 0:
        raise ValueError(f"{layer.path}: a rotated raster grid is not supported; warp it north-up first (gdalwarp)")
    if len(assets) == 0:
        return pd.Series(out, index=assets.index)
    array = layer.array
    if t.e > 0:  # south-up: flip to north-up
        array = np.flipud(array)
    h, w = array.shape
    x0, cw, ch = t.c, t.a, abs(t.e)
    ytop = t.f if t.e < 0 else t.f + t.e * h
    rings = _proximity.polygon_rings(assets.geometry.to_numpy())
    box = shapely.bounds(assets.geometry.to_numpy())
    with np.errstate(invalid="ignore"):
        c0 = np.floor((box[:, 0] - x0) / cw).clip(0, w)
        c1 = np.ceil((box[:, 2] - x0) / cw).clip(0, w)
        r0 = np.floor((ytop - box[:, 3]) / ch).clip(0, h)
        r1 = np.ceil((ytop - box[:, 1]) / ch).clip(0, h)
    ncols = np.nan_to_num(c1 - c0).astype(np.int64)
    nrows = np.nan_to_num(r1 - r0).astype(np.int64)
    cells = np.where(np.diff(rings[4]) > 0, ncols * nrows, 0)
    c0, r0 = np.nan_to_num(c0).astype(np.int64), np.nan_to_num(r0).astype(np.int64)
    values = array.astype("float64", copy=False)

    def work(start: int, stop: int) -> None:
        from ..common._kernels import cell_coverage

        k = cells[start:stop]
        asset = np.repeat(np.arange(start, stop), k)
        local = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
        col = c0[asset] + local % ncols[asset]
        row = r0[asset] + local // ncols[asset]
        area = np.empty(len(asset))
        xs, ys, ring_start, sign, geom_ring = rings
        cell_coverage(xs, ys, ring_start, sign, geom_ring, asset, row, col, x0, ytop, cw, ch, area)
        v = values[row, col]
        ok = ~np.isnan(v) & (area > 0)
        asset, v, area = asset[ok] - start, v[ok], area[ok]
        if op == "mean":
            weight = np.bincount(asset, weights=area, minlength=stop - start)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[start:stop] = np.where(weight > 0, np.bincount(asset, weights=v * area, minlength=stop - start) / weight, np.nan)
        elif len(asset):
            order = np.lexsort((v, asset))  # by asset, then value
            asset, v, area = asset[order], v[order], area[order]
            first = np.flatnonzero(np.r_[True, (asset[1:] != asset[:-1]) | (v[1:] != v[:-1])])
            total = np.add.reduceat(area, first)
            g_asset, g_value = asset[first], v[first]
            # the largest total per asset, the smallest value among equals
            pick = np.lexsort((g_value, -total, g_asset))
            lead = pick[np.r_[True, g_asset[pick][1:] != g_asset[pick][:-1]]]
            out[start + g_asset[lead]] = g_value[lead]

    _proximity.run_chunks(work, _proximity.chunks(cells + 1, _proximity.PAIR_BYTES * 2))
    return pd.Series(out, index=assets.index)


def zonal_exactextract(assets: gpd.GeoDataFrame, layer: RasterLayer, op: str) -> pd.Series:
    """:func:`zonal` by exactextract, feature by feature (the reference)."""
    if len(assets) == 0:
        return pd.Series([], index=assets.index, dtype=float)
    xmin, ymin, xmax, ymax = layer.bounds
    array = np.flipud(layer.array) if layer.transform.e > 0 else layer.array
    source = NumPyRasterSource(array.astype("float64"), xmin, ymin, xmax, ymax, nodata=np.nan,
                               srs_wkt=layer.crs.to_wkt())
    vec = gpd.GeoDataFrame({"i": np.arange(len(assets))}, geometry=assets.geometry.to_numpy(), crs=assets.crs)
    out = exact_extract(source, vec, [op], include_cols=["i"], output="pandas")
    values = out.set_index("i")[op].reindex(np.arange(len(assets)))
    return pd.Series(values.to_numpy(dtype=float), index=assets.index)
