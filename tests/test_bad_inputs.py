"""The bad-input corpus: each case is built from real files by the test, run
through the pipeline, and must end in its exact outcome: repaired and
reported, or an error naming the file, row or feature and what to do."""

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pyrosm
import pytest
import yaml
from shapely.geometry import GeometryCollection, LineString, Point, Polygon, box

from pipeline.common.config import config_from_dict, demo_config_path, read_yaml
from pipeline.common.errors import IdleAssetsError
from pipeline.runner import run_project

from inspire import cadastral_parcels_gml

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "raw" / "demo"
BBOX = (26.93, 60.52, 26.97, 60.54)


def base() -> dict:
    data = read_yaml(demo_config_path())
    data["sources"]["register"]["path"] = str(DEMO / "asset_register.csv")
    data["sources"]["survey"]["path"] = str(DEMO / "field_survey.csv")
    return data


def run(tmp: Path, data: dict):
    """Run a config; return the inputs report text and the result."""
    result = run_project(config_from_dict(data, tmp, "case"), tmp / "out", cache=False)
    return (tmp / "out" / "inputs_report.md").read_text(encoding="utf-8"), result


def fails(tmp: Path, data: dict) -> str:
    out = tmp / "out-failed"
    with pytest.raises(IdleAssetsError) as err:
        run_project(config_from_dict(data, tmp, "case"), out, cache=False)
    assert not out.exists() or not any(out.iterdir())  # nothing produced, nothing half-written
    return str(err.value)


