"""Workshops' weights: each participant rates how much each criterion of a use
matters (1 to 9), or compares its criteria two by two on Saaty's scale
(the analytic hierarchy process), in a form; the run takes the group's
weights from their answers.

A participant's pairwise judgements give their weights by the geometric
mean of each row of the judgement matrix, normalised (Crawford and
Williams' method, which equals the principal eigenvector when the
judgements are consistent), and their consistency ratio (Saaty's CR: the
matrix's principal eigenvalue against a random matrix's; above 0.1 the
judgements contradict each other and the log and the annex name them).

The group's weight of a criterion is the geometric mean of the participants'
normalised weights, normalised again (the aggregation of individual
priorities that group AHP uses, which keeps the ratios the participants
meant). How much they agree is Kendall's coefficient of concordance W of
their ratings (0: no agreement, 1: the same order for everyone, ties
corrected); each criterion's dissent is the coefficient of variation of its
weight across participants. A pure module: the runner reads the export and
hands it in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from ..common.errors import InputError
from ..common.io import read_table
from ..features import REGISTRY
from ..score.profiles import Profile
from ..survey.form import EL, EN, SurveyForm, question

PREFIX = "w__"
PAIR_PREFIX = "p__"
SCALE = (1, 9)
#: Saaty's scale as the form's choices: how much more the first criterion matters than the second.
SAATY = {"a9": 9.0, "a7": 7.0, "a5": 5.0, "a3": 3.0, "eq": 1.0, "b3": 1 / 3, "b5": 1 / 5, "b7": 1 / 7, "b9": 1 / 9}
SAATY_LABELS = {"9": ("απόλυτα", "extremely"), "7": ("πολύ περισσότερο", "very strongly"),
                "5": ("αρκετά περισσότερο", "strongly"), "3": ("λίγο περισσότερο", "moderately")}
#: Saaty's random index by the matrix's order (consistency ratio = consistency index / this).
RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}
INCONSISTENT = 0.1
METHODS = {"rating": ("Βαθμολογία κάθε κριτηρίου (1-9)", "Rate each criterion (1-9)"),
           "pairwise": ("Σύγκριση των κριτηρίων ανά δύο", "Compare the criteria two by two")}


def field(use: str, criterion: str) -> str:
    """The form's question (and the export's column) of one rating."""
    return f"{PREFIX}{use}__{criterion}"


def pair_field(use: str, first: str, second: str) -> str:
    """The form's question of one pairwise judgement (``first`` against ``second``)."""
    return f"{PAIR_PREFIX}{use}__{first}__{second}"


def pairs(criteria: list[str]) -> list[tuple[str, str]]:
    """Every pair of ``criteria``, each once, in the profile's order."""
    return [(a, b) for i, a in enumerate(criteria) for b in criteria[i + 1:]]


def pairwise_weights(judgements: dict[tuple[str, str], float], criteria: list[str]) -> tuple[np.ndarray, float]:
    """The weights (row geometric means of the reciprocal matrix, normalised)
    and the consistency ratio of ``judgements`` (how much more the first of
    each pair matters); CR is 0 for two criteria or fewer."""
    n = len(criteria)
    matrix = np.ones((n, n))
    for (a, b), value in judgements.items():
        i, j = criteria.index(a), criteria.index(b)
        matrix[i, j], matrix[j, i] = value, 1 / value
    geometric = np.exp(np.log(matrix).mean(axis=1))
    weights = geometric / geometric.sum()
    if n < 3:
        return weights, 0.0
    lam = float(np.max(np.linalg.eigvals(matrix).real))
    return weights, max((lam - n) / (n - 1), 0.0) / RANDOM_INDEX.get(n, 1.49)


