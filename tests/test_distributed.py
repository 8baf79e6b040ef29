"""The Dask engine gives exactly the single-machine engine's features and
scores, including for assets whose neighbours lie across a partition edge."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

pytest.importorskip("dask.distributed", reason="dask is not installed (pip install -e '.[scale]')")

from pipeline.distributed import (compute_features_distributed, compute_features_from_files, connect,  # noqa: E402
                                  hilbert_partitions, layer_halos, tiles)
from pipeline.features import compute_features  # noqa: E402
from pipeline.score import score  # noqa: E402
from pipeline.transform import Context  # noqa: E402
from workload import make_workload, write_workload  # noqa: E402

import engines  # noqa: E402
import dask_engine  # noqa: E402

#: runs the pipeline (make test-fast leaves it out)
pytestmark = pytest.mark.slow

CRITERIA = engines.CRITERIA + ["built_share", "area_m2", "compactness"]


@pytest.fixture(scope="module")
def client():
    with connect(workers=2) as c:
        c.wait_for_workers(2)
        yield c


@pytest.fixture(scope="module")
def workload():
    wl = make_workload(6000, seed=5)
    empty = wl.buildings.iloc[:0]
    return wl.assets, Context(boundary=empty, landuse=empty, buildings=wl.buildings, roads=wl.roads, pois=wl.pois)


def test_partitions_are_compact_and_cover_every_asset(workload):
    assets, _ = workload
    parts = hilbert_partitions(assets, 8)
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(assets)))
    # a Hilbert partition is compact: its box is far smaller than the whole extent
    whole = np.prod(np.ptp(assets.total_bounds.reshape(2, 2), axis=0))
    boxes = [np.prod(np.ptp(assets.iloc[p].total_bounds.reshape(2, 2), axis=0)) for p in parts]
    assert max(boxes) < 0.5 * whole


def test_in_memory_partitions_equal_one_machine(workload, client):
    assets, context = workload
    one = compute_features(assets, context, CRITERIA)
    many = compute_features_distributed(assets, context, client, CRITERIA, partitions=9)
    pd.testing.assert_frame_equal(pd.DataFrame(many.drop(columns="geometry")), pd.DataFrame(one.drop(columns="geometry")))
    s1 = score(one, [engines.PROFILE], explain=False).scores
    s2 = score(many, [engines.PROFILE], explain=False).scores
    pd.testing.assert_frame_equal(s1, s2)


def test_tiles_read_from_files_equal_one_machine(workload, client, tmp_path):
    """Tiles of 1.5 km over a 7.7 km square: most assets' 5 km nearest-road
    search and 500 m service count reach across tile edges."""
    assets, context = workload
    write_workload(6000, tmp_path, seed=5)
    paths = {name: str(tmp_path / f"{name}.parquet") for name in ("assets", "buildings", "roads", "pois")}
    assert len(tiles(assets.total_bounds, 1500)) >= 25
    got = compute_features_from_files(paths, client, engines.CRITERIA, tile_m=1500, prepare=dask_engine.prepare)
    want = compute_features(assets, context, engines.CRITERIA)
    got = got.set_index("asset_id").loc[want["asset_id"]]
    assert len(got) == len(want)  # each asset in exactly one tile
    for c in engines.CRITERIA:
        np.testing.assert_array_equal(got[f"c_{c}"].to_numpy(), want[f"c_{c}"].to_numpy(), err_msg=c)
    s1 = score(want, [engines.PROFILE], explain=False).scores["score"].to_numpy()
    s2 = score(got.reset_index(), [engines.PROFILE], explain=False).scores["score"].to_numpy()
    np.testing.assert_array_equal(s1, s2)


def test_halos_follow_what_each_criterion_reads():
    assert layer_halos(["road_distance_m"]) == {"buildings": None, "landuse": None, "roads": 5000.0, "pois": None}
    assert layer_halos(["footprint_share", "services_nearby"])["buildings"] == 0.0
    assert layer_halos(["unknown_criterion"])["landuse"] == 5000.0  # unknown: everything, always exact


def test_the_cli_runs_the_demo_on_the_dask_engine_with_the_same_scores(tmp_path):
    from pipeline.cli import main

    assert main(["--quiet", "run", "--demo", "--out", str(tmp_path / "local")]) == 0
    assert main(["--quiet", "run", "--demo", "--out", str(tmp_path / "dask"), "--engine", "dask", "--workers", "2"]) == 0
    local = pd.read_csv(tmp_path / "local" / "scores.csv", encoding="utf-8-sig")
    dask = pd.read_csv(tmp_path / "dask" / "scores.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(local, dask)


def test_a_national_run_gives_each_municipality_what_its_own_run_gives(shared, volos_idle_pbf, client, tmp_path, caplog):
    """configs/greece.yaml on two municipalities, one per worker: each one's
    outputs equal a single-project run of that municipality, and the
    national summary has a row for each, marked by how much of it the OSM
    extract covers (central Volos only: partial; Agia: no data), never ok."""
    from pipeline.common.config import config_from_dict, read_yaml
    from pipeline.national import municipality_configs, run_national
    from pipeline.runner import run_project

    root = Path(__file__).resolve().parents[1]
    data = read_yaml(root / "configs" / "greece.yaml")
    data["boundary"]["path"] = str(shared / "boundaries" / "kallikratis_dimoi_simpl50m.gpkg")
    data["sources"]["osm"]["path"] = str(volos_idle_pbf[0])  # central Volos with idle tags added
    data["national"]["municipalities"] = ["9105", "9097"]
    config = config_from_dict(data, root / "configs", "greece")
    with caplog.at_level("INFO", logger="pipeline.national"):
        summary = run_national(config, tmp_path / "national", client)
    assert summary["code"].tolist() == ["9105", "9097"]
    progress = [r.getMessage() for r in caplog.records if "national run:" in r.getMessage()]
    assert [m.split(" municipalities")[0] for m in progress] == ["national run: 1/2", "national run: 2/2"]
    assert all("left;" in m for m in progress)
    assert summary["status"].tolist() == ["partial", "no_data"]
    assert 0.005 < summary.loc[0, "coverage"] < 0.01 and summary.loc[1, "coverage"] == 0
    # how completely OSM maps the buildings, per municipality: few in the 2020 extract of central Volos
    assert 0 < summary.loc[0, "buildings_mapped_share"] <= 1 and 0 < summary.loc[0, "buildings_per_km2"] < 500
    written = pd.read_csv(tmp_path / "national" / "national_summary.csv", encoding="utf-8-sig", dtype={"code": str})
    assert written["code"].tolist() == ["9105", "9097"]
    volos = municipality_configs(config)[0]
    assert volos.boundary.code == "9105" and volos.project.name == "volou-9105"
    alone = run_project(volos, tmp_path / "alone", cache=False)
    assert summary.loc[0, "assets"] == len(alone.features) > 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "national" / "9105" / "scores.csv"),
                                  pd.read_csv(tmp_path / "alone" / "scores.csv"))
    assert (tmp_path / "national" / "9097" / "maps" / "index.html").exists()  # a municipality with no idle asset still has its outputs


def test_a_national_config_needs_a_file_of_municipalities(tmp_path):
    from pipeline.common.config import config_from_dict
    from pipeline.common.errors import ConfigError

    with pytest.raises(ConfigError, match="national run needs boundary.path"):
        config_from_dict({"project": {"name": "g"}, "boundary": {"bbox": [22.9, 39.3, 23.0, 39.4]},
                          "sources": {"osm": {"path": "x.pbf"}}, "national": {}}, tmp_path)


def test_from_files_in_this_process_the_memory_budget_chooses_whole_or_tiles(workload, tmp_path, monkeypatch):
    """Without a cluster the run reads the layers whole when they fit the
    memory budget, and otherwise works in as many tiles as the budget needs
    (each within it); the features are the same either way, and the same as
    in memory."""
    from pipeline import distributed
    from pipeline.common import _memory, settings

    assets, context = workload
    write_workload(6000, tmp_path, seed=5)
    paths = {name: str(tmp_path / f"{name}.parquet") for name in ("assets", "buildings", "roads", "pois")}
    seen: list = []
    real = distributed._tile_features
    monkeypatch.setattr(distributed, "_tile_features", lambda *a, **k: seen.append(a[0]) or real(*a, **k))
    want = compute_features(assets, context, engines.CRITERIA)

    def run(budget_mb):
        monkeypatch.setattr(settings, "MEMORY_BUDGET_MB", budget_mb)
        seen.clear()
        got = compute_features_from_files(paths, None, engines.CRITERIA, prepare=dask_engine.prepare)
        got = got.set_index("asset_id").loc[want["asset_id"]]
        for c in engines.CRITERIA:
            np.testing.assert_array_equal(got[f"c_{c}"].to_numpy(), want[f"c_{c}"].to_numpy(), err_msg=c)
        return distributed.memory_plan(paths)

    plan = run(None)  # 60 % of this machine: a few thousand assets fit
    assert plan.whole and len(seen) == 1
    layers = sum(_memory.geoparquet_bytes(p) for p in paths.values())
    fixed = _memory.run_bytes(0.0, len(assets), settings.WORK_MEMORY_MB * 2**20)
    plan = run((fixed + 2 * 1000 * layers / len(assets)) / 2**20)  # room for tiles of a thousand assets
    assert not plan.whole and len(seen) == plan.grid[0] * plan.grid[1] >= 6
    assert plan.whole_bytes > plan.budget_bytes


def test_the_assets_near_a_tile_are_found_from_the_bbox_covering_alone(workload, tmp_path):
    """The refs of the assets around a tile come from the bbox columns without
    decoding a geometry: the same rows as geopandas' bbox read; a file without
    the columns is a clear error."""
    import geopandas as gpd

    from pipeline.distributed import _refs_within

    assets, _ = workload
    with_box, without = tmp_path / "with.parquet", tmp_path / "without.parquet"
    assets.to_parquet(with_box, write_covering_bbox=True)
    assets.to_parquet(without)
    x0, y0, x1, y1 = assets.total_bounds
    for box in [(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2), (x1 + 1, y1 + 1, x1 + 2, y1 + 2), (x0, y0, x1, y1)]:
        want = sorted(gpd.read_parquet(with_box, bbox=box)["osm_ref"].dropna())
        assert sorted(_refs_within(with_box, box)) == want
    with pytest.raises(ValueError, match="without.parquet: no bbox covering"):
        _refs_within(without, (x0, y0, x1, y1))
    assert 0 < len(_refs_within(with_box, (x0, y0, (x0 + x1) / 2, (y0 + y1) / 2))) < assets["osm_ref"].notna().sum()