def half(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def demo_pbf() -> Path:
    return Path(pyrosm.get_data("test_pbf"))


def boundary_file(tmp: Path, name="boundary.gpkg", **kw) -> Path:
    path = tmp / name
    gpd.GeoDataFrame({"NAME": ["demo"]}, geometry=[box(*BBOX)], crs=4326).to_file(path, **kw)
    return path


def test_truncated_pbf(tmp_path):
    data = base()
    data["sources"]["osm"] = {"path": str(half(demo_pbf(), tmp_path / "cut.osm.pbf"))}
    assert "cut.osm.pbf: cannot be read as an OSM PBF file" in fails(tmp_path, data)


def test_empty_pbf(tmp_path):
    (tmp_path / "empty.osm.pbf").write_bytes(b"")
    data = base()
    data["sources"]["osm"] = {"path": str(tmp_path / "empty.osm.pbf")}
    assert "empty.osm.pbf: file is empty" in fails(tmp_path, data)


def test_empty_and_truncated_geopackage(tmp_path):
    (tmp_path / "empty.gpkg").write_bytes(b"")
    data = base()
    data["boundary"] = {"path": str(tmp_path / "empty.gpkg")}
    assert "empty.gpkg: file is empty" in fails(tmp_path, data)
    data["boundary"] = {"path": str(half(boundary_file(tmp_path), tmp_path / "cut.gpkg"))}
    assert "cut.gpkg: cannot be read as a vector file" in fails(tmp_path, data)


def test_truncated_gml(shared, tmp_path):
    parcels = gpd.read_file(shared / "inspire_es" / "parcel.gpkg")
    (tmp_path / "cp.gml").write_bytes(cadastral_parcels_gml(parcels))
    data = base()
    data["sources"]["parcels"] = {"path": str(half(tmp_path / "cp.gml", tmp_path / "cut.gml")), "code_format": "any"}
    msg = fails(tmp_path, data)
    assert "cut.gml: not well-formed XML at line" in msg and "(truncated or damaged?)" in msg


def test_empty_gml(tmp_path):
    (tmp_path / "empty.gml").write_bytes(b"")
    data = base()
    data["sources"]["parcels"] = {"path": str(tmp_path / "empty.gml")}
    assert "empty.gml: file is empty" in fails(tmp_path, data)


@pytest.mark.slow
def test_layer_without_crs(tmp_path):
    path = boundary_file(tmp_path, "nocrs.shp")
    path.with_suffix(".prj").unlink()
    data = base()
    data["boundary"] = {"path": str(path)}
    assert "the file has no CRS; set boundary.crs in the config" in fails(tmp_path, data)
    data["boundary"]["crs"] = "EPSG:4326"
    report, _ = run(tmp_path, data)
    assert "idle assets" in report


def register(tmp: Path, rows: str, header="register_id,name,status,kind,osm_ref,x,y,area_m2") -> str:
    path = tmp / "register.csv"
    path.write_text(header + "\n" + rows, encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_swapped_and_wrong_crs_coordinates(tmp_path):
    data = base()
    data["sources"]["register"] = {"path": register(tmp_path, "S1,Lot,idle,land,,60.534451,26.941947,900\n"
                                                             "W1,Lot,idle,land,,2998000,8517000,900\n")}
    report, result = run(tmp_path, data)
    assert "| register | repaired: x and y were swapped (the point falls inside the boundary only when exchanged) | 1 | row 2 (S1) |" in report
    assert "| register | dropped: coordinates outside the boundary (check crs and x/y columns) | 1 | row 3 (W1) |" in report
    assert "reg-S1" in set(result.features["asset_id"])


def parcels_file(tmp: Path, geometries) -> str:
    codes = [f"{i:012d}" for i in range(1, len(geometries) + 1)]
    gdf = gpd.GeoDataFrame({"KAEK": codes}, geometry=geometries, crs=4326)
    gdf.to_file(tmp / "parcels.gpkg")
    return str(tmp / "parcels.gpkg")


@pytest.mark.slow
def test_invalid_and_mixed_geometries_are_repaired_or_dropped_and_counted(tmp_path):
    x, y = 26.95, 60.53
    bowtie = Polygon([(x, y), (x + 0.001, y + 0.001), (x + 0.001, y), (x, y + 0.001)])
    mixed = GeometryCollection([box(x + 0.002, y, x + 0.003, y + 0.001), LineString([(x, y), (x + 0.01, y)])])
    data = base()
    data["sources"]["parcels"] = {"path": parcels_file(tmp_path, [bowtie, mixed, Point(x, y), box(x, y - 0.002, x + 0.001, y - 0.001)])}
    report, _ = run(tmp_path, data)
    assert "| parcels | repaired: invalid geometry (make_valid) | 1 |" in report
    assert "| parcels | repaired: kept the polygon parts of mixed geometries |" in report
    assert "| parcels | dropped: not a polygon | 1 | Point |" in report


@pytest.mark.slow
def test_duplicate_ids_missing_columns_bad_numbers(tmp_path):
    data = base()
    data["sources"]["register"] = {"path": register(tmp_path, "R1,A,idle,land,way/1,,,\nR1,B,idle,land,way/2,,,12a\n")}
    msg = fails(tmp_path, data)
    assert "rows [2, 3]: register_id 'R1' is used more than once" in msg
    assert "row 3 (R1): area_m2: '12a' is not a number" in msg
    data["sources"]["register"] = {"path": register(tmp_path, "R1,A,way/1\n", header="register_id,name,osm_ref")}
    assert "required column(s) ['status'] not found" in fails(tmp_path, data)


@pytest.mark.slow
def test_greek_decimal_comma_is_read(tmp_path):
    data = base()
    data["sources"]["register"] = {"path": register(tmp_path, 'R1,Lot,idle,land,,26.941947,60.534451,"1.234,5"\n')}
    _, result = run(tmp_path, data)
    assert result.features.set_index("asset_id").loc["reg-R1", "area_m2"] == pytest.approx(1234.5, rel=0.01)


def survey(tmp: Path, rows: str) -> str:
    path = tmp / "survey.csv"
    path.write_text("_id,_submission_time,_geolocation,_geolocation_precision,occupancy\n" + rows, encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_dates_in_several_formats_and_bad_dates(tmp_path):
    data = base()
    data["sources"]["survey"] = {"path": survey(tmp_path, '1,2026-03-02T10:15:00,"[60.531759, 26.957567]",4,vacant\n'
                                                          '2,02/03/2026,"[60.522158, 26.939352]",4,vacant\n'
                                                          '3,2/3/2026 10:15,"[60.522829, 26.9406]",4,vacant\n')}
    _, result = run(tmp_path, data)
    assert [d[:10] for d in result.prepared.survey.sort_values("survey_id")["date"]] == ["2026-03-02"] * 3
    data["sources"]["survey"] = {"path": survey(tmp_path, '1,last tuesday,"[60.53, 26.95]",4,vacant\n')}
    assert "row 2 (1): date 'last tuesday' is not a date" in fails(tmp_path, data)


def test_invalid_kaek(tmp_path):
    gpd.GeoDataFrame({"KAEK": ["12345", "010203040506"]}, geometry=[box(*BBOX), box(*BBOX)], crs=4326).to_file(tmp_path / "p.gpkg")
    data = base()
    data["sources"]["parcels"] = {"path": str(tmp_path / "p.gpkg")}
    assert "feature 1: KAEK '12345' is not a KAEK (12 digits)" in fails(tmp_path, data)


@pytest.mark.slow
def test_survey_with_500_m_gps_precision(tmp_path):
    data = base()
    data["sources"]["survey"] = {"path": survey(tmp_path, '1,2026-03-02,"[60.531759, 26.957567]",500,vacant\n')}
    report, _ = run(tmp_path, data)
    assert "| survey | not used: GPS precision worse than 50 m | 1 | row 2 (1: 500 m) |" in report


@pytest.mark.slow
def test_greek_text_in_cp1253_without_encoding(tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes("register_id,name,status,osm_ref\nR1,Παλιό σχολείο,αδρανές,way/424090325\n".encode("cp1253"))
    data = base()
    data["sources"]["register"] = {"path": str(path)}
    assert "not UTF-8 text" in (msg := fails(tmp_path, data)) and "encoding: cp1253" in msg
    data["sources"]["register"]["encoding"] = "cp1253"
    _, result = run(tmp_path, data)
    assert "Παλιό σχολείο" in set(result.features["name"])


@pytest.mark.slow
def test_yaml_typos_and_wrong_types(tmp_path):
    data = base()
    data["sources"]["survey"]["attach_distance_m"] = "fifty"
    data["profile"] = {"use": ["social_farm"]}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "run", "--config", str(tmp_path / "bad.yaml")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "sources.survey.attach_distance_m: Input should be a valid number" in proc.stderr
    assert "profile: unknown key (check the spelling)" in proc.stderr


@pytest.mark.slow
def test_weights_not_summing_to_one_are_normalised_and_reported(tmp_path):
    data = base()
    data["profiles"] = {"use": ["social_farm"], "weights": {"social_farm": {"area_m2": 0.75}}}
    data.pop("plan")
    report, result = run(tmp_path, data)
    assert "social_farm: stated weights sum to 1.5; normalised to 1" in report
    assert sum(result.profiles[0].weights().values()) == pytest.approx(1.0)


@pytest.mark.slow
def test_a_profile_that_excludes_every_asset_is_reported(tmp_path):
    strict = tmp_path / "strict.yaml"
    strict.write_text(yaml.safe_dump({
        "name": "stadium", "label": {"en": "Stadium", "el": "Γήπεδο"}, "applies_to": ["land"],
        "constraints": [{"criterion": "area_m2", "min": 1_000_000}],
        "criteria": [{"criterion": "area_m2", "weight": 1, "function": {"type": "linear", "lower": 0, "upper": 1}}],
    }), encoding="utf-8")
    data = base()
    data["profiles"] = {"use": ["stadium", "social_farm"], "files": [str(strict)]}
    data.pop("plan")
    report, result = run(tmp_path, data)
    line = next(l for l in report.splitlines() if "stadium: no asset is eligible" in l)
    kinds = result.features["kind"].value_counts()
    assert f"area below the minimum 100.00 ha ({kinds['land']})" in line and f"the use needs land ({kinds['building']})" in line
    assert not result.scored.scores.query("use == 'stadium'")["eligible"].any()


def test_paths_that_do_not_exist_or_are_folders(tmp_path):
    data = base()
    data["sources"]["register"] = {"path": str(tmp_path / "nowhere.csv")}
    data["sources"]["survey"] = {"path": str(tmp_path)}
    msg = fails(tmp_path, data)
    assert "nowhere.csv: file not found" in msg and f"{tmp_path}: is a folder, expected a file" in msg


@pytest.mark.slow
def test_a_script_payload_in_the_inputs_stays_inert(tmp_path):
    payload = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'
    data = base()
    data["sources"]["register"] = {"path": register(tmp_path, f'R1,"{payload.replace(chr(34), chr(34) * 2)}",idle,building,way/424090325,,,\n')}
    _, result = run(tmp_path, data)
    assert payload in set(result.features["name"])  # kept as data
    html = (tmp_path / "out" / "maps" / "index.html").read_text(encoding="utf-8")
    assert "window.__pwned" in html and "<script>window.__pwned" not in html  # inside the JSON block, escaped
    assert 'onerror="alert(1)"' not in html and "<img" not in html
