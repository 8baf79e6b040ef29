"""Input text is data, never code: every text field of every source carries
template syntax, script tags, spreadsheet formulas, control characters and
mathtext, and the whole pipeline runs. Nothing may be evaluated, nothing may
crash, no published cell may start a formula, and the original text is kept
for analysts (GeoPackage)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyrosm
import pytest
import yaml

from conftest import retag_osm
from pipeline.cli import main
from pipeline.common.config import demo_config_path, read_yaml
from pipeline.extract import RawSources
from pipeline.publish import view_of
from pipeline.publish.maps import build_map, render
from shapely.geometry import box
from projects import DEMO, demo_data, register, run_case

#: runs the pipeline (make test-fast leaves it out)
pytestmark = pytest.mark.slow

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def payloads(marker: Path) -> list[str]:
    """Texts that would run, crash or mislead if any output treated them as code."""
    return [
        "Old mill {{ 6*7 }}",
        "{% for x in range(3) %}loop{% endfor %}",
        "note {# never closed",
        "${7*7} and #{7*7}",
        "</script><script>document.title='pwned'</script>",
        '=HYPERLINK("http://example.invalid/x","click")',
        "+1+1",
        "-2+3",
        "@SUM(1,1)",
        "\x1b[31mred\x1b[0m and a\x0bvertical tab",
        "{{ self.__init__.__globals__.__builtins__.__import__('os').system('touch " + str(marker) + "') }}",
        "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}",
        "<img src=x onerror=alert(1)> [link](javascript:alert(1)) `code`",
        "$x^{2}$ mathtext",
    ]


def _hostile_pbf(src: Path, dst: Path, texts: list[str]) -> None:
    """The demo's OSM extract with every building and land-use way named by a payload."""
    count = [0]

    def name(tags: dict, ref: str) -> dict | None:
        if "building" in tags or "landuse" in tags:
            tags["name"] = texts[count[0] % len(texts)]
            count[0] += 1
            return tags
        return None

    retag_osm(src, dst, way=name)
    assert count[0] > 100


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A project whose every source's every text field holds a payload, run once."""
    tmp = tmp_path_factory.mktemp("hostile")
    marker = tmp / "MARKER"
    texts = payloads(marker)
    pick = lambda i: texts[i % len(texts)]

    register = pd.read_csv(DEMO / "asset_register.csv", dtype=str)
    for i in register.index:
        register.loc[i, "name"], register.loc[i, "owner"], register.loc[i, "notes"] = pick(i), pick(i + 5), pick(i + 9)
    register.to_csv(tmp / "register.csv", index=False)

    survey = pd.read_csv(DEMO / "field_survey.csv", dtype=str)
    for i in survey.index:
        survey.loc[i, "notes"], survey.loc[i, "access"], survey.loc[i, "username"] = pick(i + 2), pick(i + 7), pick(i)
        survey.loc[i, "photo_url"] = "javascript:alert(1)" if i % 2 else "https://example.org/a.jpg?{{ 6*7 }}"
    survey.to_csv(tmp / "survey.csv", index=False)

    orgs = pd.DataFrame({
        "org_id": [pick(i) if i % 3 == 0 else f"ORG-{i}" for i in range(6)],
        "name": [pick(i + 1) for i in range(6)],
        "legal_form": ["ΚοινΣΕπ", "Συνεταιρισμός Εργαζομένων", "Ενεργειακή Κοινότητα", "ΑΜΚΕ", "ΚοινΣΕπ", "ΚοινΣΕπ"],
        "uses": ["social_farm", "coop_workspace;cultural_space", "solar_ground;solar_rooftop", "cultural_space",
                 "recycling_centre", "green_space_depot"],
        "space_m2": ["100", "200", "1000", "150", "600", "300"],
        "x": ["26.94", "26.95", "26.945", "26.955", "26.941", "26.952"],
        "y": ["60.53", "60.525", "60.535", "60.528", "60.532", "60.53"],
        "area": [pick(i + 4) for i in range(6)],
        "contact_name": [pick(i + 6) for i in range(6)],
        "email": ["=cmd|' /C calc'!A0"] * 6,
        "phone": ["+30 210 000 0000"] * 6,
    })
    orgs.to_csv(tmp / "organisations.csv", index=False)
    pbf = tmp / "hostile.osm.pbf"
    _hostile_pbf(Path(pyrosm.get_data("test_pbf")), pbf, texts)

    data = read_yaml(demo_config_path())
    data["project"]["title"] = "Δήμος {{ 6*7 }} $x^2$ </script> {# =1+1"
    data["sources"]["osm"] = {"path": str(pbf)}
    data["sources"]["register"]["path"] = str(tmp / "register.csv")
    data["sources"]["survey"]["path"] = str(tmp / "survey.csv")
    data["sources"]["organisations"] = {"path": str(tmp / "organisations.csv"), "crs": "EPSG:4326"}
    data["attribution"] = ["Credits {{ 6*7 }} $\\alpha$ =SUM(1)"]
    config = tmp / "hostile.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp / "out"
    code = main(["--quiet", "run", "--config", str(config), "--out", str(out)])
    return {"code": code, "out": out, "marker": marker, "config": config}


