import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.common.config import ProfilesSpec
from pipeline.common.errors import ConfigError
from pipeline.plan.match import best_use
from pipeline.score.profiles import Profile, ValueFunction, builtin_profile_names, load_profiles
from pipeline.score import score
from projects import demo_data, run_case

FARM = Profile.model_validate({
    "name": "farm", "label": {"en": "Farm", "el": "Αγρόκτημα"}, "applies_to": ["land"],
    "constraints": [{"criterion": "area_m2", "min": 300}, {"criterion": "landuse", "not_in": ["cemetery"]}],
    "criteria": [
        {"criterion": "area_m2", "weight": 3, "function": {"type": "linear", "lower": 300, "upper": 10300}},
        {"criterion": "road_distance_m", "weight": 1, "function": {"type": "linear", "lower": 0, "upper": 1000, "direction": "cost"}},
    ],
})
HUB = Profile.model_validate({
    "name": "hub", "label": {"en": "Hub", "el": "Κέντρο"}, "applies_to": ["land", "building"],
    "criteria": [{"criterion": "condition", "weight": 1, "function": {"type": "categories", "map": {"good": 1.0, "poor": 0.2}}, "missing": 0.4}],
})


def features(rows):
    df = pd.DataFrame(rows)
    df.columns = [c if c in ("asset_id", "kind", "name") else f"c_{c}" for c in df.columns]
    return df


BASE = features([
    {"asset_id": "a", "kind": "land", "area_m2": 5300.0, "road_distance_m": 0.0, "landuse": "farmland", "condition": "good"},
    {"asset_id": "b", "kind": "land", "area_m2": 10300.0, "road_distance_m": 1000.0, "landuse": "meadow", "condition": "unknown"},
    {"asset_id": "c", "kind": "land", "area_m2": 200.0, "road_distance_m": 10.0, "landuse": "cemetery", "condition": "poor"},
    {"asset_id": "d", "kind": "building", "area_m2": 900.0, "road_distance_m": 10.0, "landuse": "unknown", "condition": "poor"},
])


def test_scores_contributions_and_reasons():
    result = score(BASE, [FARM, HUB])
    s = result.scores.set_index(["use", "asset_id"])
    # a: 100 * (0.75 * 0.5 + 0.25 * 1) ; b: 100 * (0.75 * 1 + 0.25 * 0)
    assert s.loc[("farm", "a"), "score"] == pytest.approx(62.5)
    assert s.loc[("farm", "b"), "score"] == pytest.approx(75.0)
    assert s.loc[("farm", "b"), "rank"] == 1 and s.loc[("farm", "a"), "rank"] == 2
    assert s.loc[("farm", "b"), "reason_en"].startswith("#1 of 2, score 75/100; strengths: area 1.03 ha (+75/75)")
    assert s.loc[("farm", "b"), "reason_el"].startswith("#1 από 2, βαθμός 75/100· δυνατά σημεία: εμβαδόν")
    assert "weakest: distance to a road 1.0 km (+0/25)" in s.loc[("farm", "b"), "reason_en"]
    # c breaks both constraints; d is a building
    assert not s.loc[("farm", "c"), "eligible"] and np.isnan(s.loc[("farm", "c"), "score"])
    assert s.loc[("farm", "c"), "reason_en"] == "Excluded: area 200 m² below the minimum 300 m²; land use is 'cemetery'"
    assert s.loc[("farm", "d"), "reason_el"] == "Αποκλείεται: η χρήση απαιτεί γη"
    # unknown condition takes the profile's missing value, and the reason says so
    assert s.loc[("hub", "b"), "score"] == pytest.approx(40.0)
    assert s.loc[("hub", "b"), "reason_en"].endswith("no data for: condition")
    c = result.contributions
    sums = c.groupby(["use", "asset_id"])["points"].sum()
    eligible = s[s["eligible"]]
    assert np.allclose(sums.loc[eligible.index], eligible["score"])
    assert c.groupby("use")["weight"].sum().div(c.groupby("use")["asset_id"].nunique()).round(9).eq(1).all()


