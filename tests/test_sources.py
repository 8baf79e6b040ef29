"""Cadastral parcels, WFS, survey GeoJSON and organisations on real or realistic files."""

import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from pipeline.extract.organisations import OrganisationSource
from pipeline.extract.parcels import ParcelSource, WfsSpec
from pipeline.extract.survey import SurveySource
from pipeline.common.errors import InputError
from pipeline.extract.organisations import legal_form, read_organisations
from pipeline.extract.parcels import read_parcels
from pipeline.extract.survey import read_survey
from pipeline.common.io import read_options, read_vector

from inspire import cadastral_parcels_gml
from replay import Replay

TENERIFE = (-16.48, 28.21, -16.44, 28.25)  # lon/lat box around the INSPIRE sample


@pytest.fixture
def real_parcels(shared):
    return gpd.read_file(shared / "inspire_es" / "parcel.gpkg")


def test_parcels_from_geopackage_gml_and_geojson_agree(shared, real_parcels, tmp_path):
    gpkg = read_parcels(ParcelSource(path=shared / "inspire_es" / "parcel.gpkg", code_format="any"), None)
    assert len(gpkg) == 186 and gpkg.crs.to_epsg() == 32628
    assert gpkg["parcel_code"].iloc[0] == "001000300CS52D"  # leading zeros kept
    (tmp_path / "cp.gml").write_bytes(cadastral_parcels_gml(real_parcels))
    gml = read_parcels(ParcelSource(path=tmp_path / "cp.gml", code_format="any"), None)
    real_parcels.to_crs(4326).to_file(tmp_path / "cp.geojson")
    geojson = read_parcels(ParcelSource(path=tmp_path / "cp.geojson", code_format="any"), None).to_crs(32628)
    for other in (gml, geojson):
        assert other["parcel_code"].tolist() == gpkg["parcel_code"].tolist()
        assert other.geometry.hausdorff_distance(gpkg.geometry).max() < 0.05  # metres
    assert [p.name for p in tmp_path.iterdir()] == ["cp.gml", "cp.geojson"]  # no .gfs written beside the GML


def test_bbox_limits_the_parcels_read(shared):
    src = ParcelSource(path=shared / "inspire_es" / "parcel.gpkg", code_format="any")
    everything = read_parcels(src, None)
    w, s, e, n = everything.to_crs(4326).total_bounds
    half = read_parcels(src, (w, s, (w + e) / 2, n))
    assert 0 < len(half) < len(everything)


def test_kaek_codes_are_checked_and_keep_leading_zeros(real_parcels, tmp_path):
    parcels = real_parcels.head(3).copy()
    parcels["nationalCadastralReference"] = ["010203040506", "000000000017", "0102030405"]
    (tmp_path / "kaek.gml").write_bytes(cadastral_parcels_gml(parcels))
    with pytest.raises(InputError) as err:
        read_parcels(ParcelSource(path=tmp_path / "kaek.gml"), None)
    assert err.value.problems == [
        "feature ES.SDGC.CP.8641601CS5284S: nationalCadastralReference '0102030405' is not a KAEK (12 digits)"]
    parcels["nationalCadastralReference"] = ["010203040506", "000000000017", "123456789012"]
    (tmp_path / "kaek.gml").write_bytes(cadastral_parcels_gml(parcels))
    codes = read_parcels(ParcelSource(path=tmp_path / "kaek.gml"), None)["parcel_code"].tolist()
    assert codes == ["010203040506", "000000000017", "123456789012"]
    # a file that stored the codes as numbers gets its zeros back
    numeric = parcels.assign(KAEK=[10203040506, 17, 123456789012])[["KAEK", "geometry"]]
    numeric.to_file(tmp_path / "numeric.gpkg")
    assert read_parcels(ParcelSource(path=tmp_path / "numeric.gpkg"), None)["parcel_code"].tolist() == codes


def greek_shapefile(folder, real_parcels, cpg: bool):
    gdf = real_parcels.head(2)[["geometry"]].assign(KAEK=["010203040506", "010203040507"],
                                                    OWNER=["Δήμος Βόλου", "Ιερά Μητρόπολη Δημητριάδος"])
    path = folder / "parcels.shp"
    gdf.to_file(path, encoding="cp1253")
    if not cpg:
        (folder / "parcels.cpg").unlink(missing_ok=True)
    return path


