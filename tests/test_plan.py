import itertools

import numpy as np
import pandas as pd
import pytest

from pipeline.common.config import PlanSpec, Target
from pipeline.plan import assign, can_share, target_report
from pipeline.common.sharing import compatible_uses


def attainment(chosen: pd.DataFrame, targets) -> float:
    total = 0.0
    for t in targets:
        mine = chosen[chosen["use"].isin(t.uses)]
        total += len(mine) / t.count if t.count is not None else mine["kwp"].sum() / t.kwp
    return total


def brute_force(pairs: pd.DataFrame, targets, min_score=0.0, shared: str | None = None) -> tuple[float, float]:
    """The best (target attainment, total score), compared in that order, over
    every assignment (each asset: no use or one of its pairs, plus the use
    ``shared`` beside any other) within the caps."""
    pairs = pairs[pairs["score"] >= min_score]
    options = []
    for _, g in pairs.groupby("asset_id"):
        alone = [(i,) for i in g.index]
        extra = [i for i in g.index if g.loc[i, "use"] == shared]
        together = [(i, j) for i in g.index for j in extra if i != j]
        options.append([()] + alone + together)
    best = (0.0, 0.0)
    for combo in itertools.product(*options):
        chosen = pairs.loc[[i for part in combo for i in part]]
        ok = all((len(chosen[chosen["use"].isin(t.uses)]) <= t.count) if t.count is not None
                 else (chosen.loc[chosen["use"].isin(t.uses), "kwp"].sum() <= t.kwp + 1e-9) for t in targets)
        if ok:
            value = (round(attainment(chosen, targets), 9), chosen["score"].sum())
            best = max(best, value)
    return best


def random_case(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(6):
        for u in ("farm", "recycling", "solar"):
            if rng.random() < 0.7:
                rows.append({"asset_id": f"a{a}", "use": u, "score": float(rng.integers(20, 100)),
                             "kwp": float(rng.integers(50, 400)) if u == "solar" else 0.0})
    return pd.DataFrame(rows)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(12))
def test_assignment_is_optimal_against_brute_force(seed):
    pairs = random_case(seed)
    targets = [Target(uses=["recycling"], count=1), Target(uses=["farm"], count=2), Target(uses=["solar"], kwp=500)]
    chosen = assign(pairs, targets, min_score=30)
    assert chosen["asset_id"].is_unique  # at most one use per asset
    assert (chosen["score"] >= 30).all()
    report = target_report(chosen, targets).set_index("uses")
    assert report.loc["recycling", "reached"] <= 1 and report.loc["farm", "reached"] <= 2
    assert report.loc["solar", "reached"] <= 500
    best_attainment, best_score = brute_force(pairs, targets, 30)
    assert attainment(chosen, targets) == pytest.approx(best_attainment)
    assert chosen["score"].sum() == pytest.approx(best_score)


def test_targets_are_goals_before_scores():
    # the roof scores higher as a cultural space, but the plan wants solar
    pairs = pd.DataFrame({"asset_id": ["roof", "roof", "hall"], "use": ["culture", "solar", "culture"],
                          "score": [90.0, 70.0, 60.0], "kwp": [0.0, 300.0, 0.0]})
    chosen = assign(pairs, [Target(uses=["solar"], kwp=1000)])
    assert dict(zip(chosen["asset_id"], chosen["use"])) == {"roof": "solar", "hall": "culture"}
    assert assign(pairs, [])["use"].tolist() == ["culture", "culture"]  # no target: best scores


def test_unmet_targets_are_reported():
    pairs = pd.DataFrame({"asset_id": ["a", "b", "c"], "use": ["recycling", "solar", "solar"],
                          "score": [80.0, 70.0, 60.0], "kwp": [0.0, 300.0, 400.0]})
    targets = [Target(uses=["recycling"], count=2, label="2 recycling centres"), Target(uses=["solar"], kwp=1000)]
    chosen = assign(pairs, targets)
    report = target_report(chosen, targets).set_index("target")
    assert report.loc["2 recycling centres", ["reached", "unmet"]].tolist() == [1.0, 1.0]
    assert report.loc["1000 kWp of solar", ["reached", "unmet"]].tolist() == [700.0, 300.0]


