"""The data a map page carries, in a compact form its script turns into
layers and popups in the browser.

A map of 10,000 assets must stay under 5 MB, so a page holds each asset once
(not once per layer with its popup's HTML): geometries simplified and
quantised for display (analysis keeps full precision), every text once in a
string table, and per use only numbers: score, score class, ranks and the
indices of the criteria its reason names. The page's script (``map.js``)
writes the same sentences as :mod:`pipeline.score` from these parts, and puts
every text into the page with ``textContent``, never as HTML.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..common import settings
from ..features import REGISTRY
from ..common.i18n import (LABELS, MEASURE_EL, active_use_text, conflicts_text, evidence_text, fmt_value, idle_evidence_text,
                           number, sources_text, t, value_name)
from ..score.profiles import Profile
from ..ledger.model import STATUSES
from ..participation.links import FORMS as LINK_FORMS
from .view import Published
from ..score import Explanation, commonest_exclusions

SCORE_BINS = [0, 20, 40, 60, 80, 100]
#: Scores from low to high: ColorBrewer's YlGnBu, a sequential scheme readable with every common colour
#: blindness and in greyscale (light is low, dark is high), instead of red to green.
SCORE_COLOURS = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
KIND_COLOURS = {"land": "#8c6d31", "building": "#5254a3"}
#: Uses: Paul Tol's "muted" qualitative scheme, distinct for colour-blind readers; its nine colours give
#: each of the nine built-in uses its own (a project with more uses repeats them, in the legend too).
USE_COLOURS = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499"]
DISPLAY_TOLERANCE_M = 0.5
QUANTUM = 1e6  # coordinates kept as integers of 1e-6 degree (about 0.1 m)
POLYGONAL = tuple(sorted(settings.POLYGONAL))
LINEAR = ("LineString", "MultiLineString")


class Strings:
    """A table of distinct texts; each text is stored once and referred to by index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def add(self, value) -> int:
        """Index of ``value`` as text, -1 for a missing value."""
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            return -1
        text = str(value)
        if text == "":
            return -1
        return self.index.setdefault(text, len(self.index))

    def column(self, values) -> list[int]:
        return [self.add(v) for v in values]

    def table(self) -> list[str]:
        return list(self.index)


def score_classes(score: np.ndarray) -> np.ndarray:
    """Class 0-4 of each score in the fixed classes of :data:`SCORE_BINS`
    (upper bounds included: 0-20, over 20 to 40, ...), -1 where there is no
    score, so a colour means the same on every map."""
    # mapclassify's UserDefined gave the same classes, but importing it (numba, scipy, scikit-learn)
    # cost 3.5-4 s in every run for one sorted search
    out = np.full(len(score), -1)
    ok = ~np.isnan(score)
    out[ok] = np.minimum(np.searchsorted(SCORE_BINS[1:], score[ok], side="left"), len(SCORE_COLOURS) - 1)
    return out


def encode_geometries(geoms: gpd.GeoSeries, origin: tuple[float, float]) -> dict:
    """Geometries (polygonal or linear) for display: simplified in metres,
    in WGS84 as integers of 1e-6 degree from ``origin``, each ring or line
    delta-coded (first vertex absolute), with shapely's ragged-array offsets."""
    if len(geoms) == 0:
        return {"type": 6, "xy": [], "offsets": [[0], [0], [0]]}
    simple = geoms.simplify(DISPLAY_TOLERANCE_M, preserve_topology=True).to_crs(settings.WGS84)
    kind, coords, offsets = shapely.to_ragged_array(simple.to_numpy())
    q = np.rint((coords - np.asarray(origin)) * QUANTUM).astype(np.int64)
    starts = offsets[0][:-1]
    delta = q.copy()
    delta[1:] -= q[:-1]
    delta[starts] = q[starts]
    return {"type": int(kind), "xy": delta.ravel().tolist(), "offsets": [o.tolist() for o in offsets]}


