"""What a run publishes about a project with awkward records (issue 26):
a field marked private never reaches an output, derived text included
(items 5 and 6: every file of a run and of the survey pack is searched for
every private value, PDFs and workbooks read as text); ids that one file
name cannot hold (item 9); credits and coverage on every table (item 14)."""

from __future__ import annotations


import json
import re
import unicodedata
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from pipeline.common.config import config_from_dict, demo_config_path
from pipeline.common.privacy import REDACTED, Privacy
from pipeline.runner import run_project
from pipeline.participation.pack import workshop_pack
from pipeline.survey.pack import survey_pack

from projects import DEMO, demo_data
from pipeline.common.config import read_yaml
from pipeline.common.errors import IdleAssetsError
from pipeline.extract.registry import private_fields
from pipeline.publish import view_of
from projects import ROOT

#: runs the pipeline (make test-fast leaves it out)
pytestmark = pytest.mark.slow


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
    # plots located by coordinates, with ids that sanitise to one file name and one too long for a file name
    plot = register[register["osm_ref"].isna()].iloc[0]
    plots = pd.DataFrame([plot] * 3).assign(register_id=["R/1", "R_1", "Αδρανές ακίνητο " + "Α" * 110],
                                           x=[str(float(plot["x"]) - 0.003 * k) for k in (1, 2, 3)])
    register = pd.concat([register, plots], ignore_index=True)
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
    workshop_pack(config, tmp / "workshop")
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


def test_the_workshop_pack_obeys_the_same_privacy(private_run):
    workshop, secrets = private_run[1].parent / "workshop", private_run[2]
    files = [f for f in workshop.rglob("*") if f.is_file() and f.name != ".idle-assets"]
    assert {"workshop_pack.html", "numbers.csv"} <= {f.name for f in files}
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


def test_each_asset_has_its_own_fact_sheet_whatever_its_id(private_run):
    from pipeline.publish.factsheets import file_name

    out = private_run[0]
    ids = gpd.read_file(out / "idle_assets.gpkg", layer="idle_assets")["asset_id"].tolist()
    assert {"reg-R/1", "reg-R_1"} <= set(ids) and any(len(i) > 120 for i in ids)
    sheets = sorted(p.name for p in (out / "factsheets").iterdir())
    assert len(sheets) == len(ids) == len({file_name(i) for i in ids})
    assert max(len(name.encode()) for name in sheets) < 255
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    paths = [o["path"] for o in manifest["outputs"]]
    assert len(paths) == len(set(paths))
    atlas = (out / "atlas.html").read_text(encoding="utf-8")
    anchors = re.findall(r"<section class='sheet' id='([^']+)'", atlas)
    assert len(anchors) == len(set(anchors)) == len(ids)


def test_file_names_are_unique_short_and_plain():
    from pipeline.publish.factsheets import MAX_STEM, file_name

    assert file_name("reg-R_1") == "reg-R_1.html"
    names = [file_name(i) for i in ("a/b", "a_b", "a:b", "a\u202eb", "Α" * 300, "Α" * 299 + "Β")]
    assert len(set(names)) == len(names) and all(len(n) <= MAX_STEM + 5 for n in names)
    assert all(re.fullmatch(r"[\w-]+\.html", n) for n in names)
    assert file_name("ά") == file_name(unicodedata.normalize("NFD", "ά"))


def test_every_table_carries_the_credits_and_the_workbook_and_figures_the_coverage(private_run):
    out = private_run[0]
    for csv in out.glob("*.csv"):
        if csv.name != "impact_sources.csv":
            table = pd.read_csv(csv, encoding="utf-8-sig")
            assert "attribution" in table.columns and (table["attribution"].str.contains(
                "© OpenStreetMap contributors", regex=False).all()), csv.name
    from openpyxl import load_workbook

    book = load_workbook(out / "idle_assets.xlsx", read_only=True)
    for sheet in book.worksheets:
        credit = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))[0]
        assert "© OpenStreetMap contributors" in credit and "OSM coverage 100%" in credit, sheet.title
    assert "OSM coverage 100%" in (out / "figures" / "inventory.svg").read_text(encoding="utf-8")
    pack = private_run[1]
    for name in ("route.csv", "survey_priority.csv"):
        assert pd.read_csv(pack / name, encoding="utf-8-sig")["attribution"].str.contains("OpenStreetMap").all()


