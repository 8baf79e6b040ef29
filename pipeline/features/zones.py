"""Criteria of the zones an asset lies in: flood-prone and protected areas."""

from __future__ import annotations


import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..transform import Context
from ._registry import criterion
from ._common import covered_area


def _zone_share(assets: gpd.GeoDataFrame, context: Context, kind: str) -> pd.Series:
    zones = context.zones.get(kind)
    if zones is None:
        raise KeyError(f"no {kind} zones in this project: configure them under sources.zones")
    g = assets.geometry.to_numpy()
    merged = np.array([shapely.union_all(zones.geometry.to_numpy())]) if len(zones) else np.array([])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = covered_area(g, merged) / shapely.area(g)
    return pd.Series(np.clip(np.nan_to_num(share), 0, 1), index=assets.index)


@criterion("flood_share", "0-1", "share in a flood-prone zone", "ποσοστό σε πλημμυρική ζώνη", needs="zone:flood", direction="cost",
           reads={})
def flood_share(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Share of the asset's area inside the flood zones (overlaps counted once)."""
    return _zone_share(assets, context, "flood")


@criterion("protected_share", "0-1", "share in a protected area", "ποσοστό σε προστατευόμενη περιοχή",
           needs="zone:protected", direction="cost", reads={})
def protected_share(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Share of the asset's area inside protected areas (Natura 2000, parks, ...)."""
    return _zone_share(assets, context, "protected")