def _use_block(profile: Profile, scores: pd.DataFrame, ex: Explanation, order: pd.Index,
               crit_index: dict[str, int], strings: Strings) -> dict:
    """One use's numbers for the page's assets (``order``): the eligible ones
    by ascending score (the drawing order, best on top) with aligned arrays,
    and the excluded ones with the rules they break."""
    s = scores[scores["use"] == profile.name].set_index("asset_id").reindex(order)
    s["_at"] = np.arange(len(s))
    ok = s[s["eligible"].fillna(False).to_numpy(dtype=bool)].sort_values("score", kind="stable")
    out = s[~s["eligible"].fillna(False).to_numpy(dtype=bool) & s["use"].notna().to_numpy()]
    pos = ok["_row"].to_numpy(dtype=int)  # each asset's row in the explanation's arrays

    def ints(col, scale=1.0):
        return [int(x) for x in np.round(ok[col].to_numpy(dtype=float) * scale)]

    pts = np.rint(ex.points[pos]).astype(int)
    strong, weak, missing = ex.strong[pos], ex.weak[pos], ex.missing[pos]
    rules = [rule[0] for rule in ex.exclusions]
    has_stability = ok["p_top_k"].notna().all()
    # a use no site is eligible for says why: its commonest exclusion, with how many it excluded
    top = commonest_exclusions(ex)[:1] if len(ok) == 0 and len(out) else []
    return {
        "none_reason": [[strings.add(en), strings.add(el), n, len(out)] for en, el, n in top],
        "name": profile.name, "en": profile.label.en, "el": profile.label.el,
        "criteria": [crit_index[c] for c in ex.criteria],
        "max_points": [f"{m:.0f}" for m in ex.max_points],
        "n_eligible": len(ok),
        "asset": ok["_at"].tolist(),
        "score": [int(f"{v:.0f}") for v in ok["score"]],
        "score_class": "".join(str(c) for c in score_classes(ok["score"].to_numpy(dtype=float))),
        "rank": ints("rank"), "rank_topsis": ints("rank_topsis"),
        "p_top_k": ints("p_top_k", 100) if has_stability else [],
        "rank_p05": ints("rank_p05") if has_stability else [],
        "rank_p95": ints("rank_p95") if has_stability else [],
        # per asset: strong 1 and its points, strong 2 and its points, weak and its points, unknown criteria as bits
        "parts": [[int(a), int(pts[i, a]) if a >= 0 else 0, int(b), int(pts[i, b]) if b >= 0 else 0,
                   int(w), int(pts[i, w]) if w >= 0 else 0, int(sum(1 << j for j in np.flatnonzero(m)))]
                  for i, (a, b, w, m) in enumerate(zip(strong[:, 0], strong[:, 1], weak, missing))],
        "rules": [[strings.add(en), strings.add(el), crit_index[c] if c else -1] for _, en, el, c in ex.exclusions],
        "excluded": [[int(at), [r for r, mask in enumerate(rules) if mask[row]]]
                     for at, row in zip(out["_at"], out["_row"].astype(int))],
    }


#: Outline colour of an asset by the inventory's confidence (legend in the map).
CONFIDENCE_COLOURS = {"confirmed": "#1a7f37", "probable": "#1f5fbf", "to verify": "#d4a017"}


