"""A built-in source and a plugin's are added by one recipe (docs/extending.md,
section 3): a module holding the section's model and its reader, ending with
one ``register_source`` call; the config's ``sources:`` section is built from
the registry, with no special case for the built-in ones."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from pipeline.common import config as config_module
from pipeline.common.config import SOURCE_SECTIONS, config_from_dict, demo_config_path, read_yaml
from pipeline.common.errors import ConfigError
from pipeline.extract import BUILT_IN, registry

DOCS = Path(__file__).resolve().parent.parent / "docs" / "extending.md"


def test_every_built_in_source_holds_its_model_beside_its_reader():
    built_in = {f"pipeline.extract.{m}" for m in BUILT_IN}
    for source in registry.SOURCES.values():
        if source.model is None:
            assert source.section == "boundary"  # the study area is the project's own setting
            continue
        assert source.model.__module__ in built_in, source.name
        assert source.read.__module__ == source.model.__module__, source.name
        assert SOURCE_SECTIONS[source.section.removeprefix("sources.")].model is source.model
    assert [s.section.removeprefix("sources.") for s in registry.SOURCES.values() if s.model] == list(SOURCE_SECTIONS)


def test_the_config_module_defines_no_source_model():
    models = [v for v in vars(config_module).values() if isinstance(v, type) and issubclass(v, BaseModel)]
    ours = {m.__name__ for m in models if m.__module__ == "pipeline.common.config"}
    assert ours and not ours & {s.model.__name__ for s in registry.SOURCES.values() if s.model}


def test_a_built_in_section_is_validated_only_through_the_registry():
    data = read_yaml(demo_config_path())
    data["sources"]["zones"] = [{"path": "flood.gpkg", "kind": "flood"}]
    assert config_from_dict(data, demo_config_path().parent).sources["zones"][0].kind == "flood"
    zones = registry.SOURCES["zones"]
    registry.unregister_source("zones")
    try:
        with pytest.raises(ConfigError) as err:
            config_from_dict(data, demo_config_path().parent)
        assert "sources.zones: unknown key" in str(err.value)
    finally:
        registry.register_source(zones)
    assert list(registry.SOURCES)[-1] == "zones" and "zones" in SOURCE_SECTIONS


def test_a_list_section_keyed_once_names_the_repeated_key():
    data = read_yaml(demo_config_path())
    data["sources"]["rasters"] = [{"path": "a.tif", "kind": "dem"}, {"path": "b.tif", "kind": "dem"}]
    with pytest.raises(ConfigError) as err:
        config_from_dict(data, demo_config_path().parent)
    assert "sources.rasters: one raster per kind; dem given more than once" in str(err.value)


def test_a_required_section_missing_is_named():
    data = read_yaml(demo_config_path())
    del data["sources"]["osm"]
    with pytest.raises(ConfigError) as err:
        config_from_dict(data, demo_config_path().parent)
    assert "sources.osm: required key is missing" in str(err.value)


def test_the_docs_source_module_imported_as_a_built_in_one_is_registered_and_validated(tmp_path):
    """The recipe's module imported directly, as pipeline.extract imports its
    BUILT_IN modules (no entry point): its section is validated like ours."""
    blocks = dict(re.findall(r"```python\n# (\S+)\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S))
    path = tmp_path / "energy_certificates.py"
    path.write_text(blocks["idle_assets_example/energy_certificates.py"], encoding="utf-8")
    from pipeline import features

    spec = importlib.util.spec_from_file_location("builtin_energy_certificates", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    criteria = set(features.REGISTRY)
    try:
        spec.loader.exec_module(module)
        data = read_yaml(demo_config_path())
        data["sources"]["energy_certificates"] = {"path": "pea.csv"}
        cfg = config_from_dict(data, demo_config_path().parent)
        assert cfg.sources["energy_certificates"].path == demo_config_path().parent / "pea.csv"
        assert "energy_certificates" in cfg.sources.dump()
        data["sources"]["energy_certificates"]["colour"] = "red"
        with pytest.raises(ConfigError, match=r"sources\.energy_certificates\.colour: unknown key"):
            config_from_dict(data, demo_config_path().parent)
    finally:
        registry.unregister_source("energy_certificates")
        for name in set(features.REGISTRY) - criteria:
            features.REGISTRY.pop(name)
        del sys.modules[spec.name]
    assert "energy_certificates" not in SOURCE_SECTIONS
