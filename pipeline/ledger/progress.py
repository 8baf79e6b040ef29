"""The support mechanism's view of the ledger: where every asset is on its
path, how long each step takes, which sites are stuck, why sites left, and
the plan's targets against what is operating. Pure functions of the
ledger's rows (:class:`Snapshot`) and the run's plan; no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..common import settings
from .model import EXIT_REASONS, STATUSES

#: Steps after which a site is no longer waiting (it is being used, or has left).
UNDER_WAY = ("assigned", "in_preparation", "operating", "exited")


@dataclass(frozen=True)
class Snapshot:
    """The ledger's rows as read at one moment: its assets and its events."""

    assets: pd.DataFrame
    events: pd.DataFrame

    @classmethod
    def of(cls, ledger) -> "Snapshot":
        assets = pd.DataFrame(ledger.assets())
        events = pd.DataFrame(ledger.history())
        if assets.empty:
            assets = pd.DataFrame(columns=["ledger_id", "name", "first_added", "end_date", "last_seen",
                                           "previously_part_of"])
        if events.empty:
            events = pd.DataFrame(columns=["ledger_id", "date", "status", "role", "evidence", "tenure", "reason",
                                           "note", "event_id"])
        return cls(assets.drop(columns=["geometry"], errors="ignore"), events)


@dataclass(frozen=True)
class Progress:
    """What the dashboard, the annex and the fact sheets show.

    Attributes
    ----------
    current : DataFrame
        One row per asset: ``ledger_id``, ``name``, ``status``, ``since``,
        ``days`` in that status, ``first_added``, ``years_listed``, ``stuck``,
        ``use`` (the plan's), ``previously_part_of``.
    counts : DataFrame
        Assets per status (``status``, ``label_el``, ``label_en``, ``assets``), in the path's order.
    durations : DataFrame
        Per status: ``spells`` (times an asset was in it), ``median_days``,
        ``now`` (assets in it now).
    exits : DataFrame
        Exits by ``reason`` (or ``new use``) with their ``area_m2``.
    targets : DataFrame
        Each target: ``target``, ``unit``, ``target_value``, ``planned``,
        ``operating``, ``jobs_operating``.
    timeline : DataFrame
        Assets per status at the end of each month (index: month end; columns: statuses).
    history : DataFrame
        Every event, for the fact sheets.
    as_of : str
        The date the durations are counted to.
    """

    current: pd.DataFrame
    counts: pd.DataFrame
    durations: pd.DataFrame
    exits: pd.DataFrame
    targets: pd.DataFrame
    timeline: pd.DataFrame
    history: pd.DataFrame
    as_of: str


def _ordered(events: pd.DataFrame) -> pd.DataFrame:
    out = events.copy()
    out["day"] = pd.to_datetime(out["date"])
    sort = ["ledger_id", "day"] + (["event_id"] if "event_id" in out else [])
    return out.sort_values(sort, kind="stable")


