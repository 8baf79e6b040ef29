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

from collections.abc import Mapping

import numpy as np
import pandas as pd
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, vstack

from ..common.config import PlanSpec, Target
from ..common.evidence import PUBLIC, unrecorded
from ..common.i18n import evidence_text, fmt_value, legal_form_name
from ..common.i18n import t as label


def can_share(a: str, b: str, table: Mapping[str, frozenset[str]]) -> bool:
    """Whether uses ``a`` and ``b`` may be assigned to the same asset, by
    ``table`` (each use with the uses it can share one with; ``*``: any)."""
    return a != b and any(x in table.get(y, ()) or "*" in table.get(y, ()) for x, y in ((a, b), (b, a)))


def _sharing_rows(cand: pd.DataFrame, table: Mapping[str, frozenset[str]]):
    """One row per pair of candidates on the same asset whose uses cannot
    share it (at most one of the two is chosen)."""
    idx = cand[["asset_id", "use"]].reset_index(names="k")
    pairs = idx.merge(idx, on="asset_id", suffixes=("_a", "_b"))
    pairs = pairs[pairs["k_a"] < pairs["k_b"]]
    # decided once per pair of use names (a handful), then looked up for every pair of candidates
    uses = pd.unique(cand["use"])
    sharing = pd.DataFrame([(a, b) for a in uses for b in uses if can_share(a, b, table)], columns=["use_a", "use_b"])
    shared = pairs.merge(sharing.assign(ok=True), on=["use_a", "use_b"], how="left")["ok"].fillna(False).to_numpy(bool)
    pairs = pairs[~shared]
    m = len(pairs)
    rows = np.repeat(np.arange(m), 2)
    cols = np.column_stack([pairs["k_a"].to_numpy(), pairs["k_b"].to_numpy()]).ravel()
    return coo_matrix((np.ones(2 * m), (rows, cols)), shape=(m, len(cand))), np.ones(m)


