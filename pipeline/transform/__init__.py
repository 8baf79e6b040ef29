"""Stage 2, transform: one metric CRS, valid geometries, the boundary, and one
clean inventory of idle assets with provenance.

Candidates come from three sources, each a set of *claims* on a site
(:mod:`.claims`): OSM features tagged as idle, register entries whose status is
idle, and survey observations of vacant or abandoned sites. Claims on the same
site are merged into one asset whose ``sources`` lists every source that
supports it. Everything repaired, skipped or dropped is recorded in the run's
:class:`Report`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import _raster
from ..common import evidence, settings
from ..common.columns import SURVEY_ANSWERS
from ..extract import RasterLayer, RawSources
from ..extract.osm import extent_coverage
from ..common.i18n import completeness_note, coverage_note
from .completeness import completeness_of
from .claims import asset_ids, claims_from_osm, claims_from_register, claims_from_survey, merge_claims, survey_summary
from .geometry import clip_to_boundary, prepare_layer, repair_geometries
from .inferred import (built_up_land, claims_from_urban_atlas, drop_covered, empty_block_claims, known_sites, urban_atlas_active,
                       vacant_parcel_claims)
from .judgement import CONFLICT_COLUMNS, judge
from .report import Report
from .signals import osm_signals

__all__ = ["Context", "Prepared", "Report", "asset_ids", "project_crs", "project_rasters", "repair_geometries", "transform"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """Context layers in the project CRS, used by the criteria."""

    boundary: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    rasters: dict[str, RasterLayer] = field(default_factory=dict)
    parcels: gpd.GeoDataFrame | None = None
    zones: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    solar: tuple | None = None  # (SolarImpact coefficients, kWh per kWp per year): the solar stage's output
    #: what sources registered by other packages read, in the project CRS
    #: (vector layers near the boundary), by source name
    layers: dict[str, object] = field(default_factory=dict)
    # OSM refs of every asset of the project, when the criteria see only a part
    # of the inventory (a partition): "context other than the assets" must
    # leave out all of them, not only the partition's own
    asset_refs: object | None = None

    def sources(self) -> set[str]:
        """Names of the optional sources present: raster kinds, ``zone:<kind>``,
        ``solar`` (the project's PV coefficients) and registered sources."""
        return (set(self.rasters) | {f"zone:{k}" for k in self.zones} | ({"solar"} if self.solar else set())
                | set(self.layers))


@dataclass(frozen=True)
class Prepared:
    """Output of the transform stage."""

    crs: CRS
    context: Context
    inventory: gpd.GeoDataFrame
    survey: gpd.GeoDataFrame | None
    report: Report
    organisations: gpd.GeoDataFrame | None = None
    #: share of the boundary the OSM extract covers (0-1), and its basis (see :func:`osm_coverage`)
    coverage: float = 1.0
    coverage_basis: str = "declared"
    #: one row per asset and attribute on which two sources disagree
    conflicts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CONFLICT_COLUMNS))


def osm_coverage(osm, boundary: gpd.GeoDataFrame) -> tuple[float, str]:
    """Share of the boundary's area the OSM extract covers, and its basis:
    the bounds the extract declares (or the area asked of Overpass) cut by
    the boundary; only for an extract that declares none, the box of its
    nodes. The features' own extent is never used: a cut-out extract keeps
    whole roads reaching far beyond the area it was cut to."""
    if osm.extent is not None:
        return extent_coverage(osm.extent, boundary), osm.extent_basis or "declared"
    parts = [getattr(osm, name).geometry for name in ("buildings", "landuse", "roads", "pois", "features")
             if len(getattr(osm, name))]
    if not parts:
        return 0.0, "nodes"
    hull = shapely.box(*np.nanmin([p.total_bounds[:2] for p in parts], axis=0),
                       *np.nanmax([p.total_bounds[2:] for p in parts], axis=0))
    return extent_coverage(hull, boundary), "nodes"


def project_crs(setting: str, boundary: gpd.GeoDataFrame) -> CRS:
    """The project's metric CRS: the configured one, or the boundary's UTM zone for ``auto``."""
    if setting == "auto":
        return boundary.estimate_utm_crs()
    return CRS.from_user_input(setting)


def project_boundary(boundary: gpd.GeoDataFrame, crs_setting: str) -> tuple[CRS, gpd.GeoDataFrame]:
    """The project's CRS and its boundary in it, made valid."""
    crs = project_crs(crs_setting, boundary)
    projected = boundary.to_crs(crs)
    return crs, projected.set_geometry(projected.make_valid())


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