def test_an_empty_atlas_still_credits_its_sources(tmp_path):
    from pipeline.publish.factsheets import write_factsheets

    empty = gpd.GeoDataFrame({"asset_id": pd.Series(dtype=object), "best_score": pd.Series(dtype=float)},
                             geometry=gpd.GeoSeries([], crs=2100))
    from pipeline.publish import PublishOptions

    write_factsheets(view_of(empty, pd.DataFrame(columns=["asset_id", "use"]), [], None,
                             credits=["© OpenStreetMap contributors"], title="Empty town",
                             options=PublishOptions(pdf=False)), tmp_path)
    assert "© OpenStreetMap contributors" in (tmp_path / "atlas.html").read_text(encoding="utf-8")


def test_the_manifest_and_inputs_report_show_no_local_folder(private_run):
    """Paths are relative to the config's folder (issue 26, item 11): a published
    folder does not say where on the machine the user keeps their files."""
    out = private_run[0]
    for name in ("manifest.json", "inputs_report.md"):
        text = (out / name).read_text(encoding="utf-8")
        assert str(out.parent) not in text and str(Path(__file__).resolve().parents[1]) not in text, name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    listed = {i["source"]: i["path"] for i in manifest["inputs"]}
    # relative to the config's folder (here the current one), or its name alone where the two share only the root
    register = out.parent / "register.csv"
    assert not Path(listed["register"]).is_absolute() and listed["osm"].endswith("test.osm.pbf")
    assert listed["register"] == "register.csv" or (Path.cwd() / listed["register"]).resolve() == register.resolve()
    assert all(not Path(o["path"]).is_absolute() and (out / o["path"]).is_file() for o in manifest["outputs"])


@pytest.mark.slow
def test_columns_marked_private_are_not_published(shared, tmp_path):
    data = read_yaml(ROOT / "configs" / "volos.yaml")
    data["sources"]["survey"]["private"] = ["notes", "photo"]
    data["sources"]["register"]["private"] = ["owner"]
    config = config_from_dict(data, ROOT / "configs", "volos private")
    run_project(config, tmp_path)
    secrets = ["στέγη σε καλή κατάσταση", "example.org/volos/70101.jpg", "υγρασία στη βόρεια πλευρά"]
    for f in tmp_path.rglob("*"):
        if f.is_file() and f.suffix in {".csv", ".html", ".md"}:
            text = f.read_text(encoding="utf-8-sig")
            assert not [s for s in secrets if s in text], f
    import geopandas as gpd

    inv = gpd.read_file(tmp_path / "idle_assets.gpkg", layer="idle_assets")
    assert inv["owner"].isna().all() and inv["survey_notes"].isna().all() and inv["photos"].isna().all()


@pytest.mark.slow
def test_private_names_by_file_or_canonical_name_and_unknown_refused(tmp_path):
    data = demo_data()
    data["sources"]["survey"]["private"] = ["photo_url", "Notes"]
    data["sources"]["register"]["private"] = ["Ιδιοκτησία"]
    config = config_from_dict(data, tmp_path, "demo")
    assert config.sources["survey"].private == ["photo", "notes"] and config.sources["register"].private == ["owner"]
    assert private_fields(config) == {"photos", "survey_notes", "owner"}
    run_project(config, tmp_path / "out")
    text = "".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "out").rglob("*")
                   if p.suffix in {".csv", ".html", ".md"})
    assert "example.org/demo/9001.jpg" not in text and "roof sound" not in text
    data["sources"]["survey"]["private"] = ["phone_number"]
    with pytest.raises(IdleAssetsError) as err:
        config_from_dict(data, tmp_path, "demo")
    assert "'phone_number' is not a column of this source" in str(err.value) and "photo (photo_url" in str(err.value)