def build_weights_form(profiles: list[Profile], title: str, form_id: str, version: str) -> SurveyForm:
    """The weights form: who (a code, never published), which use, then a 1-9 rating per criterion of that use."""
    rows = [question("start", "start", "", ""), question("end", "end", "", ""),
            question("text", "participant", "Κωδικός συμμετέχοντα (δεν δημοσιεύεται)", "Participant code (never published)",
                     required="yes"),
            question("select_one uses", "use", "Για ποια χρήση;", "For which use?", required="yes"),
            question("select_one method", "method", "Πώς θέλετε να απαντήσετε;", "How do you want to answer?",
                     required="yes")]
    for p in profiles:
        labels = {}
        for c in p.criteria:
            spec = REGISTRY.get(c.criterion)
            labels[c.criterion] = (spec.label_el, spec.label_en) if spec else (c.criterion, c.criterion)
            el, en = labels[c.criterion]
            rows.append(question("integer", field(p.name, c.criterion), f"Πόσο μετράει: {el} (1-9)",
                                 f"How much it matters: {en} (1-9)", required="yes",
                                 relevant=f"${{use}} = '{p.name}' and ${{method}} = 'rating'",
                                 constraint=f". >= {SCALE[0]} and . <= {SCALE[1]}"))
        for a, b in pairs([c.criterion for c in p.criteria]):
            rows.append(question("select_one saaty", pair_field(p.name, a, b),
                                 f"Α: {labels[a][0]} — Β: {labels[b][0]}. Ποιο μετράει περισσότερο, και πόσο;",
                                 f"A: {labels[a][1]} — B: {labels[b][1]}. Which matters more, and how much?",
                                 required="yes", relevant=f"${{use}} = '{p.name}' and ${{method}} = 'pairwise'"))
    saaty = [{"list_name": "saaty", "name": name, EL: _saaty_label(name, "el"), EN: _saaty_label(name, "en")}
             for name in SAATY]
    choices = pd.DataFrame([{"list_name": "uses", "name": p.name, EL: p.label.el, EN: p.label.en} for p in profiles]
                           + [{"list_name": "method", "name": k, EL: el, EN: en} for k, (el, en) in METHODS.items()]
                           + saaty)
    settings = pd.DataFrame([{"form_title": title, "form_id": form_id, "version": version,
                              "default_language": "Ελληνικά (el)"}])
    return SurveyForm(pd.DataFrame(rows).fillna(""), choices, settings,
                      pd.DataFrame(columns=["asset_id", "name"]))


def _saaty_label(name: str, lang: str) -> str:
    if name == "eq":
        return "Α και Β το ίδιο (1)" if lang == "el" else "A and B equally (1)"
    side, strength = name[0].upper(), name[1:]
    side = {"A": "Α", "B": "Β"}[side] if lang == "el" else side
    words = SAATY_LABELS[strength][0 if lang == "el" else 1]
    return f"{side} {words} ({strength})"


def _rated(r, profile: Profile, columns, where: str, problems: list[str]) -> list[dict]:
    """One participant's 1-9 ratings (the criteria the form asked)."""
    out = []
    for c in profile.criteria:
        if field(profile.name, c.criterion) not in columns:
            continue  # not asked: the form leaves out criteria the project's data cannot measure
        value = r.get(field(profile.name, c.criterion))
        try:
            rating = float(str(value).replace(",", "."))
        except ValueError:
            rating = np.nan
        if not SCALE[0] <= rating <= SCALE[1]:
            problems.append(f"{where}: {field(profile.name, c.criterion)} {value!r} is not a rating from 1 to 9")
            continue
        out.append({"criterion": c.criterion, "rating": rating, "method": "rating", "consistency_ratio": np.nan})
    return out


def _compared(r, profile: Profile, columns, where: str, problems: list[str]) -> list[dict]:
    """One participant's weights from their pairwise judgements, with their consistency ratio."""
    asked = [(a, b) for a, b in pairs([c.criterion for c in profile.criteria]) if pair_field(profile.name, a, b) in columns]
    criteria = list(dict.fromkeys(x for pair in asked for x in pair))
    judged, bad = {}, False
    for a, b in asked:
        answer = r.get(pair_field(profile.name, a, b))
        if answer not in SAATY:
            problems.append(f"{where}: {pair_field(profile.name, a, b)} {answer!r} is not one of {', '.join(SAATY)}")
            bad = True
            continue
        judged[(a, b)] = SAATY[answer]
    if bad or not criteria:
        return []
    weights, ratio = pairwise_weights(judged, criteria)
    return [{"criterion": c, "rating": float(w), "method": "pairwise", "consistency_ratio": round(ratio, 3)}
            for c, w in zip(criteria, weights)]


def read_ratings(path: Path, profiles: list[Profile]) -> pd.DataFrame:
    """The export's answers: ``participant`` (the submission's id, ``P<_id>``:
    the code typed stays in the export), ``use``, ``criterion``, ``rating``
    (1-9, or the weight the pairwise judgements give), ``method`` (``rating``
    or ``pairwise``; an export without the question is rated) and
    ``consistency_ratio`` (pairwise only).

    Raises
    ------
    InputError
        Naming every row with an unknown use or method, a rating that is
        missing or not 1-9, or a judgement not on the form's scale.
    """
    what = f"workshop weights {path}"
    table = read_table(Path(path), what)
    table.columns = [str(c).rsplit("/", 1)[-1] for c in table.columns]
    if "use" not in table or "_id" not in table:
        raise InputError(what, ["columns 'use' and '_id' not found: export the form 'idle-assets weights-form' wrote"])
    by_name = {p.name: p for p in profiles}
    problems: list[str] = []
    rows = []
    for i, r in table.iterrows():
        where = f"row {i + 2} ({r['_id']})"
        profile = by_name.get(str(r["use"]))
        method = str(r.get("method", "rating") or "rating") if pd.notna(r.get("method", "rating")) else "rating"
        if profile is None:
            problems.append(f"{where}: use {r['use']!r} is not a profile of this project ({', '.join(by_name)})")
            continue
        if method not in METHODS:
            problems.append(f"{where}: method {method!r} is not one of {', '.join(METHODS)}")
            continue
        answers = (_rated if method == "rating" else _compared)(r, profile, table.columns, where, problems)
        rows += [{"participant": f"P{r['_id']}", "use": profile.name, **a} for a in answers]
    if problems:
        raise InputError(what, problems)
    return pd.DataFrame(rows, columns=["participant", "use", "criterion", "rating", "method", "consistency_ratio"])