def parcel_of(assets: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame | None) -> pd.Series:
    """The code of the parcel holding each asset's representative point."""
    out = pd.Series(None, index=assets.index, dtype=object)
    if parcels is None or parcels.empty or assets.empty:
        return out
    tree = shapely.STRtree(parcels.geometry.to_numpy())
    a_idx, p_idx = tree.query(shapely.point_on_surface(assets.geometry.to_numpy()), predicate="within")
    out.iloc[a_idx] = parcels["parcel_code"].to_numpy()[p_idx]
    return out


def _context(raw: RawSources, crs: CRS, boundary: gpd.GeoDataFrame, report: Report, judged: dict[str, int],
             solar: tuple | None = None) -> Context:
    """The context layers in the project CRS; reports what was read (and
    ``judged``: how many features the tags call idle and in active use)."""
    osm = raw.osm
    area = shapely.buffer(boundary.geometry.union_all(), settings.CONTEXT_BUFFER_M)
    read = {name: n for name, n in osm.counts().items() if name != "features"}
    for name, n in {**read, **judged}.items():
        report.add("osm", f"read: {name}", n)
    for why, refs in osm.dropped.items():
        report.add("osm", f"dropped: {why}", len(refs), ", ".join(refs[:20]) + (" …" if len(refs) > 20 else ""))
    if not any(osm.counts().values()):
        log.warning("the OSM extract has no features near the boundary: does it cover the study area?")
        report.add("osm", "warning: no features near the boundary (does the extract cover it?)", 0)
    parcels = None
    if raw.parcels is not None:
        report.add("parcels", "read: parcels near the boundary", len(raw.parcels))
        parcels = prepare_layer(raw.parcels, crs, area, "parcels", report, polygons_only=True)
    return Context(
        boundary=boundary,
        buildings=prepare_layer(osm.buildings, crs, area, "osm buildings", report, polygons_only=True),
        landuse=prepare_layer(osm.landuse, crs, area, "osm landuse", report, polygons_only=True),
        roads=prepare_layer(osm.roads, crs, area, "osm roads", report),
        pois=prepare_layer(osm.pois, crs, area, "osm pois", report),
        rasters=project_rasters(raw.rasters, crs, report),
        parcels=parcels,
        zones={kind: prepare_layer(z, crs, area, f"{kind} zones", report, polygons_only=True)
               for kind, z in raw.zones.items()},
        layers={name: _registered_layer(data, name, crs, area, report) for name, data in raw.extra.items()},
        solar=solar,
    )


def _registered_layer(data, name: str, crs: CRS, area, report: Report):
    """What a registered source read, in the project CRS and near the
    boundary when it is a layer of features (other data is passed as read)."""
    if isinstance(data, gpd.GeoDataFrame):
        report.add(name, "read: features", len(data))
        return prepare_layer(data, crs, area, name, report)
    return data


def report_claims(reports: gpd.GeoDataFrame, claims: gpd.GeoDataFrame, footprints: gpd.GeoDataFrame, crs,
                  rules: evidence.Rules, distance: float, report: Report) -> gpd.GeoDataFrame:
    """Citizens' accepted reports as claims: an *idle* report of a known site
    (named, or within ``distance``) adds its evidence to it, one elsewhere
    claims the footprint it stands in (or a small circle) as a new site, at
    the strength its certainty earns (``evidence.yaml``, ``reports``); a
    *not idle* report of a known site is evidence against it (a conflict to
    verify)."""
    report.add("reports", "read: accepted reports", len(reports))
    sites = claims.drop_duplicates("key").reset_index(drop=True)
    observed = reports.to_crs(crs).rename(columns={"report_id": "survey_id"})
    idle = (observed["report"] == "idle").to_numpy()
    strength = observed["certainty"].map(lambda c: rules.record_strength("reports", c)).astype(object)
    observed["strength"] = strength.where(idle, None)
    observed["idle"] = observed["strength"].notna()
    observed["precision_m"] = np.nan
    since = observed["empty_since"].map(lambda s: f", empty since {s}" if isinstance(s, str) and s else "")
    observed["evidence"] = [f"citizens' report {i}: {'idle' if d else 'not idle'} ({c}{e})"
                            for i, d, c, e in zip(observed["survey_id"], idle, observed["certainty"], since)]
    seen, new = claims_from_survey(observed, sites, footprints, distance, None, report, source="reports")
    known = seen[seen["key"].isin(sites["key"])]
    support = gpd.GeoDataFrame({"key": known["key"].to_numpy(), "source": "reports", "evidence": known["evidence"].to_numpy(),
                                "strength": known["strength"].to_numpy()}, geometry=[None] * len(known), crs=crs)
    return gpd.GeoDataFrame(pd.concat([new, support], ignore_index=True), crs=crs)


