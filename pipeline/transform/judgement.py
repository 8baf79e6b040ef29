"""The inventory's judgement of each candidate: land in active use, ownership,
conflicts between sources, and confidence (rules in ``evidence.yaml``).

- **Active use.** A candidate carrying an active-use tag itself, or
  overlapped by active-use polygons over at least the table's ``share`` of
  its area, is not offered as idle ("excluded: in active use" in the report),
  unless a register or survey record says it is idle: then it stays, flagged
  as a conflict to verify; once a survey has seen it idle on the ground, the
  conflict stays listed (OpenStreetMap may need fixing) but is settled.
- **Ownership** (``municipal``, ``other_public``, ``private``, ``unknown``)
  from, in this order, the register's owner column (a register entry without
  one is taken as the municipality's, since the register lists its assets),
  the parcel layer's owner field, and the OSM ``owner``/``operator`` tags;
  ``ownership_evidence`` says which.
- **Condition.** A site whose OSM tags call it a ruin (``building=ruins``,
  ``ruins=yes``, ``building:condition=ruin``) has the condition ``ruin``
  unless a survey recorded its condition.
- **Conflicts**, one row per asset and attribute where two sources disagree:
  status, kind, area (beyond ``AREA_TOLERANCE``), name, ownership. Each makes
  the asset one "to verify", except a different name alone (a register's
  formal name and OSM's everyday one differ for good reasons).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..common import evidence
from ..common._text import fold
from .report import Report

#: The conflicts table's name for OSM's active-use evidence.
ACTIVE_USE_SOURCE = "osm (active use)"

#: Register area and mapped footprint differ by more than this share: a conflict.
AREA_TOLERANCE = 0.25
CONFLICT_COLUMNS = ["asset_id", "attribute", "source", "value", "other_source", "other_value"]


def active_use_share(assets: gpd.GeoDataFrame, active: gpd.GeoDataFrame,
                     rules: evidence.Rules) -> tuple[np.ndarray, list[str]]:
    """Share of each asset's area covered by active-use polygons other than
    the asset's own footprint (capped at 1), and the polygons' tags."""
    share = np.zeros(len(assets))
    found: list[list[str]] = [[] for _ in range(len(assets))]
    if len(assets) == 0 or len(active) == 0:
        return share, ["" for _ in range(len(assets))]
    geoms = assets.geometry.to_numpy()
    tree = shapely.STRtree(active.geometry.to_numpy())
    a_idx, p_idx = tree.query(geoms, predicate="intersects")
    own = assets["osm_ref"].to_numpy(dtype=object)[a_idx] == active["osm_ref"].to_numpy(dtype=object)[p_idx]
    a_idx, p_idx = a_idx[~own], p_idx[~own]
    overlap = shapely.area(shapely.intersection(geoms[a_idx], active.geometry.to_numpy()[p_idx]))
    np.add.at(share, a_idx, overlap)
    share = np.minimum(share / np.maximum(shapely.area(geoms), 1e-9), 1.0)
    for a, p, area in zip(a_idx, p_idx, overlap):
        if area > 0:
            found[a].extend(f"{active['osm_ref'].iloc[p]} {t}" for t in rules.active_use(active["tags"].iloc[p]))
    return share, ["; ".join(dict.fromkeys(f)) for f in found]


def ownership(assets: gpd.GeoDataFrame, osm_tags: pd.Series, parcel_owner: pd.Series,
              rules: evidence.Rules) -> tuple[pd.Series, pd.Series, list[dict]]:
    """Ownership class and its evidence per asset, and the disagreements between sources."""
    klass, basis, disagreements = [], [], []
    for i, row in enumerate(assets.itertuples()):
        tags = osm_tags.iloc[i] or {}
        said = []
        if isinstance(row.register_id, str):
            owner = row.owner
            c = rules.ownership_class(owner)
            said.append(("register", owner, c) if owner else
                        ("register", "(listed in the municipal asset register, no owner given)", "municipal"))
        if isinstance(parcel_owner.iloc[i], str):
            said.append(("parcels", parcel_owner.iloc[i], rules.ownership_class(parcel_owner.iloc[i])))
        for key in ("owner", "operator"):
            if tags.get(key):
                said.append((f"osm {key}", tags[key], rules.ownership_class(tags[key])))
        known = [s for s in said if s[2] is not None]
        if known:
            klass.append(known[0][2])
            basis.append(f"{known[0][0]}: {known[0][1]}")
            for other in known[1:]:
                if other[2] != known[0][2]:
                    disagreements.append({"index": i, "attribute": "ownership", "source": known[0][0],
                                          "value": f"{known[0][1]} ({known[0][2]})", "other_source": other[0],
                                          "other_value": f"{other[1]} ({other[2]})"})
        else:
            klass.append("unknown")
            basis.append("; ".join(f"{s[0]}: {s[1]} (not recognised)" for s in said) or "no source names an owner")
    return (pd.Series(klass, index=assets.index, dtype=object), pd.Series(basis, index=assets.index, dtype=object),
            disagreements)


#: OSM tags saying a building is a ruin: ``building=ruins``, ``ruins=yes``, ``building:condition=ruin``.
RUIN_TAGS = {"building": {"ruins"}, "ruins": {"yes"}, "building:condition": {"ruin", "ruins", "ruined"}}


def osm_ruins(assets: gpd.GeoDataFrame, osm_tags: pd.Series) -> pd.Series:
    """True where the asset's own OSM tags say it is a ruin."""
    def is_ruin(tags) -> bool:
        return bool(tags) and any(str(tags.get(k, "")).strip().lower() in v for k, v in RUIN_TAGS.items())

    return pd.Series([is_ruin(t) for t in osm_tags], index=assets.index, dtype=bool)


