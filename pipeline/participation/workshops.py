"""Workshops' weights: each participant rates how much each criterion of a use
matters (1 to 9) in a form; the run takes the group's weights from their
answers.

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
SCALE = (1, 9)


def field(use: str, criterion: str) -> str:
    """The form's question (and the export's column) of one rating."""
    return f"{PREFIX}{use}__{criterion}"


def build_weights_form(profiles: list[Profile], title: str, form_id: str, version: str) -> SurveyForm:
    """The weights form: who (a code, never published), which use, then a 1-9 rating per criterion of that use."""
    rows = [question("start", "start", "", ""), question("end", "end", "", ""),
            question("text", "participant", "Κωδικός συμμετέχοντα (δεν δημοσιεύεται)", "Participant code (never published)",
                     required="yes"),
            question("select_one uses", "use", "Για ποια χρήση;", "For which use?", required="yes")]
    for p in profiles:
        for c in p.criteria:
            spec = REGISTRY.get(c.criterion)
            el, en = (spec.label_el, spec.label_en) if spec else (c.criterion, c.criterion)
            rows.append(question("integer", field(p.name, c.criterion), f"Πόσο μετράει: {el} (1-9)",
                                 f"How much it matters: {en} (1-9)", required="yes",
                                 relevant=f"${{use}} = '{p.name}'", constraint=f". >= {SCALE[0]} and . <= {SCALE[1]}"))
    choices = pd.DataFrame([{"list_name": "uses", "name": p.name, EL: p.label.el, EN: p.label.en} for p in profiles])
    settings = pd.DataFrame([{"form_title": title, "form_id": form_id, "version": version,
                              "default_language": "Ελληνικά (el)"}])
    return SurveyForm(pd.DataFrame(rows).fillna(""), choices, settings,
                      pd.DataFrame(columns=["asset_id", "name"]))


def read_ratings(path: Path, profiles: list[Profile]) -> pd.DataFrame:
    """The export's ratings: ``participant`` (the submission's id, ``P<_id>``:
    the code typed stays in the export), ``use``, ``criterion``, ``rating``.

    Raises
    ------
    InputError
        Naming every row with an unknown use or a rating that is missing or not 1-9.
    """
    what = f"workshop weights {path}"
    table = read_table(Path(path), what)
    table.columns = [str(c).rsplit("/", 1)[-1] for c in table.columns]
    if "use" not in table or "_id" not in table:
        raise InputError(what, ["columns 'use' and '_id' not found: export the form 'idle-assets weights-form' wrote"])
    by_name = {p.name: p for p in profiles}
    problems, rows = [], []
    for i, r in table.iterrows():
        where = f"row {i + 2} ({r['_id']})"
        profile = by_name.get(str(r["use"]))
        if profile is None:
            problems.append(f"{where}: use {r['use']!r} is not a profile of this project ({', '.join(by_name)})")
            continue
        for c in profile.criteria:
            if field(profile.name, c.criterion) not in table.columns:
                continue  # not asked: the form leaves out criteria the project's data cannot measure
            value = r.get(field(profile.name, c.criterion))
            try:
                rating = float(str(value).replace(",", "."))
            except ValueError:
                rating = np.nan
            if not SCALE[0] <= rating <= SCALE[1]:
                problems.append(f"{where}: {field(profile.name, c.criterion)} {value!r} is not a rating from 1 to 9")
                continue
            rows.append({"participant": f"P{r['_id']}", "use": profile.name, "criterion": c.criterion, "rating": rating})
    if problems:
        raise InputError(what, problems)
    return pd.DataFrame(rows, columns=["participant", "use", "criterion", "rating"])


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
        ``use``, ``participants``, ``kendall_w``.
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
        agreement.append({"use": use, "participants": len(wide), "kendall_w": round(kendall_w(ratings_wide), 3)})
    return Workshop(pd.DataFrame(rows), pd.DataFrame(agreement), personal[["participant", "use", "criterion", "weight"]])


def workshop_table(workshop: Workshop, profiles: list[Profile]) -> pd.DataFrame:
    """The group's weight of each criterion beside the profile file's (``profile_weight``,
    as given before normalising), its dissent, and the use's consensus."""
    defaults = {(p.name, c.criterion): c.weight for p in profiles for c in p.criteria}
    own = workshop.weights.merge(workshop.consensus[["use", "kendall_w"]], on="use")
    return own.assign(profile_weight=[defaults.get((u, c)) for u, c in zip(own["use"], own["criterion"])])[
        ["use", "criterion", "group_weight", "dissent", "participants", "kendall_w", "profile_weight"]]
