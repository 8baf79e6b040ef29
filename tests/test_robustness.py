"""Nothing lost, reproducible, resumable, private: the run as a whole."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline.common.config import config_from_dict, demo_config_path, load_config, read_yaml
from pipeline.runner import analyse, project_cache_dir, run_project
from pipeline.stages import STAGES

#: runs the pipeline (make test-fast leaves it out)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def digest(folder: Path, pattern: str = "*.csv") -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob(pattern))}


def every_file(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def demo(**changes):
    data = read_yaml(demo_config_path())
    data.update(changes)
    return config_from_dict(data, demo_config_path().parent, "demo")


def test_two_runs_give_byte_identical_outputs(tmp_path):
    """Every output but the manifest (which records times): tables, workbook,
    GeoPackage, GeoParquet, maps, annex (MD, HTML, PDF), figures (PNG, SVG);
    the second run from the stage cache, the third recomputed."""
    a = run_project(demo(), tmp_path / "a")
    b = run_project(demo(), tmp_path / "b")
    c = run_project(demo(), tmp_path / "c", force=True)
    assert b.stage_cache == "hit" and c.stage_cache == "miss"
    files = {k: v for k, v in every_file(tmp_path / "a").items() if k != "manifest.json"}
    assert {Path(k).suffix for k in files} >= {".csv", ".xlsx", ".gpkg", ".parquet", ".html", ".md", ".png", ".svg"}
    for other in ("b", "c"):
        assert {k: v for k, v in every_file(tmp_path / other).items() if k != "manifest.json"} == files, other
    pd.testing.assert_frame_equal(a.scored.scores, b.scored.scores)


def test_stage_cache_recomputes_only_what_changed(tmp_path):
    """A whole run fills the cache; the runs after it analyse only (the
    cache sits in front of publishing, which would add minutes to the test)."""
    out = tmp_path / "out"
    first = run_project(demo(), out)
    assert first.stage_cache == "miss"

    def again(config, force=False):
        return analyse(config, project_cache_dir(config), force)

    repeated = again(demo())
    # a hit runs only the stages after the cache's boundary (score, match, plan)
    assert repeated.stage_cache == "hit" and set(repeated.seconds) == {s.name for s in STAGES if not s.cached}
    assert set(first.seconds) >= {"extract", "solar", "transform", "features", "score", "match", "plan", "publish"}
    pd.testing.assert_frame_equal(first.scored.scores, repeated.scored.scores)
    # new weights: features reused, scores recomputed
    uses = read_yaml(demo_config_path())["profiles"]["use"]
    reweighted = again(demo(profiles={"use": uses, "weights": {"social_farm": {"area_m2": 3.0}}}))
    assert reweighted.stage_cache == "hit"
    farm = lambda r: r.scored.scores.query("use == 'social_farm' and eligible").set_index("asset_id")["score"]
    assert not farm(reweighted).equals(farm(first))
    assert again(demo(), force=True).stage_cache == "miss"
    # a changed input file invalidates the cache
    register = tmp_path / "register.csv"
    shutil.copy(ROOT / "data" / "raw" / "demo" / "asset_register.csv", register)
    changed = demo(sources={**read_yaml(demo_config_path())["sources"], "register": {"path": str(register)}})
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


def test_manifest_records_inputs_versions_counts_and_outputs(tmp_path):
    result = run_project(demo(), tmp_path)
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


def test_raw_inputs_are_never_modified(shared, tmp_path):
    config = load_config(ROOT / "configs" / "volos.yaml")
    raw = [p for p in (ROOT / "data" / "raw").rglob("*") if p.is_file()] + [p for p in shared.rglob("*") if p.is_file()]
    folders = [p for root in (ROOT / "data" / "raw", shared) for p in (root, *root.rglob("*")) if p.is_dir()]
    before = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in raw}
    folders_before = {p: p.stat().st_mtime_ns for p in folders}  # a file created and deleted there changes it
    run_project(config, tmp_path)
    after = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in raw}
    assert before == after
    assert folders_before == {p: p.stat().st_mtime_ns for p in folders}
    assert {p for p in (ROOT / "data" / "raw").rglob("*") if p.is_file()} | {p for p in shared.rglob("*") if p.is_file()} == set(raw)


def test_columns_marked_private_are_not_published(shared, tmp_path):
    data = read_yaml(ROOT / "configs" / "volos.yaml")
    data["sources"]["survey"]["private"] = ["notes", "photo"]
    data["sources"]["register"]["private"] = ["owner"]
    config = config_from_dict(data, ROOT / "configs", "volos private")
    run_project(config, tmp_path)
    secrets = ["στέγη σε καλή κατάσταση", "example.org/volos/70101.jpg", "υγρασία στη βόρεια πλευρά"]
    for f in tmp_path.rglob("*"):
        if f.is_file() and f.suffix in {".csv", ".html", ".md"}:
            text = f.read_text(encoding="utf-8-sig")
            assert not [s for s in secrets if s in text], f
    import geopandas as gpd

    inv = gpd.read_file(tmp_path / "idle_assets.gpkg", layer="idle_assets")
    assert inv["owner"].isna().all() and inv["survey_notes"].isna().all() and inv["photos"].isna().all()


def test_a_run_killed_mid_write_leaves_the_previous_outputs_intact(tmp_path):
    out = tmp_path / "out"
    staging = tmp_path / ".out.idle-assets-staging"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    cmd = [sys.executable, "-m", "pipeline", "--quiet", "run", "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    good = every_file(out)
    assert len(good) > 40
    killed_mid_write = False
    for _ in range(10):
        proc = subprocess.Popen(cmd + ["--force"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if (staging / "maps").is_dir():  # publishing has begun: tables written, maps under way
                proc.send_signal(signal.SIGKILL)
                killed_mid_write = True
                break
            time.sleep(0.0005)
        proc.wait()
        if killed_mid_write:
            break
    assert killed_mid_write, "the run always finished before it could be killed mid-write"
    # the previous output set is there, whole and unchanged, manifest included
    assert every_file(out) == good
    # the next run clears what the killed run left (its staging folder) and swaps in a complete set
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    assert not staging.exists() and not list(tmp_path.glob(".out.idle-assets-previous"))
    again = every_file(out)
    assert set(again) == set(good)
    # the same outputs, but for the annex, which now opens with what changed since the run before: nothing
    same = lambda files: {k: v for k, v in files.items() if k != "manifest.json" and not k.startswith("annex.")}
    assert same(again) == same(good)
    text = (out / "annex.md").read_text(encoding="utf-8")
    assert "What changed since the last run" in text and "Nothing changed. / Καμία αλλαγή." in text
