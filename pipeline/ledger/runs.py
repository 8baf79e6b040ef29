"""What a run records in the ledger.

- An asset found for the first time is added, ``identified`` by the
  pipeline, with what showed it (its sources) as evidence.
- An asset a survey answer finds idle (vacant, abandoned or partly used) is
  ``verified``, with the survey submissions as evidence, unless its path is
  already past that step.
- A site that changed shape keeps its lineage: when assets of the ledger
  are no longer found and new ones cover them, each new asset records the
  old ones as ``previously_part_of`` and the old ones exit as ``split`` (one
  became several) or ``merged`` (several, or one under a new id, became one).
  Overlap is judged on area in the inventory's metric CRS: at least
  :data:`LINEAGE_SHARE` of the smaller of the two.
- A site people reported (recorded *reported* by an officer) that the run
  now finds is *identified*.
- Every asset found is noted as seen on the run's date, so a site missing
  from later runs shows in the ledger without being ended by the pipeline
  (an officer decides that).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .model import Event, Site
from .store import Ledger

#: Share of the smaller site's area two sites must share to be one lineage.
LINEAGE_SHARE = 0.5
#: Survey answers that verify a site as idle.
IDLE_OCCUPANCY = ("vacant", "abandoned", "partly used")
#: Statuses after which a survey answer no longer verifies (the path is past it).
PAST_VERIFIED = ("verified", "available", "offered", "requested", "assigned", "in_preparation", "operating",
                 "exited", "blocked")


@dataclass
class RunRecord:
    """What a run recorded: asset ids by what happened to them."""

    added: list[str] = field(default_factory=list)
    identified: list[str] = field(default_factory=list)  # reported by people before, found by this run
    verified: list[str] = field(default_factory=list)
    lineage: dict[str, list[str]] = field(default_factory=dict)  # new id -> the ids it came from
    exited: dict[str, str] = field(default_factory=dict)  # old id -> split or merged

    def summary(self) -> str:
        parts = [f"{len(self.added)} new", f"{len(self.verified)} verified by survey"]
        if self.identified:
            parts.insert(1, f"{len(self.identified)} reported before and found now")
        if self.exited:
            parts.append(f"{len(self.exited)} split or merged into {len(self.lineage)}")
        return ", ".join(parts)


def _text(value) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) or str(value) == "" else str(value)


def lineage(new: gpd.GeoDataFrame, gone: gpd.GeoDataFrame) -> pd.DataFrame:
    """Pairs (``new_id``, ``old_id``) of a new asset and a vanished one that
    share at least :data:`LINEAGE_SHARE` of the smaller one's area; both
    frames in one metric CRS, with ``ledger_id`` columns."""
    if new.empty or gone.empty:
        return pd.DataFrame(columns=["new_id", "old_id"])
    a, b = new.geometry.to_numpy(), gone.geometry.to_numpy()
    i, j = shapely.STRtree(b).query(a, predicate="intersects")
    shared = shapely.area(shapely.intersection(a[i], b[j]))
    smaller = np.minimum(shapely.area(a[i]), shapely.area(b[j]))
    keep = (smaller > 0) & (shared >= LINEAGE_SHARE * smaller)
    return pd.DataFrame({"new_id": new["ledger_id"].to_numpy()[i[keep]], "old_id": gone["ledger_id"].to_numpy()[j[keep]]})


def record_run(ledger: Ledger, inventory: gpd.GeoDataFrame, date: str | dt.date,
               private: frozenset[str] | set[str] = frozenset()) -> RunRecord:
    """Record a run's inventory (``asset_id``, ``name``, ``kind``,
    ``area_m2``, ``sources``, ``survey_ids``, ``occupancy``, geometry in a
    metric CRS) in ``ledger`` as of ``date``. Columns named in ``private``
    are not stored."""
    with ledger.transaction():
        return _record(ledger, inventory, str(date), private)


def _record(ledger: Ledger, inventory: gpd.GeoDataFrame, date: str, private: frozenset[str] | set[str]) -> RunRecord:
    record = RunRecord()
    known = {a["ledger_id"]: a for a in ledger.assets()}
    ids = inventory["asset_id"].astype(str)
    fresh = inventory[~ids.isin(known)]
    gone_ids = [k for k, a in known.items() if a["end_date"] is None and k not in set(ids)]
    pairs = lineage(fresh.assign(ledger_id=fresh["asset_id"].astype(str)), _ledger_frame(ledger, gone_ids, inventory.crs))
    parents = pairs.groupby("new_id")["old_id"].apply(sorted).to_dict()
    children = pairs.groupby("old_id")["new_id"].apply(sorted).to_dict()
    lonlat = inventory.geometry.to_crs(4326).to_numpy()
    wkb = dict(zip(ids, shapely.to_wkb(lonlat)))
    for _, row in fresh.iterrows():
        asset_id = str(row["asset_id"])
        came_from = parents.get(asset_id, [])
        ledger.add_asset(asset_id, date, Site(
            name=None if "name" in private else _text(row.get("name")), kind=_text(row.get("kind")),
            previously_part_of=";".join(came_from) or None,
            area_m2=float(row["area_m2"]) if pd.notna(row.get("area_m2")) else None, wkb=wkb[asset_id],
            parcel_code=_text(row.get("parcel_code")), register_id=_text(row.get("register_id"))))
        if "reports" in str(row.get("sources") or "").split(";"):  # people said so first
            ledger.record(Event(asset_id, date, "reported", "pipeline", evidence="citizens' report (accepted by moderation)"))
        ledger.record(Event(asset_id, date, "identified", "pipeline", evidence=f"run of {date}: {_text(row.get('sources')) or 'inventory'}"))
        record.added.append(asset_id)
        if came_from:
            record.lineage[asset_id] = came_from
    for old_id, new_ids in children.items():
        merged = len(new_ids) == 1
        reason = "merged" if merged else "split"
        note = f"{'merged into' if merged else 'split into'} {', '.join(new_ids)}"
        ledger.record(Event(old_id, date, "exited", "pipeline", reason=reason, note=note))
        record.exited[old_id] = reason
    ledger.seen(list(ids), date)
    status = ledger.current()
    for asset_id in ids[ids.map(status.get) == "reported"]:  # a site people reported, found by the pipeline now
        ledger.record(Event(asset_id, date, "identified", "pipeline", evidence=f"run of {date}"))
        record.identified.append(asset_id)
    status = ledger.current()
    surveyed = inventory[inventory.get("occupancy", pd.Series(index=inventory.index, dtype=object)).isin(IDLE_OCCUPANCY)]
    for _, row in surveyed.iterrows():
        asset_id = str(row["asset_id"])
        if status.get(asset_id) in PAST_VERIFIED:
            continue
        submissions = _text(row.get("survey_ids")) or "field survey"
        ledger.record(Event(asset_id, date, "verified", "surveyor", evidence=f"survey submission {submissions}",
                            note=f"occupancy: {row['occupancy']}"))
        record.verified.append(asset_id)
    return record


def _ledger_frame(ledger: Ledger, ledger_ids: list[str], crs) -> gpd.GeoDataFrame:
    """The ledger's assets ``ledger_ids`` with their geometry in ``crs``."""
    rows = [a for a in ledger.assets() if a["ledger_id"] in set(ledger_ids) and a["geometry"] is not None]
    frame = gpd.GeoDataFrame({"ledger_id": [r["ledger_id"] for r in rows]},
                             geometry=shapely.from_wkb([r["geometry"] for r in rows]), crs=4326)
    return frame.to_crs(crs) if crs is not None else frame
