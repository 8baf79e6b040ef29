"""The register of sites as an exchange format: exported from the ledger
(either store, the same bytes) as CSV + GeoPackage with a Table Schema and a
Data Package, checked on write, read back unchanged; and a municipality's
own file checked with every problem named by row."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from pipeline.cli import main
from pipeline.ledger import Event, Site, open_ledger
from pipeline.ledger.exchange import COLUMNS, SCHEMA, read_register_file, register_problems, schema_problems
from projects import demo_data, write_config

VOLOS = box(22.94, 39.36, 22.9405, 39.3604)  # a plot in Volos, lon/lat


def fill(ledger) -> None:
    ledger.add_asset("reg-A", "2024-01-10", Site(name="Οικόπεδο Νέας Ιωνίας", kind="land", area_m2=1600.0,
                                               wkb=shapely.to_wkb(VOLOS), parcel_code="050841234567", register_id="R-7"))
    ledger.add_asset("reg-B", "2024-01-10", Site(name="Αποθήκη, Ιάσονος 12", kind="building", area_m2=420.0,
                                               wkb=shapely.to_wkb(box(22.95, 39.36, 22.9502, 39.3602))))
    ledger.add_asset("osm-way-9", "2025-02-01", Site(name="Παλιό σχολείο", previously_part_of="reg-B"))
    ledger.record(Event("reg-A", "2024-01-10", "identified", "pipeline", evidence="run of 2024-01-10: register"))
    ledger.record(Event("reg-A", "2025-03-01", "assigned", "council", evidence="ΑΔΑ 6ΞΒ4ΩΛΛ-ΑΒΓ", tenure="concession",
                        term_years=10))
    ledger.record(Event("reg-B", "2024-01-10", "identified", "pipeline"))
    ledger.record(Event("reg-B", "2025-02-01", "exited", "pipeline", reason="merged", note="merged into osm-way-9"))
    ledger.record(Event("osm-way-9", "2025-02-01", "reported", "officer", evidence="τηλεφώνημα πολίτη"))


@pytest.fixture
def exported(tmp_path, postgres_url):
    """The same ledger on both stores, each exported with the CLI."""
    folders = {}
    for store, where in (("sqlite", {"path": str(tmp_path / "l.sqlite")}), ("postgresql", {"url": postgres_url})):
        with open_ledger(where.get("path") or where["url"]) as ledger:
            fill(ledger)
        data = demo_data()
        data["ledger"] = where
        config = write_config(tmp_path, data, f"{store}.yaml")
        folders[store] = tmp_path / f"register-{store}"
        assert main(["status", "export", "--config", str(config), "--out", str(folders[store])]) == 0
    return folders


def test_the_export_is_valid_identical_from_both_stores_and_read_back_unchanged(exported, capsys):
    folder = exported["sqlite"]
    assert sorted(p.name for p in folder.iterdir()) == ["datapackage.json", "register.csv", "register.gpkg",
                                                        "register.schema.json"]
    for name in ("register.csv", "register.schema.json", "datapackage.json"):
        assert (folder / name).read_bytes() == (exported["postgresql"] / name).read_bytes(), name
    assert json.loads((folder / "register.schema.json").read_text(encoding="utf-8")) == SCHEMA
    assert schema_problems(folder / "register.csv") == [] and register_problems(folder / "register.csv") == []
    assert main(["validate-register", str(folder / "register.csv")]) == 0
    table = read_register_file(folder / "register.csv")
    rows = table.set_index("site_id")
    assert rows.loc["reg-A", "kaek"] == "050841234567" and rows.loc["reg-A", "tenure"] == "concession"
    assert rows.loc["reg-A", "cnig_status"] == "friche avec projet" and rows.loc["reg-A", "hectares"] == 0.16
    assert (rows.loc["reg-B", "end_date"], rows.loc["reg-B", "end_reason"]) == ("2025-02-01", "merged")
    assert rows.loc["osm-way-9", "previously_part_of"] == "reg-B" and rows.loc["osm-way-9", "geo_x"] != rows.loc["osm-way-9", "geo_x"]
    again = folder / "again.csv"
    table.to_csv(again, index=False, encoding="utf-8", lineterminator="\n", float_format="%.10g")
    assert again.read_bytes() == (folder / "register.csv").read_bytes()  # read back unchanged
    shapes = gpd.read_file(folder / "register.gpkg", layer="register")
    assert list(shapes.columns) == [*COLUMNS, "geometry"] and shapes.crs.to_epsg() == 4326
    assert shapes.set_index("site_id").geometry["reg-A"].equals_exact(VOLOS, 1e-9)


def test_an_export_never_lands_in_a_folder_of_the_user_s(tmp_path, capsys):
    data = demo_data()
    data["ledger"] = {"path": str(tmp_path / "l.sqlite")}
    config = write_config(tmp_path, data)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["status", "export", "--config", str(config), "--out", str(tmp_path / "mine")]) == 2
    assert "not empty" in capsys.readouterr().err and (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_municipality_s_own_register_gets_every_problem_by_row(tmp_path, capsys):
    good = {c: "" for c in COLUMNS} | {"crs": "EPSG:4326", "status": "identified", "status_date": "2025-01-10",
                                       "first_added": "2025-01-10", "last_updated": "2025-01-10"}
    rows = [
        good | {"site_id": "A", "geo_x": "22.94", "geo_y": "39.36"},
        good | {"site_id": "B", "geo_x": "39.36", "geo_y": "22.94"},                          # swapped
        good | {"site_id": "C", "geo_x": "2.35", "geo_y": "48.85"},                           # Paris
        good | {"site_id": "D", "status": "leased", "kaek": "05084123456"},                   # unknown code, 11 digits
        good | {"site_id": "E", "first_added": "10/01/2025"},                                 # not ISO
        good | {"site_id": "F", "end_date": "2024-01-01", "status": "exited", "end_reason": "sold"},  # end before start
        good | {"site_id": "G", "status": "exited", "end_reason": "sold"},                    # exited, no end date
        good | {"site_id": "A"},                                                              # repeated id
    ]
    path = tmp_path / "mine.csv"
    pd.DataFrame(rows, columns=COLUMNS).to_csv(path, index=False, encoding="utf-8")
    assert main(["validate-register", str(path)]) == 2
    err = capsys.readouterr().err
    for expected in ("row 3, geo_x/geo_y: (39.36, 22.94) looks swapped", "row 4, geo_x/geo_y: (2.35, 48.85) is outside Greece",
                     "row 5, status: constraint-error", "row 5, kaek: constraint-error", "row 6, first_added: type-error",
                     "row 7, end_date: before first_added", "row 8, end_date: an exited site needs its end date",
                     "row 9, site_id: unique-error"):
        assert expected in err, expected


def test_a_register_export_starts_another_ledger_that_exports_the_same(exported, tmp_path, capsys):
    """The pipeline reads its own export back: a new ledger started from it
    exports the same register, to the byte; a second import is refused."""
    data = demo_data()
    data["ledger"] = {"path": str(tmp_path / "restored.ledger.gpkg")}
    config = write_config(tmp_path, data, "restored.yaml")
    source = exported["sqlite"] / "register.csv"
    assert main(["status", "import-register", str(source), "--config", str(config)]) == 0
    assert main(["status", "export", "--config", str(config), "--out", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "register.csv").read_bytes() == source.read_bytes()
    again = gpd.read_file(tmp_path / "again" / "register.gpkg", layer="register").set_index("site_id")
    assert again.geometry["reg-A"].equals_exact(VOLOS, 1e-9)  # the shapes came from register.gpkg beside the CSV
    capsys.readouterr()
    assert main(["status", "import-register", str(source), "--config", str(config)]) == 2
    assert "site reg-A is in the ledger already" in capsys.readouterr().err
