"""What changed since the last run: assets added or dropped, confidence,
ownership and survey answers, eligibility, score and rank per use, and the
plan's assignments, each in a sentence in Greek and English.

Pure: it compares two :class:`RunTables`; reading the previous run's outputs
is :func:`pipeline.publish.changes.read_previous`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .evidence import CONFIDENCE
from .i18n import number, t, value_name

COLUMNS = ["asset_id", "name", "change", "use", "before", "after", "text_en", "text_el"]
#: Per-asset attributes compared, and the field their values are named by in Greek.
ATTRIBUTES = {"confidence": None, "ownership": None, "occupancy": "occupancy", "condition": "condition"}
#: The order of the changes in the table: the plan first, then what moved it.
ORDER = ["added", "dropped", "plan_assigned", "plan_unassigned", "confidence", "ownership", "occupancy", "condition",
         "eligible", "excluded", "score", "rank"]


@dataclass
class RunTables:
    """The outputs of a run a later run is compared with.

    Attributes
    ----------
    inventory : DataFrame
        ``asset_id``, ``name`` and those of :data:`ATTRIBUTES` it has.
    scores : DataFrame
        ``asset_id``, ``use``, ``eligible``, ``score``, ``rank``.
    plan : DataFrame
        ``asset_id``, ``use``.
    """

    inventory: pd.DataFrame
    scores: pd.DataFrame
    plan: pd.DataFrame


def _text(v) -> str | None:
    return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v == "" else str(v)


def _attribute_name(attr: str, value: str | None, lang: str) -> str:
    if value is None:
        return t(lang, "change_none")
    if attr == "confidence":
        return t(lang, f"short_{value}")
    if attr == "ownership":
        return t(lang, value)
    return value_name(value, lang, ATTRIBUTES[attr])


def _row(asset, name, change, use_code, before, after, **fill) -> dict:
    texts = {lang: t(lang, f"change_{change}").format(**{k: (v[lang] if isinstance(v, dict) else v)
                                                          for k, v in fill.items()}) for lang in ("en", "el")}
    return {"asset_id": asset, "name": name, "change": change, "use": use_code, "before": before, "after": after,
            "text_en": texts["en"], "text_el": texts["el"]}


def compare(before: RunTables, after: RunTables, use_labels: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """The changes from ``before`` to ``after`` (:data:`COLUMNS`), the plan's
    first; ``use_labels`` maps a profile name to its (English, Greek) label."""
    label = lambda use: {"en": use_labels.get(use, (use, use))[0], "el": use_labels.get(use, (use, use))[1]}
    names = pd.concat([before.inventory.set_index("asset_id")["name"], after.inventory.set_index("asset_id")["name"]])
    names = names[~names.index.duplicated(keep="last")]
    name = lambda a: _text(names.get(a))
    old_ids, new_ids = set(before.inventory["asset_id"]), set(after.inventory["asset_id"])
    rows = [_row(a, name(a), "added", None, None, None) for a in sorted(new_ids - old_ids)]
    rows += [_row(a, name(a), "dropped", None, None, None) for a in sorted(old_ids - new_ids)]
    both = before.inventory.merge(after.inventory, on="asset_id", suffixes=("_0", "_1"))
    for attr in ATTRIBUTES:
        if f"{attr}_0" not in both or f"{attr}_1" not in both:
            continue
        for a, v0, v1 in zip(both["asset_id"], [_text(v) for v in both[f"{attr}_0"]], [_text(v) for v in both[f"{attr}_1"]]):
            if v0 != v1:
                fill = {lang: {"what": t(lang, f"change_what_{attr}"),
                               "a": _attribute_name(attr, v0, lang), "b": _attribute_name(attr, v1, lang)}
                        for lang in ("en", "el")}
                if attr == "confidence" and v0 in CONFIDENCE and v1 in CONFIDENCE:
                    direction = "rises" if CONFIDENCE.index(v1) < CONFIDENCE.index(v0) else "falls"
                    for lang in fill:
                        fill[lang]["what"] = t(lang, f"change_{direction}")
                rows.append(_row(a, name(a), attr, None, v0, v1,
                                 what={k: f["what"] for k, f in fill.items()}, a={k: f["a"] for k, f in fill.items()},
                                 b={k: f["b"] for k, f in fill.items()}))
    rows += _score_changes(before.scores, after.scores, name, label)
    plan0 = set(zip(before.plan["asset_id"], before.plan["use"]))
    plan1 = set(zip(after.plan["asset_id"], after.plan["use"]))
    rows += [_row(a, name(a), "plan_assigned", u, None, u, use=label(u)) for a, u in sorted(plan1 - plan0)]
    rows += [_row(a, name(a), "plan_unassigned", u, u, None, use=label(u)) for a, u in sorted(plan0 - plan1)]
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["_o"] = out["change"].map({c: i for i, c in enumerate(ORDER)})
    return out.sort_values(["_o", "asset_id", "use"], kind="stable").drop(columns="_o").reset_index(drop=True)


def _score_changes(s0: pd.DataFrame, s1: pd.DataFrame, name, label) -> list[dict]:
    """Eligibility, score (to 0.1 point) and rank changes per asset and use."""
    cols = ["asset_id", "use", "eligible", "score", "rank"]
    m = s0[cols].merge(s1[cols], on=["asset_id", "use"], suffixes=("_0", "_1"))
    rows = []
    for r in m.itertuples(index=False):
        e0, e1 = bool(r.eligible_0), bool(r.eligible_1)
        if e0 != e1:
            rows.append(_row(r.asset_id, name(r.asset_id), "eligible" if e1 else "excluded", r.use, e0, e1,
                             use=label(r.use)))
            continue
        if not e1:
            continue
        a, b = round(float(r.score_0), 1), round(float(r.score_1), 1)
        if a != b:
            rows.append(_row(r.asset_id, name(r.asset_id), "score", r.use, a, b, use=label(r.use),
                             a={lang: number(a, 1, lang) for lang in ("en", "el")},
                             b={lang: number(b, 1, lang) for lang in ("en", "el")},
                             d={lang: ("+" if b > a else "−") + number(abs(b - a), 1, lang) for lang in ("en", "el")}))
        if int(r.rank_0) != int(r.rank_1):
            rows.append(_row(r.asset_id, name(r.asset_id), "rank", r.use, int(r.rank_0), int(r.rank_1),
                             use=label(r.use), a=int(r.rank_0), b=int(r.rank_1)))
    return rows


def summary(changes: pd.DataFrame, lang: str = "en") -> str:
    """The changes counted by kind, in a line (``"2 score, 1 confidence"``)."""
    if changes.empty:
        return t(lang, "change_nothing")
    counts = changes["change"].value_counts()
    return ", ".join(f"{number(n, 0, lang)} {t(lang, 'kind_' + c)}" for c, n in counts.reindex(ORDER).dropna().astype(int).items())

