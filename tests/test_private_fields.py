"""A field marked private never reaches an output, derived text included
(issue 26, items 5 and 6): every file of a run and of the survey pack is
searched for every private value, PDFs and workbooks read as text."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from pipeline.config import config_from_dict, demo_config_path
from pipeline.privacy import REDACTED, Privacy
from pipeline.runner import run_project
from pipeline.survey_pack import survey_pack

from test_trust import DEMO, demo_data


def readable_text(path: Path) -> str:
    """Everything a person or a program could read out of ``path``, as text."""
    if path.suffix in {".gpkg", ".parquet"}:
        layers = ([name for name, _ in pyogrio.list_layers(path)] if path.suffix == ".gpkg" else [None])
        frames = [gpd.read_parquet(path) if layer is None else pyogrio.read_dataframe(path, layer=layer)
                  for layer in layers]
        return "\n".join(pd.DataFrame(f.drop(columns="geometry", errors="ignore")).to_csv() for f in frames)
    if path.suffix in {".xlsx", ".zip"}:
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    if path.suffix in {".png", ".jpg"}:
        return ""
    text = path.read_bytes().decode("utf-8", "replace")
    # JSON inside pages may escape letters and slashes
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return text.replace("\\/", "/")


@pytest.fixture(scope="module")
def private_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("private")
    register = pd.read_csv(DEMO / "asset_register.csv", dtype=str)
    register["owner"] = [f"Municipality estate QX-{i}" for i in range(len(register))]
    register["name"] = [f"Secret site NQ-{i}" for i in range(len(register))]
    register.to_csv(tmp / "register.csv", index=False)
    survey = pd.read_csv(DEMO / "field_survey.csv", dtype=str)
    survey["notes"] = [f"Survey note SN-{i}; seen by a neighbour" for i in range(len(survey))]
    survey.to_csv(tmp / "survey.csv", index=False)
    data = demo_data()
    data["sources"]["register"].update(path=str(tmp / "register.csv"), private=["owner", "name"])
    data["sources"]["survey"].update(path=str(tmp / "survey.csv"), private=["notes", "photo_url"])
    config = config_from_dict(data, demo_config_path().parent, "private demo")
    out, pack = tmp / "out", tmp / "pack"
    run_project(config, out)
    survey_pack(config, pack)
    return out, pack, ["QX-", "NQ-", "SN-", "seen by a neighbour", "example.org/demo", "demo_surveyor"]


def test_no_private_value_reaches_any_output_of_a_run(private_run):
    out, _, secrets = private_run
    files = [f for f in out.rglob("*") if f.is_file()]
    assert {".pdf", ".xlsx", ".gpkg", ".parquet", ".html", ".csv"} <= {f.suffix for f in files}
    leaks = {str(f.relative_to(out)): [s for s in secrets if s in readable_text(f)] for f in files}
    assert {k: v for k, v in leaks.items() if v} == {}
    # the derived text says what it hides, and the ownership class is still published
    inv = gpd.read_file(out / "idle_assets.gpkg", layer="idle_assets")
    register_rows = inv["register_id"].notna()
    assert inv.loc[register_rows, "ownership_evidence"].str.contains(REDACTED, regex=False).all()
    assert (inv.loc[register_rows, "ownership"] == "municipal").all()
    assert inv["owner"].isna().all() and inv["name"].isna().all() and inv["survey_notes"].isna().all()


def test_the_survey_pack_obeys_the_same_privacy(private_run):
    _, pack, secrets = private_run
    files = [f for f in pack.rglob("*") if f.is_file()]
    names = {f.name for f in files}
    assert {"assets.csv", "route.gpx", "route.geojson", "route.csv", "survey_priority.csv"} <= names, names
    leaks = {f.name: [s for s in secrets if s in readable_text(f)] for f in files}
    assert {k: v for k, v in leaks.items() if v} == {}


def test_redaction_takes_whole_values_out_of_derived_text_only_for_their_asset():
    inv = pd.DataFrame({"asset_id": ["a", "b"], "owner": ["Δήμος Βόλου", "Ιδιώτης Παπαδόπουλος"],
                        "survey_notes": ["roof ok | fenced", None]})
    privacy = Privacy.of(inv, {"owner", "survey_notes"})
    derived = pd.DataFrame({"asset_id": ["a", "a", "b"],
                            "text": ["register: δήμος βόλου", "Δήμος Βόλουσ fenced roof ok", "register: Δήμος Βόλου"]})
    out = privacy.frame(derived)
    assert out["text"].tolist() == [f"register: {REDACTED}", f"Δήμος Βόλουσ {REDACTED} {REDACTED}",
                                    "register: Δήμος Βόλου"]
    assert privacy.frame(inv)["owner"].isna().all() and derived["text"][0] == "register: δήμος βόλου"
