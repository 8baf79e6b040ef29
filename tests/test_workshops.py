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
from pipeline.participation.workshops import aggregate, kendall_w
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
    assert "Workshops' weights / Βάρη των εργαστηρίων" in (tmp_path / "after" / "annex.md").read_text(encoding="utf-8")
    for path in (tmp_path / "after").rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".md", ".html", ".json"):
            assert "ΚΩΔ-" not in path.read_text(encoding="utf-8", errors="ignore"), path
