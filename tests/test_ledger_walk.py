"""The issue's walk, as an officer and the runs make it: one asset from
reported to operating across runs of the demo project, a status workbook, CLI
steps and an accepted Diavgeia decision, on SQLite and on PostgreSQL/PostGIS
with identical ledgers; then the dashboard shows a stuck site and a target
met, and the fact sheet, map and annex show the asset's path."""

from __future__ import annotations

import datetime as dt
import json
import re

import geopandas as gpd
import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.common.config import load_config
from pipeline.ledger import open_ledger
from pipeline.runner import run_project
from projects import demo_data, fill_status_workbook, write_config
from replay import Replay
from test_decisions import decision

#: runs the pipeline (make test-fast leaves it out)
pytestmark = pytest.mark.slow

ASSET = "osm-way-369836455"  # "Riverside meadow (sample)" of the demo, which the plan makes a social farm
GRANT = decision("7ΑΒ2ΩΛΛ-ΞΟΠ", "Παραχώρηση χρήσης του δημοτικού ακινήτου «Riverside meadow (sample)» στην ΚοινΣΕπ "
                               "«Αγρός» για κοινωνικό αγρόκτημα", "2023-02-15")


def walk(tmp, store: str, where: dict, diavgeia_url: str):
    data = demo_data()
    data["ledger"] = {**where, "diavgeia": {"org": "demo", "url": diavgeia_url}}
    data["output"] = {"pdf": False}
    data["plan"]["targets"] = [*data["plan"].get("targets", []),
                               {"uses": ["social_farm"], "count": 1, "label": "1 κοινωνικό αγρόκτημα / 1 social farm"}]
    config_file = write_config(tmp, data, f"{store}.yaml")
    config = load_config(config_file)
    out = tmp / f"out-{store}"

    def cli(*args: str) -> None:
        assert main([*args, "--config", str(config_file)]) == 0, args

    def run(day: str):
        return run_project(config, out, today=dt.date.fromisoformat(day))

    def workbook(name: str, rows: dict) -> None:
        path = tmp / f"{store}-{name}.xlsx"
        cli("status", "workbook", "--out", str(path))
        fill_status_workbook(path, rows)
        cli("status", "import", str(path))

    cli("status", "set", ASSET, "reported", "--new", "--name", "Riverside meadow (sample)", "--date", "2022-01-05",
        "--evidence", "τηλεφώνημα πολίτη / a citizen's call")
    assert run("2022-01-10").ledger.identified == [ASSET]
    workbook("1", {ASSET: {"date": "2022-03-01", "status": "available", "role": "council", "evidence": "ΑΔΑ 6ΛΚ1ΩΛΛ-1ΑΒ"}})
    run("2022-06-01")
    cli("status", "set", ASSET, "offered", "--date", "2022-07-01", "--role", "council", "--evidence", "ΑΔΑ 6ΛΚ1ΩΛΛ-2ΓΔ")
    cli("status", "set", ASSET, "requested", "--date", "2022-09-01", "--role", "organisation",
        "--evidence", "αίτηση ΚοινΣΕπ «Αγρός» / application 7")
    run("2023-01-10")
    proposals = tmp / f"{store}-decisions.xlsx"
    cli("decisions", "--since", "2022-10-01", "--until", "2023-03-01", "--out", str(proposals))
    fill_status_workbook(proposals, {ASSET: {"accept": "ναι / yes"}})
    cli("status", "import", str(proposals))
    cli("status", "set", ASSET, "in_preparation", "--date", "2023-05-01", "--role", "organisation")
    run("2023-09-01")
    assert main(["status", "set", ASSET, "in_preparation", "--config", str(config_file), "--date", "2023-06-01",
                 "--use", "car_park"]) == 2  # not a use of the project
    workbook("2", {ASSET: {"date": "2023-09-15", "status": "operating", "role": "officer", "tenure": "concession",
                           "term_years": 10, "use": "social_farm", "note": "πρώτη σοδειά / first harvest"}})
    final = run("2026-12-01")
    return config, out, final


@pytest.fixture(scope="module")
def walked(tmp_path_factory, postgres_server):
    import psycopg

    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS ledger_walk WITH (FORCE)")
        admin.execute("CREATE DATABASE ledger_walk")
    base = postgres_server.rpartition("/")[0]
    tmp = tmp_path_factory.mktemp("walk")
    with Replay({"/opendata/search.json": (200, "application/json", lambda q: json.dumps({
            "info": {"total": 1, "page": 0, "size": 500, "actualSize": 1},
            "decisions": [GRANT] if q["q"] == "παραχώρηση χρήσης" and q["page"] == "0" else []}).encode())}) as diavgeia:
        sqlite = walk(tmp, "sqlite", {"path": str(tmp / "demo.ledger.gpkg")}, diavgeia.url + "/opendata")
        postgres = walk(tmp, "postgresql", {"url": f"{base}/ledger_walk"}, diavgeia.url + "/opendata")
    yield {"sqlite": sqlite, "postgresql": postgres}
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS ledger_walk WITH (FORCE)")


