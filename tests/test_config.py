from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.common.config import config_from_dict, load_config
from pipeline.common.errors import ConfigError, InputError
import subprocess
import sys
import geopandas as gpd
import yaml
from shapely.geometry import box
from pipeline.cli import main
from pipeline.publish.tables import sheet_names
from projects import DEMO, ROOT, demo_data, fails, write_config

BASE = {
    "project": {"name": "t"},
    "boundary": {"bbox": [22.9, 39.3, 23.0, 39.4]},
    "sources": {"osm": {"path": "x.osm.pbf"}},
}


def test_unknown_keys_are_reported_with_their_path_all_at_once(tmp_path):
    data = {**BASE, "sources": {"osm": {"pth": "x.osm.pbf"}, "registr": {}}, "crs": "EPSG:2100", "outptu": {},
            "plan": {"targets": [{"uses": ["social_farm"], "cont": 2}]}, "zzz": 1}
    with pytest.raises(ConfigError) as err:
        config_from_dict(data, tmp_path)
    problems = err.value.problems
    # each with the closest key the config knows there (a source's, a list item's), or none when none is close
    assert sorted(problems) == ["outptu: unknown key: did you mean 'output'?",
                                "plan.targets.0.cont: unknown key: did you mean 'count'?",
                                "sources.osm.pth: unknown key: did you mean 'path'?",
                                "sources.registr: unknown key: did you mean 'register'?",
                                "zzz: unknown key (check the spelling)"]


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


@pytest.mark.slow
def test_yaml_typos_and_wrong_types(tmp_path):
    data = demo_data()
    data["sources"]["survey"]["attach_distance_m"] = "fifty"
    data["profile"] = {"use": ["social_farm"]}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "run", "--config", str(tmp_path / "bad.yaml")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "sources.survey.attach_distance_m: Input should be a valid number" in proc.stderr
    assert "profile: unknown key: did you mean 'profiles'?" in proc.stderr


def test_paths_that_do_not_exist_or_are_folders(tmp_path):
    data = demo_data()
    data["sources"]["register"] = {"path": str(tmp_path / "nowhere.csv")}
    data["sources"]["survey"] = {"path": str(tmp_path)}
    msg = fails(tmp_path, data)
    assert "nowhere.csv: file not found" in msg and f"{tmp_path}: is a folder, expected a file" in msg


