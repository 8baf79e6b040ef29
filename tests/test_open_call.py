"""The open call: its form converts with pyxform and is named as the
organisations source reads; an export filled from the form's own fields is
read back with no mapping; an organisation's interest in an asset reaches the
plan's candidates, the interest register, the fact sheet and the annex, and
its contact never reaches an output."""

from __future__ import annotations

import re

from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.common.columns import ORGANISATIONS
from pipeline.common.config import config_from_dict
from pipeline.common.errors import InputError
from pipeline.extract.organisations import OrganisationSource, afm_valid, read_organisations
from pipeline.runner import run_project
from projects import demo_data, file_text

pytest.importorskip("pyxform", reason="pyxform is not installed (pip install -e .)")

MEADOW = "osm-way-369836455"  # the demo's "Riverside meadow (sample)", a social farm in the plan
METADATA = {"start", "end", "today", "intro"}


def test_the_tax_number_check_digit():
    assert afm_valid("090000045") and not afm_valid("090000046")
    assert not afm_valid("000000000") and not afm_valid("12345678") and not afm_valid("09000004A")


@pytest.fixture(scope="module")
def open_call(tmp_path_factory):
    folder = tmp_path_factory.mktemp("open_call") / "form"
    assert main(["--quiet", "open-call-form", "--out", str(folder)]) == 0
    return folder


def export_from_form(form: Path, path: Path, rows: list[dict]) -> Path:
    """A KoboToolbox CSV export of the form: its own question names, its choice
    names, select_multiple answers space-separated, Kobo's own columns around."""
    survey = pd.read_excel(form / "form.xlsx", sheet_name="survey", engine="openpyxl").fillna("")
    asked = [q for q in survey["name"] if q and q not in METADATA]
    out = []
    for k, answers in enumerate(rows):
        assert set(answers) <= set(asked), set(answers) - set(asked)
        out.append({"start": "2026-05-04T09:00:00", "end": "2026-05-04T09:20:00", "today": "2026-05-04",
                    **{q: answers.get(q, "") for q in asked},
                    "_id": 700 + k, "_uuid": f"uuid-{k}", "_submission_time": "2026-05-04T10:00:00",
                    "_validation_status": "", "__version__": "v1"})
    pd.DataFrame(out).to_csv(path, index=False)
    return path


def answers(form: Path) -> list[dict]:
    choices = pd.read_excel(form / "form.xlsx", sheet_name="choices", engine="openpyxl")
    forms = set(choices.loc[choices["list_name"] == "legal_form", "name"])
    uses = set(choices.loc[choices["list_name"] == "uses", "name"])
    assets = set(pd.read_csv(form / "assets.csv")["asset_id"])
    assert {"koinsep", "koispe", "informal_group"} <= forms and "social_farm" in uses and MEADOW in assets
    return [
        {"name": "ΚοινΣΕπ Αγρός", "legal_form": "koinsep", "afm": "090000045", "gemi": "160013201000", "members": 7,
         "workers": 3, "uses": "social_farm recycling_centre", "space_m2": 900, "budget_eur": 12000,
         "area": "Νότια", "assets": MEADOW, "contact_name": "Μαρία Παπαδοπούλου", "email": "maria@agros.example",
         "phone": "6900000001"},
        {"name": "Ομάδα Επισκευών", "legal_form": "informal_group", "members": 4, "uses": "recycling_centre",
         "contact_name": "Νίκος Ιωάννου", "email": "nikos@example.org"},
    ]


@pytest.mark.slow
def test_the_form_asks_what_the_organisations_source_reads(open_call):
    survey = pd.read_excel(open_call / "form.xlsx", sheet_name="survey", engine="openpyxl").fillna("")
    names = [q for q in survey["name"] if q and q not in METADATA]
    assert set(names) <= set(ORGANISATIONS) and {"name", "legal_form", "afm", "uses", "assets", "email"} <= set(names)
    assert "mod 11 mod 10" in survey.set_index("name").loc["afm", "constraint"]
    assert (open_call / "form.xml").read_text(encoding="utf-8").count("<bind") >= len(names)


@pytest.mark.slow
def test_an_export_is_read_back_with_no_mapping_and_a_bad_tax_number_is_named(open_call, tmp_path):
    export = export_from_form(open_call, tmp_path / "kobo.csv", answers(open_call))
    orgs = read_organisations(OrganisationSource.model_validate({"path": export}), ["social_farm", "recycling_centre"])
    first = orgs.set_index("name").loc["ΚοινΣΕπ Αγρός"]
    assert (first["org_id"], first["legal_form"], first["uses"], first["assets"]) == (
        "700", "koinsep", "social_farm;recycling_centre", MEADOW)
    assert first["members"] == 7 and first["afm"] == "090000045"
    bad = answers(open_call)
    bad[0]["afm"] = "090000046"
    export = export_from_form(open_call, tmp_path / "bad.csv", bad)
    with pytest.raises(InputError, match=r"row 2 \(700\): ΑΦΜ '090000046' is not a valid Greek tax number"):
        read_organisations(OrganisationSource.model_validate({"path": export}), None)


@pytest.mark.slow
def test_an_organisation_s_interest_reaches_the_plan_and_its_contact_no_output(open_call, tmp_path):
    export = export_from_form(open_call, tmp_path / "kobo.csv", answers(open_call))
    data = demo_data()
    data["sources"]["organisations"] = {"path": str(export)}
    data["output"] = {"pdf": False}
    result = run_project(config_from_dict(data, tmp_path), tmp_path / "out")
    plan = result.plan.set_index("asset_id")
    assert plan.loc[MEADOW, "use"] == "social_farm"
    assert plan.loc[MEADOW, "candidate_organisations"].startswith("ΚοινΣΕπ Αγρός (εκδήλωσε ενδιαφέρον / expressed interest")
    out = tmp_path / "out"
    interest = pd.read_csv(out / "interest.csv", encoding="utf-8-sig")
    assert interest[["asset_id", "organisation"]].values.tolist() == [[MEADOW, "ΚοινΣΕπ Αγρός"]]
    sheet = re.sub(r"<[^>]+>", "", (out / "factsheets" / f"{MEADOW}.html").read_text(encoding="utf-8"))
    assert "Ενδιαφέρον φορέων / Interest from organisations" in sheet
    assert "Εκδηλώσεις ενδιαφέροντος / Expressions of interest" in (out / "annex.md").read_text(encoding="utf-8")
    private = ("Μαρία Παπαδοπούλου", "maria@agros.example", "6900000001", "nikos@example.org")
    for path in out.rglob("*"):
        if path.is_file():
            text = file_text(path)
            assert not any(p in text for p in private), path
