"""Citizens' reports through moderation: the form converts and is filled from
its own fields; the moderation workbook leaves out contacts and free text;
an accepted report becomes an asset (or evidence on a known one, or a
conflict when it says "not idle"), reaches the ledger as *reported*, and a
rejected one appears in no output."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook

from pipeline.cli import main
from pipeline.common.config import config_from_dict, load_config
from pipeline.ledger import open_ledger
from pipeline.runner import analyse, project_cache_dir, run_project
from projects import demo_data, file_text, write_config

pytestmark = pytest.mark.slow
pytest.importorskip("pyxform", reason="pyxform is not installed (pip install -e .)")
SECRET = ("ΜΥΣΤΙΚΗ-ΠΕΡΙΓΡΑΦΗ", "Γιώργος Πολίτης", "giorgos@example.org", "6911111111", "ΑΠΟΡΡΙΦΘΗΚΕ-ΓΙΑΤΙ")


def far_point(inventory, crs) -> tuple[float, float]:
    """A point of the demo's area more than 150 m from every asset (lat, lon)."""
    xs, ys = np.meshgrid(np.linspace(26.932, 26.968, 25), np.linspace(60.521, 60.539, 25))
    points = shapely.points(xs.ravel(), ys.ravel())
    import geopandas as gpd

    metric = gpd.GeoSeries(points, crs=4326).to_crs(crs)
    distance = np.array([inventory.geometry.distance(p).min() for p in metric])
    best = int(np.argmax(distance))
    assert distance[best] > 150
    return float(ys.ravel()[best]), float(xs.ravel()[best])


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    assert main(["--quiet", "report-form", "--out", str(tmp / "form")]) == 0
    survey = pd.read_excel(tmp / "form" / "form.xlsx", sheet_name="survey", engine="openpyxl").fillna("")
    assets = pd.read_csv(tmp / "form" / "assets.csv")
    config = load_config(write_config(tmp, demo_data(), "plain.yaml"))
    inventory = analyse(config, project_cache_dir(config)).features
    lat, lon = far_point(inventory, inventory.crs)
    named, objected = assets["asset_id"].iloc[0], assets["asset_id"].iloc[1]
    answers = [
        {"report": "idle", "location": f"{lat} {lon} 30 5", "certainty": "seen", "empty_since": "2018",
         "reporter_name": SECRET[1], "reporter_email": SECRET[2], "reporter_phone": SECRET[3]},
        {"report": "idle", "asset_id": named, "certainty": "seen", "empty_since": "2019"},
        {"report": "not_idle", "asset_id": objected, "certainty": "confirmed", "description": "λειτουργεί ως αποθήκη"},
        {"report": "idle", "location": f"{lat} {lon + 0.003} 30 5", "certainty": "hearsay", "description": SECRET[0],
         "reporter_email": SECRET[2]},
    ]
    asked = [q for q in survey["name"] if q and q not in ("start", "end", "today", "intro")]
    rows = [{"start": "2026-05-04T09:00:00", "end": "2026-05-04T09:05:00", **{q: a.get(q, "") for q in asked},
             "_id": 801 + k, "_uuid": f"u{k}", "_submission_time": "2026-05-04T10:00:00"} for k, a in enumerate(answers)]
    pd.DataFrame(rows).to_csv(tmp / "export.csv", index=False)
    moderation = tmp / "moderation.xlsx"
    assert main(["reports-moderation", str(tmp / "export.csv"), "--out", str(moderation)]) == 0
    book = load_workbook(moderation)
    sheet = book["reports"]
    header = {c.value: c.column for c in sheet[1]}
    decisions = {"801": ("δεκτή / accept", ""), "802": ("δεκτή / accept", ""), "803": ("δεκτή / accept", ""),
                 "804": ("απορρίπτεται / reject", SECRET[4])}
    for r in range(2, sheet.max_row + 1):
        decision, reason = decisions[str(sheet.cell(r, header["report_id"]).value)]
        sheet.cell(r, header["decision"]).value = decision
        sheet.cell(r, header["reason"]).value = reason or None
    book.save(moderation)
    data = demo_data()
    data["sources"]["reports"] = {"path": str(moderation)}
    data["ledger"] = {"path": str(tmp / "demo.ledger.sqlite")}
    data["output"] = {"pdf": False}
    result = run_project(config_from_dict(data, tmp), tmp / "out", today=dt.date(2026, 5, 10))
    return tmp, result, named, objected, moderation


def test_the_moderation_workbook_leaves_out_contacts_and_free_text(reported):
    tmp, _, _, _, moderation = reported
    sheet = pd.read_excel(moderation, sheet_name="reports", engine="openpyxl", dtype=str)
    assert list(sheet.columns) == ["report_id", "report", "asset_id", "latitude", "longitude", "certainty",
                                   "empty_since", "decision", "reason"]
    raw = file_text(moderation)
    assert not any(s in raw for s in SECRET[:4])


def test_an_accepted_report_becomes_an_asset_evidence_or_a_conflict(reported):
    tmp, result, named, objected, _ = reported
    inventory = result.features.set_index("asset_id")
    new = inventory[inventory["idle_evidence"].str.contains("citizens' report 801", na=False)]
    assert len(new) == 1 and "reports" in new["sources"].iloc[0]
    assert "citizens' report 802: idle (seen, empty since 2019)" in inventory.loc[named, "idle_evidence"]
    conflicts = pd.read_csv(tmp / "out" / "conflicts.csv", encoding="utf-8-sig")
    said = conflicts[(conflicts["asset_id"] == objected) & (conflicts["source"] == "reports")]
    assert len(said) == 1 and "not idle (confirmed)" in said["value"].iloc[0]
    with open_ledger(tmp / "demo.ledger.sqlite") as ledger:
        steps = [e["status"] for e in ledger.history(new.index[0])]
    assert steps[:2] == ["reported", "identified"]


def test_a_rejected_report_and_every_contact_appear_nowhere(reported):
    tmp, result, *_ = reported
    assert "804" not in " ".join(result.features["idle_evidence"].fillna(""))
    report_text = (tmp / "out" / "inputs_report.md").read_text(encoding="utf-8")
    assert "rejected by moderation" in report_text
    for path in list((tmp / "out").rglob("*")) + [tmp / "demo.ledger.sqlite"]:
        if path.is_file():
            text = file_text(path)
            assert not any(s in text for s in SECRET), path
            assert "citizens' report 804" not in text, path
