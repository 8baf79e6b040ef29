"""Inputs that used to be taken silently or break a run (issue 26, items 7-11):
each is refused with a message naming the place, or read as the user meant."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main

from test_trust import DEMO

ROOT = Path(__file__).resolve().parents[1]


def _demo_config_text(tmp: Path) -> str:
    return (ROOT / "configs" / "demo.yaml").read_text(encoding="utf-8").replace(
        "../data/raw/demo/", f"{DEMO}/")


# 7. a key given twice is an error naming both lines, in configs and in profiles
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


# 10. a register whose formatting reaches column XFD, with 1,000 empty formatted rows, reads its 20 rows
@pytest.mark.slow
def test_a_register_formatted_to_the_last_column_reads_only_its_cells(tmp_path, monkeypatch):
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from pipeline.extract.register import RegisterSource
    from pipeline.extract.register import read_register
    from pipeline.common.io import read_table

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("register")
    bold = Font(bold=True)

    def styled(values, width):
        cells = []
        for c in range(width):
            cell = WriteOnlyCell(sheet, value=values[c] if c < len(values) else None)
            cell.font = bold
            cells.append(cell)
        return cells

    sheet.append(styled(["register_id", "name", "status", "kind", "x", "y", "area_m2"], 16384))  # A1:XFD1
    for i in range(20):
        sheet.append(styled([f"R{i}", f"Plot {i}", "idle", "land", 22.95 + i * 1e-4, 39.36, 500], 7))
    for _ in range(1000):
        sheet.append(styled([], 30))
    book.save(tmp_path / "register.xlsx")

    def walks_every_formatted_cell(*args, **kwargs):
        raise AssertionError("openpyxl's reader walks every formatted cell of the sheet")

    monkeypatch.setattr(openpyxl, "load_workbook", walks_every_formatted_cell)
    monkeypatch.setattr(openpyxl.reader.excel, "load_workbook", walks_every_formatted_cell)
    table = read_table(tmp_path / "register.xlsx", "register")
    assert table.shape == (20, 7) and table["area_m2"].tolist() == ["500"] * 20
    register = read_register(RegisterSource(path=tmp_path / "register.xlsx", crs="EPSG:4326"))
    assert register["register_id"].tolist() == [f"R{i}" for i in range(20)]


# 11. smaller inputs that used to pass or crash
def test_a_weight_too_large_to_add_up_is_refused(tmp_path, capsys):
    config = tmp_path / "project.yaml"
    config.write_text(_demo_config_text(tmp_path).replace(
        "  use: [social_farm,", "  weights: {social_farm: {area_m2: 1.0e+308}}\n  use: [social_farm,"), encoding="utf-8")
    assert main(["validate", "--config", str(config)]) == 2
    assert "profiles.weights.social_farm.area_m2: Input should be less than or equal to 1000000" in \
        capsys.readouterr().err


def test_the_survey_packs_asset_list_holds_no_formula(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from pipeline.publish.survey_form import write_survey_form
    from pipeline.survey.form import build_form

    inventory = gpd.GeoDataFrame({"asset_id": ["reg-R1", "reg-R2"], "name": ["=1+1", "@SUM(A1)"],
                                  "kind": ["land", "building"], "ownership": ["municipal", "unknown"],
                                  "confidence": ["confirmed", "to verify"], "conflicts": [None, None]},
                                 geometry=[box(400000, 4300000, 400050, 4300050), box(400100, 4300000, 400150, 4300050)],
                                 crs=2100)
    write_survey_form(tmp_path, build_form(inventory, ["social_farm"], "Τεστ", "test", "1", 50.0))
    text = (tmp_path / "assets.csv").read_text(encoding="utf-8")
    cells = [c for line in text.splitlines()[1:] for c in line.split(",")]
    assert "reg-R1" in cells and not [c for c in cells if c.lstrip('"').startswith(("=", "@", "+"))]


def test_ids_are_composed_and_invisible_characters_removed(tmp_path):
    import unicodedata

    from pipeline.extract.register import RegisterSource
    from pipeline.common.errors import InputError
    from pipeline.extract.register import read_register

    nfc, nfd = unicodedata.normalize("NFC", "ΑΚΊΝΗΤΟ-1"), unicodedata.normalize("NFD", "ΑΚΊΝΗΤΟ-1")
    assert nfc != nfd
    path = tmp_path / "register.csv"
    path.write_text("register_id,name,status,kind,x,y\n"
                    f"{nfc},Plot,idle,land,22.95,39.36\n{nfd},Plot again,idle,land,22.96,39.36\n", encoding="utf-8")
    with pytest.raises(InputError, match="is used more than once"):
        read_register(RegisterSource(path=path, crs="EPSG:4326"))
    path.write_text("register_id,name,status,kind,x,y\n"
                    "R\u200b1,Old \u202eloohcs\u202c mill\u200d,idle,land,22.95,39.36\n", encoding="utf-8")
    notes: list[dict] = []
    reg = read_register(RegisterSource(path=path, crs="EPSG:4326"), notes)
    assert reg["register_id"].tolist() == ["R1"] and reg["name"].tolist() == ["Old loohcs mill"]
    assert [n["detail"] for n in notes if n["action"].startswith("repaired: control characters")] == ["row 2 (R1)"]


def test_negative_gps_precision_is_an_error(tmp_path):
    from pipeline.extract.survey import SurveySource
    from pipeline.common.errors import InputError
    from pipeline.extract.survey import read_survey

    path = tmp_path / "survey.csv"
    path.write_text("_id,latitude,longitude,precision,occupancy\n1,39.36,22.95,-5,vacant\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2 \(1\): GPS precision -5 m is negative"):
        read_survey(SurveySource(path=path))


def test_survey_pack_options_out_of_range_are_refused(capsys):
    import geopandas as gpd
    from shapely.geometry import box

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
