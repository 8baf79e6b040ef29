"""Idle land the sources imply without tagging it: Copernicus Urban Atlas
classes, vacant cadastral parcels in built-up land, and (where OpenStreetMap
maps the buildings well) urban blocks with no building (issue 31, items 1-2).

- **Urban Atlas.** A polygon of a class ``evidence.yaml`` rates (``urban_atlas``:
  13400 land without current use, 13300 construction sites) claims its land,
  with the product's year in its evidence; one lying mostly on a site another
  source already claims adds its evidence to that site instead. Classes listed
  under ``active_use`` (14100 green urban areas, 14200 sports and leisure) are
  land in active use for the guard.
- **Vacant plots.** Built-up land is the OSM land use and the Urban Atlas
  urban fabric the table's ``built_up`` names. A cadastral parcel standing in
  it, of at least :data:`~pipeline.common.settings.VACANT_PLOT_MIN_AREA_M2`,
  with mapped buildings on no more than
  :data:`~pipeline.common.settings.VACANT_PLOT_MAX_BUILT_SHARE` of it, is a
  weak claim: a vacant plot to verify. The active-use guard then leaves out
  parks, playgrounds and parking.
- **Empty blocks.** The same rule on OSM alone: the blocks the roads enclose
  in OSM built-up land, with no building; run only where
  :func:`~pipeline.transform.completeness.osm_completeness` says OSM maps the
  buildings well, since elsewhere an empty block is a gap in the map.

Weak claims never reach the plan without a record or a survey
(:func:`pipeline.common.evidence.unrecorded`); they come first in the survey
priority.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..common import evidence, settings
from .claims import _claims
from .completeness import Completeness
from .report import Report


def _ids(values) -> list[str]:
    return [re.sub(r"[^\w.-]+", "-", str(v)).strip("-") or "0" for v in values]


def urban_atlas_features(ua: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Urban Atlas polygons as features the evidence table can judge:
    ``osm_ref`` ``urban_atlas/<year>-<id>`` and ``tags`` ``{"urban_atlas": code}``."""
    refs = [f"urban_atlas/{y}-{i}" for y, i in zip(ua["year"], _ids(ua["ua_id"]))]
    return ua.assign(osm_ref=refs, tags=[{"urban_atlas": c} for c in ua["ua_code"]])


def urban_atlas_evidence(ua: pd.DataFrame) -> list[str]:
    """``Urban Atlas 2018 class 13400 (Land without current use)`` per polygon."""
    return [f"Urban Atlas {y} class {c}" + (f" ({n})" if isinstance(n, str) and n else "")
            for y, c, n in zip(ua["year"], ua["ua_code"], ua["ua_class"])]


def _covered_by(shapes: np.ndarray, sites: gpd.GeoDataFrame, share: float) -> np.ndarray:
    """Position in ``sites`` of the site covering at least ``share`` of each
    shape (or of which the shape covers that share), -1 for none."""
    out = np.full(len(shapes), -1)
    if len(sites) == 0 or len(shapes) == 0:
        return out
    site_shapes = sites.geometry.to_numpy()
    s_idx, t_idx = shapely.STRtree(site_shapes).query(shapes, predicate="intersects")
    overlap = shapely.area(shapely.intersection(shapes[s_idx], site_shapes[t_idx]))
    smaller = np.minimum(shapely.area(shapes[s_idx]), shapely.area(site_shapes[t_idx]))
    hit = overlap >= share * np.maximum(smaller, 1e-9)
    order = np.argsort(overlap[hit])  # the largest overlap last, so it wins
    out[s_idx[hit][order]] = t_idx[hit][order]
    return out


