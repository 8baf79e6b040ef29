"""Zone layers that restrict uses (flood-prone or protected areas)."""

from __future__ import annotations

import geopandas as gpd

from ..config import ZoneSource
from ..errors import InputError
from ..io import read_vector


def read_zone(src: ZoneSource) -> gpd.GeoDataFrame:
    """A zone layer as read, with its CRS (``src.crs`` when the file has none)."""
    what = f"{src.kind} zones {src.path}"
    gdf = read_vector(src.path, what, layer=src.layer)
    if gdf.crs is None:
        if src.crs is None:
            raise InputError(what, ["the file has no CRS; set 'crs' for it in the config"])
        gdf = gdf.set_crs(src.crs)
    return gdf[["geometry"]]
