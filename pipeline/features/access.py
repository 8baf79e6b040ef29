"""Criteria of access and surroundings: distances to roads, transport, schools and
housing, and the services within reach."""

from __future__ import annotations


import geopandas as gpd
import numpy as np
import pandas as pd

from ..common import _proximity, settings
from ..transform import Context
from ._registry import criterion
from ._common import _not_self, _tag_mask, nearest_distance


@criterion("road_distance_m", "m", "distance to a road", "απόσταση από δρόμο", direction="cost",
           reads={"roads": settings.NEAREST_SEARCH_M}, tags={"highway": settings.DRIVING_HIGHWAYS})
def road_distance(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    return nearest_distance(assets, context.roads.geometry.to_numpy(), "roads")


TRANSIT_TAGS: dict[str, set[str]] = {
    "highway": {"bus_stop"},
    "public_transport": {"platform", "stop_position", "station"},
    "railway": {"station", "halt", "tram_stop"},
    "amenity": {"bus_station", "ferry_terminal"},
}


@criterion("transit_distance_m", "m", "distance to public transport", "απόσταση από συγκοινωνία", direction="cost",
           reads={"pois": settings.NEAREST_SEARCH_M}, tags=TRANSIT_TAGS)
def transit_distance(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    pois = context.pois
    stops = pois.geometry.to_numpy()[_tag_mask(pois["tags"], TRANSIT_TAGS)] if len(pois) else np.array([])
    return nearest_distance(assets, stops, "public transport stops")


SCHOOL_TAGS: dict[str, set[str]] = {
    "amenity": {"school", "kindergarten", "college", "university"},
    "building": {"school", "kindergarten"},
}


@criterion("school_distance_m", "m", "distance to a school", "απόσταση από σχολείο", direction="cost",
           reads={"pois": settings.NEAREST_SEARCH_M, "buildings": settings.NEAREST_SEARCH_M}, tags=SCHOOL_TAGS)
def school_distance(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    layers = [_not_self(context, "pois", assets), _not_self(context, "buildings", assets)]
    geoms = [l.geometry.to_numpy()[_tag_mask(l["tags"], SCHOOL_TAGS)] for l in layers if len(l)]
    return nearest_distance(assets, np.concatenate(geoms) if geoms else np.array([]), "schools")


@criterion("services_nearby", "count", f"amenities and stops within {settings.SERVICES_RADIUS_M:g} m",
           f"υπηρεσίες και στάσεις σε ακτίνα {settings.SERVICES_RADIUS_M:g} m",
           reads={"pois": settings.SERVICES_RADIUS_M}, tags=settings.POI_TAGS)
def services_nearby(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """How many points of interest (amenities, shops, stops) lie within
    ``SERVICES_RADIUS_M`` of the asset's edge."""
    count = _proximity.count_within(assets.geometry.to_numpy(), context.pois.geometry.to_numpy(),
                                    settings.SERVICES_RADIUS_M)
    return pd.Series(count, index=assets.index)


RESIDENTIAL_BUILDINGS = {
    "residential", "house", "apartments", "detached", "terrace", "semidetached_house", "dormitory",
}


@criterion("residential_distance_m", "m", "distance to housing", "απόσταση από κατοικίες", direction="depends on the use",
           reads={"landuse": settings.NEAREST_SEARCH_M, "buildings": settings.NEAREST_SEARCH_M},
           tags={"landuse": settings.RESIDENTIAL_LANDUSE, "building": RESIDENTIAL_BUILDINGS})
def residential_distance(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Distance to residential landuse or residential buildings (0 inside them)."""
    lu, bl = _not_self(context, "landuse", assets), _not_self(context, "buildings", assets)
    lu_mask = np.fromiter((t.get("landuse") in settings.RESIDENTIAL_LANDUSE for t in lu["tags"]), bool, len(lu))
    bl_mask = np.fromiter((t.get("building") in RESIDENTIAL_BUILDINGS for t in bl["tags"]), bool, len(bl))
    geoms = np.concatenate([lu.geometry.to_numpy()[lu_mask], bl.geometry.to_numpy()[bl_mask]])
    return nearest_distance(assets, geoms, "residential areas")