def test_adding_an_excluded_asset_changes_no_other_score():
    before = score(BASE, [FARM]).scores.set_index("asset_id")["score"]
    extra = features([{"asset_id": "z", "kind": "land", "area_m2": 10.0, "road_distance_m": 1.0,
                       "landuse": "farmland", "condition": "good"}])
    after = score(pd.concat([BASE, extra], ignore_index=True), [FARM]).scores.set_index("asset_id")["score"]
    pd.testing.assert_series_equal(before, after.drop("z"))


def test_scores_do_not_depend_on_input_order():
    a = score(BASE, [FARM, HUB]).scores.sort_values(["use", "asset_id"]).reset_index(drop=True)
    b = score(BASE.iloc[::-1].reset_index(drop=True), [FARM, HUB]).scores.sort_values(["use", "asset_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_best_use_and_runner_up():
    result = score(BASE, [FARM, HUB])
    inv = BASE.assign(name=None)
    m = best_use(inv, result.scores, ["farm", "hub"]).set_index("asset_id")
    assert m.loc["b", "best_use"] == "farm" and m.loc["b", "runner_up"] == "hub"
    assert m.loc["a", "best_use"] == "hub" and m.loc["a", "score"] == pytest.approx(100.0)
    assert m.loc["c", "best_use"] == "hub"  # excluded from farm, poor condition scores 20 as a hub
    assert m.loc["d", "runner_up"] is None
    only_farm = best_use(inv, score(BASE, [FARM]).scores, ["farm"]).set_index("asset_id")
    assert only_farm.loc["d", "best_use"] is None
    assert only_farm.loc["d", "reason_en"].startswith("No use: excluded from every use (Excluded: the use needs land")


@pytest.mark.parametrize("spec, raw, expected", [
    ({"type": "linear", "lower": 0, "upper": 100}, [-5, 50, 150], [0, 0.5, 1]),
    ({"type": "linear", "lower": 0, "upper": 100, "direction": "cost"}, [0, 25, 200], [1, 0.75, 0]),
    ({"type": "piecewise", "points": [[0, 1], [500, 0.8], [2000, 0.2]]}, [250, 1250, 5000], [0.9, 0.5, 0.2]),
    ({"type": "thresholds", "points": [[100, 0.5], [1000, 1]], "below": 0.1}, [50, 100, 999, 1000], [0.1, 0.5, 0.5, 1]),
])
def test_value_functions(spec, raw, expected):
    out = ValueFunction.model_validate(spec)(pd.Series(raw, dtype=float))
    assert np.allclose(out, expected)


def test_value_function_refuses_nonsense():
    with pytest.raises(ValueError, match="lower < upper"):
        ValueFunction.model_validate({"type": "linear", "lower": 5, "upper": 1})
    with pytest.raises(ValueError, match="x ascending"):
        ValueFunction.model_validate({"type": "piecewise", "points": [[5, 1], [1, 0]]})


def test_builtin_profiles_load_and_cover_the_required_uses():
    names = builtin_profile_names()
    # every sector the plan names: farms, recycling, green spaces, energy, workspaces, culture, consumer co-ops, cleaning
    for required in ("social_farm", "recycling_centre", "green_space_depot", "solar_ground", "solar_rooftop",
                     "coop_workspace", "cultural_space", "consumer_coop", "cleaning_services_base"):
        assert required in names
    for p in load_profiles(ProfilesSpec()):
        assert sum(p.weights().values()) == pytest.approx(1.0)
        assert sum(c.weight for c in p.criteria) == pytest.approx(1.0), f"{p.name}: stated weights should sum to 1"
        assert p.constraints, f"{p.name} has no hard constraint"


def test_weight_overrides_and_their_errors():
    spec = ProfilesSpec(use=["social_farm"], weights={"social_farm": {"area_m2": 3.0}})
    farm = load_profiles(spec)[0]
    others = sum(c.weight for c in farm.criteria if c.criterion != "area_m2")
    assert farm.weights()["area_m2"] == pytest.approx(3.0 / (3.0 + others))
    assert others == pytest.approx(0.25 + 0.15 + 0.15 + 0.1 + 0.1)  # landuse, housing, road, compactness, slope
    bad = ProfilesSpec(use=["social_farm", "spaceport"], weights={"social_farm": {"slope": 1.0, "area_m2": -1.0}, "x": {}})
    with pytest.raises(ConfigError) as err:
        load_profiles(bad)
    text = "\n".join(err.value.problems)
    assert "unknown profile 'spaceport'" in text
    assert "profiles.weights.social_farm.slope: not a criterion of social_farm" in text
    assert "profiles.weights.social_farm.area_m2: weight must be > 0" in text
    assert "profiles.weights.x: not a profile in use" in text


def test_profile_file_problems_are_gathered(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({
        "name": "mine", "label": {"en": "Mine", "el": "Δικό μου"}, "applies_to": ["land"],
        "constraints": [{"criterion": "landuse", "min": 3}],
        "criteria": [{"criterion": "slope", "weight": 1, "function": {"type": "linear", "lower": 0, "upper": 1}},
                     {"criterion": "landuse", "weight": 1, "function": {"type": "linear", "lower": 0, "upper": 1}}],
    }), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_profiles(ProfilesSpec(use=["mine"], files=[path]))
    text = "\n".join(err.value.problems)
    assert "criteria.0.criterion: unknown criterion 'slope'" in text
    assert "criteria.1: 'landuse' is a category; use a categories function" in text
    assert "constraints.0: 'landuse' is a category; use in / not_in" in text


@pytest.mark.slow
def test_weights_not_summing_to_one_are_normalised_and_reported(tmp_path):
    data = demo_data()
    data["profiles"] = {"use": ["social_farm"], "weights": {"social_farm": {"area_m2": 0.75}}}
    data.pop("plan")
    report, result = run_case(tmp_path, data)
    assert "social_farm: stated weights sum to 1.5; normalised to 1" in report
    assert sum(result.profiles[0].weights().values()) == pytest.approx(1.0)


@pytest.mark.slow
def test_a_profile_that_excludes_every_asset_is_reported(tmp_path):
    strict = tmp_path / "strict.yaml"
    strict.write_text(yaml.safe_dump({
        "name": "stadium", "label": {"en": "Stadium", "el": "Γήπεδο"}, "applies_to": ["land"],
        "constraints": [{"criterion": "area_m2", "min": 1_000_000}],
        "criteria": [{"criterion": "area_m2", "weight": 1, "function": {"type": "linear", "lower": 0, "upper": 1}}],
    }), encoding="utf-8")
    data = demo_data()
    data["profiles"] = {"use": ["stadium", "social_farm"], "files": [str(strict)]}
    data.pop("plan")
    report, result = run_case(tmp_path, data)
    line = next(l for l in report.splitlines() if "stadium: no asset is eligible" in l)
    kinds = result.features["kind"].value_counts()
    assert f"area below the minimum 100.00 ha ({kinds['land']})" in line and f"the use needs land ({kinds['building']})" in line
    assert not result.scored.scores.query("use == 'stadium'")["eligible"].any()


def test_rank_descending_is_pandas_min_rank():
    """Ties share the best place of their group, NaN stays unranked, -0 ties with 0."""
    from pipeline.score import rank_descending

    rng = np.random.default_rng(5)
    values = np.round(rng.normal(size=5000), 1)
    values[rng.random(5000) < 0.1] = np.nan
    values[:5] = [2.0, np.nan, 2.0, -0.0, 0.0]
    got = rank_descending(values)
    expected = pd.Series(values).rank(ascending=False, method="min").astype("Int64").array
    assert got.equals(expected)
    assert list(got[:5]) == [got[0], pd.NA, got[0], got[3], got[3]]
    assert len(rank_descending(np.array([]))) == 0


def test_two_rankings_side_by_side_are_each_ranking(monkeypatch):
    """Above ``THREADS_FROM`` assets the score's two rankings run on threads: each is its column's ranking."""
    from pipeline.common import settings
    from pipeline.score import THREADS_FROM, _ranks, rank_descending

    monkeypatch.setattr(settings, "THREADS", 2)
    rng = np.random.default_rng(9)
    a, b = np.round(rng.random(THREADS_FROM + 7) * 100, 2), rng.random(THREADS_FROM + 7)
    b[rng.random(len(b)) < 0.3] = np.nan
    got = _ranks(a, b)
    assert got[0].equals(rank_descending(a)) and got[1].equals(rank_descending(b))
