"""Stage 4, score: per-use suitability with hard constraints, weighted
criteria, each criterion's contribution and a reason in English and Greek.

A score is ``100 * sum(weight_i * value_i)`` over the profile's criteria, with
weights normalised to 1 and values in 0..1 from each criterion's value
function; a criterion unknown for an asset takes the profile's ``missing``
value and the reason says so. Assets that break a constraint, or whose kind the
profile does not apply to, get no score and the reason names the rule.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd

from ..common import _proximity, contracts
from ..features import REGISTRY
from ..common.i18n import fmt_value, number, t, value_name
from ..common.config import SensitivitySpec
from .mcda import ascending_order, rank_stability, topsis
from .profiles import Constraint, Profile


@dataclass
class Explanation:
    """What a profile's scores are made of, for one use, in arrays aligned with
    the scored assets (the source of the reasons, and of the maps' popups).

    criteria : criterion names, in the profile's order.
    raw_values : for each criterion (weighted or in a constraint), the raw values;
        ``text(lang)`` gives them as people read them in ``lang`` (formatted on first use).
    points : (n, k) points each criterion earned; ``max_points`` (k,) what it could earn.
    missing : (n, k) the criterion was unknown and took the profile's default.
    strong : (n, 2) up to two criteria that earned the most (at least half of
        their maximum), -1 where none; ``weak`` (n,) the criterion with the
        smallest share under half, -1 where none (both worked out on first
        use: a run that writes no reasons never needs them).
    exclusions : ``(mask, sentence_en, sentence_el, criterion)`` per rule an
        asset can break, in the order they are reported; ``{v}`` in a sentence
        stands for the asset's raw value of ``criterion``.
    """

    criteria: list[str]
    raw_values: dict[str, pd.Series]
    points: np.ndarray
    max_points: np.ndarray
    missing: np.ndarray
    exclusions: list[tuple[np.ndarray, str, str, str | None]]
    _text: dict[str, dict[str, list[str]]] = field(default_factory=dict, repr=False)

    @cached_property
    def _reasons(self) -> tuple[np.ndarray, np.ndarray]:
        return reason_parts(self.points, self.max_points, self.missing)

    @property
    def strong(self) -> np.ndarray:
        return self._reasons[0]

    @property
    def weak(self) -> np.ndarray:
        return self._reasons[1]

    def text(self, lang: str = "en") -> dict[str, list[str]]:
        """The raw values as text in ``lang`` (numbers, units and class names), per criterion."""
        if lang not in self._text:
            self._text[lang] = {c: [fmt_value(x, REGISTRY[c].unit, lang, c) for x in v]
                                for c, v in self.raw_values.items()}
        return self._text[lang]


@dataclass
class ScoreResult:
    """Output of the score stage.

    scores : one row per asset and use (contract ``SCORES``).
    contributions : one row per asset, use and criterion (contract ``CONTRIBUTIONS``).
    explanations : per use, the arrays the reasons are built from.
    """

    scores: pd.DataFrame
    contributions: pd.DataFrame
    explanations: dict[str, Explanation] = field(default_factory=dict)


def constraint_rules(features: pd.DataFrame, con: Constraint) -> list[tuple[np.ndarray, str, str]]:
    """The rules of constraint ``con``: for each, which assets break it and a
    sentence in English and in Greek saying why (``{v}`` is the raw value).
    An asset is reported under the first rule it breaks."""
    raw = features[f"c_{con.criterion}"]
    crit = REGISTRY[con.criterion]
    missing = (raw.isna() | (raw.astype(object) == "unknown")).to_numpy()
    en, el, unit = crit.label_en, crit.label_el, crit.unit
    rules = []
    if crit.kind == "number":
        x = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        if con.min is not None:
            lo_en, lo_el = fmt_value(con.min, unit), fmt_value(con.min, unit, "el")
            rules.append((~np.isnan(x) & (x < con.min),
                          f"{en} {{v}} below the minimum {lo_en}", f"{el} {{v}} κάτω από το ελάχιστο {lo_el}"))
        if con.max is not None:
            hi_en, hi_el = fmt_value(con.max, unit), fmt_value(con.max, unit, "el")
            rules.append((~np.isnan(x) & (x > con.max),
                          f"{en} {{v}} above the maximum {hi_en}", f"{el} {{v}} πάνω από το μέγιστο {hi_el}"))
    else:
        s = raw.astype(object)
        if con.in_ is not None:
            allowed_en = ", ".join(con.in_)
            allowed_el = ", ".join(value_name(v, "el", con.criterion) for v in con.in_)
            rules.append((~missing & ~s.isin(con.in_).to_numpy(),
                          f"{en} '{{v}}' is not one of {allowed_en}", f"{el} '{{v}}' εκτός των {allowed_el}"))
        if con.not_in is not None:
            rules.append((~missing & s.isin(con.not_in).to_numpy(), f"{en} is '{{v}}'", f"{el}: '{{v}}'"))
    if con.if_missing == "exclude":
        rules.append((missing, f"{en} unknown", f"{el} άγνωστο"))
    seen = np.zeros(len(raw), bool)
    first = []
    for mask, say_en, say_el in rules:
        first.append((mask & ~seen, say_en, say_el))
        seen |= mask
    return first


def reason_parts(points: np.ndarray, max_points: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The criteria a reason names, for every asset at once: the (at most two)
    that earned the most points, if at least half of what they could, and the
    one that earned the smallest share, if under half. Ties go to the first
    criterion. Returns ``strong`` (n, 2) and ``weak`` (n,), -1 for none."""
    n, k = points.shape
    known = ~missing & (max_points > 0)
    half = points >= 0.5 * max_points
    key = np.where(known & half, -points, np.inf)
    order = np.argsort(key, axis=1, kind="stable")[:, :2]
    strong = np.where(np.take_along_axis(key, order, axis=1) < np.inf, order, -1)
    if k < 2:
        strong = np.hstack([strong, np.full((n, 2 - strong.shape[1]), -1)])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(known & ~half, points / np.where(max_points > 0, max_points, 1), np.inf)
    weak = np.where(np.isfinite(share).any(axis=1), np.argmin(share, axis=1), -1) if k else np.full(n, -1)
    return strong, weak


def reason_text(lang: str, ex: Explanation, i: int, labels: list[str], rank: int, n_eligible: int,
                score: float) -> str:
    """Asset ``i``'s line in ``lang``: rank and score; the strongest criteria;
    the weakest; the criteria with no data (see :func:`reason_parts`).
    ``labels`` are the criteria's labels in ``lang``, in ``ex``'s order."""
    raw_text = ex.text(lang)
    raw = [raw_text[c][i] for c in ex.criteria]
    points, max_points, missing, strong, weak = ex.points[i], ex.max_points, ex.missing[i], ex.strong[i], ex.weak[i]

    def part(j):
        return t(lang, "reason_part").format(label=labels[j], value=raw[j], points=f"{points[j]:.0f}",
                                             max=f"{max_points[j]:.0f}")

    def clause(head: str, items: list[str]) -> str:
        return t(lang, "reason_clause").format(head=t(lang, head), items=t(lang, "reason_list").join(items))

    text = t(lang, "rank_line").format(rank=number(int(rank), 0, lang), n=number(n_eligible, 0, lang),
                                       score=f"{score:.0f}")
    named = [j for j in strong if j >= 0]
    if named:
        text += clause("strengths", [part(j) for j in named])
    if weak >= 0:
        text += clause("weakness", [part(weak)])
    unknown = [labels[j] for j in np.flatnonzero(missing)]
    if unknown:
        text += clause("no_data", unknown)
    return text


def exclusion_text(lang: str, i: int, ex: Explanation) -> list[str]:
    """The sentences saying why asset ``i`` is excluded, in ``lang``."""
    out = []
    for mask, say_en, say_el, crit in ex.exclusions:
        if mask[i]:
            say = say_en if lang == "en" else say_el
            out.append(say.replace("{v}", ex.text(lang)[crit][i]) if crit else say)
    return out


def exclusion_notes(scored: "ScoreResult") -> list[str]:
    """For each use no asset is eligible for, a note naming the commonest
    rules that excluded them, with how many assets each excluded."""
    out = []
    for use, ex in scored.explanations.items():
        mine = scored.scores[scored.scores["use"] == use]
        if not len(mine) or mine["eligible"].any():
            continue
        top = commonest_exclusions(ex)[:3]
        out.append(f"{use}: no asset is eligible; commonest reasons: {', '.join(f'{en} ({n})' for en, _, n in top)}")
    return out


def commonest_exclusions(ex: Explanation) -> list[tuple[str, str, int]]:
    """The rules of a use without their values (``area below the minimum 500 m²``), in English and Greek,
    with how many assets each excluded, most first (rules that excluded none left out)."""
    counts: dict[tuple[str, str], int] = {}
    for mask, say_en, say_el, _ in ex.exclusions:
        def bare(say: str) -> str:
            return say.replace(": '{v}'", "").replace(" '{v}'", "").replace(" {v}", "")

        rule = (bare(say_en), bare(say_el))
        counts[rule] = counts.get(rule, 0) + int(np.count_nonzero(mask))
    ranked = sorted(((n, rule) for rule, n in counts.items() if n), key=lambda x: -x[0])
    return [(en, el, n) for n, (en, el) in ranked]


def rank_descending(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Rank 1 for the highest value, equal values sharing the best rank of
    their group (pandas' ``rank(ascending=False, method="min")``), NaN
    unranked; by one sort instead of pandas' ranking."""
    values = np.asarray(values, dtype=float)
    known = ~np.isnan(values)
    descending = -values[known]
    order = ascending_order(descending)  # ties need no order: each takes its group's first place
    ordered = descending[order]
    # each place takes the place where its group of equal values starts
    first = np.where(np.r_[True, ordered[1:] != ordered[:-1]], np.arange(len(ordered)), 0)
    np.maximum.accumulate(first, out=first)
    among_known = np.empty(len(ordered), np.int64)
    among_known[order] = first + 1
    rank = np.zeros(len(values), np.int64)
    rank[known] = among_known
    return pd.arrays.IntegerArray(rank, ~known)


#: assets from which a profile's TOPSIS blocks and its two rankings run on threads
THREADS_FROM = 50_000


def _threads_for(n: int) -> int:
    return _proximity.threads() if n >= THREADS_FROM else 1


def _ranks(*columns: np.ndarray) -> list[pd.arrays.IntegerArray]:
    """:func:`rank_descending` of each column, side by side on threads for a
    large run (NumPy's sort releases the GIL)."""
    threads = min(_threads_for(len(columns[0])), len(columns))
    if threads < 2:
        return [rank_descending(c) for c in columns]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(rank_descending, columns))


def score_profile(features: gpd.GeoDataFrame, profile: Profile, sensitivity: SensitivitySpec | None = None,
                  explain: bool = True) -> ScoreResult:
    """Score every asset for one use: weighted sum (the score), TOPSIS as an
    alternative ranking, and the stability of the rank when weights vary.
    With ``explain`` the reasons and the contributions table are written too."""
    n = len(features)
    ids = features["asset_id"].reset_index(drop=True)  # not to_numpy(): a str column would become 1M Python strings
    applies = features["kind"].isin(profile.applies_to).to_numpy()
    kinds_en = "/".join(profile.applies_to)
    kinds_el = "/".join(t("el", k) for k in profile.applies_to)
    exclusions: list[tuple[np.ndarray, str, str, str | None]] = [(~applies, f"{t('en', 'kind_not')} {kinds_en}", f"{t('el', 'kind_not')} {kinds_el}", None)]
    for con in profile.constraints:
        for mask, say_en, say_el in constraint_rules(features, con):
            exclusions.append((mask & applies, say_en, say_el, con.criterion))
    eligible = ~np.logical_or.reduce([e[0] for e in exclusions])
    weights = profile.weights()
    names = [spec.criterion for spec in profile.criteria]
    raw_values = {c: features[f"c_{c}"] for c in dict.fromkeys(names + [name for *_, name in exclusions if name is not None])}
    matrix = np.zeros((n, len(names)))
    missing = np.zeros((n, len(names)), bool)
    for j, spec in enumerate(profile.criteria):
        value = spec.function(features[f"c_{spec.criterion}"])
        missing[:, j] = value.isna().to_numpy()
        matrix[:, j] = value.fillna(spec.missing).to_numpy(dtype=float)
    w = np.array([weights[c] for c in names])
    points = 100 * w * matrix
    max_points = 100 * w
    ex = Explanation(names, raw_values, points, max_points, missing, exclusions)
    score = np.where(eligible, points.sum(axis=1), np.nan)
    closeness = np.full(n, np.nan)
    closeness[eligible] = topsis(matrix[eligible], w, threads=_threads_for(n))
    rank, rank_topsis = _ranks(score, closeness)
    scores = pd.DataFrame({"asset_id": ids, "use": profile.name, "eligible": eligible})
    if explain:
        n_eligible = int(eligible.sum())
        reasons = {}
        for lang in ("en", "el"):
            labels = [getattr(REGISTRY[c], f"label_{lang}") for c in names]
            reasons[lang] = [
                reason_text(lang, ex, i, labels, rank[i], n_eligible, score[i])
                if eligible[i] else t(lang, "excluded_line").format(rules=t(lang, "rule_list").join(exclusion_text(lang, i, ex)))
                for i in range(n)
            ]
        scores["excluded_by"] = [None if eligible[i] else "; ".join(exclusion_text("en", i, ex)) for i in range(n)]
    scores["score"] = score
    scores["rank"] = rank
    if explain:
        scores["reason_en"] = reasons["en"]
        scores["reason_el"] = reasons["el"]
    scores["topsis"] = closeness
    scores["rank_topsis"] = rank_topsis
    for col in ("p_top_k", "rank_p05", "rank_p95"):
        scores[col] = np.nan
    if sensitivity is not None and sensitivity.draws > 0 and eligible.any():
        stab = rank_stability(matrix[eligible], w, sensitivity.draws, sensitivity.spread, sensitivity.seed,
                              sensitivity.top_k)
        for col in ("p_top_k", "rank_p05", "rank_p95"):
            scores.loc[eligible, col] = stab[col].to_numpy()
    contributions = pd.DataFrame({
        "asset_id": np.tile(ids.to_numpy(), len(names)),
        "use": profile.name,
        "criterion": np.repeat(names, n),
        "raw": [x for c in names for x in ex.text("en")[c]],
        "value": matrix.T.ravel(), "weight": np.repeat(w, n), "points": points.T.ravel(), "missing": missing.T.ravel(),
    }) if explain else pd.DataFrame(columns=[c.name for c in contracts.CONTRIBUTIONS.columns])
    return ScoreResult(scores, contributions, {profile.name: ex})


def score(features: gpd.GeoDataFrame, profiles: list[Profile], sensitivity: SensitivitySpec | None = None,
          explain: bool = True) -> ScoreResult:
    """Score every asset for every use profile.

    Parameters
    ----------
    features : GeoDataFrame
        Output of the features stage, with a ``c_<name>`` column for every
        criterion the profiles use.
    profiles : list of Profile
    sensitivity : SensitivitySpec, optional
        Monte Carlo settings; without them no sensitivity is computed.
    explain : bool, default True
        Write each score's reason (en/el), the exclusion sentences and the
        contributions table. Without it the scores hold numbers only (contract
        ``SCORE_NUMBERS``; the explanations' arrays are kept), which is what a
        national run needs before it publishes anything.
    """
    needed = sorted({c for p in profiles for c in p.criterion_names()})
    absent = [c for c in needed if f"c_{c}" not in features.columns]
    if absent:
        raise contracts.ContractError("score input", [f"criterion column c_{c} is missing" for c in absent])
    results = [score_profile(features, p, sensitivity, explain) for p in profiles]
    scores = results[0].scores if len(results) == 1 else pd.concat([r.scores for r in results], ignore_index=True)
    if not explain:
        return ScoreResult(scores, results[0].contributions, {k: v for r in results for k, v in r.explanations.items()})
    contributions = pd.concat([r.contributions for r in results], ignore_index=True)
    return ScoreResult(scores, contributions, {k: v for r in results for k, v in r.explanations.items()})
