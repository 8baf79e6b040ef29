"""Workshops' weights: the form converts and is filled from its own fields;
the group's weights are the geometric mean of the participants' own, their
agreement Kendall's W; a run with the workshop's export takes those weights,
which change a rank, and reports each asset's rank across people; the codes
participants type appear in no output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.common.config import config_from_dict
from pipeline.participation.workshops import SAATY, aggregate, kendall_w, pairwise_weights, read_ratings
from pipeline.score.profiles import load_profiles
from pipeline.runner import run_project
from projects import demo_data

pytest.importorskip("pyxform", reason="pyxform is not installed (pip install -e .)")


def test_the_group_weights_are_the_normalised_geometric_mean():
    ratings = pd.DataFrame({"participant": ["A", "A", "B", "B"], "use": "farm", "criterion": ["x", "y", "x", "y"],
                            "rating": [1.0, 1.0, 4.0, 1.0]})
    group = aggregate(ratings).weights.set_index("criterion")["group_weight"]
    # A: (0.5, 0.5), B: (0.8, 0.2); geometric means sqrt(0.4), sqrt(0.1); normalised 2/3, 1/3
    assert group["x"] == pytest.approx(2 / 3, abs=1e-6) and group["y"] == pytest.approx(1 / 3, abs=1e-6)


def test_kendall_w_is_one_for_the_same_order_and_low_for_opposite_ones():
    assert kendall_w(np.array([[1, 2, 3, 4], [2, 3, 5, 9], [1, 4, 6, 8]])) == pytest.approx(1.0)
    assert kendall_w(np.array([[1, 2, 3, 4], [4, 3, 2, 1]])) == pytest.approx(0.0)
    # Siegel's textbook example with a tie: 3 judges, 4 objects
    assert 0 < kendall_w(np.array([[1, 2, 3, 3], [2, 1, 3, 4], [1, 3, 2, 4]])) < 1


def test_consistent_pairwise_judgements_give_their_ratios_and_contradictory_ones_a_high_ratio():
    weights, ratio = pairwise_weights({("a", "b"): 3.0, ("b", "c"): 3.0, ("a", "c"): 9.0}, ["a", "b", "c"])
    assert weights == pytest.approx(np.array([9, 3, 1]) / 13) and ratio == pytest.approx(0.0, abs=1e-9)
    weights, ratio = pairwise_weights({("a", "b"): 9.0, ("b", "c"): 9.0, ("a", "c"): 1 / 9}, ["a", "b", "c"])
    assert ratio > 0.1 and weights.sum() == pytest.approx(1.0)
    assert pairwise_weights({("a", "b"): 5.0}, ["a", "b"])[0] == pytest.approx([5 / 6, 1 / 6])


@pytest.mark.slow
def test_pairwise_answers_filled_from_the_form_give_weights_and_name_the_inconsistent(tmp_path):
    assert main(["--quiet", "weights-form", "--out", str(tmp_path / "form")]) == 0
    survey = pd.read_excel(tmp_path / "form" / "form.xlsx", sheet_name="survey", engine="openpyxl").fillna("")
    choices = pd.read_excel(tmp_path / "form" / "form.xlsx", sheet_name="choices", engine="openpyxl")
    assert set(choices.loc[choices["list_name"] == "saaty", "name"]) == set(SAATY)
    assert set(choices.loc[choices["list_name"] == "method", "name"]) == {"rating", "pairwise"}
    farm = [q for q in survey["name"] if q.startswith("p__social_farm__")]
    rated = [q for q in survey["name"] if q.startswith("w__social_farm__")]
    n = len(rated)
    assert len(farm) == n * (n - 1) // 2 and all("pairwise" in r for r in survey.set_index("name").loc[farm, "relevant"])
    first = rated[0].removeprefix("w__social_farm__")
    # one participant puts the first criterion above all others, consistently; another contradicts themselves
    steady = {q: ("a9" if q.split("__")[2] == first else "eq") for q in farm}
    cycle = {q: ("a9" if i % 2 == 0 else "b9") for i, q in enumerate(farm)}
    rows = [{"participant": "X1", "use": "social_farm", "method": "pairwise", **steady, "_id": 11},
            {"participant": "X2", "use": "social_farm", "method": "pairwise", **cycle, "_id": 12},
            {"participant": "X3", "use": "social_farm", "method": "rating", **{q: 5 for q in rated}, "_id": 13}]
    pd.DataFrame(rows).to_csv(tmp_path / "weights.csv", index=False)
    profiles = load_profiles(demo_data_profiles())
    ratings = read_ratings(tmp_path / "weights.csv", profiles)
    mine = ratings[ratings["participant"] == "P11"].set_index("criterion")["rating"]
    assert mine.idxmax() == first and mine.sum() == pytest.approx(1.0) and len(mine) == n
    consensus = aggregate(ratings).consensus.set_index("use").loc["social_farm"]
    assert (consensus["participants"], consensus["pairwise"]) == (3, 2)
    assert consensus["inconsistent"] == ("P12" if n >= 3 else "")
    bad = pd.DataFrame([{**rows[0], farm[0]: "a4"}])
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(Exception, match=rf"row 2 \(11\): {farm[0]} 'a4' is not one of a9"):
        read_ratings(tmp_path / "bad.csv", profiles)


def demo_data_profiles():
    from pipeline.common.config import config_from_dict, demo_config_path

    return config_from_dict(demo_data(), demo_config_path().parent).profiles


@pytest.mark.slow
def test_a_workshop_s_weights_change_a_rank_and_its_consensus_is_reported(tmp_path):
    assert main(["--quiet", "weights-form", "--out", str(tmp_path / "form")]) == 0
    survey = pd.read_excel(tmp_path / "form" / "form.xlsx", sheet_name="survey", engine="openpyxl").fillna("")
    farm = [q for q in survey["name"] if q.startswith("w__social_farm__")]
    assert farm and all("1" in c and "9" in c for c in survey.set_index("name").loc[farm, "constraint"])
    # three participants care above all for land already farmed (the demo's farmland outranks its larger meadow then)
    emphasis = "w__social_farm__landuse"
    assert emphasis in farm
    rows = []
    for k, (code, top) in enumerate((("ΚΩΔ-ΑΛΦΑ", 9), ("ΚΩΔ-ΒΗΤΑ", 9), ("ΚΩΔ-ΓΑΜΜΑ", 6))):
        rows.append({"start": "2026-06-01T18:00:00", "participant": code, "use": "social_farm",
                     **{q: (top if q == emphasis else 1 + (k + i) % 2) for i, q in enumerate(farm)}, "_id": 900 + k})
    pd.DataFrame(rows).to_csv(tmp_path / "weights.csv", index=False)
    data = demo_data()
    data["output"] = {"pdf": False}
    before = run_project(config_from_dict(data, tmp_path), tmp_path / "before")
    data["profiles"]["workshop"] = str(tmp_path / "weights.csv")
    after = run_project(config_from_dict(data, tmp_path), tmp_path / "after")
    rank = lambda r: r.scored.scores.query("use == 'social_farm' and eligible").set_index("asset_id")["rank"]  # noqa: E731
    assert not rank(before).equals(rank(after))  # the workshop's weights change a rank
    table = pd.read_csv(tmp_path / "after" / "workshop.csv", encoding="utf-8-sig")
    weights = table.set_index("criterion")["group_weight"]
    assert weights.sum() == pytest.approx(1.0, abs=1e-4) and weights.idxmax() == emphasis.removeprefix("w__social_farm__")
    assert table["participants"].eq(3).all() and table["kendall_w"].between(0, 1).all()
    ranks = pd.read_csv(tmp_path / "after" / "workshop_ranks.csv", encoding="utf-8-sig")
    assert (ranks["best_rank"] <= ranks["group_rank"]).all() and (ranks["group_rank"] <= ranks["worst_rank"]).all()
    assert "Βάρη των εργαστηρίων / Workshops' weights" in (tmp_path / "after" / "annex.md").read_text(encoding="utf-8")
    for path in (tmp_path / "after").rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".md", ".html", ".json"):
            assert "ΚΩΔ-" not in path.read_text(encoding="utf-8", errors="ignore"), path