def test_shapefile_greek_text_with_and_without_cpg(real_parcels, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with_cpg = greek_shapefile(tmp_path / "a", real_parcels, cpg=True)
    assert (tmp_path / "a" / "parcels.cpg").exists()
    gdf = gpd.read_file(with_cpg)
    assert gdf["OWNER"].iloc[0] == "Δήμος Βόλου"
    assert read_parcels(ParcelSource(path=with_cpg), None)["parcel_code"].tolist() == ["010203040506", "010203040507"]
    without = greek_shapefile(tmp_path / "b", real_parcels, cpg=False)
    with pytest.raises(InputError, match="set parcels.encoding: cp1253"):
        read_parcels(ParcelSource(path=without), None)
    assert len(read_parcels(ParcelSource(path=without, encoding="cp1253"), None)) == 2


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_layer_without_crs_needs_the_config(real_parcels, tmp_path):
    path = tmp_path / "nocrs.shp"
    gdf = real_parcels.head(2)[["geometry"]].assign(KAEK=["010203040506", "010203040507"])
    gdf.set_crs(None, allow_override=True).to_file(path)
    with pytest.raises(InputError, match="no CRS .*set parcels.crs"):
        read_parcels(ParcelSource(path=path), None)
    got = read_parcels(ParcelSource(path=path, crs="EPSG:32628"), None)
    assert got.crs.to_epsg() == 32628


def test_wfs_paged_download_then_cached(real_parcels, tmp_path):
    def get_feature(query):
        start, count = int(query["STARTINDEX"]), int(query["COUNT"])
        assert query["REQUEST"] == "GetFeature" and query["TYPENAMES"] == "cp:CadastralParcel"
        assert query["BBOX"].endswith(",EPSG:32628")
        return cadastral_parcels_gml(real_parcels.iloc[start:start + count], number_matched=len(real_parcels))

    spec = WfsSpec(url="", typename="cp:CadastralParcel", srs="EPSG:32628", page_size=80)
    with Replay({"/wfs": (200, "application/gml+xml; version=3.2", get_feature)}) as server:
        src = ParcelSource(wfs=spec.model_copy(update={"url": server.url + "/wfs"}), code_format="any",
                           cache_dir=tmp_path)
        parcels = read_parcels(src, TENERIFE)
        starts = [int(q["STARTINDEX"]) for _, _, q in server.requests]
    assert starts == [0, 80, 160]  # 186 parcels in pages of 80
    assert parcels["parcel_code"].tolist() == real_parcels["nationalCadastralReference"].tolist()
    assert parcels.crs.to_epsg() == 32628
    assert len(list((tmp_path / "wfs").iterdir())) == 3
    again = read_parcels(src, TENERIFE)  # the server is gone: pages come from the cache
    assert again["parcel_code"].tolist() == parcels["parcel_code"].tolist()


def test_wfs_exception_report_is_a_clear_error(tmp_path):
    report = b'<?xml version="1.0"?><ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1"><ows:Exception exceptionCode="InvalidParameterValue"><ows:ExceptionText>Unknown type cp:Parcel</ows:ExceptionText></ows:Exception></ows:ExceptionReport>'
    with Replay({"/wfs": (400, "application/xml", report)}) as server:
        src = ParcelSource(wfs=WfsSpec(url=server.url + "/wfs", typename="cp:Parcel"), cache_dir=tmp_path)
        with pytest.raises(InputError, match="HTTP 400.*Unknown type cp:Parcel"):
            read_parcels(src, TENERIFE)
    assert not (tmp_path / "wfs").exists() or not any((tmp_path / "wfs").iterdir())  # errors are not cached


def test_survey_xlsx_export_with_kobo_columns(tmp_path):
    import pandas as pd

    pd.DataFrame({"_id": [11, 12], "_geolocation_latitude": ["39.36", "39.37"],
                  "_geolocation_longitude": ["22.95", "22.96"], "_geolocation_precision": ["5", "8,5"],
                  "condition": ["poor", "good"], "occupancy": ["abandoned", "in use"]}).to_excel(tmp_path / "kobo.xlsx", index=False)
    survey = read_survey(SurveySource(path=tmp_path / "kobo.xlsx"))
    assert survey["survey_id"].tolist() == ["11", "12"]
    assert survey["precision_m"].tolist() == [5.0, 8.5] and survey["idle"].tolist() == [True, False]
    assert survey.geometry.iloc[1].y == pytest.approx(39.37)


def test_survey_geojson_export(tmp_path):
    gdf = gpd.GeoDataFrame({"_id": [7, 8], "condition": ["good", "poor"], "occupancy": ["vacant", "in use"],
                            "_geolocation_precision": [4.5, 12]},
                           geometry=[Point(22.95, 39.36, 12.0), Point(22.96, 39.37, 30.0)], crs=4326)
    gdf.to_file(tmp_path / "survey.geojson")
    survey = read_survey(SurveySource(path=tmp_path / "survey.geojson"))
    assert survey["survey_id"].tolist() == ["7", "8"]
    assert survey["altitude"].tolist() == [12.0, 30.0] and survey["precision_m"].tolist() == [4.5, 12.0]
    assert survey.geometry.iloc[0].x == pytest.approx(22.95)


@pytest.mark.parametrize("text, form", [
    ("ΚοινΣΕπ", "koinsep"), ("Κοιν.Σ.Επ.", "koinsep"), ("κοινωνική συνεταιριστική επιχείρηση", "koinsep"),
    ("Συνεταιρισμός Εργαζομένων", "workers_coop"), ("Ενεργειακή Κοινότητα", "energy_community"),
    ("ΣΥΛΛΟΓΟΣ", "association"), ("workers' co-op", "workers_coop"), ("bakery", None),
])
def test_legal_forms(text, form):
    assert legal_form(text) == form


def test_organisations(tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(
        "Κωδικός,Επωνυμία,Νομική μορφή,Χρήσεις,Χώρος,lon,lat,Υπεύθυνος,email,Τηλέφωνο\n"
        "O1,Αγρόκτημα Αλληλεγγύης,ΚοινΣΕπ,social_farm,\"2.000\",22.95,39.36,Μαρία Π.,maria@example.org,2421000000\n"
        "O2,Ήλιος Βόλου,Ενεργειακή Κοινότητα,solar_ground; solar_rooftop,500,,,Νίκος Κ.,nikos@example.org,\n",
        encoding="utf-8")
    uses = ["social_farm", "solar_ground", "solar_rooftop"]
    with pytest.raises(InputError, match=r"row 2 \(O1\): space_m2: '2.000' is ambiguous"):
        read_organisations(OrganisationSource(path=path), uses)
    orgs = read_organisations(OrganisationSource(path=path, decimal=","), uses)
    assert orgs["legal_form"].tolist() == ["koinsep", "energy_community"]
    assert orgs["uses"].tolist() == ["social_farm", "solar_ground;solar_rooftop"]
    assert orgs["space_m2"].tolist() == [2000.0, 500.0]
    assert orgs.geometry.iloc[0].x == pytest.approx(22.95) and orgs.geometry.iloc[1] is None
    bad = tmp_path / "bad.csv"
    bad.write_text("org_id,name,legal_form,uses\nO1,X,bakery,social_farm\nO2,Y,ΚοινΣΕπ,spaceport\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_organisations(OrganisationSource(path=bad), uses)
    assert any(p.startswith("row 2 (O1): legal_form 'bakery' not recognised") for p in err.value.problems)
    assert any(p.startswith("row 3 (O2): use 'spaceport' is not a profile of this project") for p in err.value.problems)


def test_a_form_export_with_the_respondents_name_is_never_guessed(tmp_path, caplog):
    """Google Forms' layout (issue 26, item 8): ``Name`` (the respondent) beside
    ``Organisation`` is refused until the config says which is the
    organisation's; then the person's name, e-mail and mobile are contacts
    (private) and the columns not read are named."""
    path = tmp_path / "open_call.csv"
    path.write_text(
        "Timestamp,Email Address,Name,Organisation,Legal form,Uses,Mobile,How did you hear of the call?\n"
        "2026-11-02 10:15:00,maria@example.org,Μαρία Παπαδοπούλου,Αγρόκτημα Αλληλεγγύης,ΚοινΣΕπ,social_farm,"
        "6900000000,radio\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_organisations(OrganisationSource(path=path), ["social_farm"])
    assert any("columns 'Name', 'Organisation' could each be 'name'; say which under 'columns:'" in p
               for p in err.value.problems), err.value.problems
    src = OrganisationSource(path=path, columns={"org_id": "Timestamp", "name": "Organisation"})
    notes: list[dict] = []
    with caplog.at_level("WARNING"):
        orgs = read_organisations(src, ["social_farm"], notes)
    row = orgs.iloc[0]
    assert row["name"] == "Αγρόκτημα Αλληλεγγύης" and row["contact_name"] == "Μαρία Παπαδοπούλου"
    assert row["email"] == "maria@example.org" and row["phone"] == "6900000000"
    assert "columns not used: How did you hear of the call?" in caplog.text
    assert [n["detail"] for n in notes if n["action"].startswith("not used")] == ["How did you hear of the call?"]
    greek = tmp_path / "prosklisi.csv"
    greek.write_text("Κωδικός,Ονοματεπώνυμο,Επωνυμία,Νομική μορφή,Κινητό,Διεύθυνση email\n"
                     "O1,Νίκος Κ.,Ήλιος Βόλου,Ενεργειακή Κοινότητα,6911111111,nikos@example.org\n", encoding="utf-8")
    row = read_organisations(OrganisationSource(path=greek), None).iloc[0]
    assert (row["name"], row["contact_name"], row["phone"], row["email"]) == (
        "Ήλιος Βόλου", "Νίκος Κ.", "6911111111", "nikos@example.org")


def _wal_geopackage(shared, folder):
    """A copy of the INSPIRE sample, a GeoPackage in SQLite's WAL mode, alone in ``folder``."""
    folder.mkdir()
    gpkg = folder / "parcel.gpkg"
    shutil.copyfile(shared / "inspire_es" / "parcel.gpkg", gpkg)
    return gpkg


def test_reading_a_wal_geopackage_writes_nothing_beside_it(shared, tmp_path):
    """SQLite opens a WAL-mode GeoPackage with -wal and -shm files beside it
    (deleted on closing, left behind if the run is killed); the readers open
    it immutable, and the user's folder is not touched."""
    gpkg = _wal_geopackage(shared, tmp_path / "raw")
    assert read_options(gpkg) == {"IMMUTABLE": "YES"}
    before = gpkg.parent.stat().st_mtime_ns
    assert len(read_parcels(ParcelSource(path=gpkg, code_format="any"), None)) == 186
    assert len(read_vector(gpkg, "zones test")) == 186
    assert gpkg.parent.stat().st_mtime_ns == before  # no file created or deleted there, even for a moment
    assert [p.name for p in gpkg.parent.iterdir()] == ["parcel.gpkg"]


def test_a_wal_geopackage_open_in_another_program_is_read_with_its_newest_rows(shared, tmp_path):
    """With a -wal file beside it (a program such as QGIS has saved edits not
    yet written into the file), an immutable read would miss them: it is read
    as SQLite reads it."""
    gpkg = _wal_geopackage(shared, tmp_path / "raw")
    sample = gpd.read_file(gpkg, IMMUTABLE="YES").head(1).assign(localId="added here",
                                                                    nationalCadastralReference="ADDED000001")
    # another program reading it holds its snapshot, so the rows added next stay in the -wal file (a process of
    # its own: SQLite's locks belong to the process, and GDAL's SQLite and Python's would drop each other's)
    hold = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('BEGIN');"
            "c.execute('SELECT count(*) FROM parcel').fetchone(); print('ready', flush=True); sys.stdin.read()")
    reader = subprocess.Popen([sys.executable, "-c", hold, str(gpkg)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "ready"
        sample.to_file(gpkg, layer="parcel", driver="GPKG", engine="pyogrio", mode="a")
        assert Path(f"{gpkg}-wal").stat().st_size > 0
        assert read_options(gpkg) == {}
        assert read_vector(gpkg, "zones test")["localId"].iloc[-1] == "added here"
        assert "ADDED000001" in set(read_parcels(ParcelSource(path=gpkg, code_format="any"), None)["parcel_code"])
        assert len(gpd.read_file(gpkg, IMMUTABLE="YES")) == 186  # what an immutable read would have given
    finally:
        reader.communicate("")


def test_non_wal_files_are_read_with_no_extra_options(shared, tmp_path):
    assert read_options(shared / "boundaries" / "kallikratis_dimoi_simpl50m.gpkg") == {}  # rollback-journal GeoPackage
    assert read_options(tmp_path / "cp.gml") == read_options(tmp_path / "cp.XML") == {"WRITE_GFS": "NO"}
    assert read_options(shared / "boundaries" / "dimos_volou_9105.geojson") == {}
