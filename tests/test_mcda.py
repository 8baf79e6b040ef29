import numpy as np
import pandas as pd
import pytest

from pipeline.common.config import ProfilesSpec, SensitivitySpec
from pipeline.common.errors import ConfigError
from pipeline.score.mcda import ahp_weights, rank_stability, topsis
from pipeline.score.profiles import Profile, load_profiles
from pipeline.score import score


def test_ahp_on_saatys_textbook_matrix():
    # Saaty's three-criterion example: weights 0.637/0.258/0.105, lambda_max 3.0385, CR 0.033
    result = ahp_weights([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    assert result.weights == pytest.approx([0.6370, 0.2583, 0.1047], abs=5e-4)
    lambda_max = 3 + 2 * result.consistency_ratio * 0.58  # CR = (lambda_max - n) / (n - 1) / RI(3)
    assert lambda_max == pytest.approx(3.0385, abs=2e-3)
    assert result.consistency_ratio == pytest.approx(0.033, abs=1e-3)


def test_ahp_refuses_broken_matrices():
    with pytest.raises(ValueError, match="not reciprocal"):
        ahp_weights([[1, 3], [3, 1]])
    with pytest.raises(ValueError, match="positive"):
        ahp_weights([[1, -3], [-1 / 3, 1]])


def farm_with_ahp(matrix, force=False):
    return {
        "name": "ahpfarm", "label": {"en": "AHP farm", "el": "Αγρόκτημα AHP"}, "applies_to": ["land"],
        "criteria": [{"criterion": c, "weight": 1, "function": {"type": "linear", "lower": 0, "upper": 1}}
                     for c in ("area_m2", "road_distance_m", "compactness")],
        "ahp": {"order": ["area_m2", "road_distance_m", "compactness"], "matrix": matrix, "force": force},
    }


def test_profile_weights_from_ahp_and_inconsistency_refused(tmp_path):
    import yaml

    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(farm_with_ahp([[1, 3, 5], ["1/3", 1, 3], ["1/5", "1/3", 1]])), encoding="utf-8")
    profile = load_profiles(ProfilesSpec(use=["ahpfarm"], files=[good]))[0]
    assert list(profile.weights().values()) == pytest.approx([0.637, 0.258, 0.105], abs=1e-3)
    assert sum(profile.weights().values()) == pytest.approx(1.0)
    inconsistent = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]  # a > b > c > a
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(farm_with_ahp(inconsistent)), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"inconsistent \(consistency ratio \d+\.\d+ > 0.1\)"):
        load_profiles(ProfilesSpec(use=["ahpfarm"], files=[bad]))
    bad.write_text(yaml.safe_dump(farm_with_ahp(inconsistent, force=True)), encoding="utf-8")
    forced = load_profiles(ProfilesSpec(use=["ahpfarm"], files=[bad]))[0]
    assert forced.consistency_ratio() > 0.1
    with pytest.raises(ConfigError, match="takes its weights from its AHP matrix"):
        load_profiles(ProfilesSpec(use=["ahpfarm"], files=[good], weights={"ahpfarm": {"area_m2": 2}}))


def test_topsis_by_hand():
    values = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]])
    weights = np.array([0.5, 0.5])
    # vector-normalised: column norms sqrt(1.36); ideal (1, 1)/1.166, anti-ideal (0, 0)
    norm = values / np.sqrt((values**2).sum(axis=0))
    d_pos = np.sqrt((((norm - norm.max(axis=0)) * weights) ** 2).sum(axis=1))
    d_neg = np.sqrt((((norm - norm.min(axis=0)) * weights) ** 2).sum(axis=1))
    assert topsis(values, weights) == pytest.approx(d_neg / (d_pos + d_neg), abs=1e-6)
    assert np.argmax(topsis(values, weights)) == 2  # the balanced site wins
    assert topsis(values[:1], weights).tolist() == [1.0]


def test_rank_stability():
    values = np.array([[0.9, 0.9], [0.8, 0.1], [0.1, 0.8], [0.0, 0.0]])
    weights = np.array([0.5, 0.5])
    a = rank_stability(values, weights, draws=500, spread=0.5, seed=7, top_k=1)
    b = rank_stability(values, weights, draws=500, spread=0.5, seed=7, top_k=1)
    pd.testing.assert_frame_equal(a, b)  # deterministic for a seed
    assert a.loc[0, "p_top_k"] == 1.0 and a.loc[3, "p_top_k"] == 0.0  # dominant and dominated sites
    assert a.loc[3, "rank_p05"] == 4 and a.loc[0, "rank_p95"] == 1
    assert 1 < a.loc[1, "rank_p95"] <= 3 and a.loc[1, "rank_p05"] >= 2
    still = rank_stability(values, weights, draws=50, spread=0.0, seed=1, top_k=2)
    assert still["p_top_k"].tolist() == [1.0, 1.0, 0.0, 0.0]  # no spread, no change (ties keep input order)


