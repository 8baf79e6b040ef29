"""The field-survey loop (issue 15, items 2-4): what to survey first, the route
along the real Volos roads, the field sheet, and a re-run with the answers of
the project's own form that says what changed."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import geopandas as gpd
import gpxpy
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline.common.changes import RunTables, compare
from pipeline.cli import main
from pipeline.common.config import load_config
from pipeline.extract.survey import SurveySource
from pipeline.common.errors import InputError
from pipeline.extract.survey import read_survey
from pipeline.publish.changes import read_previous
from pipeline.publish.fieldwork import route_gpx, route_table
from pipeline.runner import analyse, run_project
from pipeline.survey.priority import DOUBT_POINTS, STAKE, survey_priority
from pipeline.survey.route import road_graph, visiting_order

#: runs the pipeline (make test-fast leaves it out)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
LABELS = {"farm": ("Farm", "Αγρόκτημα"), "shop": ("Shop", "Κατάστημα")}


def _contrib(asset, use, criterion, weight, points, missing):
    return {"asset_id": asset, "use": use, "criterion": criterion, "raw": "", "value": 0.5, "weight": weight,
            "points": points, "missing": missing}


def test_priority_puts_first_what_a_visit_could_change_most():
    inventory = pd.DataFrame({"asset_id": ["a", "b", "c"], "name": ["A", "B", "C"], "kind": "land",
                              "confidence": ["to verify", "confirmed", "confirmed"],
                              "ownership": ["municipal", "municipal", "municipal"], "conflicts": [None, None, None]})
    scores = pd.DataFrame({"asset_id": ["a", "b", "c"], "use": "farm", "eligible": True, "score": [80.0, 70.0, 50.0],
                           "rank": [1, 2, 3]})
    # b misses a criterion worth 20 points (its default gave 10): enough to pass a (10 points above)
    contributions = pd.DataFrame([_contrib("a", "farm", "area_m2", 0.8, 80, False),
                                  _contrib("b", "farm", "area_m2", 0.8, 60, False),
                                  _contrib("b", "farm", "condition", 0.2, 10, True),
                                  _contrib("c", "farm", "area_m2", 0.8, 50, False)])
    plan = pd.DataFrame({"asset_id": ["a"], "use": ["farm"], "score": [80.0]})
    out = survey_priority(inventory, scores, contributions, plan, LABELS).set_index("asset_id")
    # a: to verify, and the plan rests on it; b: a 10-point swing (20 withheld vs 10 given: max 10) that
    # reaches the lowest planned score (70 + 10 >= 80): it could change the plan
    assert out.loc["a", "priority"] == DOUBT_POINTS["to_verify"] + DOUBT_POINTS["planned_unverified"]
    assert out.loc["b", "priority"] == pytest.approx(10 * STAKE["plan"])
    assert out.loc["c", "priority"] == 0
    assert list(out.index) == ["a", "b", "c"] and list(out["priority_rank"]) == [1, 2, 3]
    assert "could change the plan" in out.loc["b", "reason_en"] and "condition" in out.loc["b", "reason_en"]
    assert "μπορεί να αλλάξει το σχέδιο" in out.loc["b", "reason_el"] and ";" not in out.loc["a", "reason_el"]
    assert "a visit is not needed" in out.loc["c", "reason_en"]


@pytest.fixture(scope="module")
def volos(shared):
    return analyse(load_config(ROOT / "configs" / "volos.yaml"))


def test_the_route_is_a_short_round_trip_along_the_real_roads(volos):
    graph = road_graph(volos.prepared.context.roads)
    inv = volos.features
    stops = gpd.GeoDataFrame({"stop_id": inv["asset_id"]}, geometry=inv.geometry.representative_point(), crs=inv.crs)
    route = visiting_order(graph, stops)
    assert sorted(route.stops["stop_id"]) == sorted(inv["asset_id"]) and route.stops["order"].tolist() == list(range(1, 8))
    assert route.stops["stop_id"].iloc[0] == stops["stop_id"].iloc[0]  # it starts where it was asked to
    # every leg follows the roads: its line is as long as its length, and no shorter than the straight line
    for leg in route.legs.itertuples():
        assert leg.geometry.length == pytest.approx(leg.length_m, abs=0.5)
        a, b = (stops.set_index("stop_id").geometry[k] for k in (leg.from_id, leg.to_id))
        assert leg.length_m >= a.distance(b) - 1e-6
    # against every order, with distances computed here by networkx on the same graph
    node = {r.stop_id: min(graph.nodes, key=lambda n: math.hypot(graph.nodes[n]["x"] - r.geometry.x,
                                                                 graph.nodes[n]["y"] - r.geometry.y))
            for r in stops.itertuples()}
    off = {r.stop_id: math.hypot(graph.nodes[node[r.stop_id]]["x"] - r.geometry.x,
                                 graph.nodes[node[r.stop_id]]["y"] - r.geometry.y) for r in stops.itertuples()}
    ids = list(stops["stop_id"])
    d = {(a, b): nx.shortest_path_length(graph, node[a], node[b], weight="length") + off[a] + off[b]
         for a in ids for b in ids if a != b}
    best = min(sum(d[p, q] for p, q in zip((ids[0], *perm), (*perm, ids[0]))) for perm in itertools.permutations(ids[1:]))
    assert best <= route.total_m <= 1.05 * best


def test_route_files_keep_text_as_data(volos):
    inv = volos.features.head(3)
    stops = gpd.GeoDataFrame({"stop_id": inv["asset_id"].to_numpy(),
                              "name": ["<script>alert(1)</script>", "Α & Β", "=cmd|' /C calc'!A0"],
                              "reason_en": "r", "reason_el": "λόγος <b>"},
                             geometry=inv.geometry.representative_point().to_numpy(), crs=inv.crs)
    route = visiting_order(road_graph(volos.prepared.context.roads), stops)
    table = route_table(route, pd.DataFrame(stops.drop(columns="geometry")))
    parsed = gpxpy.parse(route_gpx(route, table, "Δήμος <Βόλου>"))
    assert parsed.name == "Δήμος <Βόλου>"
    assert sorted(w.name.split(". ", 1)[1] for w in parsed.waypoints) == sorted(stops["name"])
    assert all(w.description == "λόγος <b>" for w in parsed.waypoints)
    assert len(parsed.tracks[0].segments) == len(route.legs) == 3
    assert table["order"].tolist() == [1, 2, 3, 4] and table["leg_m"].iloc[-1] == route.legs["length_m"].iloc[-1]


def _export_from_form(pack: Path, path: Path) -> None:
    """A KoboToolbox CSV export of the generated form: every asset visited,
    found vacant and in good condition, answers named as the form names them."""
    assets = pd.read_csv(pack / "assets.csv", keep_default_na=False)
    survey = pd.read_excel(pack / "form.xlsx", sheet_name="survey").fillna("")
    choices = pd.read_excel(pack / "form.xlsx", sheet_name="choices")
    answer = {"occupancy": "vacant", "condition": "good"}
    rows = []
    for k, a in enumerate(assets.itertuples()):
        row = {"start": "2026-05-04T09:00:00", "end": "2026-05-04T09:20:00", "today": "2026-05-04",
               "username": "surveyor_1", "asset_id": a.asset_id, "asset_kind": a.kind, "asset_confidence": a.confidence,
               "asset_conflicts": a.conflicts, "location": f"{a.lat} {a.lon} 20 4.5", "photo": f"{a.asset_id}.jpg",
               "notes": "", "_id": 9100 + k, "_uuid": f"uuid-{k}", "_submission_time": "2026-05-04T10:00:00"}
        for q in survey.itertuples():
            if q.type.startswith("select_one ") and not q.type.startswith("select_one_from_file"):
                listed = list(choices.loc[choices["list_name"] == q.type.split(" ", 1)[1], "name"])
                row[q.name] = answer.get(q.name, listed[0])
        rows.append(row)
    pd.DataFrame(rows).to_csv(path, index=False)


def _surveyed_config(folder: Path, export: Path, shared: Path) -> Path:
    text = (ROOT / "configs" / "volos.yaml").read_text(encoding="utf-8")
    text = text.replace("../data/raw/volos/aftopsia_kobo.csv", str(export))
    text = text.replace("../data/raw/volos/", f"{ROOT}/data/raw/volos/")
    text = text.replace("${IDLE_ASSETS_SHARED_DATA:-../../shared/data}", str(shared))
    path = folder / "volos_surveyed.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def loop(shared, tmp_path_factory):
    """Run Volos, write its survey pack, answer the form, run again in the same folder."""
    tmp = tmp_path_factory.mktemp("loop")
    first = run_project(load_config(ROOT / "configs" / "volos.yaml"), tmp / "run")
    assert main(["--quiet", "survey-form", "--config", str(ROOT / "configs" / "volos.yaml"), "--out",
                 str(tmp / "pack")]) == 0
    _export_from_form(tmp / "pack", tmp / "kobo.csv")
    config = _surveyed_config(tmp, tmp / "kobo.csv", shared)
    second = run_project(load_config(config), tmp / "run")
    return tmp, first, second


def test_the_pack_holds_the_priority_the_route_and_the_field_sheet(loop):
    tmp, first, _ = loop
    pack = tmp / "pack"
    priority = pd.read_csv(pack / "survey_priority.csv", encoding="utf-8-sig")
    route = pd.read_csv(pack / "route.csv", encoding="utf-8-sig")
    assert sorted(priority["asset_id"]) == sorted(first.features["asset_id"])
    assert priority["priority"].is_monotonic_decreasing and priority["reason_el"].str.len().gt(0).all()
    to_verify = set(first.features.loc[first.features["confidence"] == "to verify", "asset_id"])
    assert set(priority["asset_id"].head(len(to_verify))) == to_verify  # doubts first
    visited = set(priority.loc[priority["priority"] > 0, "asset_id"])
    assert set(route["stop_id"]) == visited and route["stop_id"].iloc[-1] == route["stop_id"].iloc[0]
    assert route["cumulative_m"].iloc[-1] == pytest.approx(route["leg_m"].sum(), abs=0.5)
    geo = gpd.read_file(pack / "route.geojson")
    assert (geo["feature"] == "stop").sum() == len(visited) and (geo["feature"] == "leg").sum() == len(visited)
    page = (pack / "field_sheet.html").read_text(encoding="utf-8")
    assert all(a in page for a in visited) and "☐</span> κενό / vacant" in page
    if (pack / "field_sheet.pdf").exists():
        from pypdf import PdfReader

        text = "".join(p.extract_text() for p in PdfReader(pack / "field_sheet.pdf").pages)
        assert all(a in text for a in visited)


def test_answers_of_the_form_raise_confidence_and_change_scores(loop):
    tmp, first, second = loop
    changes = pd.read_csv(next((tmp / "run").rglob("changes.csv")), encoding="utf-8-sig")
    before = first.features.set_index("asset_id")["confidence"]
    after = second.features.set_index("asset_id")["confidence"]
    rose = changes[changes["change"] == "confidence"]
    assert len(rose) >= 1 and rose["text_en"].str.startswith("confidence rises").all()
    assert all(before[a] == "to verify" and after[a] != "to verify" for a in rose["asset_id"])
    scores = changes[changes["change"] == "score"]
    assert len(scores) >= 1
    s0 = first.scored.scores.set_index(["asset_id", "use"])["score"]
    s1 = second.scored.scores.set_index(["asset_id", "use"])["score"]
    for r in scores.itertuples():
        assert (round(s0[r.asset_id, r.use], 1), round(s1[r.asset_id, r.use], 1)) == (float(r.before), float(r.after))
    # every asset was surveyed through the form: each one's answers are attached to it
    assert second.features["survey_ids"].str.contains("91").all()
    assert set(second.features["condition"]) == {"good"}
    annex = next((tmp / "run").rglob("annex.md")).read_text(encoding="utf-8")
    assert "What changed since the last run" in annex and "η βεβαιότητα αυξάνεται" in annex


def test_compare_names_the_run_and_a_folder_without_one_is_an_error(loop, tmp_path):
    tmp, first, second = loop
    earlier = next((tmp / "run").rglob("changes.csv")).parent
    assert read_previous(tmp_path) is None
    with pytest.raises(InputError, match="scores.csv: not found"):
        read_previous(tmp_path, required=True)
    same = compare(read_previous(earlier), read_previous(earlier), {})
    assert same.empty


def test_changes_list_additions_drops_plan_and_rank():
    inv0 = pd.DataFrame({"asset_id": ["a", "b"], "name": ["A", "B"], "confidence": ["to verify", "confirmed"],
                         "ownership": ["unknown", "municipal"]})
    inv1 = pd.DataFrame({"asset_id": ["a", "c"], "name": ["A", "C"], "confidence": ["probable", "confirmed"],
                         "ownership": ["municipal", "municipal"]})
    s0 = pd.DataFrame({"asset_id": ["a", "b"], "use": "farm", "eligible": [True, True], "score": [60.0, 70.0], "rank": [2, 1]})
    s1 = pd.DataFrame({"asset_id": ["a", "c"], "use": "farm", "eligible": [True, True], "score": [75.04, 70.0], "rank": [1, 2]})
    out = compare(RunTables(inv0, s0, pd.DataFrame({"asset_id": ["b"], "use": ["farm"]})),
                  RunTables(inv1, s1, pd.DataFrame({"asset_id": ["a"], "use": ["farm"]})), LABELS)
    got = set(zip(out["asset_id"], out["change"]))
    assert got == {("c", "added"), ("b", "dropped"), ("a", "plan_assigned"), ("b", "plan_unassigned"),
                   ("a", "confidence"), ("a", "ownership"), ("a", "score"), ("a", "rank")}
    row = out.set_index("change").loc["score"]
    assert (row["before"], row["after"]) == (60.0, 75.0) and row["text_el"] == "Αγρόκτημα: βαθμός 60,0 → 75,0 (+15,0)"
    assert out["change"].iloc[0] == "added" and out.set_index("change").loc["confidence", "text_en"].startswith(
        "confidence rises")


def test_a_geopoint_column_alone_gives_the_position(tmp_path):
    path = tmp_path / "odk.csv"
    pd.DataFrame({"KEY": ["uuid:1"], "location": ["39.3621 22.9420 12.0 4.0"], "occupancy": ["partly_used"],
                  "asset_id": ["osm-way-1"], "roof": ["flat_sound"]}).to_csv(path, index=False)
    read = read_survey(SurveySource(path=path))
    assert (read["latitude"].iloc[0], read["longitude"].iloc[0]) == (39.3621, 22.942)
    assert read["occupancy"].iloc[0] == "partly used" and read["roof"].iloc[0] == "flat sound"
    assert read["asset_id"].iloc[0] == "osm-way-1"
    assert np.isclose(shapely.get_x(read.geometry.iloc[0]), 22.942)


@pytest.mark.parametrize("kind", ["kobo_xlsx", "odk_central_csv"])
def test_exports_of_the_form_in_other_formats_are_read_without_configuration(loop, tmp_path, kind, caplog):
    """The same answers as KoboToolbox's XLSX export and as ODK Central's CSV
    export (its geopoint split into location-Latitude etc., KEY and its own
    metadata columns)."""
    tmp, first, _ = loop
    kobo = pd.read_csv(tmp / "kobo.csv", keep_default_na=False)
    if kind == "kobo_xlsx":
        path = tmp_path / "export.xlsx"
        kobo.to_excel(path, index=False)
    else:
        odk = kobo.drop(columns=["_id", "_uuid", "_submission_time", "location", "username"])
        lat_lon = kobo["location"].str.split(" ", expand=True).astype(float)
        odk = odk.assign(**{"location-Latitude": lat_lon[0], "location-Longitude": lat_lon[1],
                            "location-Altitude": lat_lon[2], "location-Accuracy": lat_lon[3],
                            "KEY": [f"uuid:{k}" for k in range(len(odk))], "SubmissionDate": "2026-05-04T10:00:00.000Z",
                            "SubmitterName": "surveyor_1", "meta-instanceID": [f"uuid:{k}" for k in range(len(odk))]})
        path = tmp_path / "export.csv"
        odk.to_csv(path, index=False)
    read = read_survey(SurveySource(path=path))
    assert sorted(read["asset_id"]) == sorted(kobo["asset_id"])
    assert set(read["occupancy"]) == {"vacant"} and set(read["condition"]) == {"good"}
    assert read["precision_m"].eq(4.5).all() and read["surveyor"].eq("surveyor_1").all()
    unused = [r.message for r in caplog.records if "columns not used" in r.message]
    assert unused == []