def _inferred_claims(claims: gpd.GeoDataFrame, context: Context, completeness, active: gpd.GeoDataFrame,
                     rules: evidence.Rules, report: Report) -> gpd.GeoDataFrame:
    """``claims`` with what the sources imply (:mod:`.inferred`): Urban Atlas
    classes, vacant parcels in built-up land, empty urban blocks where OSM maps
    the buildings well. A vacant plot or block lying mostly on a site already
    claimed is part of that site, not a second one."""
    crs = claims.crs
    ua = context.layers.get("urban_atlas")
    if ua is not None:
        claims = gpd.GeoDataFrame(pd.concat([claims, claims_from_urban_atlas(ua, known_sites(claims), rules, report)],
                                            ignore_index=True), crs=crs)
    built_up, basis = built_up_land(context.landuse, ua, rules)
    osm_built_up, _ = built_up_land(context.landuse, None, rules)
    inferred = [vacant_parcel_claims(context.parcels, built_up, basis, context.buildings, report),
                empty_block_claims(context.roads, osm_built_up, context.buildings, active, completeness, report)]
    sites = known_sites(claims)
    for new in inferred:
        if len(new):
            claims = gpd.GeoDataFrame(pd.concat([claims, drop_covered(new, sites, report)], ignore_index=True), crs=crs)
    return claims


