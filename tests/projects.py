"""The demo project in a temporary folder, as the whole-pipeline tests use it:
its config as data, written, run, or failed; files of an output compared."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from pipeline.common.config import config_from_dict, demo_config_path, read_yaml
from pipeline.common.errors import IdleAssetsError
from pipeline.runner import run_project

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "raw" / "demo"
#: the demo's boundary box (lon/lat)
BBOX = (26.93, 60.52, 26.97, 60.54)


def demo_data() -> dict:
    """The demo config as data, its table paths absolute (so it runs from any folder)."""
    data = read_yaml(demo_config_path())
    data["sources"]["register"]["path"] = str(DEMO / "asset_register.csv")
    data["sources"]["survey"]["path"] = str(DEMO / "field_survey.csv")
    return data


def demo_config(**changes):
    """The demo config validated, with top-level sections replaced by ``changes``."""
    data = read_yaml(demo_config_path())
    data.update(changes)
    return config_from_dict(data, demo_config_path().parent, "demo")


def write_config(tmp: Path, data: dict, name: str = "project.yaml") -> Path:
    path = tmp / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def register(tmp: Path, rows: str, header: str = "register_id,name,status,kind,osm_ref,x,y,area_m2") -> str:
    """A register CSV of ``rows`` under ``header`` in ``tmp``; its path as text."""
    path = tmp / "register.csv"
    path.write_text(header + "\n" + rows, encoding="utf-8")
    return str(path)


def run_case(tmp: Path, data: dict):
    """Run a config; return the inputs report text and the result."""
    result = run_project(config_from_dict(data, tmp, "case"), tmp / "out", cache=False)
    return (tmp / "out" / "inputs_report.md").read_text(encoding="utf-8"), result


def fails(tmp: Path, data: dict) -> str:
    """The error of a config's run, checking that nothing was produced."""
    out = tmp / "out-failed"
    with pytest.raises(IdleAssetsError) as err:
        run_project(config_from_dict(data, tmp, "case"), out, cache=False)
    assert not out.exists() or not any(out.iterdir())  # nothing produced, nothing half-written
    return str(err.value)


def every_file(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def file_digests(folder: Path, pattern: str = "**/*") -> dict[str, str]:
    """The SHA-256 of every file under ``folder`` matching ``pattern``, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob(pattern)) if p.is_file()}


def file_text(path: Path) -> str:
    """What a file says, an XLSX's sheets and strings included (its zip's XML), for searching it."""
    import zipfile

    raw = path.read_bytes()
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            raw = b"".join(book.read(n) for n in book.namelist())
    return raw.decode("utf-8", "ignore")


def fill_status_workbook(path: Path, rows: dict[str, dict]) -> None:
    """A status workbook filled as an officer would: ``rows`` by asset id, each a ``{column key: value}``."""
    from openpyxl import load_workbook

    from pipeline.ledger.workbook import HEADERS

    book = load_workbook(path)
    sheet = book["status"]
    column = {HEADERS[c.value]: c.column for c in sheet[1]}
    for r in range(2, sheet.max_row + 1):
        for key, value in rows.get(sheet.cell(r, column["asset"]).value, {}).items():
            sheet.cell(r, column[key]).value = value
    book.save(path)
