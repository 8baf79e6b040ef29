"""Claims on sites from each source, and their merge into one inventory.

A *claim* says "this site is idle" with its evidence. Claims are keyed by the
site: the OSM footprint (``way/123``), the cadastral parcel (``parcel/KAEK``),
or the source record itself (``register/R7``, ``survey/55``). Claims with the
same key become one asset whose ``sources`` lists them all.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..common import evidence
from ..common.columns import SURVEY_ANSWERS
from .geometry import POLYGONAL, host_footprints, swapped_xy
from .report import Report, rows_detail

CLAIM_COLUMNS = ["key", "source", "evidence", "strength", "name", "kind", "osm_ref", "register_id", "owner",
                 "parcel_code", "landuse", "building", "geometry_source", "stated_area_m2"]


def _claims(crs, geometry, **columns) -> gpd.GeoDataFrame:
    n = len(geometry)
    data = {c: columns.get(c, np.full(n, None, dtype=object)) for c in CLAIM_COLUMNS}
    return gpd.GeoDataFrame(data, geometry=list(geometry), crs=crs)


def _tag_values(tags, key: str) -> list:
    return [t.get(key) for t in tags]


def _kind(building_tags: list, given=None) -> np.ndarray:
    derived = np.where([b is not None and b != "no" for b in building_tags], "building", "land")
    if given is None:
        return derived
    given = np.asarray(given, dtype=object)
    return np.where(pd.isna(given), derived, given)


def _refs(frame: pd.DataFrame, limit: int = 30) -> str:
    names = [f"{r} {n}" if isinstance(n, str) and n else str(r) for r, n in zip(frame["osm_ref"], frame["name"])]
    return ", ".join(names[:limit]) + (f" … and {len(names) - limit} more" if len(names) > limit else "")


def host_sites(points: gpd.GeoSeries, footprints: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame | None):
    """The site each point stands in: the smallest OSM building or land-use
    area, else the cadastral parcel. Returns key, osm_ref, tags, geometry and
    what the geometry is, aligned with ``points``, and which points found one."""
    host, hosted = host_footprints(points, footprints)
    key = host["osm_ref"].to_numpy(dtype=object).copy()
    is_building = np.array([t.get("building") not in (None, "no") for t in host["tags"]], dtype=bool)
    source = np.where(hosted, np.where(is_building, "osm building containing the point",
                                       "osm land-use area containing the point").astype(object), np.array(None)).astype(object)
    geometry = host.geometry.to_numpy().copy()
    if parcels is not None and len(parcels) and (~hosted).any():
        cadastral = gpd.GeoDataFrame({"osm_ref": ("parcel/" + parcels["parcel_code"].astype(str)).to_numpy(),
                                      "tags": [{} for _ in range(len(parcels))]}, geometry=parcels.geometry.to_numpy(),
                                     crs=parcels.crs)
        lots, in_lot = host_footprints(points[~hosted], cadastral)
        rows = np.flatnonzero(~hosted)[in_lot]
        key[rows] = lots["osm_ref"].to_numpy()[in_lot]
        geometry[rows] = lots.geometry.to_numpy()[in_lot]
        source[rows] = "cadastral parcel containing the point"
        hosted = hosted.copy()
        hosted[rows] = True
    ref = np.where([isinstance(k, str) and not k.startswith("parcel/") for k in key], key, None)
    return pd.DataFrame({"key": key, "osm_ref": ref, "tags": list(host["tags"]), "geometry": geometry,
                         "geometry_source": source}, index=points.index), hosted


def active_neighbours(keys: np.ndarray, features: gpd.GeoDataFrame, footprints: gpd.GeoDataFrame,
                      rules: evidence.Rules) -> list[list[str]]:
    """For each site key, the active uses (``shop=bakery``) of the points in
    the same site that carry no idle signal (keys from ``partly_vacant``)."""
    wanted, _ = rules.partly_vacant
    points = features[(features.geom_type == "Point").to_numpy()]
    use = [next((f"{k}={t[k]}" for k in wanted if k in t), None) if rules.osm_match(t)[0] is None else None
           for t in points["tags"]]
    active = points[[u is not None for u in use]]
    if active.empty:
        return [[] for _ in keys]
    host, hosted = host_footprints(active.geometry, footprints)
    by_site: dict[str, list[str]] = {}
    for ref, u in zip(host["osm_ref"][hosted], np.array(use, dtype=object)[[u is not None for u in use]][hosted]):
        by_site.setdefault(ref, []).append(u)
    return [by_site.get(k, []) if isinstance(k, str) else [] for k in keys]


def claims_from_osm(features: gpd.GeoDataFrame, footprints: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame | None,
                    rules: evidence.Rules, report: Report) -> gpd.GeoDataFrame:
    """OSM features judged by the evidence table.

    Buildings and areas with an idle signal claim themselves; a tagged point
    claims the building, land-use area or parcel it stands in, and one with
    none is listed "to locate". Pieces of networks (crossings, switches,
    poles) are never sites; abandoned railways are corridor candidates; land
    in active works (``landuse=construction``) is not idle. Each becomes a
    report row naming the OSM ids.
    """
    judged = [rules.osm_match(t) for t in features["tags"]]
    strength = np.array([j[0] for j in judged], dtype=object)
    # corridors are lines and yards; a point on a railway (a crossing, a switch) is a network piece
    corridor = [rules.corridor(t) if g != "Point" else None for t, g in zip(features["tags"], features.geom_type)]
    features = features.assign(strength=strength, evidence=["; ".join(j[1]) for j in judged], corridor=corridor)
    corridors = features[features["corridor"].notna()]
    for rule, group in corridors.groupby("corridor", sort=True):
        lengths = np.where(group.geom_type.isin(POLYGONAL), shapely.length(shapely.boundary(group.geometry.to_numpy())),
                           shapely.length(group.geometry.to_numpy()))
        detail = ", ".join(f"{r}{' ' + n if isinstance(n, str) and n else ''} ({m:,.0f} m)"
                           for r, n, m in zip(group["osm_ref"], group["name"], lengths))
        report.add("osm corridors", f"corridor candidate: {rule}, {lengths.sum():,.0f} m in all", len(group), detail)
    candidates = features[features["corridor"].isna() & features["strength"].notna()]
    network = candidates["tags"].map(rules.is_infrastructure).to_numpy(bool) & ~candidates.geom_type.isin(POLYGONAL).to_numpy()
    if network.any():
        report.add("osm", "skipped: network infrastructure (a crossing, switch, signal or pole is not a site)",
                   network.sum(), _refs(candidates[network]))
    candidates = candidates[~network]
    works = (candidates["strength"] == "not_idle").to_numpy()
    if works.any():
        report.add("osm", "not idle: land in active works (landuse=construction without abandoned/disused tags)",
                   works.sum(), _refs(candidates[works]))
    idle = candidates[~works]
    lines = ~idle.geom_type.isin(POLYGONAL | {"Point"})
    if lines.any():
        report.add("osm", "skipped: idle feature is a line, not a site", lines.sum(), _refs(idle[lines]))
    idle = idle[~lines]
    areas = idle[idle.geom_type != "Point"].assign(key=lambda d: d["osm_ref"], geometry_source="osm footprint")
    points = idle[idle.geom_type == "Point"]
    if len(points):
        host, hosted = host_sites(points.geometry, footprints, parcels)
        if (~hosted).any():
            report.add("osm", "to locate: idle-tagged point with no building, land-use area or parcel around it",
                       (~hosted).sum(), _refs(points[~hosted]))
        points, host = points[hosted], host[hosted]
        sharing = active_neighbours(host["key"].to_numpy(), features, footprints, rules)
        partly = np.array([bool(s) for s in sharing], dtype=bool) & points["strength"].isin(["strong", "medium"]).to_numpy(bool)
        if partly.any():
            report.add("osm", "partly vacant: an idle-tagged point in a building whose other points are in use "
                              f"(claim lowered to {rules.partly_vacant[1]})", int(partly.sum()),
                       ", ".join(f"{r} in {k}" for r, k in zip(points["osm_ref"][partly], host["key"][partly])))
        note = np.array([f"; partly vacant building: {len(s)} other points in use ({', '.join(s[:3])})" if p else ""
                         for s, p in zip(sharing, partly)], dtype=object)
        points = points.assign(strength=np.where(partly, rules.partly_vacant[1], points["strength"].to_numpy()))
        points = points.assign(
            key=host["key"].to_numpy(), evidence=points["osm_ref"] + " " + points["evidence"] + note,
            geometry_source=host["geometry_source"].to_numpy(), osm_ref=host["osm_ref"].to_numpy(),
            tags=list(host["tags"]),
        ).set_geometry(host["geometry"].to_numpy())
    claims = pd.concat([areas, points]) if len(points) else areas
    building = _tag_values(claims["tags"], "building")
    return _claims(
        claims.crs, claims.geometry.to_numpy(), key=claims["key"].to_numpy(), source=np.full(len(claims), "osm"),
        evidence=claims["evidence"].to_numpy(), strength=claims["strength"].to_numpy(), name=claims["name"].to_numpy(),
        kind=_kind(building), osm_ref=claims["osm_ref"].to_numpy(),
        landuse=np.array(_tag_values(claims["tags"], "landuse"), dtype=object),
        building=np.array(building, dtype=object), geometry_source=claims["geometry_source"].to_numpy(),
    )


def _locate_by_osm_ref(reg, footprints, report):
    by_ref = footprints.drop_duplicates("osm_ref").set_index("osm_ref")
    rows = reg[reg["osm_ref"].notna()]
    known = rows["osm_ref"].isin(by_ref.index)
    if (~known).any():
        report.add("register", "dropped: osm_ref not in the OSM extract", (~known).sum(),
                   rows_detail(rows[~known], "register_id", "osm_ref"))
    rows = rows[known]
    hit = by_ref.loc[rows["osm_ref"]]
    return pd.DataFrame({"key": rows["osm_ref"].to_numpy(), "osm_ref": rows["osm_ref"].to_numpy(),
                         "tags": hit["tags"].to_numpy(), "geometry": hit.geometry.to_numpy(),
                         "geometry_source": "osm footprint (register osm_ref)"}, index=rows.index)


def _locate_by_parcel(reg, parcels, report):
    rows = reg[reg["osm_ref"].isna() & reg["parcel_code"].notna()]
    if parcels is None:
        if len(rows):
            report.add("register", "dropped: parcel_code given but no parcels in the config", len(rows),
                       rows_detail(rows, "register_id", "parcel_code"))
        return pd.DataFrame(columns=["key", "osm_ref", "tags", "geometry", "geometry_source", "parcel_code"])
    by_code = parcels.set_index("parcel_code")
    known = rows["parcel_code"].isin(by_code.index)
    if (~known).any():
        report.add("register", "dropped: parcel_code not among the parcels", (~known).sum(),
                   rows_detail(rows[~known], "register_id", "parcel_code"))
    rows = rows[known]
    return pd.DataFrame({"key": ("parcel/" + rows["parcel_code"]).to_numpy(), "osm_ref": None,
                         "tags": [{} for _ in range(len(rows))],
                         "geometry": by_code.geometry.loc[rows["parcel_code"]].to_numpy(),
                         "geometry_source": "cadastral parcel (register parcel_code)",
                         "parcel_code": rows["parcel_code"].to_numpy()}, index=rows.index)


def _locate_by_xy(reg, footprints, crs, area, report):
    rows = reg[reg["osm_ref"].isna() & reg["parcel_code"].isna() & reg.geometry.notna()]
    if rows.empty:
        return pd.DataFrame(columns=["key", "osm_ref", "tags", "geometry", "geometry_source"])
    points = rows.geometry
    swap = swapped_xy(points, area, crs)
    if swap.any():
        points = points.copy()
        points[swap] = shapely.transform(points[swap].to_numpy(), lambda xy: xy[:, ::-1])
        report.add("register", "repaired: x and y were swapped (the point falls inside the boundary only when exchanged)",
                   swap.sum(), rows_detail(rows[swap], "register_id"))
    points = points.to_crs(crs)
    outside = ~points.within(area).to_numpy()
    if outside.any():
        report.add("register", "dropped: coordinates outside the boundary (check crs and x/y columns)",
                   outside.sum(), rows_detail(rows[outside], "register_id"))
    rows, points = rows[~outside], points[~outside]
    host, hosted = host_footprints(points, footprints)
    sized = ~hosted & rows["area_m2"].notna().to_numpy()
    geometry = host.geometry.to_numpy()
    geometry[sized] = shapely.buffer(points.to_numpy()[sized], np.sqrt(rows["area_m2"].to_numpy()[sized] / np.pi))
    key = np.where(hosted, host["osm_ref"].to_numpy(), "register/" + rows["register_id"].astype(str).to_numpy())
    source = np.where(hosted, "osm footprint containing register point",
                      np.where(sized, "register point with area_m2 (circle)", "point buffer"))
    return pd.DataFrame({"key": key, "osm_ref": host["osm_ref"].to_numpy(), "tags": host["tags"].to_numpy(),
                         "geometry": geometry, "geometry_source": source}, index=rows.index)


def claims_from_register(register: gpd.GeoDataFrame, footprints: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame | None,
                         crs: CRS, area, rules: evidence.Rules, report: Report) -> gpd.GeoDataFrame:
    """Register entries whose status is idle, located by OSM id, parcel code or coordinates."""
    strength = register["status"].map(lambda s: rules.record_strength("register", s))
    idle = strength.notna().to_numpy()
    if (~idle).any():
        report.add("register", "skipped: status is not idle", (~idle).sum(),
                   ", ".join(sorted(set(register.loc[~idle, "status"].fillna("(empty)")))))
    reg = register[idle].assign(strength=strength[idle])
    located = pd.concat([_locate_by_osm_ref(reg, footprints, report), _locate_by_parcel(reg, parcels, report),
                         _locate_by_xy(reg, footprints, crs, area, report)])
    reg = reg.loc[located.index]
    building = _tag_values(located["tags"], "building")
    parcel = located["parcel_code"] if "parcel_code" in located else pd.Series(None, index=located.index)
    return _claims(
        crs, located["geometry"].to_numpy(), key=located["key"].to_numpy(), source=np.full(len(reg), "register"),
        evidence=("register status=" + reg["status"].astype(str)).to_numpy(), strength=reg["strength"].to_numpy(),
        name=reg["name"].to_numpy(), stated_area_m2=reg["area_m2"].to_numpy(dtype=object),
        kind=_kind(building, reg["kind"].to_numpy()), osm_ref=located["osm_ref"].to_numpy(),
        register_id=reg["register_id"].to_numpy(), owner=reg["owner"].to_numpy(),
        parcel_code=parcel.to_numpy(dtype=object), landuse=np.array(_tag_values(located["tags"], "landuse"), dtype=object),
        building=np.array(building, dtype=object), geometry_source=located["geometry_source"].to_numpy(),
    )


def attach_survey(survey: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, distance: float) -> np.ndarray:
    """Position in ``sites`` of the site each survey point falls in or is
    nearest to within ``distance`` metres; -1 when none."""
    out = np.full(len(survey), -1)
    if len(sites) == 0 or len(survey) == 0:
        return out
    tree = shapely.STRtree(sites.geometry.to_numpy())
    (p_idx, s_idx), _ = tree.query_nearest(survey.geometry.to_numpy(), max_distance=distance,
                                           return_distance=True, all_matches=False)
    out[p_idx] = s_idx
    return out


def _attach_named(survey: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, attached: np.ndarray, usable: np.ndarray,
                  distance: float, report: Report, source: str = "survey") -> np.ndarray:
    """Answers that name their asset (``asset_id``, picked in the project's
    form) attach to it, wherever their point is; the report lists those whose
    point is farther than ``distance`` from it and ids not in the inventory
    (attached by their point instead)."""
    if "asset_id" not in survey or len(sites) == 0:
        return attached
    position = pd.Series(np.arange(len(sites)), index=asset_ids(pd.Index(sites["key"])).to_numpy())
    position = position[~position.index.duplicated()]
    named = survey["asset_id"].notna().to_numpy() & usable
    found = named & survey["asset_id"].isin(position.index).to_numpy()
    unknown = named & ~found
    if unknown.any():
        report.add(source, "asset id held by no register or OSM record (a survey's own site, or unknown): placed by its point",
                   unknown.sum(),
                   rows_detail(survey[unknown], "survey_id", "asset_id"))
    if found.any():
        pos = position.loc[survey.loc[found, "asset_id"]].to_numpy()
        attached = attached.copy()
        attached[found] = pos
        far = shapely.distance(survey.geometry.to_numpy()[found], sites.geometry.to_numpy()[pos]) > distance
        report.add(source, "attached to the asset the form names", found.sum())
        if far.any():
            report.add(source, f"attached to the asset the form names, point over {distance:g} m from it",
                       far.sum(), rows_detail(survey[found][far], "survey_id", "asset_id"))
    return attached


def claims_from_survey(survey: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, footprints: gpd.GeoDataFrame,
                       distance: float, max_precision: float | None, report: Report, source: str = "survey"):
    """Attach survey points to sites; idle points elsewhere claim the footprint
    they stand in (or a small circle). Points whose GPS precision is worse than
    ``max_precision`` metres are not used. ``source`` names the observations
    (``survey``, or ``reports`` for citizens' reports, whose ``evidence``
    column says what each observed); a new site's key is ``<source>/<id>``.

    Returns the survey with ``key`` (the site it describes, or missing) and the new claims.
    """
    survey = survey.assign(key=np.full(len(survey), None, dtype=object))
    usable = np.ones(len(survey), bool)
    if max_precision is not None:
        usable = ~(survey["precision_m"] > max_precision).to_numpy()
        if (~usable).any():
            report.add(source, f"not used: GPS precision worse than {max_precision:g} m", (~usable).sum(),
                       rows_detail(survey[~usable].assign(p=survey["precision_m"].map("{:g} m".format)), "survey_id", "p"))
    attached = np.full(len(survey), -1)
    attached[usable] = attach_survey(survey[usable], sites, distance)
    attached = _attach_named(survey, sites, attached, usable, distance, report, source)
    survey.loc[attached >= 0, "key"] = sites["key"].to_numpy()[attached[attached >= 0]]
    new = survey[(attached < 0) & usable & survey["idle"].to_numpy()]
    claims = _claims(survey.crs, [])
    if len(new):
        host, hosted = host_footprints(new.geometry, footprints)
        key = np.where(hosted, host["osm_ref"].to_numpy(), f"{source}/" + new["survey_id"].astype(str).to_numpy())
        building = _tag_values(host["tags"], "building")
        claims = _claims(
            survey.crs, host.geometry.to_numpy(), key=key, source=np.full(len(new), source),
            evidence=(new["evidence"] if "evidence" in new else "survey occupancy=" + new["occupancy"].astype(str)).to_numpy(),
            kind=_kind(building),
            strength=new["strength"].to_numpy(),
            osm_ref=host["osm_ref"].to_numpy(), landuse=np.array(_tag_values(host["tags"], "landuse"), dtype=object),
            building=np.array(building, dtype=object),
            geometry_source=np.where(hosted, f"osm footprint containing {source} point", "point buffer"),
        )
        survey.loc[new.index, "key"] = key
    lost = survey["key"].isna().to_numpy() & usable
    if lost.any():
        report.add(source, f"not attached: no asset within {distance:g} m and not idle", lost.sum(),
                   rows_detail(survey[lost], "survey_id"))
    report.add(source, "attached to an asset", survey["key"].notna().sum())
    return survey, claims


def survey_summary(survey: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per site: survey ids, the latest answer to each question chosen from a
    list (:data:`pipeline.common.columns.SURVEY_ANSWERS`), photo links, notes."""
    s = survey[survey["key"].notna()].sort_values(["date", "survey_id"], na_position="first")
    g = s.groupby("key", sort=False)
    latest = lambda v: v.dropna().iloc[-1] if v.notna().any() else None
    joined = lambda sep: (lambda v: sep.join(v.dropna().astype(str)) or None)
    answers = {c: g[c].agg(latest) for c in SURVEY_ANSWERS if c in s}
    return pd.DataFrame({"survey_ids": g["survey_id"].agg(joined(";")), **answers,
                         "photos": g["photo"].agg(joined(";")), "survey_notes": g["notes"].agg(joined(" | "))})


