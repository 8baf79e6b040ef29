"""The Greek side of what a Greek council reads (issue 30, items 7 and 8): on
the Volos project (real OSM, boundary and DEM, Greek names) no English word and
no ASCII ";" appears in the Greek text of the annex, the atlas (every fact
sheet) and the workbook's Greek rows (each sheet's title and Greek headers).
The map's Greek side is tested in a browser in test_map_views.py.

The Greek side of an HTML output is everything not marked ``lang="en"``; the
input texts it quotes (site, organisation and partner names) are data and are
printed as they were written (see greek_side.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from greek_side import ascii_semicolons, english_words, greek_side_of_html
from pipeline.common.config import load_config
from pipeline.runner import run_project

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def volos(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("volos_greek")
    config = load_config(ROOT / "configs" / "volos.yaml")
    result = run_project(config, out)
    names = set(result.features["name"].dropna())
    organisations = result.prepared.organisations
    if organisations is not None:
        names |= set(organisations["name"].dropna())
    names |= set(pd.read_csv(out / "partners.csv", dtype=str)["partner"].dropna())
    return out, {str(n) for n in names}


def problems(text: str, data: set[str]) -> dict:
    found = {"english": sorted(set(english_words(text, data))), "semicolons": ascii_semicolons(text, data)}
    return {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("page", ["annex.html", "atlas.html"])
def test_the_greek_side_of_the_annex_and_atlas_is_greek(volos, page):
    out, data = volos
    html = (out / page).read_text(encoding="utf-8")
    text = greek_side_of_html(html)
    assert len(text) > 2000 and ('lang="en"' in html or "lang='en'" in html)  # both sides are there, marked
    assert problems(text, data) == {}


def test_every_fact_sheet_s_greek_side_is_greek(volos):
    out, data = volos
    sheets = sorted((out / "factsheets").glob("*.html"))
    assert sheets
    found = {p.name: problems(greek_side_of_html(p.read_text(encoding="utf-8")), data) for p in sheets}
    assert {k: v for k, v in found.items() if v} == {}


def test_the_workbook_s_greek_rows_are_greek(volos):
    out, data = volos
    wb = load_workbook(out / "idle_assets.xlsx")
    found = {}
    for ws in wb.worksheets:
        greek = [str(ws["A1"].value)] + [str(c.value) for c in ws[3] if c.value is not None]
        english = [str(ws["A2"].value)] + [str(c.value) for c in ws[4] if c.value is not None]
        assert len(greek) == len(english) > 1, ws.title
        bad = {t: problems(t, data) for t in greek if problems(t, data)}
        if bad:
            found[ws.title] = bad
    assert found == {}


def test_a_greek_side_test_fails_on_english(volos):
    """The check itself: an English phrase or an ASCII ';' slipped into a Greek text is found."""
    _, data = volos
    assert problems("Εμβαδόν: 3.295 m² · Kind: land", data) == {"english": ["Kind", "land"]}
    assert problems("πρώτα αυτό; μετά εκείνο", data) == {"semicolons": 1}
    assert problems("ακίνητο osm-way-48087193, κάλυψη OSM 0,6%", data) == {}


def test_every_atlas_page_keeps_inside_its_margins(volos):
    """The atlas' tables (the suitability per use among them) stay inside the printed page."""
    weasyprint = pytest.importorskip("weasyprint")
    from pipeline.publish.factsheets import PRINT_CSS
    from printed import pages_past_their_margin

    out, _ = volos
    page = (out / "atlas.html").read_text(encoding="utf-8").replace("</style>", PRINT_CSS + "</style>", 1)
    document = weasyprint.HTML(string=page).render()
    assert len(document.pages) == len(list((out / "factsheets").glob("*.html"))) + 1  # contents, then a page each
    assert pages_past_their_margin(document) == []


def test_how_completely_osm_maps_the_buildings_is_said_wherever_the_coverage_is(volos):
    """Issue 31, item 3: beside the coverage, in the annex, the map, every sheet of the workbook and the inputs report."""
    import json
    import re

    out, _ = volos
    english, greek = "OSM maps few buildings here", "το OSM χαρτογραφεί λίγα κτίρια εδώ"
    annex = (out / "annex.md").read_text(encoding="utf-8")
    assert english in annex and greek in annex
    page = (out / "maps" / "index.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="idle-assets-data">(.*?)</script>', page, re.S).group(1))
    assert english in data["note"] and greek in data["note_el"]
    for sheet in load_workbook(out / "idle_assets.xlsx").worksheets:
        assert english in str(sheet["A2"].value), sheet.title
    assert "completeness: buildings mapped on 78% of built-up land" in (out / "inputs_report.md").read_text(encoding="utf-8")
