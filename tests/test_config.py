from pathlib import Path

import pytest

from pipeline.common.config import config_from_dict, load_config
from pipeline.common.errors import ConfigError

BASE = {
    "project": {"name": "t"},
    "boundary": {"bbox": [22.9, 39.3, 23.0, 39.4]},
    "sources": {"osm": {"path": "x.osm.pbf"}},
}


def test_unknown_keys_are_reported_with_their_path_all_at_once(tmp_path):
    data = {**BASE, "sources": {"osm": {"pth": "x.osm.pbf"}}, "crs": "EPSG:2100", "outptu": {}}
    with pytest.raises(ConfigError) as err:
        config_from_dict(data, tmp_path)
    problems = err.value.problems
    assert sorted(problems) == ["outptu: unknown key (check the spelling)",
                                "sources.osm.pth: unknown key (check the spelling)"]


def test_osm_source_is_a_file_or_overpass(tmp_path):
    cfg = config_from_dict({**BASE, "sources": {"osm": {"overpass": True, "overpass_url": "http://127.0.0.1:9/api"}}}, tmp_path)
    assert cfg.sources["osm"].overpass and cfg.sources["osm"].path is None
    assert str(cfg.sources["osm"].cache()) == "data/raw/cache"
    with pytest.raises(ConfigError, match="not both or neither"):
        config_from_dict({**BASE, "sources": {"osm": {"overpass": True, "path": "a.osm.pbf"}}}, tmp_path)


def test_crs_must_be_metric_and_known(tmp_path):
    with pytest.raises(ConfigError, match="crs: EPSG:4326 is not a projected"):
        config_from_dict({**BASE, "crs": "EPSG:4326"}, tmp_path)
    with pytest.raises(ConfigError, match="not a CRS pyproj understands"):
        config_from_dict({**BASE, "crs": "EPSG:999999"}, tmp_path)


def test_boundary_needs_exactly_one_source(tmp_path):
    with pytest.raises(ConfigError, match="exactly one of 'path' or 'bbox'"):
        config_from_dict({**BASE, "boundary": {}}, tmp_path)
    with pytest.raises(ConfigError, match="west < east"):
        config_from_dict({**BASE, "boundary": {"bbox": [23.0, 39.3, 22.9, 39.4]}}, tmp_path)


def test_relative_paths_are_taken_from_the_config_folder(tmp_path):
    cfg = config_from_dict({**BASE, "sources": {"osm": {"path": "../osm/a.osm.pbf"},
                                                "register": {"path": "reg.csv"}}}, tmp_path / "configs")
    assert Path(cfg.sources["osm"].path) == tmp_path / "osm" / "a.osm.pbf"
    assert cfg.sources["register"].path == tmp_path / "configs" / "reg.csv"
    keep = config_from_dict({**BASE, "sources": {"osm": {"path": "pyrosm:test_pbf"}}}, tmp_path)
    assert keep.sources["osm"].path == "pyrosm:test_pbf"


def test_output_folders_default_and_override(tmp_path):
    cfg = config_from_dict(BASE, tmp_path)
    assert cfg.output_dirs() == (Path("data/processed/t"), Path("maps/t"))
    assert cfg.output_dirs(tmp_path / "o") == (tmp_path / "o", tmp_path / "o" / "maps")


def test_yaml_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("project: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "missing.yaml")
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        load_config(listy)


def test_committed_configs_are_valid():
    root = Path(__file__).resolve().parents[1] / "configs"
    for path in root.glob("*.yaml"):
        assert load_config(path).project.name


def test_paths_may_name_an_environment_variable_with_a_default(tmp_path, monkeypatch):
    data = {**BASE, "sources": {"osm": {"path": "${IA_TEST_DATA:-../shared}/osm/a.osm.pbf"}}}
    monkeypatch.delenv("IA_TEST_DATA", raising=False)
    assert Path(config_from_dict(data, tmp_path / "configs").sources["osm"].path) == tmp_path / "shared" / "osm" / "a.osm.pbf"
    monkeypatch.setenv("IA_TEST_DATA", str(tmp_path / "elsewhere"))
    assert Path(config_from_dict(data, tmp_path / "configs").sources["osm"].path) == tmp_path / "elsewhere" / "osm" / "a.osm.pbf"
    with pytest.raises(ConfigError, match="environment variable IA_UNSET_VAR is not set"):
        config_from_dict({**BASE, "sources": {"osm": {"path": "${IA_UNSET_VAR}/a.osm.pbf"}}}, tmp_path)


def test_the_committed_volos_config_follows_idle_assets_shared_data(monkeypatch, tmp_path):
    monkeypatch.setenv("IDLE_ASSETS_SHARED_DATA", str(tmp_path / "data"))
    cfg = load_config(Path(__file__).resolve().parent.parent / "configs" / "volos.yaml")
    assert Path(cfg.sources["osm"].path) == tmp_path / "data" / "osm" / "volos_center_2020.osm.pbf"


def test_global_flags_after_the_command_and_suggestions_for_typos(capsys):
    from pipeline.cli import build_parser, main

    args = build_parser().parse_args(["criteria", "--quiet"])
    assert args.quiet and not args.debug
    with pytest.raises(SystemExit):
        main(["run", "--fource"])
    assert "--fource: did you mean --force?" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["valdate", "--config", "x.yaml"])
    assert "valdate: did you mean validate?" in capsys.readouterr().err