def known_sites(claims: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per claimed site with a geometry (``key``, geometry)."""
    located = claims[claims.geometry.notna()].drop_duplicates("key")
    return located[["key", "geometry"]].reset_index(drop=True)


def drop_covered(new: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, report: Report) -> gpd.GeoDataFrame:
    """``new`` claims without those lying mostly (half or more) on a site
    another claim already holds under another key: part of that site."""
    if sites.empty:
        return new
    host = _covered_by(new.geometry.to_numpy(), sites, 0.5)
    other = (host >= 0) & (sites["key"].to_numpy(dtype=object)[np.maximum(host, 0)] != new["key"].to_numpy(dtype=object))
    if other.any():
        report.add(str(new["source"].iloc[0]), "inferred site left out: it lies on a site another source claims",
                   int(other.sum()), ", ".join(f"{a} → {b}" for a, b in
                                               zip(new["key"][other], sites["key"].to_numpy()[host[other]])))
    return new[~other]


def claims_from_urban_atlas(ua: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, rules: evidence.Rules,
                            report: Report) -> gpd.GeoDataFrame:
    """Claims of the Urban Atlas classes the table rates as idle signals.
    ``sites`` are the sites other sources claim (``key``, geometry)."""
    crs = ua.crs
    if ua.empty:
        return _claims(crs, [])
    years = ", ".join(str(y) for y in sorted(set(ua["year"])))
    report.add("urban_atlas", f"read: polygons near the boundary (Urban Atlas {years})", len(ua),
               ", ".join(f"{k}: {v}" for k, v in ua["ua_code"].value_counts().sort_index().items()))
    strength = ua["ua_code"].map(lambda c: rules.urban_atlas.get(c)).astype(object)
    works = (strength == "not_idle").to_numpy()
    features = urban_atlas_features(ua)
    if works.any():
        report.add("urban_atlas", "not idle: class rated not_idle in the evidence table", int(works.sum()),
                   ", ".join(features.loc[works, "osm_ref"]))
    idle = strength.isin(evidence.STRENGTHS).to_numpy()
    rated = features[idle].assign(strength=strength[idle].to_numpy(), evidence=urban_atlas_evidence(ua[idle]))
    if rated.empty:
        return _claims(crs, [])
    host = _covered_by(rated.geometry.to_numpy(), sites, 0.5)
    known = host >= 0
    key = np.where(known, sites["key"].to_numpy(dtype=object)[np.maximum(host, 0)], rated["osm_ref"].to_numpy())
    if known.any():
        report.add("urban_atlas", "evidence added to a site another source claims (they overlap by half or more)",
                   int(known.sum()), ", ".join(f"{r} → {k}" for r, k in zip(rated["osm_ref"][known], key[known])))
    report.add("urban_atlas", "idle-class polygons claimed as sites", int((~known).sum()),
               ", ".join(f"{r} {e}" for r, e in zip(rated["osm_ref"][~known], rated["evidence"][~known])))
    n = len(rated)
    geometry = np.where(known, None, rated.geometry.to_numpy())
    return _claims(crs, geometry, key=key, source=np.full(n, "urban_atlas"), evidence=rated["evidence"].to_numpy(),
                   strength=rated["strength"].to_numpy(), kind=np.full(n, "land"),
                   geometry_source=np.array([None if k else f"Urban Atlas {y} polygon"
                                             for k, y in zip(known, rated["year"])], dtype=object))


def urban_atlas_active(ua: gpd.GeoDataFrame | None, rules: evidence.Rules) -> gpd.GeoDataFrame | None:
    """The Urban Atlas polygons of classes in active use (green urban areas,
    sports and leisure), as features for the active-use guard."""
    if ua is None or ua.empty:
        return None
    features = urban_atlas_features(ua)
    active = np.fromiter((bool(rules.active_use(t)) for t in features["tags"]), bool, len(features))
    return features.loc[active, ["osm_ref", "tags", "geometry"]].reset_index(drop=True)


def built_up_land(landuse: gpd.GeoDataFrame, ua: gpd.GeoDataFrame | None, rules: evidence.Rules):
    """Built-up land (one geometry, or None) and what it was taken from."""
    kinds = rules.built_up_osm
    osm = landuse[[any(k in t and (v == "*" or t[k] == v) for k, v in kinds) for t in landuse["tags"]]]
    parts, basis = [], []
    if len(osm):
        parts.append(osm.geometry.to_numpy())
        basis.append("OSM " + "/".join(sorted({f"{k}={t[k]}" for t in osm["tags"] for k, _ in kinds if k in t})))
    if ua is not None and len(ua):
        fabric = ua[ua["ua_code"].isin(rules.built_up_urban_atlas)]
        if len(fabric):
            parts.append(fabric.geometry.to_numpy())
            basis.append(f"Urban Atlas {'/'.join(str(y) for y in sorted(set(fabric['year'])))} urban fabric")
    if not parts:
        return None, ""
    return shapely.union_all(np.concatenate(parts)), " + ".join(basis)


def built_share(shapes: np.ndarray, buildings: gpd.GeoDataFrame) -> np.ndarray:
    """Share of each shape's area under mapped buildings (0-1)."""
    covered = np.zeros(len(shapes))
    if len(buildings) and len(shapes):
        b = buildings.geometry.to_numpy()
        s_idx, b_idx = shapely.STRtree(b).query(shapes, predicate="intersects")
        np.add.at(covered, s_idx, shapely.area(shapely.intersection(shapes[s_idx], b[b_idx])))
    return np.minimum(covered / np.maximum(shapely.area(shapes), 1e-9), 1.0)


def _empty_in(shapes: np.ndarray, built_up, buildings: gpd.GeoDataFrame) -> np.ndarray:
    """Shapes standing in built-up land, large enough, with (almost) no building."""
    inside = shapely.within(shapely.point_on_surface(shapes), built_up)
    large = shapely.area(shapes) >= settings.VACANT_PLOT_MIN_AREA_M2
    return inside & large & (built_share(shapes, buildings) <= settings.VACANT_PLOT_MAX_BUILT_SHARE)


def vacant_parcel_claims(parcels: gpd.GeoDataFrame | None, built_up, basis: str, buildings: gpd.GeoDataFrame,
                         report: Report) -> gpd.GeoDataFrame:
    """Cadastral parcels in built-up land with no mapped building: weak claims (vacant plots to verify)."""
    if parcels is None or parcels.empty or built_up is None:
        crs = parcels.crs if parcels is not None else buildings.crs
        if parcels is not None and len(parcels):
            report.add("parcels", "vacant plots: not looked for (no built-up land in OSM or Urban Atlas)", 0)
        return _claims(crs, [])
    shapes = parcels.geometry.to_numpy()
    empty = _empty_in(shapes, built_up, buildings)
    found = parcels[empty]
    report.add("parcels", f"vacant plots: parcels in built-up land ({basis}) with no mapped building, to verify",
               len(found), ", ".join(found["parcel_code"].astype(str)[:30]) + (" …" if len(found) > 30 else ""))
    n = len(found)
    return _claims(parcels.crs, found.geometry.to_numpy(), key=("parcel/" + found["parcel_code"].astype(str)).to_numpy(),
                   source=np.full(n, "parcels"), strength=np.full(n, "weak"),
                   evidence=np.full(n, f"vacant plot: parcel in built-up land with no mapped building ({basis})"),
                   kind=np.full(n, "land"), parcel_code=found["parcel_code"].to_numpy(dtype=object),
                   geometry_source=np.full(n, "cadastral parcel"))


#: ``highway=`` values that run inside a block rather than around it (driveways,
#: parking aisles, alleys): left out when the streets cut the land into blocks.
INSIDE_BLOCKS = {"service"}


def urban_blocks(roads: gpd.GeoDataFrame) -> np.ndarray:
    """The polygons the streets enclose (blocks), from the noded street lines
    (:data:`INSIDE_BLOCKS` left out)."""
    streets = roads[[t.get("highway") not in INSIDE_BLOCKS for t in roads["tags"]]] if len(roads) else roads
    if streets.empty:
        return np.array([], dtype=object)
    noded = shapely.union_all(streets.geometry.to_numpy())
    return shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))