def _text_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file() and p.suffix in {".csv", ".md", ".html", ".json", ".svg"}]


def _map_data(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="idle-assets-data">(.*?)</script>', text, re.S)
    return block.group(1)


def test_the_run_succeeds_and_evaluates_nothing(hostile):
    assert hostile["code"] == 0
    assert not hostile["marker"].exists(), "a template expression from the inputs ran a command"
    out = hostile["out"]
    for f in _text_files(out):
        text = f.read_text(encoding="utf-8-sig")
        assert "Old mill 42" not in text and "looplooploop" not in text, f
    data = json.loads(_map_data(out / "maps" / "index.html"))
    strings = json.dumps(data, ensure_ascii=False)
    assert "Old mill {{ 6*7 }}" in strings and "{% for x in range(3) %}" in strings and "note {# never closed" in strings
    page = (out / "maps" / "index.html").read_text(encoding="utf-8")
    assert "Δήμος {{ 6*7 }} $x^2$ &lt;/script&gt;" in page  # the title, escaped, never evaluated
    assert page.count("</script><script>document.title") == 0


def test_annex_shows_the_text_literally_and_markdown_has_no_markup(hostile):
    out = hostile["out"]
    md = (out / "annex.md").read_text(encoding="utf-8")
    html = (out / "annex.html").read_text(encoding="utf-8")
    assert "{{ 6*7 }}" in md and "{{ 6*7 }}" in html
    assert "<script" not in md and "<img" not in md and not re.search(r"(?<!\\)\]\(javascript:", md)
    assert "&lt;/script&gt;" in md
    assert "[link]" not in md.replace("\\[link\\]", "")
    assert "<script" not in html.split("</style>", 1)[1] and "<img" not in html
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").enable("table").render(md)
    assert "<script" not in rendered and "<img" not in rendered and 'href="javascript' not in rendered
    assert "{{ 6*7 }}" in rendered
    report = (out / "inputs_report.md").read_text(encoding="utf-8")
    assert "<script" not in report and "control characters removed" in report


def test_no_published_cell_starts_a_formula(hostile):
    out = hostile["out"]
    for f in out.rglob("*.csv"):
        with open(f, encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    if cell.startswith(FORMULA_START):
                        float(cell)  # only numbers such as -2.5 may start with a sign
    book = openpyxl.load_workbook(out / "idle_assets.xlsx")
    seen_literal = False
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_START), (ws.title, cell.coordinate, cell.value)
                    seen_literal |= "{{ 6*7 }}" in cell.value
    assert seen_literal
    # the original text is kept for analysts
    inv = gpd.read_file(out / "idle_assets.gpkg", layer="idle_assets")
    assert inv["name"].str.startswith("=HYPERLINK(").any() or inv["owner"].str.startswith("=HYPERLINK(").any()


def test_control_characters_are_removed_everywhere(hostile):
    out = hostile["out"]
    control = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
    for f in _text_files(out):
        assert not control.search(f.read_text(encoding="utf-8-sig")), f
    book = openpyxl.load_workbook(out / "idle_assets.xlsx")
    assert book.sheetnames[0] == "plan"
    assert (out / "figures" / "inventory.png").stat().st_size > 10_000


def test_validate_prints_no_escape_codes(hostile, capsys):
    bad = hostile["config"].parent / "bad.yaml"
    data = yaml.safe_load(hostile["config"].read_text(encoding="utf-8"))
    register = hostile["config"].parent / "bad_register.csv"
    register.write_text("register_id,name,status,kind,osm_ref\nR1,x\x1b]0;title\x07,idle,\x1b[31mbuilding\x1b[0m,"
                        "way/424090325\n", encoding="utf-8")
    data["sources"]["register"]["path"] = str(register)
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["validate", "--config", str(bad)]) == 0  # the escape codes are removed, the kind is read
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err and "\x07" not in captured.out
    assert "register: repaired: control characters removed from text: 1 (row 2 (R1))" in captured.out
    # an error quoting text from a file shows its control characters, it does not send them
    data["sources"]["register"]["\x1b[2Jcolumns2"] = {}
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["validate", "--config", str(bad)]) == 2
    captured = capsys.readouterr()
    assert "\x1b" not in captured.err and "\\x1b[2Jcolumns2: unknown key" in captured.err