def comparable(config) -> tuple[list, list]:
    with open_ledger(config.ledger.location()) as ledger:
        events = [{k: v for k, v in e.items() if k not in ("event_id", "recorded_at")} for e in ledger.history()]
        return ledger.assets(), events


def test_one_asset_walks_from_reported_to_operating_on_both_stores_alike(walked):
    config, _, _ = walked["sqlite"]
    with open_ledger(config.ledger.location()) as ledger:
        steps = [(e["date"], e["status"], e["role"]) for e in ledger.history(ASSET)]
        assert ledger.current()[ASSET] == "operating"
    path = [s for _, s, _ in steps]
    wanted = ["reported", "identified", "available", "offered", "requested", "assigned", "in_preparation", "operating"]
    assert [s for s in path if s in wanted] == wanted  # verified too where the demo survey found it vacant
    assigned = next(step for step in steps if step[1] == "assigned")
    assert assigned == ("2023-02-15", "assigned", "council")
    with open_ledger(config.ledger.location()) as ledger:
        assert ledger.history(ASSET)[-1]["use"] == "social_farm"
    assert comparable(walked["sqlite"][0]) == comparable(walked["postgresql"][0])
    sites = gpd.read_file(config.ledger.location(), layer="sites")  # the embedded ledger is a GeoPackage GIS opens
    with open_ledger(config.ledger.location()) as ledger:
        assert sorted(sites["ledger_id"]) == sorted(a["ledger_id"] for a in ledger.assets())


def test_the_dashboard_shows_a_stuck_site_and_a_target_met(walked):
    _, out, final = walked["sqlite"]
    progress = final.progress
    current = progress.current.set_index("ledger_id")
    assert current.loc[ASSET, "status"] == "operating" and not current.loc[ASSET, "stuck"]
    stuck = current[current["stuck"]]
    assert len(stuck) and (stuck["years_listed"] > 3).all() and set(stuck["status"]) <= {"identified", "verified"}
    planned = final.plan.set_index("asset_id").loc[ASSET]  # in active use: kept with its agreed use, not re-offered
    assert planned["use"] == "social_farm" and planned["reason_en"].startswith("agreed in the plan's ledger")
    target = progress.targets.set_index("target").loc["1 κοινωνικό αγρόκτημα / 1 social farm"]
    assert target["operating"] >= target["target_value"] == 1  # met
    page = (out / "maps" / "implementation.html").read_text(encoding="utf-8")
    assert "Στάσιμα" in page and stuck.index[0] in page and "<svg" in page
    table = pd.read_csv(out / "ledger_status.csv", encoding="utf-8-sig")
    assert table.set_index("asset_id").loc[ASSET, "status"] == "operating"
    assert set(table.loc[table["stuck"] == "yes", "asset_id"]) == set(stuck.index)


def test_the_fact_sheet_map_and_annex_show_the_path(walked):
    _, out, _ = walked["sqlite"]
    sheet = (out / "factsheets" / f"{ASSET}.html").read_text(encoding="utf-8")
    words = re.sub(r"<[^>]+>", "", sheet)  # the sides are marked with their language
    assert "Πορεία / Path" in words and "ΑΔΑ 7ΑΒ2ΩΛΛ-ΞΟΠ" in sheet and "σε λειτουργία / operating" in words
    assert "earlier steps" in sheet  # the latest six on the sheet, which stays one page
    page = (out / "maps" / "index.html").read_text(encoding="utf-8")
    assert "σε λειτουργία (2023-09-15)" in page and "operating (2023-09-15)" in page
    assert "Υλοποίηση / Implementation" in (out / "annex.md").read_text(encoding="utf-8")


def test_the_map_popup_shows_the_step_and_the_path(walked):
    from test_map_views import CHROMIUM, SIZES, open_map

    import playwright.sync_api as playwright

    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    _, out, final = walked["sqlite"]
    farm = next(p for p in final.profiles if p.name == "social_farm")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = open_map(browser, out / "maps" / "index.html", SIZES[0])
        english = page.evaluate("([n, id]) => window.idleAssets.popupText(n, id)", [f"use:{farm.name}", ASSET])
        page.evaluate("() => window.idleAssets.setLanguage('el')")
        text = page.evaluate("([n, id]) => window.idleAssets.popupText(n, id)", [f"use:{farm.name}", ASSET])
        browser.close()
    # the demo (outside Greece) opens in English; the reader's switch gives the same in Greek
    assert "σε λειτουργία (2023-09-15)" in text and "Πορεία ως τώρα" in text
    assert "2023-02-15: παραχωρήθηκε (ΑΔΑ 7ΑΒ2ΩΛΛ-ΞΟΠ)" in text
    assert "operating (2023-09-15)" in english and "Path so far" in english and "2023-02-15: assigned (ΑΔΑ 7ΑΒ2ΩΛΛ-ΞΟΠ)" in english
