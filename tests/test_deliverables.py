"""What a council and a consultant receive, read as they would: the annex (PDF
included), the Greek text, the plan's wording. On the committed Volos project
(real OSM, boundary and DEM from ../shared/data with the invented register,
survey and organisations)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.common.config import load_config
from pipeline.common.i18n import LEGAL_FORMS, fmt_value, greek_names
from pipeline.runner import run_project

#: runs the pipeline (make test-fast leaves it out)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
#: an English-formatted number: a thousands comma (2,066) or a decimal point (1.25)
ENGLISH_NUMBER = re.compile(r"\d,\d{3}(?!\d)|\d\.\d{1,2}(?!\d)")


@pytest.fixture(scope="module")
def volos(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("volos")
    return run_project(load_config(ROOT / "configs" / "volos.yaml"), out), out


def pdf_text(path: Path) -> str:
    pypdf = pytest.importorskip("pypdf", reason="pypdf is not installed (pip install -e '.[test]')")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_the_pdf_annex_holds_every_planned_asset_and_the_greek_legal_forms(volos):
    result, out = volos
    if not (out / "annex.pdf").exists():
        pytest.skip("annex.pdf not written: WeasyPrint unavailable")
    text = pdf_text(out / "annex.pdf")
    joined = re.sub(r"\s+", "", text)  # cells wrap ids and names over lines
    assert len(result.plan) >= 5
    for row in result.plan.itertuples():
        assert row.asset_id.replace(" ", "") in joined, row.asset_id
        assert re.sub(r"\s+", "", row.name) in joined, row.name
    for name in ("Κοινωνική Συνεταιριστική Επιχείρηση (ΚοινΣΕπ, ν. 4430/2016)", "Συνεταιρισμός Εργαζομένων (ν. 4430/2016)",
                 "Ενεργειακή Κοινότητα (ν. 5037/2023· ν. 4513/2018"):
        assert re.sub(r"\s+", "", name) in joined, name
    # the plan table's last column (the note) is on the page, not cut at its edge
    assert "σημείωση/note" in joined and "νομικέςμορφές/legalforms" in joined


def test_no_annex_shows_none_or_nan_and_integers_are_integers(volos):
    _, out = volos
    texts = {"annex.md": (out / "annex.md").read_text(encoding="utf-8"),
             "annex.html": (out / "annex.html").read_text(encoding="utf-8")}
    if (out / "annex.pdf").exists():
        texts["annex.pdf"] = pdf_text(out / "annex.pdf")
    for name, text in texts.items():
        assert not re.search(r"\b(None|nan|NaN|NaT|<NA>)\b", text), name
        assert not re.search(r"\|\s*\d+\.0\s*\|", text), name  # a rank or a count printed as 1.0


def test_greek_reasons_have_greek_numbers_and_greek_values(volos):
    result, _ = volos
    greek = pd.concat([result.scored.scores["reason_el"], result.plan["reason_el"]]).dropna()
    assert len(greek) > 20
    for text in greek:
        assert not ENGLISH_NUMBER.search(text), text
    english_values = [v for field in ("landuse", "condition", "occupancy") for v in greek_names()[field] if v != "unknown"]
    for text in greek:
        words = set(re.findall(r"[a-z_]+", text))
        assert not words & set(english_values), (words & set(english_values), text)
    # a number the English reasons group with a comma is grouped with a point in the Greek ones
    assert any(re.search(r"\d\.\d{3} m²", t) for t in greek)
    assert any(re.search(r"\d,\d{3} m²", t) for t in result.scored.scores["reason_en"].dropna())


def test_values_are_rounded_to_their_unit():
    assert fmt_value(1.25082, "°") == "1.3°" and fmt_value(1.25082, "°", "el") == "1,3°"
    assert fmt_value(2066.4, "m²", "el") == "2.066 m²" and fmt_value(20490.4, "m²", "el") == "2,05 ha"
    assert fmt_value(1300.46, "MWh/year", "el") == "1.300,5 MWh/έτος"
    assert fmt_value(np.float64(12.0), "count") == "12"
    assert fmt_value("orchard", "class", "el", "landuse") == "οπωρώνας"
    assert fmt_value(float("nan"), "m", "el") == "δ/υ"


def test_the_plan_names_uses_and_legal_forms_not_codes(volos):
    result, out = volos
    candidates = result.plan["candidate_organisations"].dropna()
    assert len(candidates) and not candidates.str.contains(r"\b(?:koinsep|association|energy_community)\b").any()
    md = (out / "annex.md").read_text(encoding="utf-8")
    words = re.sub(r"https?://\S+", "", md)  # a source's address may hold the word (koinsep.org)
    assert "koinsep" not in words and "Κοινωνικό αγρόκτημα" in md
    assert set(LEGAL_FORMS) >= set(result.plan["candidate_legal_forms"].dropna().str.split(";").explode())


def test_an_asset_that_did_not_get_its_best_use_says_which_target_took_it(volos):
    result, _ = volos
    scores = result.scored.scores
    best = scores[scores["eligible"]].sort_values("score", ascending=False).drop_duplicates("asset_id")
    best = best.set_index("asset_id")["use"]
    given = result.plan.groupby("asset_id")["use"].agg(set)
    for row in result.plan.itertuples():
        if best[row.asset_id] in given[row.asset_id]:
            assert pd.isna(row.note_en)
        else:
            assert "best suited to" in row.note_en and "for the target" in row.note_en, row.note_en
            assert "καταλληλότερο για" in row.note_el and "στόχο" in row.note_el
            # the Greek note names the target in Greek (configs/volos.yaml gives each a label_el)
            greek_targets = set(result.targets["target_el"])
            assert any(f"«{g}»" in row.note_el for g in greek_targets) and "'" not in row.note_el, row.note_el


def test_a_long_inventory_is_summarised_in_the_annex_and_pointed_to_the_workbook():
    from pipeline.publish.annex import MAX_ROWS, annex_sections

    n = MAX_ROWS + 37
    inv = pd.DataFrame({"asset_id": [f"a{i}" for i in range(n)], "name": None, "kind": "land", "area_m2": 1000.0,
                        "sources": "osm", "idle_evidence": "landuse=brownfield", "ownership": "municipal",
                        "confidence": "probable", "conflicts": None})
    empty = pd.DataFrame(columns=["asset_id", "name", "use", "score", "reason_en", "reason_el", "usable_area_m2", "kwp",
                                  "mwh_per_year", "cultivable_m2", "jobs", "candidate_organisations",
                                  "candidate_legal_forms"])
    from pipeline.publish import view_of

    scores = pd.DataFrame(columns=["asset_id", "use", "eligible", "rank", "score"])
    sections = annex_sections(view_of(inv, scores, [], None, plan=empty, targets=pd.DataFrame(),
                                      impact_sources=pd.DataFrame(columns=["topic", "coefficient", "value", "source"])))
    heading, text, table = sections[0]
    assert len(table) == MAX_ROWS and f"of {n:,} rows" in text.en and "idle_assets.xlsx" in text.en
    assert f"από {n:,} γραμμές".replace(",", ".") in text.el


def test_the_workbook_has_greek_and_english_headers_and_labels_not_codes(volos):
    from openpyxl import load_workbook

    result, out = volos
    ws = load_workbook(out / "idle_assets.xlsx")["plan"]
    greek = [c.value for c in ws[3]]
    english = [c.value for c in ws[4]]
    assert english[:2] == ["asset id", "name"] and greek[:2] == ["κωδικός ακινήτου", "όνομα"]
    assert ws.auto_filter.ref == f"A4:{ws.cell(4, len(english)).column_letter}{len(result.plan) + 4}"
    assert ws.freeze_panes == "B5"
    score = ws.cell(5, english.index("score") + 1)
    assert isinstance(score.value, float) and score.number_format == "#,##0.0"  # a number, shown to its decimal
    # every Greek header is Greek; criteria carry their unit, their values rounded to it
    book = load_workbook(out / "idle_assets.xlsx")
    for sheet in book.worksheets:
        assert all(not str(c.value).isascii() for c in sheet[3] if c.value), sheet.title
    inventory = book["inventory"]
    heads = [c.value for c in inventory[4]]
    road = heads.index("distance to a road (m)") + 1
    assert inventory.cell(3, road).value == "απόσταση από δρόμο (m)"
    values = [inventory.cell(r, road).value for r in range(5, inventory.max_row + 1)]
    assert values and all(v is None or float(v).is_integer() for v in values)
    assert any(h.startswith("score: ") for h in heads) and not any(str(h).startswith("c_") for h in heads)
    assert "χρήση" in greek and "υποψήφιοι φορείς" in greek
    uses = [r[english.index("use")].value for r in ws.iter_rows(min_row=5)]
    assert len(uses) == len(result.plan)
    assert all(" / " in u for u in uses) and not set(uses) & {p.name for p in result.profiles}
    forms = " ".join(str(r[english.index("candidate legal forms")].value or "") for r in ws.iter_rows(min_row=5))
    assert "ΚοινΣΕπ" in forms and "koinsep" not in forms
    # the CSV keeps the codes, for analysts
    assert set(pd.read_csv(out / "plan.csv", encoding="utf-8-sig")["use"]) <= {p.name for p in result.profiles}


def test_fact_sheets_one_a4_page_per_asset_with_an_atlas_and_contents(volos):
    from pipeline.publish.factsheets import file_name

    result, out = volos
    inv = result.features
    sheets = sorted((out / "factsheets").glob("*.html"))
    assert len(sheets) == len(inv) == 7
    planned = set(result.plan["asset_id"])
    for row in inv.itertuples():
        page = (out / "factsheets" / file_name(row.asset_id)).read_text(encoding="utf-8")
        words = re.sub(r"<[^>]+>", "", page)  # the Greek and English sides are marked with their language
        assert row.asset_id in page and "Καταλληλότητα ανά χρήση / Suitability per use" in words
        # the map of the asset and its surroundings: an SVG drawn from the geometries, scale bar and north arrow
        drawn = re.search(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page)
        svg = base64.b64decode(drawn.group(1)).decode("utf-8")
        assert svg.count("<path d=\"M") >= 3 and re.search(r">\d+ k?m</text>", svg) and ">N</text>" in svg
        text = re.sub(r"data:image/svg\+xml;base64,[A-Za-z0-9+/=]+", "", page)
        assert not re.search(r"\b(None|nan|NaN)\b", text), row.asset_id
        assert ("Υποψήφιοι φορείς / Candidates" in words) == (row.asset_id in planned)
    # a site with no name is called by what it is and its street (from OSM), its id beside
    unnamed = (out / "factsheets" / file_name("osm-way-643941250")).read_text(encoding="utf-8")
    assert "<h1>Χορτολιβαδική έκταση, οδός Αντιγονιδών</h1>" in unnamed and "· osm-way-643941250</p>" in unnamed
    surveyed = inv[inv["photos"].notna()].iloc[0]
    assert surveyed["photos"].split(";")[0].strip() in (out / "factsheets" / file_name(surveyed["asset_id"])).read_text(encoding="utf-8")
    if (out / "atlas.pdf").exists():
        pypdf = pytest.importorskip("pypdf")
        pages = [p.extract_text() for p in pypdf.PdfReader(out / "atlas.pdf").pages]
        assert len(pages) == len(inv) + 1  # the contents, then one A4 page per asset
        contents = re.sub(r"\s+", "", pages[0])
        for asset in planned:
            assert asset in contents
        for page in pages[1:]:
            ids = [a for a in inv["asset_id"] if a in re.sub(r"\s+", "", page)]
            assert ids, page[:200]


def test_every_annex_table_fits_the_printed_page(volos):
    weasyprint = pytest.importorskip("weasyprint")
    from pipeline.publish.annex import PRINT_CSS
    from printed import pages_past_their_margin

    _, out = volos
    page = (out / "annex.html").read_text(encoding="utf-8").replace("</style>", PRINT_CSS + "</style>", 1)
    document = weasyprint.HTML(string=page).render()
    assert len(document.pages) >= 3
    assert pages_past_their_margin(document) == []


def test_a_pdf_printed_twice_is_the_same_bytes(tmp_path, monkeypatch):
    """fontTools dates the fonts WeasyPrint embeds with the time of writing
    unless SOURCE_DATE_EPOCH is set; write_pdf pins it for the call only."""
    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed (pip install -e '.[pdf]')")
    import os
    import time

    from pipeline.common.pdf import write_pdf

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    page = "<html><head><style></style></head><body><h1>Δήμος Βόλου</h1><p>Plot 12, 1,200 m²</p></body></html>"
    first = write_pdf(page, tmp_path / "first.pdf")
    time.sleep(1.1)  # fonts are dated to the second
    second = write_pdf(page, tmp_path / "second.pdf")
    assert first.read_bytes() == second.read_bytes()
    assert "SOURCE_DATE_EPOCH" not in os.environ


def test_what_did_not_become_a_site_is_in_the_annex_and_the_workbook(volos):
    from openpyxl import load_workbook

    _, out = volos
    md = (out / "annex.md").read_text(encoding="utf-8")
    section = md.split("Εισροές που δεν έγιναν ακίνητα / Inputs that did not become sites", 1)[1].split("\n## ", 1)[0]
    assert "corridor candidate: railway=abandoned" in section and "way/559915336" in section
    assert "not used: GPS precision worse than 50 m" in section and "skipped: status is not idle" in section
    assert "read: rows" not in section  # what was read is not what was left out
    sheet = load_workbook(out / "idle_assets.xlsx")["inputs_report"]
    actions = [r[1].value for r in sheet.iter_rows(min_row=5)]
    report = (out / "inputs_report.md").read_text(encoding="utf-8")
    assert "read: rows" in actions and any(str(a).startswith("corridor candidate") for a in actions)
    # the same rows as the inputs report (which lists the corridors in a section of their own)
    assert all(str(a).removeprefix("corridor candidate: ").split(",")[0] in report for a in actions if a)


def test_every_annex_table_header_and_the_summary_are_in_both_languages(volos):
    _, out = volos
    md = (out / "annex.md").read_text(encoding="utf-8")
    lines = md.splitlines()
    header_rows = [lines[i - 1] for i, line in enumerate(lines) if line.startswith("|---")]
    allowed = {"TOPSIS"}
    for row in header_rows:
        for cell in (c.strip() for c in row.strip("|").split("|")):
            assert " / " in cell or cell in allowed, (cell, row)
    assert header_rows
    summary = md.split("## Απογραφή αδρανών ακινήτων / Inventory of idle assets", 1)[1].split("\n\n")[1]
    assert "OSM coverage 0.6% (partial)" in summary and "κάλυψη OSM 0,6% (μερική)" in summary
    assert ". ." not in summary and "μητρώο ακινήτων + αυτοψία" in summary
    # the idle evidence reads in Greek on the Greek side
    assert "μητρώο ακινήτων, κατάσταση: κενό / register status=κενό" in md


def test_no_ascii_semicolon_in_the_greek_texts_of_the_tables(volos):
    """';' is the question mark in Greek: Greek sentences list with '·'."""
    result, out = volos
    texts = {"plan": ["reason_el", "note_el", "legal_warning_el", "legal_route_el", "legal_basis_el"],
             "scores": ["reason_el"], "matching": ["reason_el"], "legal_routes": ["instrument_el", "body_el", "law_el",
                                                                                "documents_el", "warning_el"]}
    for table, columns in texts.items():
        frame = pd.read_csv(out / f"{table}.csv", encoding="utf-8-sig")
        for column in columns:
            found = [v for v in frame[column].dropna() if ";" in str(v)]
            assert not found, (table, column, found[:1])


def test_the_atlas_printed_in_parts_is_the_atlas_printed_whole(volos, tmp_path, monkeypatch):
    """The atlas PDF printed on several processes and joined (issue 32) has the
    pages, text, contents links, anchors, bookmarks and title of the same page
    printed whole, and two prints are the same bytes."""
    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed (pip install -e '.[pdf]')")
    pypdf = pytest.importorskip("pypdf")
    from pipeline.common import pdf
    from pipeline.publish import published_view
    from pipeline.publish.factsheets import PRINT_CSS, write_factsheets

    result, _ = volos
    monkeypatch.setattr(pdf, "SECTIONS_PER_PART", 2)
    monkeypatch.setattr(pdf, "PROCESSES", 3)  # 8 sections (contents + 7 sheets): this process and two workers
    write_factsheets(published_view(result), tmp_path / "first")
    write_factsheets(published_view(result), tmp_path / "second")
    whole = pdf.write_pdf((tmp_path / "first" / "atlas.html").read_text(encoding="utf-8"), tmp_path / "whole.pdf", PRINT_CSS)
    parts = tmp_path / "first" / "atlas.pdf"
    assert parts.read_bytes() == (tmp_path / "second" / "atlas.pdf").read_bytes()

    def bookmarks(reader, outline) -> list:  # nested: a sheet's headings under its title
        return [bookmarks(reader, o) if isinstance(o, list) else (o.title, reader.get_destination_page_number(o))
                for o in outline]

    def printed(path: Path) -> dict:
        reader = pypdf.PdfReader(path)
        return {"text": [p.extract_text() for p in reader.pages],
                "links": [[(str(a.get_object().get("/Dest") or a.get_object()["/A"]["/URI"]),
                            [round(float(v), 3) for v in a.get_object()["/Rect"]]) for a in p.get("/Annots") or []]
                          for p in reader.pages],
                "anchors": {k: (reader.get_destination_page_number(d), round(float(d.left), 3), round(float(d.top), 3))
                            for k, d in reader.named_destinations.items()},
                "bookmarks": bookmarks(reader, reader.outline),
                "title": reader.metadata.title}

    joined, single = printed(parts), printed(whole)
    assert len(joined["text"]) == len(result.features) + 1
    assert len(joined["anchors"]) == len(result.features)
    assert sorted(target for target, _ in joined["links"][0]) == sorted(joined["anchors"])  # the contents page
    assert joined == single