def spells(events: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Each time an asset was in a status: ``ledger_id``, ``status``, ``start``, ``end`` (today when current), ``days``."""
    ordered = _ordered(events)
    nxt = ordered.groupby("ledger_id")["day"].shift(-1)
    end = nxt.fillna(pd.Timestamp(today))
    return pd.DataFrame({"ledger_id": ordered["ledger_id"].to_numpy(), "status": ordered["status"].to_numpy(),
                         "start": ordered["day"].to_numpy(), "end": end.to_numpy(),
                         "days": (end - ordered["day"]).dt.days.to_numpy(), "current": nxt.isna().to_numpy()})


def timeline(events: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Assets per status at the end of every month from the first event to ``today``."""
    if events.empty:
        return pd.DataFrame(columns=list(STATUSES))
    ordered = _ordered(events).sort_values("day", kind="stable")
    months = pd.date_range(ordered["day"].min(), pd.Timestamp(today), freq="ME")
    if len(months) == 0 or months[-1] < pd.Timestamp(today):
        months = months.append(pd.DatetimeIndex([pd.Timestamp(today)]))
    grid = pd.DataFrame({"ledger_id": np.repeat(ordered["ledger_id"].unique(), len(months)),
                         "day": np.tile(months, ordered["ledger_id"].nunique())}).sort_values("day", kind="stable")
    status = pd.merge_asof(grid, ordered[["ledger_id", "day", "status"]], on="day", by="ledger_id")
    counts = status.dropna(subset=["status"]).groupby(["day", "status"]).size().unstack(fill_value=0)
    return counts.reindex(columns=[s for s in STATUSES if s in counts.columns]).reindex(months, fill_value=0)


def progress(snapshot: Snapshot, plan: pd.DataFrame | None, targets: pd.DataFrame | None,
             today: dt.date, stuck_years: float = settings.STUCK_YEARS) -> Progress:
    """The dashboard's figures from the ledger and the run's plan and targets."""
    events, assets = snapshot.events, snapshot.assets
    spans = spells(events, today) if not events.empty else pd.DataFrame(
        columns=["ledger_id", "status", "start", "end", "days", "current"])
    now = spans[spans["current"].astype(bool)].set_index("ledger_id")
    planned = plan.drop_duplicates("asset_id").set_index("asset_id")["use"] if plan is not None and len(plan) else pd.Series(dtype=object)
    agreed = (events.dropna(subset=["use"]).pipe(_ordered).groupby("ledger_id")["use"].last()
              if "use" in events and events["use"].notna().any() else pd.Series(dtype=object))
    uses = pd.concat([planned[~planned.index.isin(agreed.index)], agreed])
    current = assets.set_index("ledger_id").join(now[["status", "start", "days"]], how="inner")
    listed = (pd.Timestamp(today) - pd.to_datetime(current["first_added"])).dt.days.astype(float) / 365.25
    started = pd.to_datetime(current["start"])
    current = current.assign(since=started.dt.strftime("%Y-%m-%d"), years_listed=listed.round(1),
                             stuck=(listed > stuck_years) & ~current["status"].isin(UNDER_WAY),
                             use=current.index.map(uses).astype(object))
    current = current.reset_index()[["ledger_id", "name", "status", "since", "days", "first_added", "years_listed",
                                     "stuck", "use", "previously_part_of"]]
    counts = current["status"].value_counts()
    count_table = pd.DataFrame([{"status": s, "label_el": el, "label_en": en, "assets": int(counts.get(s, 0))}
                                for s, (el, en) in STATUSES.items()])
    grouped = spans.astype({"days": float, "current": bool}).groupby("status")
    durations = pd.DataFrame({"spells": grouped.size(), "median_days": grouped["days"].median(),
                              "now": grouped["current"].sum()}).reindex([s for s in STATUSES if s in grouped.groups])
    durations = durations.reset_index(names="status").astype({"spells": int, "now": int})
    exited = events[events["status"] == "exited"] if not events.empty else events
    exits = (exited.assign(why=exited["reason"].map(lambda r: EXIT_REASONS.get(r, (None, None))[1] if r else None)
                       .fillna("new use: " + exited.get("new_use", pd.Series(dtype=object)).fillna("")),
                       area=exited.get("area_m2", pd.Series(dtype=float)))
             .groupby("why").agg(sites=("ledger_id", "size"), area_m2=("area", "sum")).reset_index()
             .rename(columns={"why": "reason"})) if len(exited) else pd.DataFrame(columns=["reason", "sites", "area_m2"])
    return Progress(current=current, counts=count_table, durations=durations, exits=exits,
                    targets=_targets(targets, plan, current), timeline=timeline(events, today),
                    history=events.drop(columns=["recorded_at"], errors="ignore"), as_of=today.isoformat())


def _targets(targets: pd.DataFrame | None, plan: pd.DataFrame | None, current: pd.DataFrame) -> pd.DataFrame:
    """Each target of the plan against the assets operating in its uses (the
    use agreed in the ledger, else the plan's); kWp and jobs are the plan's
    figures for the site."""
    columns = ["target", "unit", "target_value", "planned", "operating", "jobs_operating"]
    if targets is None or targets.empty or plan is None:
        return pd.DataFrame(columns=columns)
    running = current[current["status"] == "operating"]
    agreed = pd.DataFrame({"asset_id": running["ledger_id"].to_numpy(), "use": running["use"].to_numpy()})
    figures = plan.drop_duplicates(["asset_id", "use"])[["asset_id", "use", "kwp", "jobs"]]
    operating_uses = agreed.merge(figures, on=["asset_id", "use"], how="left").fillna({"kwp": 0.0, "jobs": 0.0})
    rows = []
    for _, t in targets.iterrows():
        uses = str(t["uses"]).split(";") if isinstance(t["uses"], str) else list(t["uses"])
        mine = operating_uses[operating_uses["use"].isin(uses)]
        measure = mine["kwp"].sum() if t["unit"] == "kWp" else mine["asset_id"].nunique()
        rows.append({"target": t["target"], "unit": t["unit"], "target_value": t["target_value"], "planned": t["reached"],
                     "operating": round(float(measure), 1), "jobs_operating": round(float(mine["jobs"].sum()), 1)})
    return pd.DataFrame(rows, columns=columns)