def test_a_target_config_needs_one_measure():
    with pytest.raises(ValueError, match="either count or kwp"):
        Target(uses=["solar"], count=1, kwp=5)
    assert PlanSpec().min_score == 50


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8))
def test_a_use_that_can_share_an_asset_is_assigned_beside_another(seed):
    pairs = random_case(seed)
    targets = [Target(uses=["recycling"], count=1), Target(uses=["farm"], count=2), Target(uses=["solar"], kwp=500)]
    sharing = {"solar": frozenset({"*"})}
    chosen = assign(pairs, targets, min_score=30, sharing=sharing)
    per_asset = chosen.groupby("asset_id")["use"].agg(sorted)
    assert all(len(u) == 1 or (len(u) == 2 and "solar" in u) for u in per_asset)  # only solar shares
    best_attainment, best_score = brute_force(pairs, targets, 30, shared="solar")
    assert attainment(chosen, targets) == pytest.approx(best_attainment)
    assert chosen["score"].sum() == pytest.approx(best_score)


def test_the_compatibility_table_lets_rooftop_solar_share_a_building():
    table = compatible_uses()
    assert can_share("solar_rooftop", "coop_workspace", table) and can_share("cultural_space", "solar_rooftop", table)
    assert not can_share("social_farm", "recycling_centre", table) and not can_share("solar_rooftop", "solar_rooftop", table)


def test_an_organisation_is_never_a_candidate_for_a_site_smaller_than_it_needs():
    import geopandas as gpd
    from shapely.geometry import Point, box

    from pipeline.plan import organisation_candidates

    plan = pd.DataFrame({"asset_id": ["small", "large"], "use": ["coop_workspace", "coop_workspace"],
                         "usable_area_m2": [120.0, 900.0]})
    assets = gpd.GeoDataFrame({"asset_id": ["small", "large"]}, geometry=[box(0, 0, 10, 12), box(100, 0, 130, 30)],
                              crs=2100)
    orgs = gpd.GeoDataFrame({"name": ["Big co-op", "Small co-op", "No need stated"], "legal_form": ["koinsep", "workers_coop", None],
                             "uses": ["coop_workspace"] * 3, "space_m2": [500.0, 80.0, np.nan]},
                            geometry=[Point(5, 5), Point(200, 0), None], crs=2100)
    out = organisation_candidates(plan, assets, orgs, None).set_index("asset_id")
    assert "Big co-op" not in out.loc["small", "candidate_organisations"]  # needs 500 m², the site has 120
    assert out.loc["small", "candidate_organisations"].startswith("Small co-op (Συνεταιρισμός Εργαζομένων / Workers' co-operative")
    assert out.loc["small", "n_candidates"] == 2
    large = out.loc["large", "candidate_organisations"].split("; ")  # nearest first: 70 m, then 95 m
    assert large[0].startswith("Small co-op") and large[1] == "Big co-op (ΚοινΣΕπ / KoinSEp, 95 m)"
    assert "No need stated" in out.loc["large", "candidate_organisations"]  # no stated need: not excluded


def test_assignments_agreed_in_the_ledger_stay_and_count_first():
    """A site the ledger has assigned keeps its agreed use (not the best one),
    counts for its target first, and is offered to no one else; an assigned
    site without an agreed use is only kept out."""
    import geopandas as gpd
    from shapely.geometry import box

    from pipeline.plan import make_plan

    ids = ["A", "B", "C", "D"]
    scores = pd.DataFrame([{"asset_id": a, "use": u, "score": s, "eligible": True, "reason_en": "r", "reason_el": "ρ"}
                           for a, u, s in [("A", "social_farm", 95), ("A", "recycling_centre", 60),
                                           ("B", "social_farm", 90), ("C", "social_farm", 85), ("D", "social_farm", 99)]])
    potentials = scores[["asset_id", "use"]].assign(usable_area_m2=1000.0, kwp=0.0, mwh_per_year=0.0,
                                                      cultivable_m2=0.0, jobs=1.0)
    assets = gpd.GeoDataFrame({"asset_id": ids, "name": ids, "ownership": "municipal", "ownership_evidence": "register",
                               "confidence": "confirmed"}, geometry=[box(i * 100, 0, i * 100 + 50, 50) for i in range(4)],
                              crs=2100)
    spec = PlanSpec(min_score=50, targets=[Target(uses=["social_farm"], count=2), Target(uses=["recycling_centre"], count=1)])
    committed = pd.DataFrame({"asset_id": ["A", "D"], "use": ["recycling_centre", None], "evidence": ["ΑΔΑ 1", "ΑΔΑ 2"]})
    plan, report = make_plan(scores, potentials, assets, None, spec, committed=committed)
    chosen = dict(zip(plan["asset_id"], plan["use"]))
    assert chosen["A"] == "recycling_centre" and plan.set_index("asset_id").loc["A", "reason_en"].startswith(
        "agreed in the plan's ledger (ΑΔΑ 1)")
    assert "D" not in chosen  # assigned in the ledger, its use not recorded: in use, offered to no one
    assert {a for a, u in chosen.items() if u == "social_farm"} == {"B", "C"}
    assert report.set_index("uses").loc["recycling_centre", "reached"] == 1.0