def kendall_w(matrix: np.ndarray) -> float:
    """Kendall's W of ``matrix`` (participants × criteria ratings), ties corrected; NaN for one participant."""
    m, n = matrix.shape
    if m < 2 or n < 2:
        return float("nan")
    ranks = np.vstack([rankdata(row) for row in matrix])
    totals = ranks.sum(axis=0)
    s = float(((totals - totals.mean()) ** 2).sum())
    ties = sum(float(((counts := np.unique(row, return_counts=True)[1]) ** 3 - counts).sum()) for row in matrix)
    denominator = m ** 2 * (n ** 3 - n) - m * ties
    return s * 12 / denominator if denominator > 0 else 1.0


@dataclass(frozen=True)
class Workshop:
    """What the workshops decided: the group's weights and how much they agree.

    Attributes
    ----------
    weights : DataFrame
        ``use``, ``criterion``, ``group_weight`` (sums to 1 per use), ``dissent``
        (coefficient of variation across participants), ``participants``.
    consensus : DataFrame
        ``use``, ``participants``, ``kendall_w``, ``pairwise`` (how many
        compared criteria two by two) and ``inconsistent`` (those whose
        consistency ratio is above :data:`INCONSISTENT`, ``;``-separated ids).
    personal : DataFrame
        ``participant``, ``use``, ``criterion``, ``weight``: each one's normalised weights.
    """

    weights: pd.DataFrame
    consensus: pd.DataFrame
    personal: pd.DataFrame

    def overrides(self) -> dict[str, dict[str, float]]:
        """The group's weights as ``profiles.weights`` overrides."""
        return {use: dict(zip(g["criterion"], g["group_weight"])) for use, g in self.weights.groupby("use")}


def aggregate(ratings: pd.DataFrame) -> Workshop:
    """The group's weights (normalised geometric mean of normalised personal weights) and the consensus per use."""
    personal = ratings.assign(weight=ratings["rating"] / ratings.groupby(["participant", "use"])["rating"].transform("sum"))
    rows, agreement = [], []
    for use, g in personal.groupby("use", sort=True):
        wide = g.pivot_table(index="participant", columns="criterion", values="weight")
        geometric = np.exp(np.log(wide).mean(axis=0))
        group = geometric / geometric.sum()
        dissent = wide.std(axis=0, ddof=0) / wide.mean(axis=0)
        rows += [{"use": use, "criterion": c, "group_weight": round(float(group[c]), 6),
                  "dissent": round(float(dissent[c]), 3), "participants": len(wide)} for c in wide.columns]
        ratings_wide = g.pivot_table(index="participant", columns="criterion", values="rating").to_numpy()
        compared = g[g.get("method", pd.Series("rating", index=g.index)) == "pairwise"]
        ratio = compared.groupby("participant")["consistency_ratio"].first() if len(compared) else pd.Series(dtype=float)
        agreement.append({"use": use, "participants": len(wide), "kendall_w": round(kendall_w(ratings_wide), 3),
                          "pairwise": int(len(ratio)), "inconsistent": ";".join(ratio[ratio > INCONSISTENT].index)})
    return Workshop(pd.DataFrame(rows), pd.DataFrame(agreement), personal[["participant", "use", "criterion", "weight"]])


def workshop_table(workshop: Workshop, profiles: list[Profile]) -> pd.DataFrame:
    """The group's weight of each criterion beside the profile file's (``profile_weight``,
    as given before normalising), its dissent, and the use's consensus."""
    defaults = {(p.name, c.criterion): c.weight for p in profiles for c in p.criteria}
    own = workshop.weights.merge(workshop.consensus[["use", "kendall_w"]], on="use")
    return own.assign(profile_weight=[defaults.get((u, c)) for u, c in zip(own["use"], own["criterion"])])[
        ["use", "criterion", "group_weight", "dissent", "participants", "kendall_w", "profile_weight"]]