def map_data(view: Published, profiles: list[Profile], title: str) -> dict:
    """Everything one map page titled ``title`` shows: assets, the uses in
    ``profiles``, each asset's best use among all the view's uses, the plan,
    boundary and context."""
    inventory, scores, explanations, boundary = view.inventory, view.scores, view.explanations, view.boundary
    all_profiles, plan, context = list(view.profiles) or profiles, view.plan, view.context
    top_k = view.sensitivity.top_k if view.sensitivity is not None else 3
    strings = Strings()
    inv = inventory.reset_index(drop=True)
    order = pd.Index(inv["asset_id"])
    w, s, e, n = boundary.to_crs(settings.WGS84).total_bounds
    origin = (float(np.floor(w * 100) / 100), float(np.floor(s * 100) / 100))
    # each explanation row is an asset in the scored order; remember where
    scores = scores.copy()
    scores["_row"] = scores.groupby("use").cumcount()
    owner: dict[str, str] = {}  # each criterion's raw values, from the first use that reads it
    for p in all_profiles:
        for c in explanations[p.name].raw_values:
            owner.setdefault(c, p.name)
    used = list(owner)
    crit_index = {c: i for i, c in enumerate(used)}
    raw: dict[str, list] = {"en": [], "el": []}
    for c, use in owner.items():
        at = scores[scores["use"] == use].set_index("asset_id")["_row"].reindex(order).to_numpy()
        for lang in raw:
            text = explanations[use].text(lang)[c]
            raw[lang].append(strings.column(text[i] for i in at))
    eligible = scores[scores["eligible"]]
    best = eligible.sort_values("score", ascending=False).drop_duplicates("asset_id").set_index("asset_id")["use"]
    use_index = {p.name: i for i, p in enumerate(all_profiles)}
    data = {
        "title": title, "origin": origin, "quantum": QUANTUM, "top_k": top_k, "language": page_language(view),
        "colours": {"score": SCORE_COLOURS, "kind": KIND_COLOURS, "use": USE_COLOURS, "confidence": CONFIDENCE_COLOURS},
        "bins": SCORE_BINS,
        "forms": _forms(view),
        "labels": {lang: {k: v[lang] for k, v in LABELS.items()} for lang in ("en", "el")},
        "measure_el": MEASURE_EL,
        "criteria": [[REGISTRY[c].label_en, REGISTRY[c].label_el] for c in used],
        "all_uses": [[p.name, p.label.en, p.label.el] for p in all_profiles],
        "uses": [_use_block(p, scores, explanations[p.name], order, crit_index, strings) for p in profiles],
        "boundary": encode_geometries(boundary.geometry[boundary.geom_type.isin(POLYGONAL)], origin),
    }
    column = lambda name: inv.get(name, pd.Series(index=inv.index, dtype=object))  # noqa: E731
    names = column("label").where(column("label").notna(), inv["name"])  # unnamed sites by what they are and their street
    data["assets"] = {
        "geometry": encode_geometries(inv.geometry, origin),
        "id": strings.column(inv["asset_id"]), "name": strings.column(names), "kind": strings.column(inv["kind"]),
        "notes": strings.column(column("survey_notes")), "photos": strings.column(column("photos")),
        # codes the page names through the labels
        **{key: strings.column(column(col)) for key, col in (
            ("strength", "evidence_strength"), ("ownership", "ownership"), ("confidence", "confidence"))},
        "best_use": [use_index[best[a]] if a in best.index else -1 for a in inv["asset_id"]],
        "raw": raw,
        "text": {lang: {key: strings.column(values) for key, values in _asset_texts(view, inv, lang).items()}
                 for lang in ("en", "el")},
    }
    data["plan"] = _plan_rows(plan, order, profiles, use_index, strings)
    data["context"] = _context(context, origin, strings)
    data["strings"] = strings.table()
    return data


#: Where a boundary makes a project Greek (its map opens in Greek): Greece's extent in degrees.
GREECE_BOUNDS = (19.0, 34.5, 30.0, 42.0)


def page_language(view: Published) -> str:
    """The language a map opens in (``el``, ``en`` or ``both``): the config's
    ``output.language``, else Greek for a municipality in Greece and English elsewhere."""
    chosen = getattr(getattr(view.config, "output", None), "language", None)
    if chosen:
        return chosen
    if not len(view.boundary):
        return "el"
    x, y = shapely.centroid(shapely.union_all(view.boundary.to_crs(settings.WGS84).geometry.to_numpy())).coords[0]
    w, s, e, n = GREECE_BOUNDS
    return "el" if w <= x <= e and s <= y <= n else "en"


def _forms(view: Published) -> list[list[str]]:
    """The deployed forms each popup links to: ``[address, question, label_en, label_el]``."""
    participation = getattr(view.config, "participation", None)
    return [[getattr(participation, field), question, en, el] for field, question, (el, en) in LINK_FORMS.values()
            if participation is not None and getattr(participation, field, None)]


def _asset_texts(view: Published, inv: pd.DataFrame, lang: str) -> dict[str, list]:
    """The texts of each asset's popup that read differently in English and Greek."""
    column = lambda name: inv.get(name, pd.Series(index=inv.index, dtype=object))  # noqa: E731
    named = lambda values, field: [value_name(v, lang, field) if isinstance(v, str) else None for v in values]  # noqa: E731
    return {
        "area": [fmt_value(a, "m²", lang) for a in inv["area_m2"]],
        "sources": [sources_text(v, lang) for v in inv["sources"]],
        "evidence": [idle_evidence_text(v, lang) for v in inv["idle_evidence"]],
        "owner_basis": [evidence_text(v, lang) if isinstance(v, str) else None for v in column("ownership_evidence")],
        "conflicts": [conflicts_text(v, lang) for v in column("conflicts")],
        "active_use": [active_use_text(v, lang) for v in column("active_use")],
        "condition": named(column("condition"), "condition"),
        "occupancy": named(column("occupancy"), "occupancy"),
        "status": _statuses(view, inv["asset_id"], lang),
        "path": _paths(view, inv["asset_id"], lang),
    }