def transform(raw: RawSources, crs_setting: str, attach_distance_m: float = settings.SURVEY_ATTACH_DISTANCE_M,
              max_precision_m: float | None = None, inventory_rules: dict | None = None,
              solar: tuple | None = None, reports_distance: float = settings.SURVEY_ATTACH_DISTANCE_M) -> Prepared:
    """Build the project-CRS context layers and the merged idle-asset inventory.

    Parameters
    ----------
    raw : RawSources
        Output of the extract stage.
    crs_setting : str
        The config's ``crs`` (``"EPSG:2100"`` or ``"auto"``).
    attach_distance_m : float
        Distance within which survey points attach to the nearest asset.
    max_precision_m : float, optional
        Survey points with a worse GPS precision are not used.
    inventory_rules : dict, optional
        The config's ``inventory:`` overrides of the evidence table (``evidence.yaml``).
    solar : tuple, optional
        The solar stage's output (PV coefficients, kWh per kWp per year),
        kept in the context for the criteria that read it.
    reports_distance : float
        Distance within which a citizen's report is about an asset.
    """
    rules = evidence.rules(inventory_rules)
    report = Report()
    for note in raw.notes:
        report.add(**note)
    crs, boundary = project_boundary(raw.boundary, crs_setting)
    area = boundary.geometry.union_all()
    coverage, basis = osm_coverage(raw.osm, raw.boundary)
    report.add("osm", f"coverage: {coverage_note(coverage, basis)} of the boundary", round(coverage * 100))
    idle_tagged, active_tagged = osm_signals(raw.osm.features, rules)
    context = _context(raw, crs, boundary, report, {"idle": len(idle_tagged), "active": len(active_tagged)}, solar)
    completeness, by_district = completeness_of(context)
    report.add("osm", f"completeness: {completeness_note(completeness) or 'no built-up land mapped'}",
               round(100 * completeness.built_share) if completeness else 0)
    for district, part in by_district:
        report.add("osm", f"completeness in {district}: {completeness_note(part) or 'no built-up land mapped'}",
                   round(100 * part.built_share) if part else 0)
    near = shapely.buffer(area, settings.CONTEXT_BUFFER_M)
    idle = prepare_layer(idle_tagged, crs, near, "osm idle features", report)
    active = prepare_layer(active_tagged, crs, near, "osm active-use areas", report, polygons_only=True)
    features = gpd.GeoDataFrame(pd.concat([idle, context.buildings, context.landuse, context.pois]), crs=crs)
    features = features.drop_duplicates("osm_ref").reset_index(drop=True)
    residential = context.landuse["tags"].map(lambda t: t.get("landuse") in settings.RESIDENTIAL_LANDUSE)
    footprints = pd.concat([context.buildings, context.landuse[~residential]]).drop_duplicates("osm_ref")
    small_land = context.landuse[~residential & (context.landuse.area <= settings.POINT_HOST_MAX_AREA_M2)]
    point_hosts = pd.concat([context.buildings, small_land]).drop_duplicates("osm_ref")

    claims = [claims_from_osm(features, point_hosts, context.parcels, rules, report)]
    report.add("osm", "idle-tagged sites", len(claims[0]))
    if raw.register is not None:
        report.add("register", "read: rows", len(raw.register))
        claims.append(claims_from_register(raw.register, footprints, context.parcels, crs, area, rules, report))
        report.add("register", "idle sites located", len(claims[-1]))
    claims = gpd.GeoDataFrame(pd.concat(claims, ignore_index=True), crs=crs)
    ua_active = urban_atlas_active(context.layers.get("urban_atlas"), rules)
    if ua_active is not None and len(ua_active):
        active = gpd.GeoDataFrame(pd.concat([active, ua_active], ignore_index=True), crs=crs)
    claims = _inferred_claims(claims, context, completeness, active, rules, report)
    survey = None
    if raw.survey is not None:
        report.add("survey", "read: rows", len(raw.survey))
        sites = claims.drop_duplicates("key").reset_index(drop=True)
        observed = raw.survey.to_crs(crs)
        observed["strength"] = observed["occupancy"].map(lambda v: rules.record_strength("survey", v)).astype(object)
        observed["idle"] = observed["strength"].notna()
        survey, new = claims_from_survey(observed, sites, footprints, attach_distance_m, max_precision_m, report)
        seen = survey[survey["key"].isin(sites["key"])]  # observations of known sites are provenance too
        support = gpd.GeoDataFrame({"key": seen["key"].to_numpy(), "source": "survey",
                                    "evidence": ("survey occupancy=" + seen["occupancy"].fillna("not recorded")).to_numpy(),
                                    "strength": seen["strength"].to_numpy()},
                                   geometry=[None] * len(seen), crs=crs)
        claims = gpd.GeoDataFrame(pd.concat([claims, new, support], ignore_index=True), crs=crs)
    if raw.reports is not None:
        claims = gpd.GeoDataFrame(pd.concat([claims, report_claims(raw.reports, claims, footprints, crs, rules,
                                                                    reports_distance, report)],
                                            ignore_index=True), crs=crs)
    inventory = merge_claims(claims)
    inventory = clip_to_boundary(inventory, area, report, asset_ids)
    summary = survey_summary(survey) if survey is not None else pd.DataFrame()
    for col in ("survey_ids", *SURVEY_ANSWERS, "photos", "survey_notes"):
        inventory[col] = summary[col].reindex(inventory.index).astype(object) if col in summary else None
    inventory["parcel_code"] = inventory["parcel_code"].fillna(parcel_of(inventory, context.parcels))
    inventory["area_m2"] = inventory.geometry.area.astype(float)
    inventory.insert(0, "asset_id", asset_ids(inventory.index).to_numpy())
    tags_by_ref = features.drop_duplicates("osm_ref").set_index("osm_ref")["tags"]
    inventory, conflicts = judge(inventory, claims, tags_by_ref, active, context.parcels, rules, report)
    inventory = inventory.drop(columns=["stated_area_m2"])
    for col in inventory.columns.drop("geometry"):
        if inventory[col].dtype == object or pd.api.types.is_string_dtype(inventory[col]):
            inventory[col] = inventory[col].astype(object).where(inventory[col].notna(), None)
    report.add("inventory", "idle assets", len(inventory),
               ", ".join(f"{k}: {v}" for k, v in inventory["sources"].value_counts().items()))
    if survey is not None:
        ids = asset_ids(pd.Index(survey["key"].fillna(""))).to_numpy()
        survey["asset_id"] = np.where(survey["key"].notna().to_numpy(), ids, None)
    organisations = None
    if raw.organisations is not None:
        organisations = raw.organisations.to_crs(crs)
        located = organisations.geometry.notna()
        report.add("organisations", "read: organisations (contacts kept private)", len(organisations),
                   ", ".join(f"{k}: {v}" for k, v in organisations["legal_form"].value_counts().items()))
        report.add("organisations", "with a location", located.sum())
    return Prepared(crs=crs, context=context, inventory=inventory, survey=survey, report=report,
                    organisations=organisations, coverage=coverage, coverage_basis=basis,
                    conflicts=conflicts)
