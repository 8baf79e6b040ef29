"""Stage 4, score: per-use suitability with hard constraints, weighted
criteria, each criterion's contribution and a reason in English and Greek.

A score is ``100 * sum(weight_i * value_i)`` over the profile's criteria, with
weights normalised to 1 and values in 0..1 from each criterion's value
function; a criterion unknown for an asset takes the profile's ``missing``
value and the reason says so. Assets that break a constraint, or whose kind the
profile does not apply to, get no score and the reason names the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from . import contracts
from .features import REGISTRY
from .i18n import fmt_value, t
from .config import SensitivitySpec
from .mcda import rank_stability, topsis
from .profiles import Constraint, Profile


@dataclass
class ScoreResult:
    """Output of the score stage.

    scores : one row per asset and use (contract ``SCORES``).
    contributions : one row per asset, use and criterion (contract ``CONTRIBUTIONS``).
    """

    scores: pd.DataFrame
    contributions: pd.DataFrame


def constraint_failures(features: pd.DataFrame, con: Constraint) -> tuple[np.ndarray, list[str], list[str]]:
    """Which assets break ``con``, and for each a sentence in English and in Greek saying why."""
    raw = features[f"c_{con.criterion}"]
    crit = REGISTRY[con.criterion]
    missing = (raw.isna() | (raw.astype(object) == "unknown")).to_numpy()
    fail = np.zeros(len(raw), bool)
    why_en, why_el = [""] * len(raw), [""] * len(raw)
    en, el, unit = crit.label_en, crit.label_el, crit.unit

    def mark(mask, say_en, say_el):
        for i in np.flatnonzero(mask & ~fail):
            why_en[i], why_el[i] = say_en(raw.iloc[i]), say_el(raw.iloc[i])
        fail[:] = fail | mask

    if crit.kind == "number":
        x = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        if con.min is not None:
            lim = fmt_value(con.min, unit)
            mark(~np.isnan(x) & (x < con.min),
                 lambda v: f"{en} {fmt_value(v, unit)} below the minimum {lim}",
                 lambda v: f"{el} {fmt_value(v, unit)} κάτω από το ελάχιστο {lim}")
        if con.max is not None:
            lim = fmt_value(con.max, unit)
            mark(~np.isnan(x) & (x > con.max),
                 lambda v: f"{en} {fmt_value(v, unit)} above the maximum {lim}",
                 lambda v: f"{el} {fmt_value(v, unit)} πάνω από το μέγιστο {lim}")
    else:
        s = raw.astype(object)
        if con.in_ is not None:
            allowed = ", ".join(con.in_)
            mark(~missing & ~s.isin(con.in_).to_numpy(),
                 lambda v: f"{en} '{v}' is not one of {allowed}",
                 lambda v: f"{el} '{v}' εκτός των {allowed}")
        if con.not_in is not None:
            mark(~missing & s.isin(con.not_in).to_numpy(),
                 lambda v: f"{en} is '{v}'", lambda v: f"{el}: '{v}'")
    if con.if_missing == "exclude":
        mark(missing, lambda v: f"{en} unknown", lambda v: f"{el} άγνωστο")
    return fail, why_en, why_el


def _reason(lang: str, rank, n_eligible: int, score: float, parts: list[tuple[str, str, float, float, bool]]) -> str:
    """One line: rank and score; the (at most two) criteria that earned the most
    points, if they earned at least half of what they could; the criterion that
    earned the smallest share, if under half; and criteria with no data.

    ``parts`` holds ``(label, raw value text, points, maximum points, missing)``.
    """
    known = [p for p in parts if not p[4] and p[3] > 0]
    strong = sorted((p for p in known if p[2] >= 0.5 * p[3]), key=lambda p: -p[2])[:2]
    weak = min((p for p in known if p[2] < 0.5 * p[3]), key=lambda p: p[2] / p[3], default=None)
    unknown = [p[0] for p in parts if p[4]]
    text = t(lang, "rank_line").format(rank=int(rank), n=n_eligible, score=score)
    if strong:
        text += f"; {t(lang, 'strengths')}: " + ", ".join(f"{p[0]} {p[1]} (+{p[2]:.0f}/{p[3]:.0f})" for p in strong)
    if weak is not None:
        text += f"; {t(lang, 'weakness')}: {weak[0]} {weak[1]} (+{weak[2]:.0f}/{weak[3]:.0f})"
    if unknown:
        text += f"; {t(lang, 'no_data')}: " + ", ".join(unknown)
    return text


def score_profile(features: gpd.GeoDataFrame, profile: Profile, sensitivity: SensitivitySpec | None = None) -> ScoreResult:
    """Score every asset for one use: weighted sum (the score), TOPSIS as an
    alternative ranking, and the stability of the rank when weights vary."""
    n = len(features)
    ids = features["asset_id"].to_numpy()
    applies = features["kind"].isin(profile.applies_to).to_numpy()
    kinds_en = "/".join(profile.applies_to)
    kinds_el = "/".join(t("el", k) for k in profile.applies_to)
    excluded_en: list[list[str]] = [[] if a else [f"{t('en', 'kind_not')} {kinds_en}"] for a in applies]
    excluded_el: list[list[str]] = [[] if a else [f"{t('el', 'kind_not')} {kinds_el}"] for a in applies]
    for con in profile.constraints:
        fail, why_en, why_el = constraint_failures(features, con)
        for i in np.flatnonzero(fail & applies):
            excluded_en[i].append(why_en[i])
            excluded_el[i].append(why_el[i])
    eligible = np.array([not e for e in excluded_en], dtype=bool)
    weights = profile.weights()
    total = np.zeros(n)
    matrix = np.zeros((n, len(profile.criteria)))
    rows = []
    per_asset: list[list] = [[] for _ in range(n)]
    for spec in profile.criteria:
        crit = REGISTRY[spec.criterion]
        raw = features[f"c_{spec.criterion}"]
        value = spec.function(raw)
        missing = value.isna().to_numpy()
        v = value.fillna(spec.missing).to_numpy(dtype=float)
        w = weights[spec.criterion]
        points = 100 * w * v
        total += points
        matrix[:, len(rows)] = v
        raw_text = [fmt_value(x, crit.unit) for x in raw]
        rows.append(pd.DataFrame({
            "asset_id": ids, "use": profile.name, "criterion": spec.criterion,
            "raw": raw_text, "value": v, "weight": w, "points": points, "missing": missing,
        }))
        for i in range(n):
            per_asset[i].append(((crit.label_en, crit.label_el), raw_text[i], points[i], 100 * w, missing[i]))
    score = np.where(eligible, total, np.nan)
    rank = pd.Series(score).rank(ascending=False, method="min").astype("Int64").to_numpy()
    n_eligible = int(eligible.sum())
    reasons = {}
    for lang, li, excluded in (("en", 0, excluded_en), ("el", 1, excluded_el)):
        reasons[lang] = [
            _reason(lang, rank[i], n_eligible, score[i], [(p[0][li], *p[1:]) for p in per_asset[i]])
            if eligible[i] else f"{t(lang, 'excluded')}: " + "; ".join(excluded[i])
            for i in range(n)
        ]
    scores = pd.DataFrame({
        "asset_id": ids, "use": profile.name, "eligible": eligible,
        "excluded_by": ["; ".join(e) if e else None for e in excluded_en],
        "score": score, "rank": rank, "reason_en": reasons["en"], "reason_el": reasons["el"],
    })
    w = np.array([weights[c.criterion] for c in profile.criteria])
    closeness = np.full(n, np.nan)
    closeness[eligible] = topsis(matrix[eligible], w)
    scores["topsis"] = closeness
    scores["rank_topsis"] = pd.Series(closeness).rank(ascending=False, method="min").astype("Int64").to_numpy()
    for col in ("p_top_k", "rank_p05", "rank_p95"):
        scores[col] = np.nan
    if sensitivity is not None and sensitivity.draws > 0 and eligible.any():
        stab = rank_stability(matrix[eligible], w, sensitivity.draws, sensitivity.spread, sensitivity.seed,
                              sensitivity.top_k)
        for col in ("p_top_k", "rank_p05", "rank_p95"):
            scores.loc[eligible, col] = stab[col].to_numpy()
    return ScoreResult(scores, pd.concat(rows, ignore_index=True))


def score(features: gpd.GeoDataFrame, profiles: list[Profile], sensitivity: SensitivitySpec | None = None) -> ScoreResult:
    """Score every asset for every use profile.

    Parameters
    ----------
    features : GeoDataFrame
        Output of the features stage, with a ``c_<name>`` column for every
        criterion the profiles use.
    profiles : list of Profile
    sensitivity : SensitivitySpec, optional
        Monte Carlo settings; without them no sensitivity is computed.
    """
    needed = sorted({c for p in profiles for c in p.criterion_names()})
    absent = [c for c in needed if f"c_{c}" not in features.columns]
    if absent:
        raise contracts.ContractError("score input", [f"criterion column c_{c} is missing" for c in absent])
    results = [score_profile(features, p, sensitivity) for p in profiles]
    scores = pd.concat([r.scores for r in results], ignore_index=True)
    contributions = pd.concat([r.contributions for r in results], ignore_index=True)
    contracts.check(scores, contracts.SCORES)
    contracts.check(contributions, contracts.CONTRIBUTIONS)
    return ScoreResult(scores, contributions)