def _status_name(status: str, lang: str) -> str:
    return STATUSES[status][1 if lang == "en" else 0]  # (Greek, English)


def _statuses(view: Published, asset_ids: pd.Series, lang: str) -> list[str]:
    """Each asset's step in the plan's ledger in ``lang``, with its date ("" without a ledger)."""
    if view.progress is None:
        return [""] * len(asset_ids)
    now = view.progress.current.set_index("ledger_id")
    text = {k: f"{_status_name(r.status, lang)} ({r.since})" for k, r in now.iterrows()}
    return [text.get(a, "") for a in asset_ids]


def _paths(view: Published, asset_ids: pd.Series, lang: str) -> list[str]:
    """Each asset's steps in the plan's ledger in ``lang``, oldest first, one line each ("" without a ledger)."""
    if view.progress is None:
        return [""] * len(asset_ids)
    events = view.progress.history
    lines: dict[str, list[str]] = {}
    for e in events.itertuples():
        lines.setdefault(str(e.ledger_id), []).append(
            f"{e.date}: {_status_name(str(e.status), lang)}"
            + (f" ({e.evidence})" if isinstance(e.evidence, str) and e.evidence else ""))
    return ["\n".join(lines.get(a, [])) for a in asset_ids]


def _plan_rows(plan, order, profiles, use_index, strings) -> list[list[int]]:
    """The plan's assignments on this page: asset, use, score and the line of
    impact figures and candidate organisations."""
    if plan is None or not len(plan):
        return []
    shown = {p.name for p in profiles}
    rows = []
    at = {a: i for i, a in enumerate(order)}
    for _, p in plan[plan["use"].isin(shown)].iterrows():
        orgs = [strings.add(p.get(f"candidate_organisations_{lang}")) for lang in ("en", "el")]
        route = [strings.add(p.get(f"legal_route_{lang}")) for lang in ("en", "el")]
        rows.append([at[p["asset_id"]], use_index[p["use"]], int(f"{p['score']:.0f}"),
                     strings.add(plan_figures(p, "en")), *orgs, strings.add(plan_figures(p, "el")), *route])
    return rows


def plan_figures(row, lang: str) -> str:
    """The impact line of a plan row in ``lang``: usable area, solar capacity
    and yield, cultivable area, jobs."""
    figures = [f"{fmt_value(row['usable_area_m2'], 'm²', lang)} {t(lang, 'usable')}"]
    if row["kwp"] > 0:
        figures.append(f"{fmt_value(row['kwp'], 'kWp', lang)}, {fmt_value(row['mwh_per_year'], 'MWh/year', lang)}")
    if row["cultivable_m2"] > 0:
        figures.append(f"{fmt_value(row['cultivable_m2'], 'm²', lang)} {t(lang, 'cultivable')}")
    if pd.notna(row["jobs"]):
        figures.append(t(lang, "about_jobs").format(jobs=number(row["jobs"], 1, lang)) if row["jobs"] >= 0.05
                       else t(lang, "few_jobs"))
    return (t(lang, "rule_list")).join(figures)


def _context(context, origin, strings: Strings) -> dict:
    """Roads and land use for orientation (shown off by default)."""
    if context is None:
        return {}
    out: dict[str, dict] = {}
    roads = context.roads[context.roads.geom_type.isin(LINEAR)]
    if len(roads):
        out["roads"] = {"geometry": encode_geometries(roads.geometry, origin)}
    landuse = context.landuse[context.landuse.geom_type.isin(POLYGONAL)]
    if len(landuse):
        out["landuse"] = {"geometry": encode_geometries(landuse.geometry, origin),
                          "kind": strings.column(tg.get("landuse") for tg in landuse["tags"])}
    return out


def page_json(data: dict) -> str:
    """``data`` as JSON safe inside ``<script type="application/json">``:
    ``<``, ``>`` and ``&`` written as escapes so no input text can close the
    element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
