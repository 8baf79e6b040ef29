"""Criteria a field survey (or an OSM ruin tag) settles: condition and occupancy."""

from __future__ import annotations


import geopandas as gpd
import pandas as pd

from ..transform import Context
from ._registry import criterion


@criterion("condition", "class", "condition", "κατάσταση", direction="class", reads={})
def condition(assets: gpd.GeoDataFrame, _context: Context) -> pd.Series:
    return assets["condition"].astype(object).where(assets["condition"].notna(), "unknown")


@criterion("occupancy", "class", "occupancy (survey)", "χρήση (αυτοψία)", direction="class", reads={})
def occupancy(assets: gpd.GeoDataFrame, _context: Context) -> pd.Series:
    return assets["occupancy"].astype(object).where(assets["occupancy"].notna(), "unknown")