def source_conflicts(assets: gpd.GeoDataFrame, claims: gpd.GeoDataFrame, osm_tags: pd.Series) -> list[dict]:
    """Kind, area and name: the register against the mapped footprint; status:
    a survey that found the site in use against a record or tag saying idle."""
    rows = []
    register = claims[claims["source"] == "register"].drop_duplicates("key").set_index("key")
    observations = claims[claims["source"].isin(["survey", "reports"])]
    in_use = observations[observations["strength"].isna()].groupby("key")[["evidence", "source"]].first()
    keys = claims_key(assets).to_numpy()
    for i, row in enumerate(assets.itertuples()):
        tags = osm_tags.iloc[i] or {}
        key = keys[i]
        if key in register.index and isinstance(row.osm_ref, str):
            reg = register.loc[key]
            mapped_kind = "building" if tags.get("building") not in (None, "no") else "land"
            if isinstance(reg["kind"], str) and reg["kind"] != mapped_kind:
                rows.append({"index": i, "attribute": "kind", "source": "register", "value": reg["kind"],
                             "other_source": f"osm {row.osm_ref}", "other_value": mapped_kind})
            stated = reg["stated_area_m2"]
            if stated is not None and pd.notna(stated) and abs(float(stated) - row.area_m2) > AREA_TOLERANCE * row.area_m2:
                rows.append({"index": i, "attribute": "area", "source": "register", "value": f"{float(stated):.0f} m²",
                             "other_source": f"osm {row.osm_ref}", "other_value": f"{row.area_m2:.0f} m²"})
            if isinstance(reg["name"], str) and tags.get("name") and fold(reg["name"]) != fold(tags["name"]):
                rows.append({"index": i, "attribute": "name", "source": "register", "value": reg["name"],
                             "other_source": f"osm {row.osm_ref}", "other_value": tags["name"]})
        if key in in_use.index:
            said = in_use.loc[key, "source"]
            idle_sources = [s for s in str(row.sources).split(";") if s != said]
            if idle_sources or ";" in str(row.survey_ids or ""):
                rows.append({"index": i, "attribute": "status", "source": said, "value": in_use.loc[key, "evidence"],
                             "other_source": ";".join(idle_sources) or said, "other_value": row.idle_evidence})
    return rows


