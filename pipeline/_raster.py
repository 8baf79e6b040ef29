"""Raster helpers: reprojection to the project grid, slope, zonal statistics."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource
from pyproj import CRS
from rasterio.warp import Resampling, calculate_default_transform, reproject

from .extract.raster import RasterLayer


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
    """One statistic (``mean``, ``majority``, ...) of ``layer`` per asset,
    weighted by the exact share of each cell the asset covers (exactextract).
    NaN where the asset covers no valid cell."""
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
