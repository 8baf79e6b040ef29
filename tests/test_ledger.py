"""The plan's ledger on both of its stores, an SQLite file and PostgreSQL
with PostGIS: assets kept across runs, an append-only history the database
itself defends, checked events, a versioned schema, one writer at a time,
and what a run records (identified, verified by survey, split and merged
sites with their lineage)."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from pipeline.common.errors import InputError
from pipeline.ledger import MIGRATIONS, STATUSES, Event, Site, open_ledger, record_run


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request, tmp_path):
    """Where a ledger lives: a file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def ledger(where):
    book = open_ledger(where)
    yield book
    book.close()


def raw_connection(where: str):
    """A connection that bypasses the ledger's class, as another program's would."""
    if where.startswith("postgresql://"):
        import psycopg

        return psycopg.connect(where, autocommit=True)
    return sqlite3.connect(where)


def test_an_asset_walks_its_path_and_its_status_is_the_latest_event(ledger):
    assert ledger.add_asset("reg-R1", "2026-01-10", Site(name="Παλιό σχολείο", kind="building"))
    assert not ledger.add_asset("reg-R1", "2026-02-01")  # a second run finds it again: kept once
    ledger.record(Event("reg-R1", "2026-01-10", "identified", "pipeline", evidence="register row R1"))
    ledger.record(Event("reg-R1", "2026-03-02", "verified", "surveyor", evidence="survey submission 17"))
    ledger.record(Event("reg-R1", "2026-05-20", "available", "council", evidence="ΑΔΑ 6ΞΒ4ΩΛΛ-ΑΒΓ"))
    ledger.record(Event("reg-R1", "2026-09-01", "assigned", "council", evidence="ΑΔΑ 9ΠΡ4ΩΛΛ-ΔΕΖ",
                        tenure="concession", term_years=10, note="σε ΚοινΣΕπ για κοινωνικό αγρόκτημα"))
    assert ledger.current() == {"reg-R1": "assigned"}
    history = ledger.history("reg-R1")
    assert [e["status"] for e in history] == ["identified", "verified", "available", "assigned"]
    assert history[-1]["tenure"] == "concession" and history[-1]["term_years"] == 10.0
    row = ledger.assets()[0]
    assert (row["name"], row["first_added"], row["last_updated"], row["end_date"]) == (
        "Παλιό σχολείο", "2026-01-10", "2026-09-01", None)


def test_an_exit_ends_the_asset_and_needs_its_new_use_or_reason(ledger):
    ledger.add_asset("osm-way-5", "2026-01-10")
    with pytest.raises(InputError, match="an exit records the new use"):
        ledger.record(Event("osm-way-5", "2026-04-01", "exited", "officer"))
    ledger.record(Event("osm-way-5", "2026-04-01", "exited", "officer", reason="sold"))
    assert ledger.assets()[0]["end_date"] == "2026-04-01"


def test_every_problem_of_an_event_is_named_at_once(ledger):
    ledger.add_asset("reg-R2", "2026-01-10")
    with pytest.raises(InputError) as err:
        ledger.record(Event("reg-R2", "2026-13-01", "leased", "mayor", tenure="gift", term_years=-1))
    problems = err.value.problems
    for expected in ("status 'leased'", "role 'mayor'", "'2026-13-01' is not a date", "tenure 'gift'", "term_years -1"):
        assert any(expected in p for p in problems), expected
    assert ledger.history("reg-R2") == []


def test_a_council_decision_needs_its_evidence_and_an_unknown_asset_is_refused(ledger):
    ledger.add_asset("reg-R3", "2026-01-10")
    with pytest.raises(InputError, match="Diavgeia"):
        ledger.record(Event("reg-R3", "2026-02-01", "available", "council"))
    with pytest.raises(InputError, match="no asset 'reg-R9'"):
        ledger.record(Event("reg-R9", "2026-02-01", "verified", "surveyor"))


def test_the_history_cannot_be_changed_or_deleted(ledger, where):
    ledger.add_asset("reg-R1", "2026-01-10")
    ledger.record(Event("reg-R1", "2026-01-10", "identified", "pipeline"))
    raw = raw_connection(where)
    try:
        for statement in ("UPDATE events SET status = 'operating'", "DELETE FROM events"):
            with pytest.raises(Exception, match="append-only"):
                raw.execute(statement)
    finally:
        raw.close()
    assert [e["status"] for e in ledger.history("reg-R1")] == ["identified"]


