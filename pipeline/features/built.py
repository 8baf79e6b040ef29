"""Criteria of what is built: the built-up share around an asset, the share
of it buildings cover, roof and floor area, and its land use."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..common import _proximity, settings
from ..transform import Context
from ._registry import criterion
from ._common import _not_self_geometry, covered_area


@criterion("built_share", "0-1", f"built-up share within {settings.DENSITY_RADIUS_M:g} m",
           f"δόμηση σε ακτίνα {settings.DENSITY_RADIUS_M:g} m", direction="depends on the use",
           reads={"buildings": settings.DENSITY_RADIUS_M}, tags={"building": None})
def built_share(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Share of the neighbourhood (asset grown by ``DENSITY_RADIUS_M``) covered by buildings."""
    g, r = assets.geometry.to_numpy(), settings.DENSITY_RADIUS_M
    hood = np.empty(len(g), dtype=object)

    def grow(start: int, stop: int) -> None:  # GEOS buffers one geometry at a time: on every thread
        hood[start:stop] = shapely.buffer(g[start:stop], r, quad_segs=QUAD_SEGS)

    _proximity.run_chunks(grow, _proximity.chunks(np.ones(len(g)), _proximity.ASSET_BYTES))
    covered = covered_area(hood, context.buildings.geometry.to_numpy(), grown=(g, *_grown_bounds(r)))
    return pd.Series(np.clip(covered / shapely.area(hood), 0, 1), index=assets.index)


#: segments a quarter circle of the neighbourhood's rounded corners takes (GEOS's default)
QUAD_SEGS = 8


def _grown_bounds(r: float) -> tuple[float, float]:
    """What a GEOS buffer by ``r`` of ``QUAD_SEGS`` surely holds and surely
    not: every point within ``r cos(pi / (4 QUAD_SEGS))`` of the geometry (its
    arcs are chords of that sagitta), nothing beyond ``1.01 r`` (GEOS first
    simplifies the geometry by a hundredth of ``r``, which can only grow it),
    each with a millimetre's margin."""
    return r * math.cos(math.pi / (4 * QUAD_SEGS)) - 1e-3, 1.01 * r + 1e-3


def _built_area(assets: gpd.GeoDataFrame, context: Context, area: np.ndarray | None = None) -> np.ndarray:
    """Building assets: their footprint; land assets: the footprint of buildings
    on them (the buildings' cover is measured for land assets only: a building
    asset's own footprint is its answer, and in a town most assets are buildings).
    ``area``: the assets' own areas, when the caller has them."""
    g = assets.geometry.to_numpy()
    land = (assets["kind"] != "building").to_numpy()
    out = shapely.area(g) if area is None else area.copy()
    if land.any():
        out[land] = covered_area(g[land], _not_self_geometry(context, "buildings", assets))
    return out


@criterion("footprint_share", "0-1", "share covered by buildings", "κάλυψη από κτίρια", direction="depends on the use",
           reads={"buildings": 0.0}, tags={"building": None})
def footprint_share(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Share of the asset covered by buildings (ruins included); 1 for a building asset."""
    area = shapely.area(assets.geometry.to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        share = _built_area(assets, context, area) / area
    return pd.Series(np.clip(np.nan_to_num(share), 0, 1), index=assets.index)


@criterion("roof_area_m2", "m²", "roof area", "εμβαδόν στέγης", reads={"buildings": 0.0}, tags={"building": None})
def roof_area(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Building assets: their footprint, 0 for a ruin (no usable roof until a
    survey records another condition); land assets: the footprint of buildings on them."""
    condition = assets["condition"] if "condition" in assets else pd.Series(None, index=assets.index, dtype=object)
    ruin = (assets["kind"] == "building").to_numpy() & (condition == "ruin").to_numpy()
    return pd.Series(np.where(ruin, 0.0, _built_area(assets, context)), index=assets.index)


@criterion("floor_area_m2", "m²", "floor area", "επιφάνεια ορόφων", reads={"buildings": 0.0},
           tags={"building": None, "building:levels": None})
def floor_area(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Roof area times ``building:levels`` (1 when not mapped); 0 for land without buildings."""
    levels = pd.Series(np.nan, index=assets.index)
    if len(context.buildings):
        by_ref = context.buildings.set_index("osm_ref")["tags"].map(lambda t: t.get("building:levels"))
        levels = pd.to_numeric(assets["osm_ref"].map(by_ref), errors="coerce")
    return roof_area(assets, context) * levels.where(levels >= 1, 1.0)


@criterion("landuse", "class", "land use", "χρήση γης", direction="class", reads={"landuse": 0.0},
           tags={"landuse": None})
def landuse_class(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """The asset's own ``landuse`` tag, else that of the landuse polygon its
    centre falls in, else ``"unknown"``."""
    own = assets["landuse"].astype(object)
    lu = context.landuse
    out = own.copy()
    need = own.isna().to_numpy()
    if need.any() and len(lu):
        tree = shapely.STRtree(lu.geometry.to_numpy())
        pts = shapely.point_on_surface(assets.geometry.to_numpy()[need])
        p_idx, l_idx = tree.query(pts, predicate="within")
        values = np.array([t.get("landuse") for t in lu["tags"]], dtype=object)
        found = np.full(need.sum(), None, dtype=object)
        found[p_idx] = values[l_idx]
        out.iloc[np.flatnonzero(need)] = found
    return out.where(out.notna(), "unknown").astype(object)