def _join(values: pd.Series) -> str | None:
    seen = list(dict.fromkeys(str(v) for v in values if pd.notna(v) and str(v) != ""))
    return ";".join(seen) if seen else None


def _first(values: pd.Series):
    v = values.dropna()
    return v.iloc[0] if len(v) else None


def merge_claims(claims: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One asset per site key, keeping every source's evidence.

    The register's name and kind win over OSM's; the geometry is that of the
    first claim with one (claims on one key share the footprint or parcel).
    """
    order = {"register": 0, "osm": 1, "survey": 2, "reports": 3, "urban_atlas": 4, "parcels": 5}
    claims = claims.assign(_o=claims["source"].map(order)).sort_values(["key", "_o"], kind="stable")
    g = claims.groupby("key", sort=True)
    columns = {c: g[c].agg(_join if c == "register_id" else _first)
               for c in CLAIM_COLUMNS if c not in ("key", "source", "evidence", "strength")}
    geometry = claims[claims.geometry.notna()].groupby("key", sort=True).geometry.first()
    return gpd.GeoDataFrame({
        "sources": g["source"].agg(_join),
        "idle_evidence": g["evidence"].agg(lambda v: " | ".join(dict.fromkeys(v.dropna()))),
        "evidence_strength": g["strength"].agg(lambda v: evidence.strongest(v.dropna())),
        **columns,
    }, geometry=geometry.reindex(g.size().index).to_numpy(), crs=claims.crs)


def asset_ids(keys) -> pd.Series:
    """Stable, readable ids from site keys: ``way/123 -> osm-way-123``,
    ``parcel/0102… -> cad-0102…``, ``register/R7 -> reg-R7``, ``survey/55 -> srv-55``, ``reports/12 -> rpt-12``,
    ``urban_atlas/2018-4512 -> ua-2018-4512``, ``block/394512-4357121 -> osm-block-394512-4357121``."""
    s = pd.Series(list(keys), index=keys, dtype=object).astype(str)
    s = s.str.replace(r"^(node|way|relation)/", r"osm-\1-", regex=True)
    for prefix, short in (("parcel/", "cad-"), ("register/", "reg-"), ("survey/", "srv-"), ("reports/", "rpt-"),
                          ("urban_atlas/", "ua-"), ("block/", "osm-block-")):
        s = s.str.replace(f"^{prefix}", short, regex=True)
    return s
