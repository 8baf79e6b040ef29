"""Readable labels for sites: a site's own name, or, for one that has none,
what it is and the street it lies on (``Γρασίδι, οδός Ιάσονος``), from the
inventory's OSM tags and the nearest named road; the id is shown beside it
wherever the label is. A pure function: the roads come in."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .i18n import t, value_name

#: How far a named road may be for a site to be said to lie on it (metres, project CRS).
STREET_M = 100.0
#: Road names that say their own kind (no "οδός" before them).
_ROAD_WORDS = ("λεωφ", "οδός", "οδος", "πλατ", "πάροδ", "παροδ", "δρόμ", "δρομ", "περιφερειακ", "εθνικ")


def _street(name: str) -> str:
    return name if name.casefold().startswith(_ROAD_WORDS) else f"οδός {name}"


def _what(row) -> str:
    landuse, building = getattr(row, "landuse", None), getattr(row, "building", None)
    if isinstance(landuse, str) and landuse:
        text = value_name(landuse, "el", "landuse")
    elif isinstance(building, str) and building and building != "yes":
        text = value_name(building, "el", "building")
    else:
        text = t("el", row.kind)
    return text[:1].upper() + text[1:]


def site_labels(inventory: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None) -> pd.Series:
    """Per asset (same index), its name, or what it is and its street."""
    named = inventory["name"].where(inventory["name"].map(lambda n: isinstance(n, str) and bool(n.strip())))
    missing = named.isna().to_numpy()
    streets = np.full(len(inventory), None, dtype=object)
    if missing.any() and roads is not None and len(roads) and "name" in roads:
        with_name = roads[roads["name"].map(lambda n: isinstance(n, str) and bool(n.strip()))].to_crs(inventory.crs)
        if len(with_name):
            sites = inventory.geometry.to_numpy()[missing]
            where, road = shapely.STRtree(with_name.geometry.to_numpy()).query_nearest(
                sites, max_distance=STREET_M, all_matches=False)
            found = np.full(len(sites), None, dtype=object)
            found[where] = with_name["name"].to_numpy()[road]
            streets[missing] = found
    labels = [n if isinstance(n, str) else (f"{_what(r)}, {_street(s)}" if s else _what(r))
              for n, s, r in zip(named, streets, inventory.itertuples())]
    return pd.Series(labels, index=inventory.index, dtype=object)
