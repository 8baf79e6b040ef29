"""Zone layers that restrict uses (flood-prone or protected areas)."""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import pandas as pd
from pydantic import Field

from ..common.io import read_vector
from ..common.schema import FilePath, OptionalCrs, Strict
from .registry import Source, register_source


class ZoneSource(Strict):
    """Polygons that restrict uses: ``flood`` (flood-prone areas, e.g. the
    flood risk maps of the Floods Directive) or ``protected`` (Natura 2000,
    parks, archaeological zones). Several files of one kind are merged."""

    path: FilePath
    kind: Literal["flood", "protected"]
    layer: str | None = None
    crs: OptionalCrs = Field(None, description="CRS to assume when the file has none")
    attribution: str | None = None


def read_zone(src: ZoneSource) -> gpd.GeoDataFrame:
    """A zone layer as read, with its CRS (``src.crs`` when the file has none)."""
    what = f"{src.kind} zones {src.path}"
    gdf = read_vector(src.path, what, layer=src.layer, crs=src.crs, setting=f"'crs' of the {src.kind} zones")
    return gdf[["geometry"]]


def merge_zones(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Zones of one kind from several files, in the first one's CRS."""
    return pd.concat([frames[0], *(f.to_crs(frames[0].crs) for f in frames[1:])]) if len(frames) > 1 else frames[0]


register_source(Source("zones", "sources.zones", "zones", lambda spec, _reading: read_zone(spec), model=ZoneSource,
                       many=True, key="kind", merge=merge_zones, title=lambda s: f"{s.kind} zones"))