def judge(inventory: gpd.GeoDataFrame, claims: gpd.GeoDataFrame, tags_by_ref: pd.Series, active: gpd.GeoDataFrame,
          parcels: gpd.GeoDataFrame | None, rules: evidence.Rules, report: Report
          ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Apply the active-use guard and add ``ownership``, ``ownership_evidence``,
    ``conflicts``, ``active_use`` and ``confidence``. Returns the inventory
    (without the candidates in active use) and the conflicts table."""
    inv = inventory.copy()
    tags = inv["osm_ref"].map(lambda r: tags_by_ref.get(r) if isinstance(r, str) else None)
    ruin = osm_ruins(inv, tags) & inv["condition"].isna()  # a survey's answer is the word on the ground
    inv.loc[ruin, "condition"] = "ruin"
    if ruin.any():
        report.add("inventory", "condition: ruin (OSM tag; no usable roof or floor area until a survey says otherwise)",
                   int(ruin.sum()), ", ".join(inv.loc[ruin, "asset_id"]))
    own_active = tags.map(lambda t: "; ".join(rules.active_use(t)) if t else "")
    share, overlapping = active_use_share(inv, active, rules)
    overlapped = share >= rules.active_share
    in_use = (own_active != "").to_numpy() | overlapped
    active_text = [f"tagged {o}" if o else (f"{s:.0%} covered by {p}" if hit else "")
                   for o, s, p, hit in zip(own_active, share, overlapping, overlapped)]
    record_idle = _record_says_idle(inv, claims)
    conflicts: list[dict] = []
    dropped = in_use & ~record_idle
    if dropped.any():
        report.add("inventory", "excluded: in active use", int(dropped.sum()),
                   ", ".join(f"{a} ({t})" for a, t in zip(inv.loc[dropped, "asset_id"], np.array(active_text)[dropped])))
    kept_in_use = in_use & record_idle
    for i in np.flatnonzero(kept_in_use):
        conflicts.append({"index": i, "attribute": "status", "source": _record_sources(inv.iloc[i]),
                          "value": inv["idle_evidence"].iloc[i], "other_source": ACTIVE_USE_SOURCE,
                          "other_value": active_text[i]})
    owner_text = parcel_owner(inv, parcels)
    klass, basis, owner_conflicts = ownership(inv, tags, owner_text, rules)
    conflicts += owner_conflicts + source_conflicts(inv, claims, tags)
    inv["ownership"], inv["ownership_evidence"] = klass, basis
    inv["active_use"] = pd.Series(active_text, index=inv.index, dtype=object).where(in_use, None)
    table = pd.DataFrame(conflicts, columns=["index", *CONFLICT_COLUMNS[1:]])
    table.insert(0, "asset_id", inv["asset_id"].to_numpy()[table["index"].to_numpy(dtype=int)])
    table = table.drop(columns="index")
    joined = inv["asset_id"].map(table.groupby("asset_id", sort=False)["attribute"].agg(", ".join)).astype(object)
    inv["conflicts"] = joined.where(joined.notna(), None)
    # names differ for good reasons (a register's formal name, OSM's everyday one): listed, not doubted;
    # an OSM active-use tag that a survey found idle on the ground is settled by the visit: listed, not doubted
    seen_idle = inv.loc[[rules.record_strength("survey", o) is not None if isinstance(o, str) else False
                         for o in inv["occupancy"]], "asset_id"]
    settled = (table["other_source"] == ACTIVE_USE_SOURCE) & table["asset_id"].isin(seen_idle)
    serious = table.loc[(table["attribute"] != "name") & ~settled, "asset_id"]
    inv["confidence"] = evidence.confidence(pd.Series(record_idle, index=inv.index), inv["evidence_strength"],
                                            inv["ownership"], inv["asset_id"].isin(serious))
    keep = ~dropped
    table = table[table["asset_id"].isin(inv.loc[keep, "asset_id"])].reset_index(drop=True)
    if len(table):
        report.add("inventory", "conflicts between sources (conflicts.csv)", len(table),
                   ", ".join(f"{k}: {v}" for k, v in table["attribute"].value_counts().items()))
    for level in evidence.CONFIDENCE:
        report.add("inventory", f"confidence: {level}", int((inv.loc[keep, "confidence"] == level).sum()))
    return inv[keep].reset_index(drop=True), table


def claims_key(inv: gpd.GeoDataFrame) -> pd.Series:
    """The site key of each asset (the inventory is indexed by it until ids are final)."""
    return inv.index.to_series()


def _record_says_idle(inv: gpd.GeoDataFrame, claims: gpd.GeoDataFrame) -> np.ndarray:
    """True where a register or survey claim on the asset's site says idle."""
    records = claims[claims["source"].isin(["register", "survey"]) & claims["strength"].notna()]
    return claims_key(inv).isin(set(records["key"])).to_numpy()


def _record_sources(row) -> str:
    return ";".join(s for s in str(row["sources"]).split(";") if s in ("register", "survey"))


def parcel_owner(inv: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame | None) -> pd.Series:
    """The owner text of each asset's parcel, where the parcel layer has one."""
    if parcels is None or "owner" not in parcels or inv["parcel_code"].isna().all():
        return pd.Series(None, index=inv.index, dtype=object)
    by_code = parcels.drop_duplicates("parcel_code").set_index("parcel_code")["owner"]
    return inv["parcel_code"].map(lambda c: by_code.get(c) if isinstance(c, str) else None).astype(object)