def test_the_schema_is_versioned_and_applied_once(where):
    with open_ledger(where) as book:
        assert book.version == len(MIGRATIONS)
    with open_ledger(where) as again:  # reopening applies nothing twice
        assert again.version == len(MIGRATIONS)
        assert len(again._rows("SELECT * FROM ledger_schema")) == len(MIGRATIONS)


def test_a_database_that_is_not_a_ledger_is_refused(where, tmp_path):
    raw = raw_connection(where)
    raw.execute("CREATE TABLE notes (x text)")
    raw.commit()
    raw.close()
    with pytest.raises(InputError, match="not a ledger of ours"):
        open_ledger(where)
    (tmp_path / "text.sqlite").write_text("not a database at all, just text " * 10, encoding="utf-8")
    with pytest.raises(InputError, match="not an SQLite ledger"):
        open_ledger(tmp_path / "text.sqlite")


def test_a_second_writer_waits_for_the_first(ledger, where):
    """While another program holds the writers' lock, a write gives up with a plain error."""
    ledger.add_asset("reg-R1", "2026-01-10")
    if where.startswith("postgresql://"):
        import psycopg

        other = psycopg.connect(where)
        other.execute("SELECT pg_advisory_lock(7326411)")  # another idle-assets writer, mid-transaction
        ledger._db.execute("SET lock_timeout = '200ms'")
        try:
            with pytest.raises(Exception, match="lock timeout|canceling statement"):
                ledger.record(Event("reg-R1", "2026-01-11", "verified", "surveyor"))
        finally:
            other.close()
    else:
        from filelock import FileLock

        held = FileLock(where + ".lock", is_singleton=False)
        held.acquire()
        try:
            ledger._lock.acquire = lambda timeout: held.__class__(where + ".lock").acquire(timeout=0.1)
            with pytest.raises(InputError, match="another process is writing the ledger"):
                ledger.record(Event("reg-R1", "2026-01-11", "verified", "surveyor"))
        finally:
            held.release()
    ledger._db.close()
    with open_ledger(where) as fresh:
        assert fresh.history("reg-R1") == []


def test_every_status_has_a_greek_and_an_english_label():
    assert all(el and en and el != en for el, en in STATUSES.values())
    assert list(STATUSES)[:3] == ["reported", "identified", "verified"] and "blocked" in STATUSES


# ---------------------------------------------------------------- what a run records

def inventory(rows: list[tuple]) -> gpd.GeoDataFrame:
    """An inventory in EPSG:2100 (Volos): (asset_id, box, occupancy, survey_ids)."""
    return gpd.GeoDataFrame(
        {"asset_id": [r[0] for r in rows], "name": [f"site {r[0]}" for r in rows], "kind": "land",
         "sources": "register", "occupancy": [r[2] for r in rows], "survey_ids": [r[3] for r in rows],
         "area_m2": [b.area for _, b, *_ in rows]},
        geometry=[r[1] for r in rows], crs="EPSG:2100")


X, Y = 392_000.0, 4_357_000.0


def test_runs_identify_verify_and_keep_a_split_site_s_lineage(ledger):
    whole = box(X, Y, X + 100, Y + 60)
    first = record_run(ledger, inventory([("reg-A", whole, None, None), ("reg-B", box(X + 500, Y, X + 540, Y + 40), None, None)]),
                       "2026-01-10")
    assert sorted(first.added) == ["reg-A", "reg-B"] and not first.verified
    again = record_run(ledger, inventory([("reg-A", whole, "vacant", "17"), ("reg-B", box(X + 500, Y, X + 540, Y + 40), "in use", "18")]),
                       "2026-03-01")
    assert again.added == [] and again.verified == ["reg-A"]  # in use is not idle
    split = record_run(ledger, inventory([("reg-A1", box(X, Y, X + 50, Y + 60), None, None),
                                          ("reg-A2", box(X + 50, Y, X + 100, Y + 60), None, None),
                                          ("reg-B", box(X + 500, Y, X + 540, Y + 40), None, None)]), "2026-06-01")
    assert split.exited == {"reg-A": "split"} and split.lineage == {"reg-A1": ["reg-A"], "reg-A2": ["reg-A"]}
    assets = {a["ledger_id"]: a for a in ledger.assets()}
    assert assets["reg-A"]["end_date"] == "2026-06-01" and assets["reg-A1"]["previously_part_of"] == "reg-A"
    assert ledger.current()["reg-A"] == "exited" and ledger.history("reg-A")[-1]["reason"] == "split"
    assert assets["reg-B"]["last_seen"] == "2026-06-01" and assets["reg-B"]["first_added"] == "2026-01-10"
    merged = record_run(ledger, inventory([("reg-A12", box(X, Y, X + 100, Y + 60), None, None)]), "2026-09-01")
    assert merged.exited == {"reg-A1": "merged", "reg-A2": "merged"} and merged.lineage == {"reg-A12": ["reg-A1", "reg-A2"]}
    assert ledger.current()["reg-B"] == "identified"  # not found this time: kept, not ended by the pipeline
    geometry = shapely.from_wkb(assets["reg-A"]["geometry"])
    assert geometry.bounds[0] == pytest.approx(22.8, abs=1.0)  # stored in lon/lat


