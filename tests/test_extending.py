"""The four recipes of docs/extending.md, tried as a user would: the docs' code
blocks are written into a temporary installed package (with its entry points),
and the demo project runs with all four."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline import features, plugins
from pipeline.score import profiles
from pipeline.common.config import SOURCE_SECTIONS, config_from_dict, demo_config_path, read_yaml
from pipeline.common.errors import ConfigError
from pipeline.extract import registry
from pipeline.manifest import stage_key
from pipeline.publish import OUTPUTS
from pipeline.runner import run_project

#: runs the pipeline (make test-fast leaves it out)
pytestmark = pytest.mark.slow

DOCS = Path(__file__).resolve().parent.parent / "docs" / "extending.md"
PACKAGE = "idle_assets_example"
MODULES = ("food_shop", "repair_cafe", "energy_certificates", "plan_geojson")


def docs_files() -> dict[str, str]:
    """Every code block of the docs headed by ``# <file path>``, by path."""
    blocks = re.findall(r"```(?:python|yaml)\n# (\S+)\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)
    return {path: body for path, body in blocks}


def install_package(root: Path) -> None:
    """The recipes as an installed package: its modules and a dist-info
    declaring one ``idle_assets.plugins`` entry point per module."""
    for rel, body in docs_files().items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    (root / PACKAGE / "__init__.py").touch()
    info = root / f"{PACKAGE}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        f"[{plugins.GROUP}]\n" + "".join(f"{m} = {PACKAGE}.{m}\n" for m in MODULES), encoding="utf-8")


def certificates_csv(path: Path, demo_out: Path | None = None) -> Path:
    """Energy certificates at real building corners of the demo's extract:
    class G on the first half, class B on the rest (invented classes)."""
    import pyrosm

    buildings = pyrosm.OSM(pyrosm.get_data("test_pbf")).get_buildings()
    pts = shapely.get_coordinates(buildings.geometry.to_numpy()[:400])[::7]
    classes = np.where(np.arange(len(pts)) < len(pts) // 2, "G", "B")
    pd.DataFrame({"x": pts[:, 0], "y": pts[:, 1], "energy_class": classes}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    """The recipes' package installed and loaded; everything it registered is
    removed afterwards so other tests see the built-in pipeline only."""
    root = tmp_path_factory.mktemp("site")
    install_package(root)
    before = (set(features.REGISTRY), set(registry.SOURCES), set(OUTPUTS), list(profiles.PROFILE_DIRS))
    sys.path.insert(0, str(root))
    try:
        loaded = plugins.load_plugins()
        yield root, loaded
    finally:
        sys.path.remove(str(root))
        for name in set(features.REGISTRY) - before[0]:
            features.REGISTRY.pop(name)
        for name in set(registry.SOURCES) - before[1]:
            registry.unregister_source(name)
        for name in set(OUTPUTS) - before[2]:
            OUTPUTS.pop(name)
        profiles.PROFILE_DIRS[:] = before[3]
        plugins._loaded.clear()
        for mod in [m for m in sys.modules if m.startswith(PACKAGE)]:
            del sys.modules[mod]


@pytest.fixture(scope="module")
def extended_run(extended, tmp_path_factory):
    root, _ = extended
    work = tmp_path_factory.mktemp("project")
    data = read_yaml(demo_config_path())
    data["sources"]["energy_certificates"] = {"path": str(certificates_csv(work / "pea.csv")),
                                              "attribution": "Energy certificates: invented sample"}
    data["profiles"]["use"] = [*data["profiles"]["use"], "repair_cafe"]
    config = config_from_dict(data, demo_config_path().parent)
    return config, run_project(config, out=work / "out")


def test_the_plugins_load_from_their_entry_points(extended):
    _, loaded = extended
    assert sorted(loaded) == sorted(MODULES)
    assert {"food_shop_distance_m", "poor_energy_class_share"} <= set(features.REGISTRY)
    assert "energy_certificates" in registry.SOURCES and "energy_certificates" in SOURCE_SECTIONS


def test_recipe_criterion_measures_the_distance_to_a_food_shop(extended_run):
    config, result = extended_run
    f = result.features
    pois = result.prepared.context.pois
    shops = pois[pois["tags"].map(lambda t: t.get("shop") == "convenience")]  # the one food shop of the extract
    assert len(shops) == 1
    expected = f.geometry.apply(lambda g: shops.distance(g).min()).clip(upper=5000)
    assert np.allclose(f["c_food_shop_distance_m"].to_numpy(), expected.to_numpy())
    # declared reach: a partitioned run gives it the POIs within 5 km and nothing else
    assert features.layer_halos(["food_shop_distance_m"]) == {"buildings": None, "landuse": None, "roads": None,
                                                              "pois": 5000.0}
    assert "`food_shop_distance_m`" in features.criteria_markdown()


def test_recipe_profile_is_scored_like_a_built_in_one(extended_run):
    _, result = extended_run
    mine = result.scored.scores[result.scored.scores["use"] == "repair_cafe"]
    assert len(mine) == len(result.features)
    assert mine["eligible"].any() and mine.loc[mine["eligible"], "score"].between(0, 100).all()
    ranking = Path(result.files[0]).parent / "ranking_repair_cafe.csv"
    assert ranking.is_file()


def test_recipe_source_is_read_hashed_credited_and_scored(extended_run):
    config, result = extended_run
    values = result.features["c_poor_energy_class_share"]
    assert values.notna().any() and values.dropna().between(0, 1).all()
    assert (values.dropna() > 0).any() and (values.dropna() < 1).any()  # both halves of the invented classes are seen
    out = Path(result.files[0]).parent
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "energy_certificates" in {i["source"] for i in manifest["inputs"]}
    assert manifest["config"]["sources"]["energy_certificates"]["attribution"] == "Energy certificates: invented sample"
    assert "Energy certificates: invented sample" in (out / "plan.csv").read_text(encoding="utf-8-sig")
    assert "**energy_certificates**" in (out / "inputs_report.md").read_text(encoding="utf-8")
    # a change to the registered source's data changes the stage-cache key
    inputs = [{"source": "energy_certificates", "sha256": "a"}]
    assert stage_key(config, inputs) != stage_key(config, [{"source": "energy_certificates", "sha256": "b"}])


def test_recipe_source_section_is_validated_with_its_key_path(extended):
    data = read_yaml(demo_config_path())
    data["sources"]["energy_certificates"] = {"path": "pea.csv", "colour": "red"}
    with pytest.raises(ConfigError) as err:
        config_from_dict(data, demo_config_path().parent)
    assert "energy_certificates.colour: unknown key" in str(err.value)


def test_recipe_output_is_written_with_the_run_and_listed(extended_run):
    _, result = extended_run
    out = Path(result.files[0]).parent
    planned = gpd.read_file(out / "plan.geojson")
    assert planned.crs.to_epsg() == 4326
    assert set(planned["asset_id"]) == set(result.plan["asset_id"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert any(o["path"].endswith("plan.geojson") for o in manifest["outputs"])


def test_a_criterion_added_or_changed_changes_the_stage_cache_key():
    config = config_from_dict(read_yaml(demo_config_path()), demo_config_path().parent)
    before = stage_key(config, [])

    @features.criterion("test_only_one", "count", "one", "ένα", reads={})
    def one(assets, context):
        return pd.Series(1.0, index=assets.index)

    try:
        added = stage_key(config, [])
        assert added != before

        @features.criterion("test_only_one", "count", "one", "ένα", reads={})
        def two(assets, context):
            return pd.Series(2.0, index=assets.index)

        assert stage_key(config, []) not in (before, added)
    finally:
        features.REGISTRY.pop("test_only_one")
    assert stage_key(config, []) == before


def test_a_broken_plugin_names_itself(tmp_path, monkeypatch):
    (tmp_path / "broken_plugin.py").write_text("raise RuntimeError('no such thing')\n", encoding="utf-8")
    info = tmp_path / "broken_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken_plugin\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{plugins.GROUP}]\nbroken = broken_plugin\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError) as err:
        plugins.load_plugins()
    assert "broken (broken_plugin): cannot be imported (RuntimeError: no such thing)" in str(err.value)
