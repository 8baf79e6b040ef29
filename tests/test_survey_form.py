"""The field-survey form (issue 15, item 1): generated for the Volos project,
converted by pyxform without errors or warnings, and its answers read back by
the survey reader without any column mapping."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.extract.survey import SurveySource
from pipeline.common.errors import InputError
from pipeline.extract.survey import read_survey
from pipeline.survey.form import CHOICES, EL, EN

ROOT = Path(__file__).resolve().parent.parent
pyxform = pytest.importorskip("pyxform", reason="pyxform is not installed (pip install -e .)")


@pytest.fixture(scope="module")
def volos_form(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("form")
    assert main(["--quiet", "survey-form", "--config", str(ROOT / "configs" / "volos.yaml"), "--out", str(out)]) == 0
    return out


@pytest.mark.slow
def test_the_form_converts_without_warnings_and_asks_what_the_uses_need(volos_form):
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    result = convert(xlsform=str(volos_form / "form.xlsx"), warnings=warnings)
    assert warnings == []
    assert result.xform == (volos_form / "form.xml").read_text(encoding="utf-8")
    survey = pd.read_excel(volos_form / "form.xlsx", sheet_name="survey").fillna("")
    names = set(survey["name"])
    # occupancy and condition always; the roof for rooftop solar, water and soil for farms, ownership signs
    # because some Volos assets have no known owner
    assert {"asset_id", "location", "occupancy", "condition", "access", "roof", "water", "soil", "ownership_sign",
            "photo", "notes"} <= names
    assert survey.set_index("name").loc["asset_id", "type"] == "select_one_from_file assets.csv"
    assert all(survey.loc[survey["type"].str.startswith("select_one"), col].ne("").all() for col in (EL, EN))
    assert 'accuracyThreshold="50"' in result.xform  # the config's survey.max_precision_m
    assert 'lang="Ελληνικά (el)"' in result.xform and 'lang="English (en)"' in result.xform


@pytest.mark.slow
def test_the_asset_list_holds_every_asset_with_its_position(volos_form, shared):
    from pipeline.common.config import load_config
    from pipeline.runner import analyse

    assets = pd.read_csv(volos_form / "assets.csv", encoding="utf-8")
    result = analyse(load_config(ROOT / "configs" / "volos.yaml"))
    assert list(assets.columns[:4]) == ["asset_id", "name", "lat", "lon"]
    assert sorted(assets["asset_id"]) == sorted(result.features["asset_id"])
    assert assets["lat"].between(39.2, 39.5).all() and assets["lon"].between(22.8, 23.1).all()
    assert (volos_form / "assets.csv").read_bytes()[:3] != b"\xef\xbb\xbf"  # no byte-order mark for Collect


def test_an_export_of_the_form_is_read_back_without_configuration(volos_form, tmp_path):
    """A KoboToolbox CSV export with the form's own field names and choice names."""
    survey = pd.read_excel(volos_form / "form.xlsx", sheet_name="survey").fillna("")
    choices = pd.read_excel(volos_form / "form.xlsx", sheet_name="choices")
    assets = pd.read_csv(volos_form / "assets.csv")
    pick = {lst: list(g["name"]) for lst, g in choices.groupby("list_name")}
    rows = []
    for k, a in enumerate(assets.itertuples()):
        row = {"start": "2026-05-04T09:00:00", "end": "2026-05-04T09:20:00", "today": "2026-05-04",
               "username": "surveyor_1", "asset_id": a.asset_id,
               "location": f"{a.lat} {a.lon} 20 4.5", "_location_latitude": a.lat, "_location_longitude": a.lon,
               "_location_altitude": 20, "_location_precision": 4.5,
               "photo": f"{a.asset_id}.jpg", "notes": "δοκιμή", "_id": 9000 + k, "_uuid": f"uuid-{k}",
               "_submission_time": "2026-05-04T10:00:00"}
        for q in survey.itertuples():
            if q.type.startswith("select_one ") and not q.type.startswith("select_one_from_file"):
                options = pick[q.type.split(" ", 1)[1]]
                row[q.name] = options[k % len(options)]
        rows.append(row)
    export = tmp_path / "kobo_export.csv"
    pd.DataFrame(rows).to_csv(export, index=False)
    read = read_survey(SurveySource(path=export))
    assert len(read) == len(assets)
    assert set(read["occupancy"]) <= {v.replace("_", " ") for v, _ in CHOICES["occupancy"]}
    assert "partly used" in set(read["occupancy"]) and set(read["condition"]) <= {v for v, _ in CHOICES["condition"]}
    assert read["precision_m"].eq(4.5).all() and read["surveyor"].eq("surveyor_1").all()


def test_a_form_pyxform_rejects_stops_the_command_and_writes_nothing(monkeypatch, tmp_path):
    from pipeline.survey import form as survey_form
    from pipeline.publish.survey_form import write_survey_form

    monkeypatch.setattr(survey_form, "questions", lambda *a, **k: [
        {"type": "select_one nowhere", "name": "broken", EL: "Χαλασμένη", EN: "Broken"}])
    import geopandas as gpd
    from shapely.geometry import box

    inv = gpd.GeoDataFrame({"asset_id": ["a1"], "name": ["A"], "kind": ["land"], "ownership": ["municipal"],
                            "confidence": ["confirmed"], "conflicts": [None]}, geometry=[box(0, 0, 10, 10)], crs=2100)
    form = survey_form.build_form(inv, ["social_farm"], "t", "f", "1", 50.0)
    with pytest.raises(InputError, match="pyxform cannot convert it"):
        write_survey_form(tmp_path / "out", form)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