def test_map_page_takes_input_text_as_data(toy_osm, toy_boundary):
    from pipeline.common.config import ProfilesSpec
    from pipeline.features import compute_features
    from pipeline.plan.match import best_use
    from pipeline.score.profiles import fit_to_sources, load_profiles
    from pipeline.publish.tables import public_inventory
    from pipeline.score import score
    from pipeline.transform import transform

    toy_osm.features.loc[toy_osm.features["osm_ref"] == "way/2", "name"] = "Old mill {{ 6*7 }} {# open {% if 1 %}"
    prepared = transform(RawSources(toy_boundary, toy_osm), "EPSG:2100")
    feats = compute_features(prepared.inventory, prepared.context)
    profiles, _ = fit_to_sources(load_profiles(ProfilesSpec(use=["social_farm"])), prepared.context.sources())
    scored = score(feats, profiles)
    matching = best_use(feats, scored.scores, [p.name for p in profiles])
    public = public_inventory(feats, scored.scores, matching)
    view = view_of(public, scored.scores, profiles, prepared.context.boundary, explanations=scored.explanations,
                   credits=["credit"])
    m = build_map(view, profiles, "Title {{ 7*6 }}")
    page = render(m, self_contained=False)
    assert "Old mill {{ 6*7 }} {# open {% if 1 %}" in page and "Old mill 42" not in page
    assert "Title {{ 7*6 }}" in page and "Title 42" not in page
    # the same map renders to the same bytes (no random element ids)
    assert render(build_map(view, profiles, "Title {{ 7*6 }}"), self_contained=False) == page


@pytest.mark.slow
def test_a_script_payload_in_the_inputs_stays_inert(tmp_path):
    payload = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'
    data = demo_data()
    data["sources"]["register"] = {"path": register(tmp_path, f'R1,"{payload.replace(chr(34), chr(34) * 2)}",idle,building,way/424090325,,,\n')}
    _, result = run_case(tmp_path, data)
    assert payload in set(result.features["name"])  # kept as data
    html = (tmp_path / "out" / "maps" / "index.html").read_text(encoding="utf-8")
    assert "window.__pwned" in html and "<script>window.__pwned" not in html  # inside the JSON block, escaped
    assert 'onerror="alert(1)"' not in html and "<img" not in html


def test_the_survey_packs_asset_list_holds_no_formula(tmp_path):
    import geopandas as gpd

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