@pytest.mark.parametrize("change, message", [
    (lambda d, t: d["sources"]["register"].update(encoding="klingon"), "unknown text encoding 'klingon'"),
    (lambda d, t: d.update(sensitivity={"seed": -1}), "sensitivity.seed"),
    (lambda d, t: d["profiles"].update(weights={"social_farm": {"area_m2": float("inf")}}), "finite number"),
    (lambda d, t: d["profiles"].update(weights={"social_farm": {"area_m2": float("nan")}}), "finite number"),
    (lambda d, t: d.update(impact={"farm": {"cultivable_share": {"value": float("inf"), "source": "mine"}}}),
     "finite number"),
])
def test_config_values_that_used_to_crash(tmp_path, capsys, change, message):
    data = demo_data()
    change(data, tmp_path)
    config = write_config(tmp_path, data)
    assert main(["--quiet", "run", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "internal error" not in err


def test_reserved_profile_names_and_unique_sheet_names(tmp_path):
    profile = yaml.safe_load((ROOT / "pipeline" / "score" / "profiles" / "social_farm.yaml").read_text(encoding="utf-8"))
    profile["name"] = "index"
    (tmp_path / "index.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    data = demo_data()
    data["profiles"] = {"use": ["index"], "files": [str(tmp_path / "index.yaml")]}
    config = write_config(tmp_path, data)
    assert main(["--quiet", "validate", "--config", str(config)]) == 2
    long = ["a_use_with_a_very_long_name_number_1", "a_use_with_a_very_long_name_number_2", "Plan"]
    names = sheet_names(["plan", *long])
    assert len({n.casefold() for n in names.values()}) == 4 and all(len(n) <= 31 for n in names.values())


def _demo_config_text(tmp: Path) -> str:
    return (ROOT / "configs" / "demo.yaml").read_text(encoding="utf-8").replace(
        "../data/raw/demo/", f"{DEMO}/")


def test_duplicate_yaml_keys_are_refused_with_both_lines(tmp_path, capsys):
    text = _demo_config_text(tmp_path).replace(
        "    attach_distance_m: 50\n",
        "    attach_distance_m: 50\n    private: [notes, photo]\n    max_precision_m: 30\n    private: []\n")
    config = tmp_path / "project.yaml"
    config.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    first, second = [i + 1 for i, line in enumerate(lines) if line.strip().startswith("private:")]
    assert main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"line {second}: key 'private' repeats the key of line {first}" in err
    profile = tmp_path / "farm2.yaml"
    profile.write_text((ROOT / "pipeline" / "score" / "profiles" / "social_farm.yaml").read_text(encoding="utf-8")
                       .replace("name: social_farm", "name: farm2\nimpact: farm"), encoding="utf-8")
    config.write_text(_demo_config_text(tmp_path).replace(
        "  use: [social_farm,", f"  files: [{profile}]\n  use: [farm2, social_farm,"), encoding="utf-8")
    assert main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "farm2.yaml" in err and "line 9: key 'impact' repeats the key of line 3" in err


def test_a_weight_too_large_to_add_up_is_refused(tmp_path, capsys):
    config = tmp_path / "project.yaml"
    config.write_text(_demo_config_text(tmp_path).replace(
        "  use: [social_farm,", "  weights: {social_farm: {area_m2: 1.0e+308}}\n  use: [social_farm,"), encoding="utf-8")
    assert main(["validate", "--config", str(config)]) == 2
    assert "profiles.weights.social_farm.area_m2: Input should be less than or equal to 1000000" in \
        capsys.readouterr().err


def test_a_profile_named_like_an_output_is_refused(tmp_path, capsys):
    for name in ("atlas", "changes", "field_sheet", "ranking_farms"):
        profile = tmp_path / f"{name}.yaml"
        profile.write_text((ROOT / "pipeline" / "score" / "profiles" / "social_farm.yaml").read_text(encoding="utf-8")
                           .replace("name: social_farm", f"name: {name}"), encoding="utf-8")
        config = tmp_path / "project.yaml"
        config.write_text(_demo_config_text(tmp_path).replace(
            "  use: [social_farm,", f"  files: [{profile}]\n  use: [{name}, social_farm,"), encoding="utf-8")
        assert main(["validate", "--config", str(config)]) == 2
        assert f"'{name}' is reserved for another output" in capsys.readouterr().err


def test_survey_pack_options_out_of_range_are_refused(capsys):

    from pipeline.common.errors import InputError
    from pipeline.survey.pack import check_start

    for visits in ("-3", "0", "two"):
        with pytest.raises(SystemExit) as exit_:
            main(["survey-form", "--visits", visits])
        assert exit_.value.code == 2
    assert "--visits: -3: give 1 or more" in capsys.readouterr().err
    boundary = gpd.GeoDataFrame(geometry=[box(22.90, 39.33, 23.00, 39.40)], crs=4326).to_crs(2100)
    check_start((39.36, 22.95), boundary)
    with pytest.raises(InputError, match="lies outside the project's boundary"):
        check_start((37.97, 23.72), boundary)  # Athens, for a project in Volos


def test_a_municipality_is_found_by_its_nominative_genitive_or_latin_name(shared):
    from pipeline.init_config import find_municipality

    kallikratis = shared / "boundaries" / "kallikratis_dimoi_simpl50m.gpkg"
    for typed in ("Βόλου", "Βόλος", "Volos", "VOLOS", "Δήμος Βόλου"):
        assert find_municipality(typed, kallikratis) == ("Βόλου", "9105"), typed
    assert find_municipality("Larissa", kallikratis)[0] == "Λαρισαίων"
    assert find_municipality("Πάτρα", kallikratis)[0] == "Πατρέων"
    assert find_municipality("Βόλβη", kallikratis)[0] == "Βόλβης"  # near Βόλου, but not taken for it
    with pytest.raises(InputError, match=r"matches 2 features: Ηρακλείου \(9170\), Ηρακλείου \(9305\)"):
        find_municipality("Ηράκλειο", kallikratis)  # Crete's and Attica's: the user gives the code
    with pytest.raises(InputError, match=r"did you mean '(Βοϊου|Βόλου)' or '(Βοϊου|Βόλου)' or 'Βόλβης'\?"):
        find_municipality("Vlos", kallikratis)  # too far from any one name to take: the closest are suggested
    with pytest.raises(InputError, match="no feature with NAME = 'Qwxyz'$"):
        find_municipality("Qwxyz", kallikratis)


def test_run_without_a_project_asks_for_one(capsys):
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "no project given: add --config FILE" in err and "--demo" in err
    assert main(["run", "--demo", "--config", "x.yaml"]) == 2