def empty_block_claims(roads: gpd.GeoDataFrame, built_up, buildings: gpd.GeoDataFrame, active: gpd.GeoDataFrame,
                       completeness: Completeness | None, report: Report) -> gpd.GeoDataFrame:
    """Urban blocks in OSM built-up land with no mapped building: weak claims,
    only where OSM maps the buildings well (else the report says why not).
    A block smaller than :data:`~pipeline.common.settings.EMPTY_BLOCK_MIN_AREA_M2`
    (a traffic island) or partly in active use (``active`` polygons over
    :data:`~pipeline.common.settings.EMPTY_BLOCK_MAX_ACTIVE_SHARE` of it: part
    of a park or a square) is listed in the report, not offered."""
    crs = buildings.crs
    if built_up is None:
        return _claims(crs, [])
    if completeness is None or not completeness.well_mapped:
        share = f"{completeness.built_share:.0%}" if completeness else "unknown"
        report.add("osm", f"empty urban blocks: not looked for (OSM maps buildings on {share} of built-up land here, "
                          f"below {settings.WELL_MAPPED_SHARE:.0%}: an empty block may be a gap in the map)", 0)
        return _claims(crs, [])
    blocks = urban_blocks(roads)
    empty = blocks[_empty_in(blocks, built_up, buildings)] if len(blocks) else blocks
    points = shapely.point_on_surface(empty)
    keys = np.array([f"block/{x:.0f}-{y:.0f}" for x, y in zip(shapely.get_x(points), shapely.get_y(points))], dtype=object)
    small = shapely.area(empty) < settings.EMPTY_BLOCK_MIN_AREA_M2
    used = built_share(empty, active) > settings.EMPTY_BLOCK_MAX_ACTIVE_SHARE
    for left, why in ((small, f"smaller than {settings.EMPTY_BLOCK_MIN_AREA_M2:,.0f} m² (a traffic island?)"),
                      (used & ~small, f"over {settings.EMPTY_BLOCK_MAX_ACTIVE_SHARE:.0%} in active use (part of a park, "
                                      "a square?)")):
        if left.any():
            report.add("osm", f"empty urban blocks left out: {why}", int(left.sum()), ", ".join(keys[left][:30]))
    keep = ~small & ~used
    found, keys = empty[keep], keys[keep]
    report.add("osm", f"empty urban blocks: blocks in built-up land with no mapped building (OSM maps buildings on "
                      f"{completeness.built_share:.0%} of built-up land here), to verify", len(found), ", ".join(keys[:30]))
    n = len(found)
    text = (f"empty urban block: no mapped building between its roads (OSM maps buildings on "
            f"{completeness.built_share:.0%} of built-up land here)")
    return _claims(crs, found, key=keys, source=np.full(n, "osm"), strength=np.full(n, "weak"),
                   evidence=np.full(n, text), kind=np.full(n, "land"), geometry_source=np.full(n, "block between OSM roads"))
