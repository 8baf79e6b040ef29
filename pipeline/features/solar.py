"""The solar yield an asset's roof or ground could give an energy community."""

from __future__ import annotations


import geopandas as gpd
import pandas as pd
import shapely

from ..common import coefficients
from ..transform import Context
from ._registry import criterion
from .built import footprint_share


@criterion("solar_mwh_per_year", "MWh/year", "solar yield estimate", "εκτίμηση ηλιακής παραγωγής", needs="solar",
           reads={"buildings": 0.0}, tags={"building": None})
def solar_yield(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Yearly PV energy if the asset carried panels: on the roof of a building,
    on the open ground of land, with the project's impact coefficients."""
    if context.solar is None:
        raise KeyError("no solar coefficients in the context (the runner sets them)")
    solar, kwh_per_kwp = context.solar
    g = assets.geometry.to_numpy()
    inset = shapely.area(shapely.buffer(g, -solar.setback_m.value)) if solar.setback_m.value > 0 else shapely.area(g)
    is_building = (assets["kind"] == "building").to_numpy()
    open_share = 1 - footprint_share(assets, context).to_numpy()
    kwp = coefficients.peak_kwp(inset, open_share, is_building, solar)
    return pd.Series(kwp * kwh_per_kwp / 1000, index=assets.index)


