"""End-to-end runs on real data: the bundled demo and the real Volos extract."""

import itertools
import html
import html.parser
import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import yaml
from openpyxl import load_workbook

from pipeline.cli import main
from pipeline.common.config import load_config
from pipeline.extract.osm import read_osm_file
from pipeline.runner import run_project

#: runs the pipeline (make test-fast leaves it out)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def page_data(map_html: str) -> dict:
    """The map's data block, as the page's script reads it."""
    return json.loads(re.search(r'<script type="application/json" id="idle-assets-data">(.*?)</script>', map_html, re.S).group(1))


def overlays(map_html: str) -> set[str]:
    """Keys of the use and plan layers the page's script makes from its data
    (the browser tests check it makes them)."""
    data = page_data(map_html)
    names = {f"use:{u['name']}" for u in data["uses"] if u["asset"]}
    return names | ({"plan"} if data["plan"] else set())


def test_demo_runs_offline_from_the_cli(tmp_path, capsys):
    assert main(["--quiet", "run", "--demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "project 'demo'" in out and "files written:" in out and "open the map: file://" in out
    # every output under --out, nothing elsewhere
    written = [Path(line.strip()) for line in out.splitlines() if line.startswith("  /")]
    assert written and all(tmp_path in p.parents for p in written)
    matching = pd.read_csv(tmp_path / "matching.csv", encoding="utf-8-sig")
    inv = gpd.read_file(tmp_path / "idle_assets.gpkg", layer="idle_assets")
    # the invented register (8 idle rows) and survey merge with the real OSM footprints
    assert set(inv["sources"]) >= {"register;survey", "register", "survey"}
    assert "reg-DEMO-R08" in set(inv["asset_id"])  # located by coordinates only
    assert not inv["register_id"].fillna("").str.contains("DEMO-R07").any()  # "in use": not a candidate
    assert matching["best_use"].notna().sum() >= 5
    report = (tmp_path / "inputs_report.md").read_text(encoding="utf-8")
    assert "| register | skipped: status is not idle | 1 | in use |" in report
    assert "row 7 (9006)" in report  # the survey point that attached to nothing
    # every invented register record sits on a complete feature of the real extract
    assert "osm_ref not in the OSM extract" not in report and "outside the boundary" not in report
    assert len(inv) == 9


@pytest.fixture
def volos_project(shared, volos_idle_pbf, tmp_path):
    """A Volos project: OSM with idle tags, a register with Greek column names
    (one row by OSM id, one by Greek Grid coordinates typed with decimal
    commas, one in use) and a KoboToolbox survey."""
    pbf, changed = volos_idle_pbf
    osm = read_osm_file(pbf)
    school = next(ref for ref, tag in changed.items() if tag == "disused:amenity=school")
    greenfield = osm.landuse.loc[osm.landuse["tags"].map(lambda t: t.get("landuse") == "greenfield"), "osm_ref"].iloc[0]
    plain = osm.buildings[osm.buildings["tags"].map(lambda t: t.get("building") == "yes")]
    plain = plain[~plain["osm_ref"].isin(changed)].to_crs("EPSG:2100")
    by_xy = plain.iloc[0]
    pt = by_xy.geometry.representative_point()
    in_use = plain.iloc[1]["osm_ref"]
    fmt = lambda v: f"{v:.2f}".replace(".", ",")
    register = pd.DataFrame({
        "Κωδικός": ["ΒΟΛ-001", "ΒΟΛ-002", "ΒΟΛ-003"],
        "Ονομασία": ["Πρώην σχολείο", "Αποθήκη οδού Ιάσονος", "Δημαρχείο"],
        "Κατάσταση": ["αδρανές", "εν μέρει σε χρήση", "σε χρήση"],
        "osm": [school, None, in_use],
        "Χ_ΕΓΣΑ": [None, fmt(pt.x), None],
        "Υ_ΕΓΣΑ": [None, fmt(pt.y), None],
    })
    register.to_csv(tmp_path / "register.csv", index=False, encoding="utf-8")
    survey_pts = gpd.GeoSeries(
        [osm.landuse.set_index("osm_ref").geometry[greenfield].representative_point(),
         osm.buildings.set_index("osm_ref").geometry[school].representative_point()], crs="EPSG:4326")
    pd.DataFrame({
        "_id": [501, 502],
        "_submission_time": ["2026-05-04T10:00:00", "2026-05-04T11:00:00"],
        "_geolocation": [f"[{p.y}, {p.x}]" for p in survey_pts],
        "condition": [None, "good"],
        "occupancy": ["vacant", "vacant"],
        "photo_url": ["https://example.org/501.jpg", ""],
        "notes": ["fenced, weeds", "closed since 2015"],
        "username": ["surveyor_a", "surveyor_b"],
    }).to_csv(tmp_path / "survey.csv", index=False)
    config = {
        "project": {"name": "volos-test", "title": "Δήμος Βόλου (test)"},
        "crs": "EPSG:2100",
        "boundary": {"path": str(shared / "boundaries" / "dimos_volou_9105.geojson"),
                     "attribution": "Boundaries: geodata.gov.gr (CC BY 3.0)"},
        "sources": {
            "osm": {"path": str(pbf), "partial": True},  # central Volos only
            "register": {"path": "register.csv", "crs": "EPSG:2100",
                         "columns": {"register_id": "Κωδικός", "x": "Χ_ΕΓΣΑ", "y": "Υ_ΕΓΣΑ"}},
            "survey": {"path": "survey.csv", "attach_distance_m": 25},
        },
    }
    path = tmp_path / "volos.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path, {"school": school, "greenfield": greenfield, "by_xy": by_xy["osm_ref"], "in_use": in_use, "changed": changed}


def test_volos_end_to_end_on_real_data(volos_project, shared, tmp_path):
    path, refs = volos_project
    config = load_config(path)
    result = run_project(config, tmp_path / "out")
    inv = result.features.set_index("asset_id")
    boundary = gpd.read_file(shared / "boundaries" / "dimos_volou_9105.geojson").to_crs(2100).union_all()
    # every asset lies inside the municipality (clipped), in the Greek Grid
    assert result.features.crs.to_epsg() == 2100
    assert result.features.geometry.within(boundary.buffer(0.01)).all()
    # OSM idle tags, register (by id and by coordinates) and survey all merged
    school = inv.loc["osm-" + refs["school"].replace("/", "-")]
    assert school["sources"] == "register;osm;survey"
    assert school["name"] == "Πρώην σχολείο" and school["condition"] == "good"
    assert inv.loc["osm-" + refs["by_xy"].replace("/", "-"), "register_id"] == "ΒΟΛ-002"
    assert inv.loc["osm-" + refs["greenfield"].replace("/", "-"), "sources"] == "osm;survey"
    assert "osm-" + refs["in_use"].replace("/", "-") not in inv.index
    for ref in refs["changed"]:
        if ref.startswith("way/"):
            assert "osm-" + ref.replace("/", "-") in inv.index
    # scores in range, every (asset, use) explained
    scores = result.scored.scores
    assert scores["score"].dropna().between(0, 100).all()
    assert scores["eligible"].any()
    assert (scores["reason_en"].str.len() > 10).all() and (scores["reason_el"].str.len() > 10).all()
    assert scores.loc[~scores["eligible"], "reason_en"].str.startswith("Excluded: ").all()
    contrib = result.scored.contributions.groupby(["asset_id", "use"])["points"].sum()
    eligible = scores[scores["eligible"]].set_index(["asset_id", "use"])["score"]
    assert (contrib.loc[eligible.index] - eligible).abs().max() < 1e-9
    # outputs: map parses and has one layer per use with eligible assets
    map_html = (tmp_path / "out" / "maps" / "index.html").read_text(encoding="utf-8")
    html.parser.HTMLParser().feed(map_html)
    names = overlays(map_html)
    for p in result.profiles:
        has = scores[(scores["use"] == p.name) & scores["eligible"]].shape[0] > 0
        assert (f"use:{p.name}" in names) == has
    credits = json.loads(re.search(r'"attribution": ("(?:[^"\\]|\\.)*")', map_html).group(1))
    assert "OpenStreetMap contributors" in credits and "geodata.gov.gr (CC BY 3.0)" in credits
    # private survey data never published
    for f in (tmp_path / "out").rglob("*"):
        if f.is_file() and f.suffix in {".csv", ".html", ".md"}:
            text = f.read_text(encoding="utf-8-sig")
            assert "surveyor_a" not in text and "surveyor_b" not in text, f
    ranking = pd.read_csv(tmp_path / "out" / "ranking_social_farm.csv", encoding="utf-8-sig")
    assert ranking["rank"].is_monotonic_increasing and ranking["score"].is_monotonic_decreasing


def test_committed_volos_project_combines_osm_register_survey_dem_and_organisations(shared, tmp_path, capsys):
    assert main(["--quiet", "run", "--config", str(ROOT / "configs" / "volos.yaml"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "7 idle assets (5 land, 2 buildings)" in out
    inv = gpd.read_file(tmp_path / "idle_assets.gpkg", layer="idle_assets").set_index("asset_id")
    # the extract's greenfield (weak, and a garden) merged with the invented register; the construction
    # site is not idle for OSM, only for the survey (kept, with a conflict to verify)
    assert inv.loc["osm-way-37087916", "sources"] == "register;osm"
    assert inv.loc["osm-way-43342339", "sources"] == "survey"
    assert inv.loc["osm-way-43342339", "confidence"] == "to verify" and inv.loc["osm-way-43342339", "conflicts"] == "status"
    assert inv.loc["osm-way-48087193", "sources"] == "register;survey"
    assert inv.loc["osm-way-755458362", "geometry_source"] == "osm footprint containing register point"
    assert inv.loc["reg-ΒΟΛ-006", "area_m2"] == pytest.approx(350, rel=0.01)
    # the DEM is summarised per asset: central Volos lies low and flat
    assert inv["c_elevation_m"].between(0, 100).all() and inv["c_slope_deg"].between(0, 10).all()
    report = (tmp_path / "inputs_report.md").read_text(encoding="utf-8")
    assert "| survey | not used: GPS precision worse than 50 m | 1 | row 6 (70105: 120 m) |" in report
    assert "| organisations | read: organisations (contacts kept private) | 4 |" in report
    # no contact detail or surveyor name in any published file
    private = ["example.org", "2421000001", "Παπαδοπούλου", "epiveblepsi_a", "epiveblepsi_b"]
    for f in tmp_path.rglob("*"):
        if f.is_file() and f.suffix in {".csv", ".html", ".md"}:
            text = f.read_text(encoding="utf-8-sig").replace("https://example.org/volos/", "")
            assert not [p for p in private if p in text], f
    for layer in ("idle_assets", "boundary", "plan"):
        cols = " ".join(gpd.read_file(tmp_path / "idle_assets.gpkg", layer=layer).columns)
        assert "surveyor" not in cols and "email" not in cols
    # the plan is a layer too, on its assets' shapes, and every layer opens in QGIS with its style
    plan = gpd.read_file(tmp_path / "idle_assets.gpkg", layer="plan")
    plan_csv = pd.read_csv(tmp_path / "plan.csv", encoding="utf-8-sig")
    assert plan[["asset_id", "use"]].values.tolist() == plan_csv[["asset_id", "use"]].values.tolist()
    assert shapely.equals(plan.geometry.to_numpy(), inv.loc[plan["asset_id"]].geometry.to_numpy()).all()
    import sqlite3
    import xml.etree.ElementTree as ET

    with sqlite3.connect(tmp_path / "idle_assets.gpkg") as db:
        styles = {t: (q, d) for t, q, d in db.execute("SELECT f_table_name, styleQML, useAsDefault FROM layer_styles")}
    assert set(styles) == {"idle_assets", "boundary", "plan"} and all(d == 1 for _, d in styles.values())
    qml = ET.fromstring(styles["plan"][0].split("\n", 1)[1])
    renderer = qml.find("renderer-v2")
    assert renderer.get("attr") == "use"
    assert set(plan["use"]) <= {c.get("value") for c in renderer.iter("category")}
    assert len({o.get("value") for o in renderer.iter("Option") if o.get("name") == "color"}) == len(list(renderer.iter("category")))


def test_volos_plan_honours_constraints_targets_and_impact_coefficients(shared, tmp_path):
    from pipeline.common.config import load_config
    from pipeline.runner import run_project

    config = load_config(ROOT / "configs" / "volos.yaml")
    result = run_project(config, tmp_path)
    scores = result.scored.scores.set_index(["asset_id", "use"])
    plan = result.plan
    # one use per asset (or uses that can share one, like rooftop solar on a building in use), each an
    # eligible pair at or above the minimum score
    from pipeline.plan import can_share
    from pipeline.common.sharing import compatible_uses

    assert not plan.duplicated(["asset_id", "use"]).any() and len(plan) > 0
    for uses in plan.groupby("asset_id")["use"].agg(list):
        assert all(can_share(a, b, compatible_uses()) for a, b in itertools.combinations(uses, 2)), uses
    assert scores.loc[list(zip(plan["asset_id"], plan["use"])), "eligible"].all()
    assert (plan["score"] >= config.plan.min_score).all()
    # weights sum to 1 in every profile, and every eligible asset meets every constraint of its use
    feats = result.features.set_index("asset_id")
    for p in result.profiles:
        assert sum(p.weights().values()) == pytest.approx(1.0)
        ok = scores.xs(p.name, level="use")
        ok = feats.loc[ok.index[ok["eligible"]]]
        assert ok["kind"].isin(p.applies_to).all()
        for c in p.constraints:
            values = ok[f"c_{c.criterion}"]
            if c.min is not None:
                assert (values.dropna() >= c.min).all(), (p.name, c)
            if c.max is not None:
                assert (values.dropna() <= c.max).all(), (p.name, c)
            if c.not_in:
                assert not values.isin(c.not_in).any(), (p.name, c)
    totals = pd.read_csv(tmp_path / "plan_totals.csv", encoding="utf-8-sig").set_index("use")
    assert totals.loc["TOTAL", "sites"] == plan["asset_id"].nunique()  # an asset with two uses is one site
    assert totals.loc["TOTAL", "kwp"] == pytest.approx(plan["kwp"].sum(), abs=0.2)
    # targets: caps respected, unmet reported as the difference
    targets = result.targets.set_index("target")
    assert (targets["reached"] <= targets["target_value"] + 1e-6).all()
    assert ((targets["target_value"] - targets["reached"]).clip(lower=0) - targets["unmet"]).abs().max() < 0.1
    solar = plan[plan["use"].isin(["solar_ground", "solar_rooftop"])]
    assert targets.loc["500 kWp for the energy community", "reached"] == pytest.approx(solar["kwp"].sum(), abs=0.1)
    # impact figures follow the stated coefficients
    spec = config.impact_spec()
    kwh = result.impact_sources.set_index("coefficient").loc["yield (kWh/kWp/year)", "value"]
    assert 1200 < kwh < 1800  # central Greece
    assert (solar["mwh_per_year"] - solar["kwp"] * kwh / 1000).abs().max() < 1.0
    roof = solar[solar["use"] == "solar_rooftop"]
    assert (roof["kwp"] <= roof["usable_area_m2"] * spec.solar.module_kwp_per_m2.value + 1e-6).all()
    assert result.impact_sources["source"].str.len().min() > 10  # every coefficient states its source
    # organisations: only those that asked for the use are proposed, without contacts
    # the KOINSEP asks for 1,500 m²: a candidate where the usable area has it, never on the 348 m² plot
    farms = plan[plan["use"] == "social_farm"]
    fits = farms["usable_area_m2"] >= 1500
    assert fits.any() and (~fits).any()
    assert farms.loc[fits, "candidate_organisations"].str.contains("Αστικοί Λαχανόκηποι").all()
    assert not farms.loc[~fits, "candidate_organisations"].fillna("").str.contains("Αστικοί Λαχανόκηποι").any()
    assert not plan["candidate_organisations"].fillna("").str.contains("@|2421", regex=True).any()
    # sensitivity and TOPSIS are in the ranking tables, and the plan in the workbook and the map
    ranking = pd.read_csv(tmp_path / "ranking_social_farm.csv", encoding="utf-8-sig")
    assert ranking["p_top_k"].between(0, 1).all() and ranking["rank_p05"].le(ranking["rank_p95"]).all()
    assert {"plan", "targets", "impact_sources", "method_weights"} <= set(load_workbook(tmp_path / "idle_assets.xlsx").sheetnames)
    map_html = (tmp_path / "maps" / "index.html").read_text(encoding="utf-8")
    assert "plan" in overlays(map_html)
    assert all(len(u["p_top_k"]) == len(u["asset"]) for u in page_data(map_html)["uses"])  # rank stability in the popups


def test_init_validate_run_for_a_kallikratis_municipality(shared, tmp_path, capsys):
    cfg = tmp_path / "configs" / "volos.yaml"
    code = main(["init", "--municipality", "βόλου", "--osm", str(shared / "osm" / "volos_center_2020.osm.pbf"),
                 "--boundaries", str(shared / "boundaries" / "kallikratis_dimoi_simpl50m.gpkg"), "--out", str(cfg)])
    assert code == 0
    warned = re.search(r"warning: the OSM extract covers ([\d.]+)% of Δήμος Βόλου", capsys.readouterr().out)
    assert warned and 0.5 < float(warned.group(1)) < 5
    config = load_config(cfg)
    assert config.project.name == "volou-9105" and config.crs == "EPSG:2100"
    assert config.boundary.code == "9105"
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    assert not Path(data["sources"]["osm"]["path"]).is_absolute()
    # the sections a planner fills in next are there, commented, with their syntax
    text = cfg.read_text(encoding="utf-8")
    for commented in ("# organisations:", "# rasters:", "kind: dem}", "# targets:", "count: 2, label:", "kwp: 1000",
                      "# parcels:", "# zones:"):
        assert commented in text, commented
    assert data["plan"]["ownership"] == "public" and "consumer_coop" in data["profiles"]["use"]
    # the extract covers central Volos only: validate (like run) stops, until the config accepts it
    assert main(["validate", "--config", str(cfg)]) == 2
    assert "sources.osm.partial: true" in capsys.readouterr().err
    data["sources"]["osm"]["partial"] = True
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["validate", "--config", str(cfg)]) == 0
    # the extract's own candidates are a garden and a building site: no idle asset
    assert "0 idle assets would be scored" in capsys.readouterr().out
    assert main(["--quiet", "run", "--config", str(cfg), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "maps" / "index.html").exists()
    # refuses to overwrite without --force
    assert main(["init", "--municipality", "9105", "--osm", str(shared / "osm" / "volos_center_2020.osm.pbf"),
                 "--boundaries", str(shared / "boundaries" / "kallikratis_dimoi_simpl50m.gpkg"), "--out", str(cfg)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err


def test_validate_reports_every_source_problem_without_traceback(tmp_path):
    (tmp_path / "register.csv").write_text("register_id,status\nR1,idle\n", encoding="utf-8")
    (tmp_path / "survey.csv").write_text("_id,latitude,longitude\n1,95,22\n", encoding="utf-8")
    (tmp_path / "orgs.csv").write_text("org_id,name,legal_form\nO1,Bakers,bakery\n", encoding="utf-8")
    (tmp_path / "parcels.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({
        "project": {"name": "bad"}, "crs": "EPSG:2100",
        "boundary": {"path": "nowhere.geojson"},
        "sources": {"osm": {"path": "missing.osm.pbf"}, "register": {"path": "register.csv"},
                    "survey": {"path": "survey.csv"}, "organisations": {"path": "orgs.csv"},
                    "parcels": {"path": "parcels.geojson"}, "rasters": [{"path": "dem.tif", "kind": "dem"}]},
    }), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--config", str(tmp_path / "bad.yaml")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "register.csv: row 2 (R1): no location" in proc.stderr
    assert "survey.csv: row 2 (1): latitude 95.0, longitude 22.0 are not degrees" in proc.stderr
    assert "orgs.csv: row 2 (O1): legal_form 'bakery' not recognised" in proc.stderr
    assert "nowhere.geojson: file not found" in proc.stderr
    typo = tmp_path / "typo.yaml"
    typo.write_text("project: {name: x}\nboundary: {bbox: [1, 2, 3, 4]}\nsources: {osm: {path: a.osm.pbf}}\nprofile: {}\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "run", "--config", str(typo)], capture_output=True, text=True)
    assert proc.returncode == 2 and "profile: unknown key" in proc.stderr and "Traceback" not in proc.stderr


def test_validate_reports_the_spatial_sources_once_the_boundary_reads(shared, tmp_path):
    (tmp_path / "parcels.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump({
        "project": {"name": "v"}, "crs": "EPSG:2100",
        "boundary": {"path": str(shared / "boundaries" / "dimos_volou_9105.geojson")},
        "sources": {"osm": {"path": str(tmp_path / "broken.osm.pbf")},
                    "parcels": {"path": "parcels.geojson"}, "rasters": [{"path": "dem.tif", "kind": "dem"}]},
    }), encoding="utf-8")
    (tmp_path / "broken.osm.pbf").write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--config", str(tmp_path / "cfg.yaml")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "broken.osm.pbf: cannot be read as an OSM PBF file" in proc.stderr
    assert "parcels.geojson: cannot be read as a vector file" in proc.stderr
    assert "raster " in proc.stderr and "dem.tif: file not found" in proc.stderr


def test_help_has_examples(capsys):
    for cmd in ("run", "init", "validate"):
        with pytest.raises(SystemExit) as exit_:
            main([cmd, "--help"])
        assert exit_.value.code == 0
        assert "examples:" in capsys.readouterr().out


def test_a_run_with_no_idle_asset_still_writes_every_output(shared, tmp_path, capsys, caplog):
    """Larisa's boundary with the Volos extract: nothing overlaps; the run says so and writes empty tables."""
    (tmp_path / "larisa.yaml").write_text(yaml.safe_dump({
        "project": {"name": "larisa"}, "crs": "EPSG:2100",
        "boundary": {"path": str(shared / "boundaries" / "kallikratis_dimoi_simpl50m.gpkg"), "code": "9100"},
        "sources": {"osm": {"path": str(shared / "osm" / "volos_center_2020.osm.pbf"), "partial": True}},
    }), encoding="utf-8")
    assert main(["run", "--config", str(tmp_path / "larisa.yaml"), "--out", str(tmp_path / "out")]) == 0
    assert "0 idle assets" in capsys.readouterr().out
    assert "does it cover the study area?" in caplog.text
    assert pd.read_csv(tmp_path / "out" / "matching.csv", encoding="utf-8-sig").empty
    assert (tmp_path / "out" / "maps" / "index.html").stat().st_size > 0
    assert "no features near the boundary" in (tmp_path / "out" / "inputs_report.md").read_text(encoding="utf-8")


def test_the_annex_in_markdown_html_and_pdf(tmp_path):
    """The strategic-plan annex of the demo: every section with its Greek and
    English heading, the HTML parses, and an A4 PDF is printed from it."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the Pango library is missing
        pytest.skip(f"WeasyPrint unavailable ({exc}): pip install -e '.[pdf]' and Debian's libpango-1.0-0")
    from pipeline.publish.annex import HEADINGS

    assert main(["--quiet", "run", "--demo", "--out", str(tmp_path)]) == 0
    md = (tmp_path / "annex.md").read_text(encoding="utf-8")
    page = (tmp_path / "annex.html").read_text(encoding="utf-8")
    html.parser.HTMLParser().feed(page)
    for key in ("summary", "plan", "totals", "rankings", "method", "sensitivity", "sources"):
        en, el = HEADINGS[key]
        assert en in md and el in md and html.escape(en) in page, key
    pdf = (tmp_path / "annex.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 10_000
    assert len(weasyprint.HTML(string=page).render().pages) >= 2  # the annex runs over several A4 pages
