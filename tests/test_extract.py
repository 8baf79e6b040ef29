from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.common.config import BoundarySpec
from pipeline.extract.register import RegisterSource
from pipeline.extract.survey import SurveySource
from pipeline.extract import read_boundary, read_register, read_survey
from pipeline.extract.osm import read_osm_file, resolve_osm_path
from pipeline.extract._tables import parse_number
from pipeline.common._text import fold
from pipeline.transform.signals import idle_evidence, osm_signals
from pipeline.common.errors import InputError
import geopandas as gpd
import pyrosm
from shapely.geometry import box
from inspire import cadastral_parcels_gml
from pipeline.cli import main
from projects import BBOX, demo_data, fails, register, run_case, write_config


def write(path: Path, text: str, encoding="utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


@pytest.mark.parametrize("text, value", [
    ("1234.5", 1234.5), ("1234,5", 1234.5), ("1.234,5", 1234.5), ("1,234.5", 1234.5),
    ("0,5", 0.5), ("1.234.567", 1234567.0), ("-22.95", -22.95), (" 12 000 ", 12000.0),
])
def test_numbers_as_typed_in_greek_or_english(text, value):
    assert parse_number(text) == value


def test_ambiguous_thousands_need_the_column_or_the_config():
    from pipeline.extract._tables import column_decimal, parse_numbers

    with pytest.raises(ValueError, match="ambiguous"):
        parse_number("2.000")
    assert parse_number("2.000", ",") == 2000.0 and parse_number("2.000", ".") == 2.0
    assert column_decimal(["2.000", "12,5"]) == "," and column_decimal(["2,000", "3.25"]) == "."
    assert column_decimal(["2.000", "500"]) is None
    problems = []
    got = parse_numbers(pd.Series(["2.000", "1.250", "12,5"]), "area", pd.Series(["a", "b", "c"]),
                        pd.Series([2, 3, 4]), problems)
    assert got.tolist() == [2000.0, 1250.0, 12.5] and problems == []


def test_register_with_greek_columns_through_mapping(tmp_path):
    csv = write(tmp_path / "reg.csv",
                "Κωδικός;Ονομασία;Κατάσταση;Είδος;Χ;Υ;Εμβαδόν\n"
                "Α-1;Παλιό σχολείο;αδρανές;κτίριο;22,9501;39,3601;1.250,5\n"
                "Α-2;Αποθήκη;σε χρήση;οικόπεδο;22,9502;39,3602;\n")
    src = RegisterSource(path=csv, columns={"x": "Χ", "y": "Υ"})
    reg = read_register(src)
    assert reg["register_id"].tolist() == ["Α-1", "Α-2"]
    assert reg["name"].iloc[0] == "Παλιό σχολείο"
    assert reg["kind"].tolist() == ["building", "land"]
    assert reg["area_m2"].iloc[0] == 1250.5
    assert reg.geometry.iloc[0].x == pytest.approx(22.9501)
    assert reg.crs.to_epsg() == 4326


def test_register_problems_name_row_id_and_field_all_at_once(tmp_path):
    csv = write(tmp_path / "reg.csv",
                "register_id,status,osm_ref,x,y,area_m2,kind\n"
                "R1,idle,way/12,,,,land\n"
                "R1,idle,,,,,\n"
                "R3,idle,road 5,,,,\n"
                "R4,idle,,22.9,,,\n"
                "R5,idle,way/9,,,12a,shed\n"
                ",idle,way/10,,,,\n")
    with pytest.raises(InputError) as err:
        read_register(RegisterSource(path=csv))
    problems = err.value.problems
    assert "rows [2, 3]: register_id 'R1' is used more than once" in problems
    assert "row 3 (R1): no location; give osm_ref (way/123), parcel_code (KAEK) or x and y" in problems
    assert "row 4 (R3): osm_ref 'road 5' is not like 'way/123'" in problems
    assert "row 5 (R4): give both x and y, or neither" in problems
    assert "row 6 (R5): area_m2: '12a' is not a number" in problems
    assert "row 6 (R5): kind 'shed' is not land or building" in problems
    assert "row 7: register_id is empty" in problems
    assert str(csv) in err.value.title


def test_register_missing_columns_and_encoding(tmp_path):
    with pytest.raises(InputError, match=r"required column\(s\) \['status'\] not found"):
        read_register(RegisterSource(path=write(tmp_path / "a.csv", "register_id,name\nR1,x\n")))
    greek = write(tmp_path / "cp.csv", "register_id,status,osm_ref\nΑ1,αδρανές,way/1\n", encoding="cp1253")
    with pytest.raises(InputError, match="encoding: cp1253"):
        read_register(RegisterSource(path=greek))
    reg = read_register(RegisterSource(path=greek, encoding="cp1253"))
    assert reg["status"].iloc[0] == "αδρανές"
    with pytest.raises(InputError, match="file not found"):
        read_register(RegisterSource(path=tmp_path / "nope.csv"))
    with pytest.raises(InputError, match="file is empty"):
        read_register(RegisterSource(path=write(tmp_path / "empty.csv", "")))


def test_register_from_xlsx(tmp_path):
    path = tmp_path / "reg.xlsx"
    pd.DataFrame({"id": ["R1"], "status": ["idle"], "osm": ["way/7"]}).to_excel(path, index=False)
    reg = read_register(RegisterSource(path=path))
    assert reg["osm_ref"].tolist() == ["way/7"] and reg["register_id"].tolist() == ["R1"]


def test_kobo_survey_geolocation_and_checks(tmp_path):
    csv = write(tmp_path / "kobo.csv",
                "_id,_submission_time,_geolocation,condition,occupancy,photo_url,username\n"
                '1,2026-01-01,"[39.36, 22.95]",Fair,Vacant,https://e.org/1.jpg,maria\n'
                '2,2026-01-02,"[39.37, 22.96]",,partly_used,,nikos\n')
    survey = read_survey(SurveySource(path=csv))
    assert survey.geometry.iloc[0].x == pytest.approx(22.95)
    assert survey.geometry.iloc[0].y == pytest.approx(39.36)
    assert survey["condition"].tolist() == ["fair", None]
    assert survey["occupancy"].tolist() == ["vacant", "partly used"]
    assert survey["idle"].tolist() == [True, True]
    bad = write(tmp_path / "bad.csv", "_id,latitude,longitude,condition\n1,139.3,22.9,fine\n2,,,\n2,39.3,22.9,good\n")
    with pytest.raises(InputError) as err:
        read_survey(SurveySource(path=bad))
    assert "row 2 (1): latitude 139.3, longitude 22.9 are not degrees" in err.value.problems
    assert "row 2 (1): condition 'fine' is not one of ['fair', 'good', 'poor', 'ruin']" in err.value.problems
    assert "row 3 (2): no coordinates (latitude/longitude or _geolocation)" in err.value.problems
    assert "rows [3, 4]: survey_id '2' is used more than once" in err.value.problems


def test_fold_ignores_accents_case_and_final_sigma():
    assert fold("ΒΌΛΟΥ") == fold("βόλου") == fold("Βολου")
    assert fold("Λάρισας") == fold("ΛΑΡΙΣΑΣ")
    assert fold("αδρανές") == fold("ΑΔΡΑΝΈΣ") == fold("Αδρανες")


def test_boundary_by_code_and_by_greek_name(shared):
    path = shared / "boundaries" / "kallikratis_dimoi_simpl50m.gpkg"
    by_code = read_boundary(BoundarySpec(path=path, code="9105"))
    by_name = read_boundary(BoundarySpec(path=path, name="ΒΟΛΟΥ"))
    assert len(by_code) == 1 and by_code["name"].iloc[0] == "Βόλου"
    assert by_code.geometry.iloc[0].equals(by_name.geometry.iloc[0])
    with pytest.raises(InputError, match="no feature with KWD_YPES = '1'"):
        read_boundary(BoundarySpec(path=path, code="1"))


def test_ambiguous_boundary_name_lists_candidates(shared):
    path = shared / "boundaries" / "kallikratis_dimoi_simpl50m.gpkg"
    # Heraklion (Crete, 9305) and Irakleio (Attica, 9170) share the genitive name
    with pytest.raises(InputError, match=r"matches 2 features: .*9170.*9305.*give 'code' instead"):
        read_boundary(BoundarySpec(path=path, name="ηρακλειου"))
    assert read_boundary(BoundarySpec(path=path, name="Λαρισαίων"))["name"].iloc[0] == "Λαρισαίων"


def test_idle_evidence_rule():
    tags = pd.Series([{"building": "ruins"}, {"disused:amenity": "school", "building": "yes"},
                      {"landuse": "farmland"}, {"shop": "vacant"}, {"amenity": "school"}, {"vacant": "yes"}])
    assert idle_evidence(tags).tolist() == ["building=ruins", "disused:amenity=school", "", "shop=vacant", "", "vacant=yes"]


def test_real_volos_pbf_layers(shared):
    osm = read_osm_file(shared / "osm" / "volos_center_2020.osm.pbf")
    counts = osm.counts()
    assert counts["buildings"] == 88 and counts["landuse"] == 155  # as documented in shared/data/README.md
    assert counts["roads"] > 0 and counts["pois"] > 0
    idle, _ = osm_signals(osm.features)
    evidence = idle_evidence(idle["tags"])
    # a weak signal, works under way, and two railway corridors: judged in the transform stage
    assert set(evidence) == {"landuse=greenfield", "landuse=construction", "railway=abandoned", "railway=disused"}
    assert osm.buildings["osm_ref"].str.match(r"^(way|relation)/\d+$").all()


@pytest.mark.slow
def test_idle_tags_added_to_a_copy_of_volos_are_found(volos_idle_pbf):
    path, changed = volos_idle_pbf
    osm = read_osm_file(path)
    idle, _ = osm_signals(osm.features)
    found = dict(zip(idle["osm_ref"], idle_evidence(idle["tags"])))
    for ref, tag in changed.items():
        assert tag in found[ref]


def test_osm_errors(tmp_path):
    with pytest.raises(InputError, match="bundles only"):
        resolve_osm_path("pyrosm:Athens")
    with pytest.raises(InputError, match="file not found"):
        read_osm_file(tmp_path / "none.osm.pbf")
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    with pytest.raises(InputError, match="cannot be read as an OSM PBF file"):
        read_osm_file(broken)


def demo_pbf() -> Path:
    return Path(pyrosm.get_data("test_pbf"))


def half(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def test_truncated_pbf(tmp_path):
    data = demo_data()
    data["sources"]["osm"] = {"path": str(half(demo_pbf(), tmp_path / "cut.osm.pbf"))}
    assert "cut.osm.pbf: cannot be read as an OSM PBF file" in fails(tmp_path, data)


def test_empty_pbf(tmp_path):
    (tmp_path / "empty.osm.pbf").write_bytes(b"")
    data = demo_data()
    data["sources"]["osm"] = {"path": str(tmp_path / "empty.osm.pbf")}
    assert "empty.osm.pbf: file is empty" in fails(tmp_path, data)


def boundary_file(tmp: Path, name="boundary.gpkg", **kw) -> Path:
    path = tmp / name
    gpd.GeoDataFrame({"NAME": ["demo"]}, geometry=[box(*BBOX)], crs=4326).to_file(path, **kw)
    return path


def test_empty_and_truncated_geopackage(tmp_path):
    (tmp_path / "empty.gpkg").write_bytes(b"")
    data = demo_data()
    data["boundary"] = {"path": str(tmp_path / "empty.gpkg")}
    assert "empty.gpkg: file is empty" in fails(tmp_path, data)
    data["boundary"] = {"path": str(half(boundary_file(tmp_path), tmp_path / "cut.gpkg"))}
    assert "cut.gpkg: cannot be read as a vector file" in fails(tmp_path, data)


def test_truncated_gml(shared, tmp_path):
    parcels = gpd.read_file(shared / "inspire_es" / "parcel.gpkg")
    (tmp_path / "cp.gml").write_bytes(cadastral_parcels_gml(parcels))
    data = demo_data()
    data["sources"]["parcels"] = {"path": str(half(tmp_path / "cp.gml", tmp_path / "cut.gml")), "code_format": "any"}
    msg = fails(tmp_path, data)
    assert "cut.gml: not well-formed XML at line" in msg and "(truncated or damaged?)" in msg


def test_empty_gml(tmp_path):
    (tmp_path / "empty.gml").write_bytes(b"")
    data = demo_data()
    data["sources"]["parcels"] = {"path": str(tmp_path / "empty.gml")}
    assert "empty.gml: file is empty" in fails(tmp_path, data)


@pytest.mark.slow
def test_layer_without_crs(tmp_path):
    path = boundary_file(tmp_path, "nocrs.shp")
    path.with_suffix(".prj").unlink()
    data = demo_data()
    data["boundary"] = {"path": str(path)}
    assert "the file has no CRS; set boundary.crs in the config" in fails(tmp_path, data)
    data["boundary"]["crs"] = "EPSG:4326"
    report, _ = run_case(tmp_path, data)
    assert "idle assets" in report


@pytest.mark.slow
def test_swapped_and_wrong_crs_coordinates(tmp_path):
    data = demo_data()
    data["sources"]["register"] = {"path": register(tmp_path, "S1,Lot,idle,land,,60.534451,26.941947,900\n"
                                                             "W1,Lot,idle,land,,2998000,8517000,900\n")}
    report, result = run_case(tmp_path, data)
    assert "| register | repaired: x and y were swapped (the point falls inside the boundary only when exchanged) | 1 | row 2 (S1) |" in report
    assert "| register | dropped: coordinates outside the boundary (check crs and x/y columns) | 1 | row 3 (W1) |" in report
    assert "reg-S1" in set(result.features["asset_id"])


@pytest.mark.slow
def test_duplicate_ids_missing_columns_bad_numbers(tmp_path):
    data = demo_data()
    data["sources"]["register"] = {"path": register(tmp_path, "R1,A,idle,land,way/1,,,\nR1,B,idle,land,way/2,,,12a\n")}
    msg = fails(tmp_path, data)
    assert "rows [2, 3]: register_id 'R1' is used more than once" in msg
    assert "row 3 (R1): area_m2: '12a' is not a number" in msg
    data["sources"]["register"] = {"path": register(tmp_path, "R1,A,way/1\n", header="register_id,name,osm_ref")}
    assert "required column(s) ['status'] not found" in fails(tmp_path, data)


@pytest.mark.slow
def test_greek_decimal_comma_is_read(tmp_path):
    data = demo_data()
    data["sources"]["register"] = {"path": register(tmp_path, 'R1,Lot,idle,land,,26.941947,60.534451,"1.234,5"\n')}
    _, result = run_case(tmp_path, data)
    assert result.features.set_index("asset_id").loc["reg-R1", "area_m2"] == pytest.approx(1234.5, rel=0.01)


def survey(tmp: Path, rows: str) -> str:
    path = tmp / "survey.csv"
    path.write_text("_id,_submission_time,_geolocation,_geolocation_precision,occupancy\n" + rows, encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_dates_in_several_formats_and_bad_dates(tmp_path):
    data = demo_data()
    data["sources"]["survey"] = {"path": survey(tmp_path, '1,2026-03-02T10:15:00,"[60.531759, 26.957567]",4,vacant\n'
                                                          '2,02/03/2026,"[60.522158, 26.939352]",4,vacant\n'
                                                          '3,2/3/2026 10:15,"[60.522829, 26.9406]",4,vacant\n')}
    _, result = run_case(tmp_path, data)
    assert [d[:10] for d in result.prepared.survey.sort_values("survey_id")["date"]] == ["2026-03-02"] * 3
    data["sources"]["survey"] = {"path": survey(tmp_path, '1,last tuesday,"[60.53, 26.95]",4,vacant\n')}
    assert "row 2 (1): date 'last tuesday' is not a date" in fails(tmp_path, data)


def test_invalid_kaek(tmp_path):
    gpd.GeoDataFrame({"KAEK": ["12345", "010203040506"]}, geometry=[box(*BBOX), box(*BBOX)], crs=4326).to_file(tmp_path / "p.gpkg")
    data = demo_data()
    data["sources"]["parcels"] = {"path": str(tmp_path / "p.gpkg")}
    assert "feature 1: KAEK '12345' is not a KAEK (12 digits)" in fails(tmp_path, data)


@pytest.mark.slow
def test_survey_with_500_m_gps_precision(tmp_path):
    data = demo_data()
    data["sources"]["survey"] = {"path": survey(tmp_path, '1,2026-03-02,"[60.531759, 26.957567]",500,vacant\n')}
    report, _ = run_case(tmp_path, data)
    assert "| survey | not used: GPS precision worse than 50 m | 1 | row 2 (1: 500 m) |" in report


@pytest.mark.slow
def test_greek_text_in_cp1253_without_encoding(tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes("register_id,name,status,osm_ref\nR1,Παλιό σχολείο,αδρανές,way/424090325\n".encode("cp1253"))
    data = demo_data()
    data["sources"]["register"] = {"path": str(path)}
    assert "not UTF-8 text" in (msg := fails(tmp_path, data)) and "encoding: cp1253" in msg
    data["sources"]["register"]["encoding"] = "cp1253"
    _, result = run_case(tmp_path, data)
    assert "Παλιό σχολείο" in set(result.features["name"])


@pytest.mark.slow
def test_a_register_formatted_to_the_last_column_reads_only_its_cells(tmp_path, monkeypatch):
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from pipeline.extract.register import RegisterSource
    from pipeline.extract.register import read_register
    from pipeline.common.io import read_table

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("register")
    bold = Font(bold=True)

    def styled(values, width):
        cells = []
        for c in range(width):
            cell = WriteOnlyCell(sheet, value=values[c] if c < len(values) else None)
            cell.font = bold
            cells.append(cell)
        return cells

    sheet.append(styled(["register_id", "name", "status", "kind", "x", "y", "area_m2"], 16384))  # A1:XFD1
    for i in range(20):
        sheet.append(styled([f"R{i}", f"Plot {i}", "idle", "land", 22.95 + i * 1e-4, 39.36, 500], 7))
    for _ in range(1000):
        sheet.append(styled([], 30))
    book.save(tmp_path / "register.xlsx")

    def walks_every_formatted_cell(*args, **kwargs):
        raise AssertionError("openpyxl's reader walks every formatted cell of the sheet")

    monkeypatch.setattr(openpyxl, "load_workbook", walks_every_formatted_cell)
    monkeypatch.setattr(openpyxl.reader.excel, "load_workbook", walks_every_formatted_cell)
    table = read_table(tmp_path / "register.xlsx", "register")
    assert table.shape == (20, 7) and table["area_m2"].tolist() == ["500"] * 20
    register = read_register(RegisterSource(path=tmp_path / "register.xlsx", crs="EPSG:4326"))
    assert register["register_id"].tolist() == [f"R{i}" for i in range(20)]


def test_ids_are_composed_and_invisible_characters_removed(tmp_path):
    import unicodedata

    from pipeline.extract.register import RegisterSource
    from pipeline.common.errors import InputError
    from pipeline.extract.register import read_register

    nfc, nfd = unicodedata.normalize("NFC", "ΑΚΊΝΗΤΟ-1"), unicodedata.normalize("NFD", "ΑΚΊΝΗΤΟ-1")
    assert nfc != nfd
    path = tmp_path / "register.csv"
    path.write_text("register_id,name,status,kind,x,y\n"
                    f"{nfc},Plot,idle,land,22.95,39.36\n{nfd},Plot again,idle,land,22.96,39.36\n", encoding="utf-8")
    with pytest.raises(InputError, match="is used more than once"):
        read_register(RegisterSource(path=path, crs="EPSG:4326"))
    path.write_text("register_id,name,status,kind,x,y\n"
                    "R\u200b1,Old \u202eloohcs\u202c mill\u200d,idle,land,22.95,39.36\n", encoding="utf-8")
    notes: list[dict] = []
    reg = read_register(RegisterSource(path=path, crs="EPSG:4326"), notes)
    assert reg["register_id"].tolist() == ["R1"] and reg["name"].tolist() == ["Old loohcs mill"]
    assert [n["detail"] for n in notes if n["action"].startswith("repaired: control characters")] == ["row 2 (R1)"]


def test_negative_gps_precision_is_an_error(tmp_path):
    from pipeline.extract.survey import SurveySource
    from pipeline.common.errors import InputError
    from pipeline.extract.survey import read_survey

    path = tmp_path / "survey.csv"
    path.write_text("_id,latitude,longitude,precision,occupancy\n1,39.36,22.95,-5,vacant\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2 \(1\): GPS precision -5 m is negative"):
        read_survey(SurveySource(path=path))


def test_kobo_group_headers_and_repeated_submissions(tmp_path):
    survey = tmp_path / "kobo.csv"
    survey.write_text(
        "_id,_uuid,site/_geolocation,site/occupancy,site/condition,site/notes,site/photo_url,site/roof_colour\n"
        '1,aaa,"[60.531759, 26.957567]",vacant,poor,roof leaks,https://example.org/1.jpg,red\n'
        '2,aaa,"[60.531759, 26.957567]",vacant,poor,roof leaks,https://example.org/1.jpg,red\n'
        '3,bbb,"[60.522158, 26.939352]",abandoned,ruin,no roof,,grey\n', encoding="utf-8")
    notes: list[dict] = []
    df = read_survey(SurveySource.model_validate({"path": survey}), notes)
    assert list(df["survey_id"]) == ["1", "3"]
    assert list(df["occupancy"]) == ["vacant", "abandoned"] and list(df["condition"]) == ["poor", "ruin"]
    assert df["notes"].tolist() == ["roof leaks", "no roof"] and df["photo"].iloc[0] == "https://example.org/1.jpg"
    actions = {n["action"]: n for n in notes}
    assert actions["skipped: repeated submissions (same _uuid), counted once"]["detail"] == "row 3 (aaa)"
    assert actions["not used: columns the pipeline does not read"]["detail"] == "site/roof_colour"


def test_register_area_zero_is_an_invalid_area(tmp_path, capsys):
    register = tmp_path / "register.csv"
    register.write_text("register_id,name,status,kind,x,y,area_m2\nR1,lot,idle,land,26.9419,60.5344,0\n"
                        "R2,lot,idle,land,26.9419,60.5345,-50\n", encoding="utf-8")
    data = demo_data()
    data["sources"]["register"]["path"] = str(register)
    config = write_config(tmp_path, data)
    assert main(["--quiet", "validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "row 2 (R1): invalid area_m2 0" in err and "row 3 (R2): invalid area_m2 -50" in err
    assert "outside the boundary" not in err
