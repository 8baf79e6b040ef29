"""Stage 2, transform: one metric CRS, valid geometries, the boundary, and one
clean inventory of idle assets with provenance.

Candidates come from three sources, each a set of *claims* on a site:
OSM features tagged as idle, register entries whose status is idle, and survey
observations of vacant or abandoned sites. Claims on the same OSM footprint are
merged into one asset whose ``sources`` lists every source that supports it.
Everything repaired or dropped is recorded in the run's :class:`Report`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import contracts, settings
from ._text import fold
from . import _raster
from .extract import RasterLayer, RawSources
from .extract.osm import idle_evidence

log = logging.getLogger(__name__)

POLYGONAL = {"Polygon", "MultiPolygon"}


@dataclass
class Report:
    """What happened to the inputs: one row per source and action."""

    rows: list[dict] = field(default_factory=list)

    def add(self, source: str, action: str, count: int, detail: str = "") -> None:
        self.rows.append({"source": source, "action": action, "count": int(count), "detail": detail})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["source", "action", "count", "detail"])


@dataclass
class Context:
    """Context layers in the project CRS, used by the criteria."""

    boundary: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    rasters: dict[str, RasterLayer] = field(default_factory=dict)


@dataclass
class Prepared:
    """Output of the transform stage."""

    crs: CRS
    context: Context
    inventory: gpd.GeoDataFrame
    survey: gpd.GeoDataFrame | None
    report: Report


def project_crs(setting: str, boundary: gpd.GeoDataFrame) -> CRS:
    """The project's metric CRS: the configured one, or the boundary's UTM zone for ``auto``."""
    if setting == "auto":
        return boundary.estimate_utm_crs()
    return CRS.from_user_input(setting)


def repair_geometries(gdf: gpd.GeoDataFrame, source: str, report: Report,
                      polygons_only: bool = False) -> gpd.GeoDataFrame:
    """Make geometries valid, drop empty ones, keep polygonal parts if asked.

    Counts of repaired and dropped features go to ``report``.
    """
    if gdf.empty:
        return gdf
    geoms = gdf.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        report.add(source, "dropped: empty geometry", missing.sum())
    gdf = gdf[~missing].copy()
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf.loc[invalid, "geometry"] = gdf.geometry[invalid].make_valid()
        report.add(source, "repaired: invalid geometry (make_valid)", invalid.sum())
    if polygons_only:
        collections = gdf.geom_type == "GeometryCollection"
        if collections.any():
            parts = gdf.geometry[collections].apply(
                lambda g: shapely.union_all([p for p in g.geoms if p.geom_type in POLYGONAL])
            )
            gdf.loc[collections, "geometry"] = parts
        bad = ~gdf.geom_type.isin(POLYGONAL) | gdf.geometry.is_empty
        if bad.any():
            report.add(source, "dropped: not a polygon", bad.sum())
            gdf = gdf[~bad]
    return gdf


def project_rasters(rasters: dict[str, RasterLayer], crs: CRS, report: Report) -> dict[str, RasterLayer]:
    """Rasters on grids in the project CRS; a DEM also yields its slope."""
    out = {}
    for kind, layer in rasters.items():
        projected = _raster.to_crs(layer, crs)
        out[kind] = projected
        h, w = projected.array.shape
        report.add(f"raster {kind}", f"read: {h} x {w} cells of {abs(projected.transform.a):.0f} m in the project CRS",
                   int(np.isfinite(projected.array).sum()), str(layer.path))
        if kind == "dem":
            out["slope"] = _raster.slope(projected)
    return out


def _tag(tags: pd.Series, key: str) -> pd.Series:
    return pd.Series([t.get(key) for t in tags], index=tags.index, dtype=object)


def _prepare_layer(gdf: gpd.GeoDataFrame, crs: CRS, area, source: str, report: Report,
                   polygons_only: bool = False) -> gpd.GeoDataFrame:
    gdf = repair_geometries(gdf.to_crs(crs), source, report, polygons_only)
    return gdf[gdf.intersects(area)].reset_index(drop=True)


def _claims_from_osm(idle: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, report: Report) -> gpd.GeoDataFrame:
    """Idle OSM features as claims; idle points take the building they stand in."""
    idle = idle.assign(evidence=idle_evidence(idle["tags"]))
    idle = idle[idle["evidence"] != ""]
    lines = ~idle.geom_type.isin(POLYGONAL | {"Point"})
    if lines.any():
        report.add("osm", "skipped: idle feature is a line, not a site", lines.sum(),
                   ", ".join(idle.loc[lines, "osm_ref"].head(10)))
    idle = idle[~lines]
    points = idle[idle.geom_type == "Point"]
    claims = idle[idle.geom_type != "Point"].assign(geometry_source="osm footprint")
    if len(points):
        footprint, hosted = _host_footprints(points.geometry, buildings)
        pts = points.assign(
            evidence=points["osm_ref"] + " " + points["evidence"],
            geometry_source=np.where(hosted, "osm building containing the point", "point buffer"),
        )
        pts["osm_ref"] = np.where(hosted, footprint["osm_ref"], pts["osm_ref"])
        pts["tags"] = [ft if h else t for ft, t, h in zip(footprint["tags"], pts["tags"], hosted)]
        pts = pts.set_geometry(footprint.geometry.to_numpy())
        claims = pd.concat([claims, pts])
    tags = claims["tags"]
    building = _tag(tags, "building")
    return gpd.GeoDataFrame({
        "key": claims["osm_ref"].to_numpy(),
        "source": "osm",
        "evidence": claims["evidence"].to_numpy(),
        "name": claims["name"].to_numpy(),
        "kind": np.where(building.notna() & (building != "no"), "building", "land"),
        "osm_ref": claims["osm_ref"].to_numpy(),
        "landuse": _tag(tags, "landuse").to_numpy(),
        "building": building.to_numpy(),
        "geometry_source": claims["geometry_source"].to_numpy(),
    }, geometry=claims.geometry.to_numpy(), crs=claims.crs)


def _host_footprints(points: gpd.GeoSeries, polygons: gpd.GeoDataFrame):
    """For each point, the polygon containing it (smallest first), else a circle.

    Returns a frame aligned with ``points`` (osm_ref, tags, geometry) and a
    boolean array telling which points found a host.
    """
    n = len(points)
    pos = np.full(n, -1)
    if len(polygons):
        tree = shapely.STRtree(polygons.geometry.to_numpy())
        p_idx, g_idx = tree.query(points.to_numpy(), predicate="within")
        order = np.argsort(-polygons.geometry.area.to_numpy()[g_idx])  # largest first, smallest wins
        pos[p_idx[order]] = g_idx[order]
    hosted = pos >= 0
    circles = shapely.buffer(points.to_numpy(), settings.POINT_ASSET_RADIUS_M)
    geom = np.where(hosted, polygons.geometry.to_numpy()[np.maximum(pos, 0)] if len(polygons) else circles, circles)
    ref = np.where(hosted, polygons["osm_ref"].to_numpy()[np.maximum(pos, 0)] if len(polygons) else None, None)
    tags = [polygons["tags"].iloc[p] if p >= 0 else {} for p in pos]
    return gpd.GeoDataFrame({"osm_ref": ref, "tags": tags}, geometry=geom, crs=points.crs), hosted


def _claims_from_register(register: gpd.GeoDataFrame, footprints: gpd.GeoDataFrame, crs: CRS,
                          area, report: Report) -> gpd.GeoDataFrame:
    idle_words = {fold(s) for s in settings.REGISTER_IDLE_STATUS}
    idle = register["status"].map(lambda s: s is not None and fold(s) in idle_words).astype(bool)
    if (~idle).any():
        report.add("register", "skipped: status is not idle", (~idle).sum(),
                   ", ".join(sorted(set(register.loc[~idle, "status"].fillna("(empty)")))))
    reg = register[idle].copy()
    by_ref = footprints.set_index("osm_ref")
    geom = np.full(len(reg), None, dtype=object)
    refs = reg["osm_ref"].to_numpy().copy()
    source = np.full(len(reg), "", dtype=object)
    tags: list[dict] = [{} for _ in range(len(reg))]
    known = reg["osm_ref"].isin(by_ref.index).to_numpy()
    unknown = reg["osm_ref"].notna().to_numpy() & ~known
    if unknown.any():
        report.add("register", "dropped: osm_ref not in the OSM extract", unknown.sum(),
                   ", ".join(f"row {r} ({i}: {o})" for r, i, o in reg.loc[unknown, ["row", "register_id", "osm_ref"]].itertuples(index=False)))
    geom[known] = by_ref.geometry.reindex(reg.loc[known, "osm_ref"]).to_numpy()
    for i in np.flatnonzero(known):
        tags[i] = by_ref["tags"].get(refs[i], {})
    source[known] = "osm footprint (register osm_ref)"
    xy = ~known & ~unknown
    if xy.any():
        pts = reg.loc[xy].geometry.to_crs(crs)
        outside = ~pts.within(area).to_numpy()
        if outside.any():
            bad = reg.loc[xy].iloc[outside]
            report.add("register", "dropped: coordinates outside the boundary (x/y swapped or wrong crs?)",
                       outside.sum(), ", ".join(f"row {r} ({i})" for r, i in bad[["row", "register_id"]].itertuples(index=False)))
        host, hosted = _host_footprints(pts, footprints)
        sized = ~hosted & reg.loc[xy, "area_m2"].notna().to_numpy()
        radius = np.sqrt(reg.loc[xy, "area_m2"].fillna(0).to_numpy() / np.pi)
        g = host.geometry.to_numpy()
        g[sized] = shapely.buffer(pts.to_numpy()[sized], radius[sized])
        idx = np.flatnonzero(xy)
        geom[idx] = g
        refs[idx] = host["osm_ref"].to_numpy()
        source[idx] = np.where(hosted, "osm footprint containing register point",
                               np.where(sized, "register point with area_m2", "point buffer"))
        for j, i in enumerate(idx):
            tags[i] = host["tags"].iloc[j]
        keep = np.ones(len(reg), bool)
        keep[idx[outside]] = False
    else:
        keep = np.ones(len(reg), bool)
    keep &= ~unknown
    tag_building = pd.Series([t.get("building") for t in tags], dtype=object)
    kind = reg["kind"].to_numpy()
    derived = np.where(tag_building.notna().to_numpy(), "building", "land")
    kind = np.where(pd.isna(kind), derived, kind)
    key = np.where(pd.isna(refs), "register/" + reg["register_id"].astype(str).to_numpy(), refs)
    claims = gpd.GeoDataFrame({
        "key": key, "source": "register",
        "evidence": "register status=" + reg["status"].astype(str).to_numpy(),
        "name": reg["name"].to_numpy(), "kind": kind, "osm_ref": refs,
        "register_id": reg["register_id"].to_numpy(),
        "owner": reg["owner"].to_numpy(),
        "landuse": [t.get("landuse") for t in tags],
        "building": tag_building.to_numpy(),
        "geometry_source": source,
    }, geometry=list(geom), crs=crs)
    return claims[keep].reset_index(drop=True)


def _attach_survey(survey: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, distance: float) -> np.ndarray:
    """Index (into ``assets``) of the asset each survey point falls in or is
    nearest to within ``distance``; -1 when none."""
    out = np.full(len(survey), -1)
    if len(assets) == 0 or len(survey) == 0:
        return out
    tree = shapely.STRtree(assets.geometry.to_numpy())
    (p_idx, a_idx), dist = tree.query_nearest(survey.geometry.to_numpy(), max_distance=distance,
                                              return_distance=True, all_matches=False)
    out[p_idx] = a_idx
    return out


def _claims_from_survey(survey: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame, footprints: gpd.GeoDataFrame,
                        distance: float, report: Report) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Survey points attach to candidates; idle points elsewhere become claims.

    Returns the survey with ``key`` (the site it describes, or missing) and the
    new claims.
    """
    attached = _attach_survey(survey, candidates, distance)
    keys = np.where(attached >= 0, candidates["key"].to_numpy()[np.maximum(attached, 0)], None)
    survey = survey.assign(key=keys)
    new = survey[(attached < 0) & survey["idle"].to_numpy()]
    claims = gpd.GeoDataFrame(columns=["key", "geometry"], geometry="geometry", crs=survey.crs)
    if len(new):
        host, hosted = _host_footprints(new.geometry, footprints)
        ref = host["osm_ref"].to_numpy()
        key = np.where(hosted, ref, "survey/" + new["survey_id"].astype(str).to_numpy())
        building = [t.get("building") for t in host["tags"]]
        claims = gpd.GeoDataFrame({
            "key": key, "source": "survey",
            "evidence": "survey occupancy=" + new["occupancy"].astype(str).to_numpy(),
            "name": None,
            "kind": np.where(pd.notna(np.array(building, dtype=object)), "building", "land"),
            "osm_ref": ref, "landuse": [t.get("landuse") for t in host["tags"]], "building": building,
            "geometry_source": np.where(hosted, "osm footprint containing survey point", "point buffer"),
        }, geometry=host.geometry.to_numpy(), crs=survey.crs)
        survey.loc[new.index, "key"] = key
    lost = survey["key"].isna()
    if lost.any():
        report.add("survey", f"not attached: no asset within {distance:g} m and not idle", lost.sum(),
                   ", ".join(f"row {r} ({s})" for r, s in survey.loc[lost, ["row", "survey_id"]].itertuples(index=False)))
    report.add("survey", "attached to an asset", (~lost).sum())
    return survey, claims