def assign(pairs: pd.DataFrame, targets: list[Target], min_score: float = 0.0,
           sharing: Mapping[str, frozenset[str]] | None = None) -> pd.DataFrame:
    """The optimal assignment: each asset gets one use, or several that can
    share it (``sharing``: each use with the uses it can share an asset with,
    :func:`pipeline.common.sharing.compatible_uses`; none when not given).

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
    clash, clash_ub = _sharing_rows(cand, sharing or {})
    rows = [clash]
    upper = [clash_ub]
    for t in targets:
        mine = cand["use"].isin(t.uses).to_numpy().astype(float)
        coef = mine if t.count is not None else mine * cand["kwp"].to_numpy()
        rows.append(coo_matrix(coef.reshape(1, -1)))
        upper.append(np.array([t.count if t.count is not None else t.kwp], dtype=float))
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
    constraints = LinearConstraint(A, -np.inf, ub) if A.shape[0] else []
    result = milp(c=objective, constraints=constraints, integrality=np.ones(n), bounds=Bounds(0, 1))
    if not result.success:  # the problem is always feasible (all zeros); a failure is a solver limit
        raise RuntimeError(f"assignment solver failed: {result.message}")
    chosen = cand[result.x > 0.5]
    return chosen.sort_values(["score", "asset_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def target_report(chosen: pd.DataFrame, targets: list[Target],
                  labels: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """Each target, named in English and Greek (``target``, ``target_el``: its
    labels, else its figure and uses by their ``labels``), what the
    assignment reaches, and what is left unmet."""
    rows = []
    names = labels or {}
    for t in targets:
        mine = chosen[chosen["use"].isin(t.uses)]
        if t.count is not None:
            goal, reached, unit, unit_el = float(t.count), float(len(mine)), "sites", "ακίνητα"
        else:
            goal, reached, unit, unit_el = float(t.kwp or 0.0), float(mine["kwp"].sum()), "kWp", "kWp"
        en = t.label or f"{goal:g} {unit} of {' / '.join(names.get(u, (u, u))[0] for u in t.uses)}"
        figure = f"{goal:g}".replace(".", ",")
        el = t.label_el or (t.label if t.label and not t.label.isascii() else None) or (
            f"{figure} {unit_el} για {' / '.join(names.get(u, (u, u))[1] for u in t.uses)}")
        rows.append({"target": en, "target_el": el, "uses": ";".join(t.uses), "unit": unit, "target_value": goal,
                     "reached": round(reached, 1), "unmet": round(max(goal - reached, 0.0), 1)})
    return pd.DataFrame(rows, columns=["target", "target_el", "uses", "unit", "target_value", "reached", "unmet"])


#: An organisation that asked for the site in the open call, as the plan says it.
INTERESTED = {"el": "εκδήλωσε ενδιαφέρον", "en": "expressed interest"}


def _candidate(org, lang: str | None = None) -> str:
    """``Name (ΚοινΣΕπ / KoinSEp, 1.6 km)``: an organisation as the plan names it,
    in both languages (``lang`` None) or in one (``Name (ΚοινΣΕπ, 1,6 km)``);
    one that asked for the site in the open call says so first."""
    def both(say) -> str:
        return say(lang) if lang else f"{say('el')} / {say('en')}"

    form = both(lambda lg: legal_form_name(org.legal_form, lg)) if isinstance(org.legal_form, str) and org.legal_form else ""
    where = "" if np.isnan(org.dist_m) else fmt_value(org.dist_m, "m", lang or "en")
    asked = both(INTERESTED.get) if getattr(org, "interested", False) else ""
    said = ", ".join(x for x in (asked, form, where) if x)
    return f"{org.name} ({said})" if said else str(org.name)


def interest_register(organisations) -> pd.DataFrame:
    """Who asked for which asset in the open call, and for what uses: one row
    per (asset, organisation), no contacts."""
    columns = ["asset_id", "org_id", "organisation", "legal_form", "uses", "space_m2"]
    if organisations is None or organisations.empty or "assets" not in organisations:
        return pd.DataFrame(columns=columns)
    asked = organisations[organisations["assets"].notna()]
    rows = asked.assign(asset_id=asked["assets"].str.split(";")).explode("asset_id")
    return pd.DataFrame({"asset_id": rows["asset_id"], "org_id": rows["org_id"], "organisation": rows["name"],
                         "legal_form": rows["legal_form"], "uses": rows["uses"],
                         "space_m2": rows.get("space_m2")}, columns=columns).reset_index(drop=True)


def organisation_candidates(plan: pd.DataFrame, assets, organisations, max_distance: float | None,
                            limit: int = 3) -> pd.DataFrame:
    """For each planned asset, the organisations that want its use and whose
    stated space need fits its usable area: those that asked for this very
    asset in the open call first, then the nearest (an organisation without a
    location last). An organisation that needs more space than the site has
    is never a candidate for it.

    Returns ``asset_id``, ``use``, ``candidate_organisations`` (text in both
    languages, no contacts) and the same in Greek and in English
    (``candidate_organisations_el``, ``_en``), ``candidate_legal_forms`` and ``n_candidates``.
    """
    out = pd.DataFrame({"asset_id": plan["asset_id"], "use": plan["use"], "candidate_organisations": None,
                        "candidate_organisations_el": None, "candidate_organisations_en": None,
                        "candidate_legal_forms": None, "n_candidates": 0})
    if organisations is None or organisations.empty or plan.empty:
        return out
    orgs = organisations.reset_index(drop=True)
    wants = orgs["uses"].fillna("").str.split(";")
    geoms = assets.set_index("asset_id").geometry
    texts: dict[str | None, list] = {None: [], "el": [], "en": []}
    forms, counts = [], []
    for asset_id, use, usable in zip(plan["asset_id"], plan["use"], plan["usable_area_m2"]):
        mine = orgs[wants.map(lambda u, use=use: use in u)]
        if len(mine):
            site = geoms[asset_id]
            dist = np.array([shapely.distance(site, g) if g is not None else np.nan for g in mine.geometry])
            fits = ~(mine["space_m2"].to_numpy() > usable)
            near = np.isnan(dist) | (dist <= max_distance) if max_distance else np.ones(len(mine), bool)
            asked = (mine["assets"].fillna("").str.split(";").map(lambda a, i=asset_id: i in a) if "assets" in mine
                     else pd.Series(False, index=mine.index)).to_numpy(dtype=bool)
            near = near | asked  # asking for the site is nearness enough
            mine = (mine.assign(dist_m=dist, interested=asked, later=~asked)[fits & near]
                    .sort_values(["later", "dist_m", "name"], na_position="last"))
        for lang, said in texts.items():
            said.append(("· " if lang == "el" else "; ").join(_candidate(r, lang) for r in mine.head(limit).itertuples()) or None)
        forms.append(";".join(dict.fromkeys(f for f in mine["legal_form"].head(limit) if isinstance(f, str))) or None)
        counts.append(len(mine))
    out["candidate_organisations"], out["candidate_legal_forms"], out["n_candidates"] = texts[None], forms, counts
    out["candidate_organisations_el"], out["candidate_organisations_en"] = texts["el"], texts["en"]
    return out


def agreed_pairs(scores: pd.DataFrame, potentials: pd.DataFrame, committed: pd.DataFrame | None) -> pd.DataFrame:
    """The assignments already agreed in the plan's ledger (``committed``:
    ``asset_id``, ``use``, ``evidence``), as plan pairs with their scores,
    potentials and a reason that says so."""
    columns = ["asset_id", "use", "score", "reason_en", "reason_el"]
    if committed is None or committed.empty:
        return pd.DataFrame(columns=[*columns, *potentials.columns.drop(["asset_id", "use"], errors="ignore")])
    agreed = committed.dropna(subset=["use"])[["asset_id", "use", "evidence"]]
    rows = scores[columns].merge(agreed, on=["asset_id", "use"]).merge(potentials, on=["asset_id", "use"], how="left")
    said = rows["evidence"].fillna("").map(lambda e: f" ({e})" if e else "")
    rows["reason_en"] = "agreed in the plan's ledger" + said + "; " + rows["reason_en"].astype(str)
    rows["reason_el"] = "συμφωνήθηκε στον φάκελο υλοποίησης" + said + "· " + rows["reason_el"].astype(str)
    return rows.drop(columns="evidence")


def _less(target: Target, fixed: pd.DataFrame) -> Target:
    """``target`` less what the agreed assignments already give it."""
    mine = fixed[fixed["use"].isin(target.uses)]
    if target.count is not None:
        return target.model_copy(update={"count": max(target.count - len(mine), 0)})
    return target.model_copy(update={"kwp": max(float(target.kwp or 0.0) - float(mine["kwp"].sum()), 0.0)})


def make_plan(scores: pd.DataFrame, potentials: pd.DataFrame, assets, organisations, spec: PlanSpec,
              labels: dict[str, tuple[str, str]] | None = None, sharing: Mapping[str, frozenset[str]] | None = None,
              committed: pd.DataFrame | None = None):
    """The plan table (assigned asset, use, score, reason, ownership and
    confidence, impact, candidate organisations, and a note where an asset
    did not get its best use) and the target report. With
    ``spec.ownership == "public"`` only municipal and other public assets are
    assigned (see :func:`verify_ownership` for the others); an asset resting
    on weak evidence alone (:func:`~pipeline.common.evidence.unrecorded`: a
    vacant plot, an empty block) never is, until a record or a survey backs
    it. ``labels`` names
    each use in English and Greek for the notes; ``sharing`` which uses may
    share an asset (see :func:`assign`). ``committed`` are the assets the
    plan's ledger has assigned, in preparation or operating (``asset_id``,
    ``use``, ``evidence``): they are in active use and never offered again;
    those with their use agreed stay in the plan with it, and the targets
    count them first. No file is read: the rules come in."""
    pairs = scores.loc[scores["eligible"], ["asset_id", "use", "score", "reason_en", "reason_el"]].merge(
        potentials, on=["asset_id", "use"], how="left")
    fixed = agreed_pairs(scores, potentials, committed)
    if committed is not None and len(committed):
        pairs = pairs[~pairs["asset_id"].isin(committed["asset_id"])]
    if spec.ownership == "public":
        public = assets.loc[assets["ownership"].isin(PUBLIC), "asset_id"]
        pairs = pairs[pairs["asset_id"].isin(public)]
    if "evidence_strength" in assets and "sources" in assets:  # weak evidence alone waits for a record or a survey
        pairs = pairs[~pairs["asset_id"].isin(assets.loc[unrecorded(assets), "asset_id"])]
    chosen = assign(pairs, [_less(t, fixed) for t in spec.targets], spec.min_score, sharing)
    if len(fixed):
        chosen = pd.concat([fixed[chosen.columns], chosen], ignore_index=True)
    candidates = organisation_candidates(chosen, assets, organisations, spec.organisation_max_distance_m)
    plan = chosen.merge(candidates, on=["asset_id", "use"], how="left")
    facts = assets.set_index("asset_id")
    plan.insert(1, "name", plan["asset_id"].map(facts["name"]).astype(object))
    for i, col in enumerate(("ownership", "ownership_evidence", "confidence"), start=2):
        plan.insert(i, col, plan["asset_id"].map(facts[col]).astype(object))
    for lang in ("en", "el"):  # the reason says on what ownership the assignment rests
        mark = "· " if lang == "el" else "; "  # ';' is a question mark in Greek
        plan[f"reason_{lang}"] = [f"{r}{mark}{label(lang, 'ownership').lower()}: {label(lang, o)} ({evidence_text(b, lang)})"
                                  for r, o, b in
                                  zip(plan[f"reason_{lang}"], plan["ownership"], plan["ownership_evidence"])]
    report = target_report(chosen, spec.targets, labels)
    plan["note_en"], plan["note_el"] = best_use_notes(plan, pairs, spec.targets, report, labels or {})
    return plan, report


def best_use_notes(plan: pd.DataFrame, pairs: pd.DataFrame, targets: list[Target], report: pd.DataFrame,
                   labels: dict[str, tuple[str, str]]) -> tuple[list, list]:
    """For each plan row whose asset did not get its best-scoring use, why:
    the target its assigned use serves, and whether the best use's target was
    already met by other sites. None where the asset got its best use."""
    best = pairs.sort_values(["score", "use"], ascending=[False, True]).drop_duplicates("asset_id").set_index("asset_id")
    given = plan.groupby("asset_id")["use"].agg(set)
    target_of = {u: i for i, t in reversed(list(enumerate(targets))) for u in t.uses}

    def name(use: str, lang: str) -> str:
        return labels.get(use, (use, use))[0 if lang == "en" else 1]

    def target(use: str, lang: str = "en") -> str:
        i = target_of.get(use)
        column = "target_el" if lang == "el" and "target_el" in report else "target"
        return f"«{report[column].iloc[i]}»" if lang == "el" and i is not None else (
            f"'{report[column].iloc[i]}'" if i is not None else "")

    notes: dict[str, list] = {"en": [], "el": []}
    for asset, use in zip(plan["asset_id"], plan["use"]):
        top = best.loc[asset, "use"] if asset in best.index else use
        if top in given[asset]:
            notes["en"].append(None)
            notes["el"].append(None)
            continue
        score = f"{best.loc[asset, 'score']:.0f}"
        i = target_of.get(top)
        met = i is not None and report["unmet"].iloc[i] <= 0
        en = f"best suited to {name(top, 'en')} ({score}/100); assigned to {name(use, 'en')}"
        el = f"καταλληλότερο για {name(top, 'el')} ({score}/100)· ανατέθηκε σε {name(use, 'el')}"
        if target(use):
            en += f" for the target {target(use)}"
            el += f" για τον στόχο {target(use, 'el')}"
        if met:
            en += f"; the target {target(top)} is met by other sites"
            el += f"· ο στόχος {target(top, 'el')} καλύπτεται από άλλα ακίνητα"
        notes["en"].append(en)
        notes["el"].append(el)
    return notes["en"], notes["el"]


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
    total = pd.DataFrame([{"use": "TOTAL", **{k: per_use[k].sum() for k in cols},
                           "sites": plan["asset_id"].nunique()}])  # an asset shared by two uses is one site
    out = pd.concat([per_use, total], ignore_index=True)
    out[["usable_ha", "cultivable_ha"]] = out[["usable_ha", "cultivable_ha"]].astype(float) / 10000
    return out.round({"usable_ha": 2, "kwp": 1, "mwh_per_year": 1, "cultivable_ha": 2, "jobs": 1})
