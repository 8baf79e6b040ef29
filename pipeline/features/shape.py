"""Criteria of an asset's own shape: area and compactness."""

from __future__ import annotations


import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..transform import Context
from ._registry import criterion


@criterion("area_m2", "m²", "area", "εμβαδόν", reads={})
def area(assets: gpd.GeoDataFrame, _context: Context) -> pd.Series:
    return pd.Series(shapely.area(assets.geometry.to_numpy()), index=assets.index)


@criterion("compactness", "0-1", "compactness", "συμπαγές σχήμα", reads={})
def compactness(assets: gpd.GeoDataFrame, _context: Context) -> pd.Series:
    """Polsby-Popper ratio 4πA/P²: 1 for a circle, near 0 for a thin strip."""
    g = assets.geometry.to_numpy()
    perimeter = shapely.length(g)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(perimeter > 0, 4 * np.pi * shapely.area(g) / perimeter**2, np.nan)
    return pd.Series(np.clip(value, 0, 1), index=assets.index)