def test_a_private_name_is_not_stored(ledger):
    record_run(ledger, inventory([("reg-A", box(X, Y, X + 10, Y + 10), None, None)]), "2026-01-10", private={"name"})
    assert ledger.assets()[0]["name"] is None


# ---------------------------------------------------------------- a project's runs and its officers

def comparable(ledger) -> tuple[list, list]:
    """A ledger's assets and events without what differs by store or by clock."""
    events = [{k: v for k, v in e.items() if k not in ("event_id", "recorded_at")} for e in ledger.history()]
    return ledger.assets(), events


@pytest.mark.slow
def test_runs_and_an_officer_fill_the_same_ledger_on_both_stores(tmp_path, postgres_url, capsys):
    import datetime as dt

    from pipeline.cli import main
    from pipeline.common.config import load_config
    from pipeline.runner import run_project
    from projects import demo_data, write_config

    ledgers = {}
    for store, where in (("sqlite", {"path": str(tmp_path / "demo.ledger.sqlite")}), ("postgresql", {"url": postgres_url})):
        data = demo_data()
        data["ledger"] = where
        config_file = write_config(tmp_path, data, f"{store}.yaml")
        config = load_config(config_file)
        first = run_project(config, tmp_path / f"out-{store}", today=dt.date(2026, 1, 10))
        assert sorted(first.ledger.added) == sorted(first.features["asset_id"])
        assert first.ledger.verified  # the demo survey finds sites vacant
        second = run_project(config, tmp_path / f"out-{store}", today=dt.date(2026, 2, 10))
        assert second.ledger.added == [] and second.ledger.verified == [] and second.ledger.exited == {}
        asset = first.ledger.verified[0]
        assert main(["status", "set", asset, "available", "--config", str(config_file), "--date", "2026-03-01",
                     "--role", "council", "--evidence", "ΑΔΑ 6ΞΒ4ΩΛΛ-ΑΒΓ"]) == 0
        assert main(["status", "set", asset, "assigned", "--config", str(config_file), "--date", "2026-04-01",
                     "--role", "council", "--evidence", "ΑΔΑ 9ΠΡ4ΩΛΛ-ΔΕΖ", "--tenure", "lease"]) == 0
        assert main(["status", "set", asset, "exited", "--config", str(config_file), "--date", "2026-05-01"]) == 2
        assert "an exit records the new use (new_use) or why it left the register" in capsys.readouterr().err
        with open_ledger(config.ledger.location()) as ledger:
            assert ledger.current()[asset] == "assigned"
            assert {a["last_seen"] for a in ledger.assets()} == {"2026-02-10"}
            ledgers[store] = comparable(ledger)
        capsys.readouterr()
        assert main(["status", "--config", str(config_file)]) == 0
        shown = capsys.readouterr().out
        assert f"| {asset} |" in shown and "| assigned | παραχωρήθηκε | 1 |" in shown
    assert ledgers["sqlite"] == ledgers["postgresql"]


def test_a_ledger_in_the_output_folder_or_a_password_in_the_config_is_refused(tmp_path):
    from pipeline.common.config import config_from_dict
    from pipeline.common.errors import ConfigError
    from pipeline.runner import preflight
    from projects import demo_data

    data = demo_data()
    data["ledger"] = {"url": "postgresql://officer:secret@db.example.gr/plan"}
    with pytest.raises(ConfigError, match="the url holds a password"):
        config_from_dict(data, tmp_path)
    data["ledger"] = {"url": "postgresql://officer:${LEDGER_PASSWORD}@db.example.gr/plan"}
    assert config_from_dict(data, tmp_path).ledger.url.endswith("/plan")
    data["ledger"] = {"path": str(tmp_path / "out" / "demo.ledger.sqlite")}
    with pytest.raises(InputError, match="inside the output folder"):
        preflight(config_from_dict(data, tmp_path), tmp_path / "out")