def test_scores_carry_topsis_and_sensitivity():
    features = pd.DataFrame({
        "asset_id": ["a", "b", "c"], "kind": ["land"] * 3,
        "c_area_m2": [5000.0, 9000.0, 100.0], "c_road_distance_m": [10.0, 900.0, 10.0],
    })
    profile = Profile.model_validate({
        "name": "farm", "label": {"en": "Farm", "el": "Αγρόκτημα"}, "applies_to": ["land"],
        "constraints": [{"criterion": "area_m2", "min": 300}],
        "criteria": [{"criterion": "area_m2", "weight": 1, "function": {"type": "linear", "lower": 0, "upper": 10000}},
                     {"criterion": "road_distance_m", "weight": 1,
                      "function": {"type": "linear", "lower": 0, "upper": 1000, "direction": "cost"}}],
    })
    s = score(features, [profile], SensitivitySpec(draws=200, seed=3, top_k=1)).scores.set_index("asset_id")
    assert s.loc["a", "rank"] == 1 and s.loc["a", "rank_topsis"] == 1
    assert 0 <= s.loc["b", "topsis"] <= 1 and s.loc["a", "p_top_k"] > s.loc["b", "p_top_k"]
    assert pd.isna(s.loc["c", "topsis"]) and pd.isna(s.loc["c", "p_top_k"])  # excluded


def test_topsis_in_blocks_equals_topsis_at_once(monkeypatch):
    """Blocks of rows with the columns' extremes added give each row the
    value the whole matrix gives it (ties, a constant column, a lone extreme)."""
    import pymcdm.methods

    rng = np.random.default_rng(7)
    values = rng.random((1001, 4))
    values[:, 1] = np.round(values[:, 1], 1)  # ties
    values[:, 2] = 0.3  # constant: left out
    values[500, 3] = 5.0  # the maximum sits in one block only
    weights = np.array([0.4, 0.1, 0.2, 0.3])
    keep = np.ptp(values, axis=0) > 0
    w = weights[keep] / weights[keep].sum()
    whole = pymcdm.methods.TOPSIS()(values[:, keep] + 1e-12, w, np.ones(keep.sum()), validation=False)
    for block in (1, 7, 1000, 65_536):
        monkeypatch.setattr("pipeline.score.mcda.TOPSIS_BLOCK", block)
        np.testing.assert_array_equal(topsis(values, weights), whole)
        np.testing.assert_array_equal(topsis(values, weights, threads=3), whole)  # blocks on threads


def test_rank_stability_equals_ranking_each_draw_by_a_stable_sort():
    """The reference, draw by draw: weights drawn as the function draws them,
    float32 scores added criterion by criterion, assets ordered by a stable
    argsort of the negated scores (ties in input order), then each asset's
    percentiles; tied and zero scores included."""
    from pipeline.score.mcda import _descending_order, weight_draws

    rng = np.random.default_rng(3)
    values = rng.random((3000, 3))
    values[:, 1] = np.round(values[:, 1], 1)
    values[:40] = 0.0
    values[40:80] = values[80:120]  # identical assets
    weights, draws = np.array([0.5, 0.3, 0.2]), 101
    got = rank_stability(values, weights, draws, 0.3, 11, 25, chunk=7, threads=2)
    w = weight_draws(weights, draws, 0.3, np.random.default_rng(11)).astype(np.float32)
    ranks = np.empty((draws, len(values)), dtype=np.int64)
    v = values.astype(np.float32)
    for d in range(draws):
        score = np.zeros(len(v), dtype=np.float32)
        for k in range(v.shape[1]):
            score += w[d, k] * v[:, k]
        ranks[d, np.argsort(-score, kind="stable")] = np.arange(1, len(values) + 1)
    assert (np.percentile(ranks, 5, axis=0, method="lower") == got["rank_p05"]).all()
    assert (np.percentile(ranks, 95, axis=0, method="higher") == got["rank_p95"]).all()
    assert (np.median(ranks, axis=0) == got["rank_median"]).all()
    assert ((ranks <= 25).mean(axis=0) == got["p_top_k"]).all()
    for chunk in (1, 32, draws):  # the same ranks however many draws are scored at once
        pd.testing.assert_frame_equal(rank_stability(values, weights, draws, 0.3, 11, 25, chunk=chunk, threads=1), got)
    scores = np.array([[0.5, -0.0, 0.0, -1.5, 0.5, np.float32(1e-30), 2.0]], dtype=np.float32)
    assert _descending_order(scores, np.arange(7, dtype=np.uint64)).tolist() == [[6, 0, 4, 5, 1, 2, 3]]