def _survey_summary(survey: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per site: survey ids, the latest condition and occupancy, photo links."""
    s = survey[survey["key"].notna()].sort_values(["date", "survey_id"], na_position="first")
    grouped = s.groupby("key", sort=False)
    return pd.DataFrame({
        "survey_ids": grouped["survey_id"].agg(lambda v: ";".join(map(str, v))),
        "condition": grouped["condition"].agg(lambda v: v.dropna().iloc[-1] if v.notna().any() else None),
        "occupancy": grouped["occupancy"].agg(lambda v: v.dropna().iloc[-1] if v.notna().any() else None),
        "photos": grouped["photo"].agg(lambda v: ";".join(v.dropna().astype(str)) or None),
        "survey_notes": grouped["notes"].agg(lambda v: " | ".join(v.dropna().astype(str)) or None),
        "access": grouped["access"].agg(lambda v: v.dropna().iloc[-1] if v.notna().any() else None),
    })


def _join(values: pd.Series) -> str | None:
    seen = list(dict.fromkeys(str(v) for v in values if pd.notna(v) and str(v) != ""))
    return ";".join(seen) if seen else None


def _first(values: pd.Series):
    v = values.dropna()
    return v.iloc[0] if len(v) else None


def merge_claims(claims: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One asset per site key, keeping every source's evidence.

    The register's name and kind win over OSM's; the geometry is the first
    claim's (claims on one key share the OSM footprint).
    """
    order = {"register": 0, "osm": 1, "survey": 2}
    claims = claims.assign(_o=claims["source"].map(order)).sort_values(["key", "_o"], kind="stable")
    g = claims.groupby("key", sort=True)
    out = gpd.GeoDataFrame({
        "sources": g["source"].agg(_join),
        "idle_evidence": g["evidence"].agg(lambda v: " | ".join(dict.fromkeys(v.dropna()))),
        "name": g["name"].agg(_first),
        "kind": g["kind"].agg(_first),
        "osm_ref": g["osm_ref"].agg(_first),
        "register_id": g["register_id"].agg(_join),
        "owner": g["owner"].agg(_first),
        "landuse": g["landuse"].agg(_first),
        "building": g["building"].agg(_first),
        "geometry_source": g["geometry_source"].agg(_first),
    }, geometry=g["geometry"].first().to_numpy() if len(claims) else [], crs=claims.crs)
    return out


def asset_ids(keys: pd.Index) -> pd.Series:
    """Stable, readable ids from site keys: ``way/123 -> osm-way-123``,
    ``register/R7 -> reg-R7``, ``survey/55 -> srv-55``."""
    s = pd.Series(keys, index=keys, dtype=str)
    s = s.str.replace(r"^(node|way|relation)/", r"osm-\1-", regex=True)
    return s.str.replace(r"^register/", "reg-", regex=True).str.replace(r"^survey/", "srv-", regex=True)


def transform(raw: RawSources, crs_setting: str, attach_distance_m: float = settings.SURVEY_ATTACH_DISTANCE_M) -> Prepared:
    """Build the project-CRS context layers and the merged idle-asset inventory.

    Parameters
    ----------
    raw : RawSources
        Output of the extract stage.
    crs_setting : str
        The config's ``crs`` (``"EPSG:2100"`` or ``"auto"``).
    attach_distance_m : float
        Distance within which survey points attach to the nearest asset.
    """
    report = Report()
    crs = project_crs(crs_setting, raw.boundary)
    boundary = raw.boundary.to_crs(crs)
    boundary = boundary.set_geometry(boundary.make_valid())
    area = boundary.geometry.union_all()
    context_area = shapely.buffer(area, settings.CONTEXT_BUFFER_M)
    osm = raw.osm
    for name, n in osm.counts().items():
        report.add("osm", f"read: {name}", n)
    for why, refs in osm.dropped.items():
        report.add("osm", f"dropped: {why}", len(refs), ", ".join(refs[:20]) + (" …" if len(refs) > 20 else ""))
    if not any(osm.counts().values()):
        log.warning("the OSM extract has no features near the boundary: does it cover the study area?")
        report.add("osm", "warning: no features near the boundary (does the extract cover it?)", 0)
    buildings = _prepare_layer(osm.buildings, crs, context_area, "osm buildings", report, polygons_only=True)
    landuse = _prepare_layer(osm.landuse, crs, context_area, "osm landuse", report, polygons_only=True)
    context = Context(
        boundary=boundary,
        buildings=buildings,
        landuse=landuse,
        roads=_prepare_layer(osm.roads, crs, context_area, "osm roads", report),
        pois=_prepare_layer(osm.pois, crs, context_area, "osm pois", report),
        rasters=project_rasters(raw.rasters, crs, report),
    )
    idle = _prepare_layer(osm.idle, crs, context_area, "osm idle features", report)
    features = pd.concat([idle, buildings, landuse, context.pois]).drop_duplicates("osm_ref")
    features = gpd.GeoDataFrame(features, crs=crs).reset_index(drop=True)
    footprints = pd.concat([buildings, landuse[~landuse["tags"].map(lambda t: t.get("landuse") in settings.RESIDENTIAL_LANDUSE)]])
    footprints = footprints.drop_duplicates("osm_ref").reset_index(drop=True)

    claims = [_claims_from_osm(features, buildings, report)]
    report.add("osm", "idle-tagged sites", len(claims[0]))
    if raw.register is not None:
        report.add("register", "read: rows", len(raw.register))
        reg = _claims_from_register(raw.register, footprints, crs, area, report)
        report.add("register", "idle sites", len(reg))
        claims.append(reg)
    claims_gdf = gpd.GeoDataFrame(pd.concat(claims, ignore_index=True), crs=crs)
    survey = None
    if raw.survey is not None:
        report.add("survey", "read: rows", len(raw.survey))
        survey = raw.survey.to_crs(crs)
        candidates = claims_gdf.drop_duplicates("key").reset_index(drop=True)
        survey, new = _claims_from_survey(survey, candidates, footprints, attach_distance_m, report)
        if len(new):
            claims_gdf = gpd.GeoDataFrame(pd.concat([claims_gdf, new], ignore_index=True), crs=crs)
        # observations of an existing site are also provenance for it
        seen = survey[survey["key"].isin(candidates["key"])]
        if len(seen):
            support = gpd.GeoDataFrame({"key": seen["key"].to_numpy(), "source": "survey",
                                        "evidence": "survey occupancy=" + seen["occupancy"].fillna("not recorded").astype(str).to_numpy()},
                                       geometry=[None] * len(seen), crs=crs)
            claims_gdf = gpd.GeoDataFrame(pd.concat([claims_gdf, support], ignore_index=True), crs=crs)
    for col in ("name", "kind", "osm_ref", "register_id", "owner", "landuse", "building", "geometry_source", "evidence"):
        if col not in claims_gdf:
            claims_gdf[col] = None
    inventory = merge_claims(claims_gdf)
    inventory = _clip_to_boundary(inventory, area, report)
    summary = _survey_summary(survey) if survey is not None else pd.DataFrame()
    for col in ("survey_ids", "condition", "occupancy", "photos", "survey_notes", "access"):
        inventory[col] = summary[col].reindex(inventory.index).astype(object) if col in summary else None
    inventory["area_m2"] = inventory.geometry.area.astype(float)
    inventory.insert(0, "asset_id", asset_ids(inventory.index).to_numpy())
    inventory = inventory.reset_index(drop=True)
    for col in inventory.columns.drop("geometry"):
        if inventory[col].dtype == object or pd.api.types.is_string_dtype(inventory[col]):
            inventory[col] = inventory[col].astype(object).where(inventory[col].notna(), None)
    report.add("inventory", "idle assets", len(inventory),
               ", ".join(f"{k}: {v}" for k, v in inventory["sources"].value_counts().items()))
    if survey is not None:
        ids = asset_ids(pd.Index(survey["key"].fillna(""))).to_numpy()
        survey["asset_id"] = np.where(survey["key"].notna().to_numpy(), ids, None)
    contracts.check(inventory, contracts.INVENTORY, crs)
    return Prepared(crs=crs, context=context, inventory=inventory, survey=survey, report=report)


def _clip_to_boundary(assets: gpd.GeoDataFrame, area, report: Report) -> gpd.GeoDataFrame:
    """Cut assets to the boundary; drop those wholly outside, report both."""
    if assets.empty:
        return assets
    geoms = assets.geometry.to_numpy()
    inside = shapely.intersects(geoms, area)
    if (~inside).any():
        report.add("inventory", "dropped: outside the boundary", (~inside).sum(),
                   ", ".join(asset_ids(assets.index[~inside]).head(20)))
    assets = assets[inside].copy()
    crossing = ~shapely.within(assets.geometry.to_numpy(), area)
    if crossing.any():
        clipped = shapely.intersection(assets.geometry.to_numpy()[crossing], area)
        clipped = [shapely.union_all([p for p in getattr(g, "geoms", [g]) if p.geom_type in POLYGONAL]) for g in clipped]
        assets.loc[assets.index[crossing], "geometry"] = clipped
        report.add("inventory", "clipped to the boundary", crossing.sum())
        empty = assets.geometry.is_empty | ~assets.geom_type.isin(POLYGONAL)
        assets = assets[~empty]
    return assets
