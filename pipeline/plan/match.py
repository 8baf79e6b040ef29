"""Stage 5, match: each asset's best use, with its score, rank and reason.

The best use is the eligible use with the highest score (ties go to the
profile listed first); the runner-up is kept so a planner sees the
alternative. Assets excluded from every use are listed with the reasons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..common.i18n import t


def best_use(inventory: pd.DataFrame, scores: pd.DataFrame, use_order: list[str]) -> pd.DataFrame:
    """The matching table: one row per asset.

    Parameters
    ----------
    inventory : DataFrame
        Assets (``asset_id``, ``name``, ``kind``).
    scores : DataFrame
        Output of the score stage (contract ``SCORES``).
    use_order : list of str
        Profile names in config order, used to break ties.
    """
    order = {u: i for i, u in enumerate(use_order)}
    ok = scores[scores["eligible"]].assign(_order=lambda d: d["use"].map(order))
    ok = ok.sort_values(["asset_id", "score", "_order"], ascending=[True, False, True], kind="stable")
    first = ok.groupby("asset_id", sort=False).nth(0).set_index("asset_id")
    second = ok.groupby("asset_id", sort=False).nth(1).set_index("asset_id")
    base = inventory[["asset_id", "name", "kind"]].set_index("asset_id")
    out = base.assign(
        best_use=first["use"].reindex(base.index),
        score=first["score"].reindex(base.index).astype(float),
        rank_in_use=first["rank"].reindex(base.index).astype("Int64"),
        runner_up=second["use"].reindex(base.index),
        runner_up_score=second["score"].reindex(base.index).astype(float),
        reason_en=first["reason_en"].reindex(base.index),
        reason_el=first["reason_el"].reindex(base.index),
    ).reset_index()
    none = out["best_use"].isna().to_numpy()
    if none.any():
        excl = scores.groupby("asset_id")["reason_en"].agg(lambda v: " / ".join(v))
        excl_el = scores.groupby("asset_id")["reason_el"].agg(lambda v: " / ".join(v))
        ids = out.loc[none, "asset_id"]
        out.loc[none, "reason_en"] = t("en", "no_use") + " (" + ids.map(excl).fillna("") + ")"
        out.loc[none, "reason_el"] = t("el", "no_use") + " (" + ids.map(excl_el).fillna("") + ")"
    for col in ("best_use", "runner_up", "reason_en", "reason_el", "name"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    out["reason_en"] = out["reason_en"].fillna(t("en", "no_use"))
    out["reason_el"] = out["reason_el"].fillna(t("el", "no_use"))
    out = out.sort_values(["score", "asset_id"], ascending=[False, True], na_position="last", kind="stable")
    out = out.reset_index(drop=True)
    return out


def ranking(scores: pd.DataFrame, inventory: pd.DataFrame, use: str) -> pd.DataFrame:
    """Eligible assets for one use, best first, with the asset's facts."""
    s = scores[(scores["use"] == use) & scores["eligible"]]
    facts = inventory[["asset_id", "name", "kind", "area_m2", "sources", "idle_evidence"]]
    out = s.merge(facts, on="asset_id", how="left").sort_values(["rank", "asset_id"], kind="stable")
    cols = ["rank", "asset_id", "name", "kind", "score", "rank_topsis", "p_top_k", "rank_p05", "rank_p95",
            "area_m2", "sources", "idle_evidence", "reason_en", "reason_el"]
    out = out[cols].reset_index(drop=True)
    out["rank"] = out["rank"].astype(np.int64)
    return out
