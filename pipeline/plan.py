"""The plan: assign assets to uses under the plan's targets, propose the
organisations that could run each one, and total the impact.

The assignment is an integer program (scipy's ``milp``): choose at most one
use per asset, among eligible pairs scoring at least ``min_score``. Targets (a
number of sites, or kWp of solar, over some uses) are goals and caps: the
program first comes as close to every target as it can without exceeding any
(each target's attainment counted as a share of it), then makes the total
score as large as possible. Uses without a target are not capped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from .config import PlanSpec, Target
from .evidence import PUBLIC
from .i18n import t as label


def assign(pairs: pd.DataFrame, targets: list[Target], min_score: float = 0.0) -> pd.DataFrame:
    """The optimal assignment.

    Parameters
    ----------
    pairs : DataFrame
        Eligible ``asset_id``, ``use``, ``score`` and ``kwp`` (solar capacity,
        0 for other uses).
    targets : list of Target
    min_score : float

    Returns
    -------
    DataFrame
        The chosen pairs (same columns), best score first.
    """
    cand = pairs[pairs["score"] >= min_score].reset_index(drop=True)
    n = len(cand)
    if n == 0:
        return cand.iloc[0:0]
    assets, a_idx = np.unique(cand["asset_id"].to_numpy(), return_inverse=True)
    rows = [coo_matrix((np.ones(n), (a_idx, np.arange(n))), shape=(len(assets), n))]
    upper = [np.ones(len(assets))]
    for t in targets:
        mine = cand["use"].isin(t.uses).to_numpy().astype(float)
        coef = mine if t.count is not None else mine * cand["kwp"].to_numpy()
        rows.append(coo_matrix(coef.reshape(1, -1)))
        upper.append(np.array([t.count if t.count is not None else t.kwp], dtype=float))
    from scipy.sparse import vstack

    A = vstack(rows).tocsr()
    ub = np.concatenate(upper)
    # attainment first: any gain toward a target outweighs every possible score total
    attainment = np.zeros(n)
    for t, row in zip(targets, rows[1:]):
        goal = t.count if t.count is not None else t.kwp
        if goal:
            attainment += row.toarray().ravel() / goal
    smallest = min([1 / t.count for t in targets if t.count] + [1.0])
    big = (100.0 * n + 1) / smallest
    objective = -(cand["score"].to_numpy(dtype=float) + big * attainment)
    result = milp(c=objective, constraints=LinearConstraint(A, -np.inf, ub), integrality=np.ones(n), bounds=Bounds(0, 1))
    if not result.success:  # the problem is always feasible (all zeros); a failure is a solver limit
        raise RuntimeError(f"assignment solver failed: {result.message}")
    chosen = cand[result.x > 0.5]
    return chosen.sort_values(["score", "asset_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def target_report(chosen: pd.DataFrame, targets: list[Target]) -> pd.DataFrame:
    """Each target, what the assignment reaches, and what is left unmet."""
    rows = []
    for t in targets:
        mine = chosen[chosen["use"].isin(t.uses)]
        if t.count is not None:
            goal, reached, unit = float(t.count), float(len(mine)), "sites"
        else:
            goal, reached, unit = float(t.kwp or 0.0), float(mine["kwp"].sum()), "kWp"
        rows.append({"target": t.label or f"{goal:g} {unit} of {' / '.join(t.uses)}", "uses": ";".join(t.uses),
                     "unit": unit, "target_value": goal, "reached": round(reached, 1),
                     "unmet": round(max(goal - reached, 0.0), 1)})
    return pd.DataFrame(rows, columns=["target", "uses", "unit", "target_value", "reached", "unmet"])


def organisation_candidates(plan: pd.DataFrame, assets, organisations, max_distance: float | None,
                            limit: int = 3) -> pd.DataFrame:
    """For each planned asset, the organisations that want its use, best fit
    first: those whose space need fits the usable area, then the nearest.

    Returns ``asset_id``, ``candidate_organisations`` (text, no contacts),
    ``candidate_legal_forms`` and ``n_candidates``.
    """
    out = pd.DataFrame({"asset_id": plan["asset_id"], "candidate_organisations": None,
                        "candidate_legal_forms": None, "n_candidates": 0})
    if organisations is None or organisations.empty or plan.empty:
        return out
    orgs = organisations.reset_index(drop=True)
    wants = orgs["uses"].fillna("").str.split(";")
    geoms = assets.set_index("asset_id").geometry
    texts, forms, counts = [], [], []
    for asset_id, use, usable in zip(plan["asset_id"], plan["use"], plan["usable_area_m2"]):
        mine = orgs[wants.map(lambda u: use in u)]
        if len(mine):
            site = geoms[asset_id]
            dist = np.array([shapely.distance(site, g) if g is not None else np.nan for g in mine.geometry])
            fits = ~(mine["space_m2"].to_numpy() > usable)
            keep = np.isnan(dist) | (dist <= max_distance) if max_distance else np.ones(len(mine), bool)
            mine = mine.assign(fits=fits, dist_m=dist)[keep].sort_values(["fits", "dist_m", "name"],
                                                                      ascending=[False, True, True], na_position="last")
        texts.append("; ".join(
            f"{r.name} ({r.legal_form}" + ("" if np.isnan(r.dist_m) else f", {r.dist_m / 1000:.1f} km")
            + ("" if r.fits else f", needs {r.space_m2:,.0f} m²") + ")"
            for r in mine.head(limit).itertuples()) or None)
        forms.append(";".join(dict.fromkeys(mine["legal_form"].head(limit))) or None)
        counts.append(len(mine))
    out["candidate_organisations"], out["candidate_legal_forms"], out["n_candidates"] = texts, forms, counts
    return out


def make_plan(scores: pd.DataFrame, potentials: pd.DataFrame, assets, organisations, spec: PlanSpec):
    """The plan table (assigned asset, use, score, reason, ownership and
    confidence, impact, candidate organisations) and the target report. With
    ``spec.ownership == "public"`` only municipal and other public assets are
    assigned (see :func:`verify_ownership` for the others)."""
    pairs = scores.loc[scores["eligible"], ["asset_id", "use", "score", "reason_en", "reason_el"]].merge(
        potentials, on=["asset_id", "use"], how="left")
    if spec.ownership == "public":
        public = assets.loc[assets["ownership"].isin(PUBLIC), "asset_id"]
        pairs = pairs[pairs["asset_id"].isin(public)]
    chosen = assign(pairs, spec.targets, spec.min_score)
    candidates = organisation_candidates(chosen, assets, organisations, spec.organisation_max_distance_m)
    plan = chosen.merge(candidates, on="asset_id", how="left")
    facts = assets.set_index("asset_id")
    plan.insert(1, "name", plan["asset_id"].map(facts["name"]).astype(object))
    for i, col in enumerate(("ownership", "ownership_evidence", "confidence"), start=2):
        plan.insert(i, col, plan["asset_id"].map(facts[col]).astype(object))
    for lang in ("en", "el"):  # the reason says on what ownership the assignment rests
        plan[f"reason_{lang}"] = [f"{r}; {label(lang, 'ownership').lower()}: {label(lang, o)} ({b})" for r, o, b in
                                  zip(plan[f"reason_{lang}"], plan["ownership"], plan["ownership_evidence"])]
    return plan, target_report(chosen, spec.targets)


def verify_ownership(matching: pd.DataFrame, assets) -> pd.DataFrame:
    """Assets whose ownership is not public (private or unknown), with their
    best use and what is known of the owner: to check before the plan can use them."""
    facts = assets.loc[~assets["ownership"].isin(PUBLIC), ["asset_id", "name", "ownership", "ownership_evidence",
                                                           "confidence", "sources"]]
    best = matching[["asset_id", "best_use", "score"]].rename(columns={"score": "best_score"})
    return facts.merge(best, on="asset_id", how="left").reset_index(drop=True)


def plan_totals(plan: pd.DataFrame) -> pd.DataFrame:
    """Impact per use and in total: sites, usable ha, kWp, MWh/year, cultivable ha, jobs."""
    cols = {"sites": ("asset_id", "count"), "usable_ha": ("usable_area_m2", "sum"), "kwp": ("kwp", "sum"),
            "mwh_per_year": ("mwh_per_year", "sum"), "cultivable_ha": ("cultivable_m2", "sum"), "jobs": ("jobs", "sum")}
    per_use = plan.groupby("use").agg(**cols).reset_index() if len(plan) else pd.DataFrame(columns=["use", *cols])
    total = pd.DataFrame([{"use": "TOTAL", **{k: per_use[k].sum() for k in cols}}])
    out = pd.concat([per_use, total], ignore_index=True)
    out[["usable_ha", "cultivable_ha"]] = out[["usable_ha", "cultivable_ha"]].astype(float) / 10000
    return out.round({"usable_ha": 2, "kwp": 1, "mwh_per_year": 1, "cultivable_ha": 2, "jobs": 1})