# ---------------------------------------------------------------- the status workbook

def filled_workbook(ledger, path, rows: dict[str, dict]):
    """The ledger's workbook written, then filled as an officer would in a spreadsheet."""
    from openpyxl import load_workbook

    from pipeline.ledger.workbook import write_status_workbook
    from projects import fill_status_workbook

    write_status_workbook(ledger, path, today=__import__("datetime").date(2026, 12, 1))
    fill_status_workbook(path, rows)
    return load_workbook(path)


def test_the_status_workbook_offers_lists_and_records_what_an_officer_fills(ledger, tmp_path):
    import datetime as dt

    from pipeline.ledger.workbook import record_workbook

    for asset in ("reg-A", "reg-B", "reg-C"):
        ledger.add_asset(asset, "2026-01-10", Site(name=f"=HYPERLINK(\"x\") {asset}"))
        ledger.record(Event(asset, "2026-01-10", "identified", "pipeline"))
    book = filled_workbook(ledger, tmp_path / "status.xlsx", {
        "reg-A": {"date": dt.datetime(2026, 5, 20), "status": "διαθέσιμο (απόφαση Δ.Σ.) / available (council decision)",
                  "role": "Δημοτικό Συμβούλιο / municipal council", "evidence": "ΑΔΑ 6ΞΒ4ΩΛΛ-ΑΒΓ"},
        "reg-B": {"date": "20/06/2026", "status": "assigned", "role": "council", "tenure": "μίσθωση", "term_years": 5},
    })
    sheet = book["status"]
    lists = {str(v.formula1) for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert len(lists) == 4 and all(f.startswith("=lists!$") for f in lists)
    assert {v.type for v in sheet.data_validations.dataValidation} >= {"list", "date", "decimal"}
    assert str(sheet.cell(2, 2).value).startswith("'=")  # a name that would run as a formula is text
    assert sheet.cell(1, 1).value == "Ακίνητο / asset" and "Αποδοχή / accept" not in [c.value for c in sheet[1]]
    events = record_workbook(tmp_path / "status.xlsx", ledger, today=dt.date(2026, 12, 1))
    assert [(e.ledger_id, e.status, e.date) for e in events] == [("reg-A", "available", "2026-05-20"),
                                                                ("reg-B", "assigned", "2026-06-20")]
    assert ledger.current() == {"reg-A": "available", "reg-B": "assigned", "reg-C": "identified"}
    assigned = ledger.history("reg-B")[-1]
    assert (assigned["tenure"], assigned["term_years"], assigned["role"]) == ("lease", 5.0, "council")


def test_a_workbook_with_bad_rows_names_each_and_records_nothing(ledger, tmp_path):
    import datetime as dt

    from pipeline.ledger.workbook import record_workbook

    for asset in ("reg-A", "reg-B", "reg-C", "reg-D"):
        ledger.add_asset(asset, "2026-01-10")
        ledger.record(Event(asset, "2026-01-10", "identified", "pipeline"))
    filled_workbook(ledger, tmp_path / "status.xlsx", {
        "reg-A": {"date": "2026-05-20", "status": "leased"},
        "reg-B": {"status": "verified"},
        "reg-C": {"asset": "reg-Z", "date": "2026-05-20", "status": "verified"},
        "reg-D": {"date": "2026-05-20", "status": "assigned", "tenure": "concession", "term_years": "five"},
    })
    with pytest.raises(InputError) as err:
        record_workbook(tmp_path / "status.xlsx", ledger, today=dt.date(2026, 12, 1))
    problems = err.value.problems
    assert any(p.startswith("row 2 (reg-A): status 'leased'") for p in problems)
    assert any(p.startswith("row 3 (reg-B): no date") for p in problems)
    assert any(p.startswith("row 4 (reg-Z): asset 'reg-Z' is not in the ledger") for p in problems)
    assert any(p.startswith("row 5 (reg-D): term_years 'five' is not a number") for p in problems)
    assert set(ledger.current().values()) == {"identified"}


def test_a_ledger_of_an_older_schema_is_migrated_with_its_history(where, monkeypatch):
    import pipeline.ledger.store as store

    full = store.MIGRATIONS
    monkeypatch.setattr(store, "MIGRATIONS", full[:1])
    monkeypatch.setattr(store, "ASSET_COLUMNS", tuple(c for c in store.ASSET_COLUMNS if c not in ("parcel_code", "register_id")))
    monkeypatch.setattr(store, "EVENT_COLUMNS", tuple(c for c in store.EVENT_COLUMNS if c != "use"))  # schema 1's
    with open_ledger(where) as old:
        assert old.version == 1
        old._execute("INSERT INTO assets (ledger_id, first_added, last_updated) VALUES (?, ?, ?)",
                     ("reg-R1", "2025-01-10", "2025-01-10"))
        old.record(Event("reg-R1", "2025-01-10", "identified", "pipeline"))
    monkeypatch.undo()
    with open_ledger(where) as new:
        assert new.version == len(full) >= 2
        row = new.assets()[0]
        assert (row["ledger_id"], row["parcel_code"]) == ("reg-R1", None)
        assert [e["status"] for e in new.history("reg-R1")] == ["identified"]


def test_an_empty_ledger_gives_an_empty_dashboard(tmp_path):
    import datetime as dt

    from pipeline.ledger.progress import Snapshot, progress
    from pipeline.publish.implementation import dashboard_html, ledger_table
    from pipeline.publish.view import view_of

    with open_ledger(tmp_path / "l.sqlite") as ledger:
        record = record_run(ledger, inventory([]), "2026-01-10")
        state = progress(Snapshot.of(ledger), None, None, dt.date(2026, 1, 10))
    assert record.added == [] and state.current.empty and state.counts["assets"].sum() == 0
    assert ledger_table(state).empty
    view = view_of(inventory([]), None, [], None, progress=state, title="Δήμος")
    page = dashboard_html(view, {})
    assert "0 ακίνητα στο μητρώο" in page and "Κανένα. / None." in page


def test_targets_count_the_use_agreed_in_the_ledger_before_the_plan_s(tmp_path):
    import datetime as dt

    from pipeline.ledger.progress import Snapshot, progress

    plan = pd.DataFrame({"asset_id": ["A", "B"], "use": ["social_farm", "social_farm"], "kwp": [0.0, 0.0],
                         "jobs": [2.0, 3.0]})
    targets = pd.DataFrame({"target": ["1 farm", "1 centre"], "uses": ["social_farm", "recycling_centre"],
                            "unit": ["sites", "sites"], "target_value": [1.0, 1.0], "reached": [2.0, 0.0]})
    with open_ledger(tmp_path / "l.sqlite") as ledger:
        for asset in ("A", "B"):
            ledger.add_asset(asset, "2025-01-10")
            ledger.record(Event(asset, "2025-01-10", "identified", "pipeline"))
        ledger.record(Event("A", "2025-06-01", "operating", "officer", use="social_farm"))
        ledger.record(Event("B", "2025-06-01", "operating", "officer", use="recycling_centre"))  # agreed otherwise
        with pytest.raises(InputError, match="a use is agreed with"):
            ledger.record(Event("B", "2025-06-02", "verified", "surveyor", use="social_farm"))
        state = progress(Snapshot.of(ledger), plan, targets, dt.date(2026, 1, 1))
    counted = state.targets.set_index("target")
    assert (counted.loc["1 farm", "operating"], counted.loc["1 centre", "operating"]) == (1.0, 1.0)
    assert counted.loc["1 farm", "jobs_operating"] == 2.0  # B's planned jobs were a farm's: not counted for the centre


def test_the_embedded_ledger_is_a_geopackage_gis_tools_open(tmp_path):
    """The SQLite ledger is a GeoPackage: GDAL opens its 'sites' layer, each site found with its shape."""
    import warnings

    import pyogrio

    path = tmp_path / "volos.ledger.gpkg"
    with open_ledger(path) as ledger:
        record_run(ledger, inventory([("reg-A", box(X, Y, X + 100, Y + 60), None, None),
                                      ("reg-B", box(X + 500, Y, X + 540, Y + 40), None, None)]), "2026-01-10")
        stored = {a["ledger_id"]: shapely.from_wkb(a["geometry"]) for a in ledger.assets()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a conformant GeoPackage: GDAL has nothing to say
        assert "sites" in pyogrio.list_layers(path)[:, 0]
        sites = gpd.read_file(path, layer="sites")
    assert sites.crs.to_epsg() == 4326 and sorted(sites["ledger_id"]) == ["reg-A", "reg-B"]
    for row in sites.itertuples():
        assert row.geometry.equals_exact(stored[row.ledger_id], 1e-12)
    with open_ledger(path) as again:  # and it is still the ledger
        assert again.current() == {"reg-A": "identified", "reg-B": "identified"}
