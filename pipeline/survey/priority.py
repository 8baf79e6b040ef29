"""What to survey first: the assets ranked by how much a visit could change the plan.

A visit can settle what the inventory does not know or doubts. For each asset
and each use it could take, the criteria unknown today (missing values that
took the profile's default) could move its score by up to the points they
stand for: the **swing**. The swing matters most where it is enough to change
the plan (the asset holds that use in the plan, or could overtake the
lowest-scored asset holding it) and next where it is enough to change the
asset's rank (it is larger than the gap to the nearest score of that use).
Doubts about the asset itself come on top: confidence "to verify" (more when
the plan already rests on it), sources that disagree, an unknown owner. An
asset resting on weak evidence alone, with no record (a vacant plot by the
parcel rule, an empty block, a mapper's note) comes first of all: only a
visit can say whether it is idle at all, and the plan waits for it.

``priority`` = Σ over uses of swing × stake (:data:`STAKE`) + the doubts'
points (:data:`DOUBT_POINTS`), in score points; every row says why in Greek
and English.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..features import REGISTRY
from ..common.evidence import unrecorded
from ..common.i18n import number, t, value_name

#: How much a use's swing counts: enough to change the plan, enough to change
#: the asset's rank for that use, or neither (still worth knowing).
STAKE = {"plan": 2.0, "rank": 1.0, "none": 0.25}

#: Points added for doubts a visit settles (in the same unit as the swing).
DOUBT_POINTS = {"to_verify": 50.0, "planned_unverified": 50.0, "conflicts": 25.0, "owner_unknown": 25.0,
                "unrecorded": 50.0}

COLUMNS = ["priority_rank", "asset_id", "name", "kind", "confidence", "ownership", "planned_uses", "priority",
           "points_unknown", "unknown_criteria", "reason_en", "reason_el"]


def swings(contributions: pd.DataFrame) -> pd.DataFrame:
    """Per asset and use: the criteria unknown (``unknown``, codes joined by
    ``;``) and the points they could move the score by (``swing``: for each,
    the larger of the points its default gave and the points it withheld)."""
    c = contributions[contributions["missing"].astype(bool)]
    room = np.maximum(c["points"].to_numpy(float), 100 * c["weight"].to_numpy(float) - c["points"].to_numpy(float))
    c = c.assign(room=room)
    g = c.groupby(["asset_id", "use"], sort=False)
    return pd.DataFrame({"swing": g["room"].sum(), "unknown": g["criterion"].agg(lambda v: ";".join(v))}).reset_index()


def stakes(scores: pd.DataFrame, swing: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """The eligible (asset, use) pairs with an unknown criterion, each with its
    ``stake`` (``plan``, ``rank`` or ``none``) and ``planned`` (it holds that use)."""
    eligible = scores.loc[scores["eligible"].astype(bool), ["asset_id", "use", "score"]]
    pairs = eligible.merge(swing, on=["asset_id", "use"], how="inner")
    planned_pairs = set(zip(plan["asset_id"], plan["use"])) if len(plan) else set()
    lowest_planned = plan.groupby("use")["score"].min() if len(plan) else pd.Series(dtype=float)
    out = []
    for use, group in pairs.groupby("use", sort=False):
        others = eligible.loc[eligible["use"] == use, ["asset_id", "score"]]
        s = group["score"].to_numpy(float)
        # the gap to the nearest other eligible score of the use
        diff = np.abs(s[:, None] - others["score"].to_numpy(float)[None, :])
        diff[group["asset_id"].to_numpy()[:, None] == others["asset_id"].to_numpy()[None, :]] = np.inf
        gap = diff.min(axis=1) if diff.shape[1] else np.full(len(s), np.inf)
        planned = np.array([(a, use) in planned_pairs for a in group["asset_id"]])
        floor = lowest_planned.get(use, np.inf)
        sw = group["swing"].to_numpy(float)
        decides_plan = (planned & (sw > 0)) | (~planned & (s + sw >= floor))
        stake = np.where(decides_plan, "plan", np.where(sw >= gap, "rank", "none"))
        out.append(group.assign(stake=stake, planned=planned))
    cols = ["asset_id", "use", "score", "swing", "unknown", "stake", "planned"]
    return pd.concat(out, ignore_index=True)[cols] if out else pd.DataFrame(columns=cols)


def _criteria_names(codes: str, lang: str) -> str:
    return ", ".join(getattr(REGISTRY[c], f"label_{lang}") if c in REGISTRY else c for c in codes.split(";"))


def survey_priority(inventory: pd.DataFrame, scores: pd.DataFrame, contributions: pd.DataFrame,
                    plan: pd.DataFrame, use_labels: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """The survey priority list: every asset, most worth a visit first.

    Parameters
    ----------
    inventory : DataFrame
        The features stage's output (``asset_id``, ``name``, ``kind``,
        ``confidence``, ``ownership``, ``conflicts``).
    scores, contributions, plan : DataFrame
        The score stage's tables and the plan.
    use_labels : dict
        Profile name -> (English, Greek) label.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`, the assets resting on weak evidence alone first, then by ``priority`` (ties by asset id).
    """
    pairs = stakes(scores, swings(contributions), plan)
    pairs = pairs.assign(counted=pairs["swing"] * pairs["stake"].map(STAKE))
    planned = plan.groupby("asset_id")["use"].agg(list) if len(plan) else pd.Series(dtype=object)
    first = unrecorded(inventory) if {"evidence_strength", "sources"} <= set(inventory) else \
        pd.Series(False, index=inventory.index)
    by_asset = {k: g.sort_values("counted", ascending=False) for k, g in pairs.groupby("asset_id", sort=False)}
    none = pairs.iloc[:0]
    rows = []
    for a, alone in zip(inventory.itertuples(index=False), first):
        mine = by_asset.get(a.asset_id, none)
        uses = planned.get(a.asset_id, [])
        doubts = {"to_verify": a.confidence == "to verify",
                  "planned_unverified": a.confidence == "to verify" and bool(uses),
                  "conflicts": isinstance(a.conflicts, str) and a.conflicts != "",
                  "owner_unknown": a.ownership == "unknown", "unrecorded": bool(alone)}
        priority = mine["counted"].sum() + sum(DOUBT_POINTS[k] for k, on in doubts.items() if on)
        reasons = {lang: _reason(lang, mine, doubts, a, uses, use_labels) for lang in ("en", "el")}
        unknown = ";".join(dict.fromkeys(c for u in mine["unknown"] for c in u.split(";")))
        rows.append({"unrecorded": bool(alone), "asset_id": a.asset_id, "name": a.name, "kind": a.kind, "confidence": a.confidence,
                     "ownership": a.ownership, "planned_uses": ";".join(uses), "priority": round(float(priority), 1),
                     "points_unknown": round(float(mine["swing"].max()) if len(mine) else 0.0, 1),
                     "unknown_criteria": unknown, "reason_en": reasons["en"], "reason_el": reasons["el"]})
    out = pd.DataFrame(rows, columns=["unrecorded", *(c for c in COLUMNS if c != "priority_rank")])
    out = out.sort_values(["unrecorded", "priority", "asset_id"], ascending=[False, False, True], kind="stable")
    out = out.drop(columns="unrecorded").reset_index(drop=True)
    out.insert(0, "priority_rank", np.arange(1, len(out) + 1))
    return out


def _reason(lang: str, mine: pd.DataFrame, doubts: dict[str, bool], asset, uses: list[str],
            use_labels: dict[str, tuple[str, str]]) -> str:
    """Why a visit to this asset matters, in ``lang``, most important first."""
    label = lambda use: use_labels.get(use, (use, use))[0 if lang == "en" else 1]
    parts = []
    if doubts["unrecorded"]:
        parts.append(t(lang, "prio_unrecorded"))
    if doubts["planned_unverified"]:
        parts.append(t(lang, "prio_planned_unverified").format(uses=", ".join(label(u) for u in uses)))
    elif doubts["to_verify"]:
        parts.append(t(lang, "prio_to_verify"))
    if doubts["conflicts"]:
        what = ", ".join(value_name(c.strip(), lang, "conflict") for c in asset.conflicts.split(","))
        parts.append(t(lang, "prio_conflicts").format(what=what))
    if doubts["owner_unknown"]:
        parts.append(t(lang, "prio_owner_unknown"))
    for row in mine.head(3).itertuples(index=False):
        parts.append(t(lang, "prio_unknown").format(
            criteria=_criteria_names(row.unknown, lang), points=number(row.swing, 0, lang), use=label(row.use))
            + t(lang, f"prio_stake_{row.stake}"))
    if len(mine) > 3:
        parts.append(t(lang, "prio_more_uses").format(n=len(mine) - 3))
    return t(lang, "rule_list").join(parts) if parts else t(lang, "prio_nothing")
