"""Criteria read from rasters: elevation and slope (a DEM), irradiance, land cover."""

from __future__ import annotations


import geopandas as gpd
import pandas as pd

from ..transform import _raster
from ..transform import Context
from ._registry import criterion


def _raster_stat(assets: gpd.GeoDataFrame, context: Context, kind: str, op: str) -> pd.Series:
    layer = context.rasters.get(kind)
    if layer is None:
        raise KeyError(f"no {kind} raster in this project: configure one under sources.rasters")
    return _raster.zonal(assets, layer, op)


@criterion("elevation_m", "m", "elevation", "υψόμετρο", needs="dem", direction="depends on the use", reads={})
def elevation(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Mean elevation over the asset (DEM), cells weighted by the share covered."""
    return _raster_stat(assets, context, "dem", "mean")


@criterion("slope_deg", "°", "slope", "κλίση", needs="dem", direction="cost", reads={})
def slope(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Mean slope in degrees over the asset, from the DEM on the project grid."""
    return _raster_stat(assets, context, "slope", "mean")


@criterion("irradiance", "kWh/m²", "solar irradiance", "ηλιακή ακτινοβολία", needs="irradiance", reads={})
def irradiance(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Mean of the irradiance raster over the asset, in the raster's unit."""
    return _raster_stat(assets, context, "irradiance", "mean")


@criterion("landcover", "class", "land cover", "κάλυψη γης", needs="landcover", direction="class", reads={})
def landcover(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """The land-cover class covering most of the asset, as text (``"211"``)."""
    values = _raster_stat(assets, context, "landcover", "majority")
    text = values.map(lambda v: "unknown" if pd.isna(v) else f"{v:g}")
    return text.astype(object)


