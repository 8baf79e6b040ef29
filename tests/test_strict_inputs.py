"""Inputs that used to be taken silently or break a run (issue 26, items 7-11):
each is refused with a message naming the place, or read as the user meant."""

from __future__ import annotations

from pathlib import Path

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
    profile.write_text((ROOT / "pipeline" / "profiles" / "social_farm.yaml").read_text(encoding="utf-8")
                       .replace("name: social_farm", "name: farm2\nimpact: farm"), encoding="utf-8")
    config.write_text(_demo_config_text(tmp_path).replace(
        "  use: [social_farm,", f"  files: [{profile}]\n  use: [farm2, social_farm,"), encoding="utf-8")
    assert main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "farm2.yaml" in err and "line 9: key 'impact' repeats the key of line 3" in err


# 10. a register whose formatting reaches column XFD, with 1,000 empty formatted rows, reads its 20 rows
def test_a_register_formatted_to_the_last_column_reads_only_its_cells(tmp_path, monkeypatch):
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from pipeline.config import RegisterSource
    from pipeline.extract.register import read_register
    from pipeline.io import read_table

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
