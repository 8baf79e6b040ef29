"""The stage cache and the manifest: a run is reproducible, recomputes only
what changed, records what it read and wrote, notices an input changed under
it, and its cache can never run code."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.common.config import config_from_dict, demo_config_path, read_yaml
from pipeline.runner import analyse, project_cache_dir, run_project
from pipeline.stages import STAGES
from pipeline.common.errors import IdleAssetsError
from projects import DEMO, ROOT, demo_config, demo_data, file_digests


@pytest.mark.slow
def test_two_runs_give_byte_identical_outputs(tmp_path):
    """Every output but the manifest (which records times): tables, workbook,
    GeoPackage, GeoParquet, maps, annex (MD, HTML, PDF), figures (PNG, SVG);
    the second run from the stage cache, the third recomputed."""
    a = run_project(demo_config(), tmp_path / "a")
    b = run_project(demo_config(), tmp_path / "b")
    c = run_project(demo_config(), tmp_path / "c", force=True)
    assert b.stage_cache == "hit" and c.stage_cache == "miss"
    files = {k: v for k, v in file_digests(tmp_path / "a").items() if k != "manifest.json"}
    assert {Path(k).suffix for k in files} >= {".csv", ".xlsx", ".gpkg", ".parquet", ".html", ".md", ".png", ".svg"}
    for other in ("b", "c"):
        assert {k: v for k, v in file_digests(tmp_path / other).items() if k != "manifest.json"} == files, other
    pd.testing.assert_frame_equal(a.scored.scores, b.scored.scores)


@pytest.mark.slow
def test_stage_cache_recomputes_only_what_changed(tmp_path):
    """A whole run fills the cache; the runs after it analyse only (the
    cache sits in front of publishing, which would add minutes to the test)."""
    out = tmp_path / "out"
    first = run_project(demo_config(), out)
    assert first.stage_cache == "miss"

    def again(config, force=False):
        return analyse(config, project_cache_dir(config), force)

    repeated = again(demo_config())
    # a hit runs only the stages after the cache's boundary (score, match, plan)
    assert repeated.stage_cache == "hit" and set(repeated.seconds) == {s.name for s in STAGES if not s.cached}
    assert set(first.seconds) >= {"extract", "solar", "transform", "features", "score", "match", "plan", "publish"}
    pd.testing.assert_frame_equal(first.scored.scores, repeated.scored.scores)
    # new weights: features reused, scores recomputed
    uses = read_yaml(demo_config_path())["profiles"]["use"]
    reweighted = again(demo_config(profiles={"use": uses, "weights": {"social_farm": {"area_m2": 3.0}}}))
    assert reweighted.stage_cache == "hit"
    farm = lambda r: r.scored.scores.query("use == 'social_farm' and eligible").set_index("asset_id")["score"]
    assert not farm(reweighted).equals(farm(first))
    assert again(demo_config(), force=True).stage_cache == "miss"
    # a changed input file invalidates the cache
    register = tmp_path / "register.csv"
    shutil.copy(ROOT / "data" / "raw" / "demo" / "asset_register.csv", register)
    changed = demo_config(sources={**read_yaml(demo_config_path())["sources"], "register": {"path": str(register)}})
    assert again(changed).stage_cache == "miss"
    assert again(changed).stage_cache == "hit"
    register.write_text(register.read_text(encoding="utf-8").replace("DEMO-R07,Town hall annex (sample),Municipality,in use",
                                                                      "DEMO-R07,Town hall annex (sample),Municipality,idle"), encoding="utf-8")
    after = again(changed)
    assert after.stage_cache == "miss" and "reg-DEMO-R07" not in set(first.features["asset_id"])
    assert "DEMO-R07" in ";".join(after.features["register_id"].dropna())
    # one entry per project, outside the output folder, and no pickle anywhere
    entries = list(project_cache_dir(changed).iterdir())
    assert len(entries) == 1 and (entries[0] / "meta.json").is_file()
    assert not list(entries[0].glob("*.pkl")) and not list(out.rglob("*.pkl"))
    assert not [p for p in out.rglob("*") if "cache" in p.name]


@pytest.mark.slow
def test_manifest_records_inputs_versions_counts_and_outputs(tmp_path):
    result = run_project(demo_config(), tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    register = ROOT / "data" / "raw" / "demo" / "asset_register.csv"
    by_source = {i["source"]: i for i in manifest["inputs"]}
    assert by_source["register"]["sha256"] == hashlib.sha256(register.read_bytes()).hexdigest()
    assert by_source["osm"]["path"].endswith("test.osm.pbf")
    assert manifest["libraries"]["geopandas"] and manifest["libraries"]["shapely"].startswith("2")
    assert manifest["started"] <= manifest["finished"]
    assert manifest["counts"]["transform"]["idle assets"] == len(result.features)
    assert manifest["config"]["project"]["name"] == "demo" and isinstance(manifest["warnings"], list)
    outputs = {Path(o["path"]).name: o["sha256"] for o in manifest["outputs"]}
    assert outputs["matching.csv"] == hashlib.sha256((tmp_path / "matching.csv").read_bytes()).hexdigest()
    # publishing's time, output by output, within the whole publish time
    from pipeline.publish import OUTPUTS

    each = {k: v for k, v in manifest["seconds"].items() if k.startswith("publish ")}
    assert set(each) == {f"publish {name}" for name in ("view", *OUTPUTS)}
    assert all(v >= 0 for v in each.values()) and sum(each.values()) <= manifest["seconds"]["publish"] + 0.01


@pytest.mark.slow
def test_an_input_changed_during_the_run_is_detected(tmp_path, monkeypatch):
    register = tmp_path / "register.csv"
    register.write_bytes((DEMO / "asset_register.csv").read_bytes())
    data = demo_data()
    data["sources"]["register"]["path"] = str(register)
    config = config_from_dict(data, tmp_path, "demo")
    import dataclasses

    import pipeline.runner as runner

    def edit_after(stage):
        def extract_then_edit(*args):
            raw = stage.func(*args)
            register.write_text(register.read_text(encoding="utf-8").replace("Town hall annex", "Town hall"),
                                encoding="utf-8")
            return raw
        return dataclasses.replace(stage, func=extract_then_edit)

    # the declared extract stage edits the register once it has read it
    monkeypatch.setattr(runner, "STAGES", tuple(edit_after(s) if s.name == "extract" else s for s in runner.STAGES))
    with pytest.raises(IdleAssetsError, match="changed while this run was reading it"):
        run_project(config, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    folder = project_cache_dir(config)
    assert not folder.exists() or not any(folder.iterdir())


def _inside(a: Path, b: Path) -> bool:
    a, b = Path(os.path.abspath(a)), Path(os.path.abspath(b))
    return a == b or b in a.parents


@pytest.mark.slow
def test_stage_cache_cannot_run_code_and_clears_leftovers(tmp_path, monkeypatch):
    config = config_from_dict(demo_data(), demo_config_path().parent, "demo")
    out = tmp_path / "out"
    first = run_project(config, out)
    folder = project_cache_dir(config)
    entry = next(p for p in folder.iterdir() if p.is_dir())
    assert not _inside(folder, out) and not list(entry.rglob("*.pkl"))
    assert {p.suffix for p in entry.iterdir()} <= {".parquet", ".json", ".npy"}
    # a pickle planted where the old cache lived is never read; a damaged entry is recomputed
    marker = tmp_path / "RAN"
    import pickle

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (out / ".stage-cache").mkdir(exist_ok=True)
    (out / ".stage-cache" / f"features-{entry.name}.pkl").write_bytes(pickle.dumps(Evil()))
    (entry / "features.parquet").write_bytes(pickle.dumps(Evil()))
    (folder / f"{entry.name}.xyz.part").mkdir()
    second = run_project(config, tmp_path / "out2")
    assert not marker.exists() and second.stage_cache == "miss"
    assert not list(folder.glob("*.part"))
    pd.testing.assert_frame_equal(first.scored.scores, second.scored.scores)
