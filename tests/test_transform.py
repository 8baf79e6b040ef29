import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

from pipeline.extract import RawSources
from pipeline.transform import Report, asset_ids, repair_geometries, transform
from pathlib import Path
from shapely.geometry import GeometryCollection, LineString
from projects import demo_data, run_case


def register(rows):
    df = pd.DataFrame(rows)
    for col in ("name", "owner", "kind", "osm_ref", "parcel_code", "area_m2", "notes"):
        if col not in df:
            df[col] = None
    df["area_m2"] = df["area_m2"].astype(float)
    geom = [Point(xy) if isinstance(xy, tuple) else None for xy in df.pop("xy")] if "xy" in df else [None] * len(df)
    df["row"] = np.arange(2, len(df) + 2)
    return gpd.GeoDataFrame(df, geometry=geom, crs="EPSG:2100")


def survey(rows):
    df = pd.DataFrame(rows)
    for col in ("condition", "occupancy", "access", "photo", "notes", "surveyor", "date", "precision_m"):
        if col not in df:
            df[col] = None
    df["row"] = np.arange(2, len(df) + 2)
    df["idle"] = df["occupancy"].isin({"vacant", "abandoned", "partly used"})
    return gpd.GeoDataFrame(df, geometry=[Point(xy) for xy in df.pop("xy")], crs="EPSG:2100")


X0, Y0 = 400000, 4300000


def test_osm_register_and_survey_merge_into_one_asset_each(toy_osm, toy_boundary):
    reg = register([
        {"register_id": "R1", "status": "Idle", "name": "Former school", "osm_ref": "way/2"},
        {"register_id": "R2", "status": "in use", "osm_ref": "way/3"},
        {"register_id": "R3", "status": "unused", "kind": "land", "xy": (X0 + 1500, Y0 + 500), "area_m2": 400.0},
    ])
    srv = survey([
        {"survey_id": "S1", "occupancy": "vacant", "condition": "poor", "photo": "https://e.org/a.jpg", "xy": (X0 + 310, Y0 + 10)},
        {"survey_id": "S2", "occupancy": "abandoned", "condition": "ruin", "xy": (X0 + 1000 + 50, Y0 + 250)},
        {"survey_id": "S3", "occupancy": "in use", "xy": (X0 - 900, Y0 + 900)},
    ])
    prepared = transform(RawSources(toy_boundary, toy_osm, reg, srv), "EPSG:2100", attach_distance_m=30)
    inv = prepared.inventory.set_index("asset_id")
    # way/2 is claimed by OSM (disused:amenity), the register (R1) and the survey (S1)
    school = inv.loc["osm-way-2"]
    assert school["sources"] == "register;osm;survey"
    assert school["name"] == "Former school"  # the register's name wins
    assert school["kind"] == "building" and school["register_id"] == "R1"
    assert school["condition"] == "poor" and school["survey_ids"] == "S1"
    assert "disused:amenity=school" in school["idle_evidence"] and "register status=Idle" in school["idle_evidence"]
    # the vacant-shop node sits in house way/3: the house is the asset
    assert inv.loc["osm-way-3", "geometry_source"] == "osm building containing the point"
    assert "node/4 shop=vacant" in inv.loc["osm-way-3", "idle_evidence"]
    # the register point with an area becomes a circle of that area
    assert inv.loc["reg-R3", "area_m2"] == pytest.approx(400, rel=0.01)
    # S2 (abandoned, outside every candidate and footprint) becomes its own asset
    assert inv.loc["srv-S2", "sources"] == "survey"
    assert inv.loc["srv-S2", "geometry_source"] == "point buffer"
    assert set(inv.index) == {"osm-way-1", "osm-way-2", "osm-way-3", "reg-R3", "srv-S2"}
    report = prepared.report.frame().set_index("action")
    assert report.loc["skipped: status is not idle", "count"] == 1
    assert "row 4 (S3)" in report.loc["not attached: no asset within 30 m and not idle", "detail"]
    assert prepared.inventory.crs.to_epsg() == 2100
    assert prepared.survey.set_index("survey_id").loc["S1", "asset_id"] == "osm-way-2"


def test_register_problems_are_reported_not_silently_dropped(toy_osm, toy_boundary):
    reg = register([
        {"register_id": "R1", "status": "idle", "osm_ref": "way/999"},
        {"register_id": "R2", "status": "idle", "xy": (X0 + 90000, Y0)},
    ])
    prepared = transform(RawSources(toy_boundary, toy_osm, reg, None), "EPSG:2100")
    report = prepared.report.frame().set_index("action")
    assert "row 2 (R1: way/999)" in report.loc["dropped: osm_ref not in the OSM extract", "detail"]
    assert "row 3 (R2)" in report.loc["dropped: coordinates outside the boundary (check crs and x/y columns)", "detail"]
    assert not prepared.inventory["register_id"].notna().any()


def test_assets_are_clipped_to_the_boundary(toy_osm):
    half = gpd.GeoDataFrame({"name": ["half"]}, geometry=[box(X0 + 50, Y0 - 1000, X0 + 3000, Y0 + 1000)], crs="EPSG:2100")
    prepared = transform(RawSources(half, toy_osm), "EPSG:2100")
    field = prepared.inventory.set_index("asset_id").loc["osm-way-1"]
    assert field["area_m2"] == pytest.approx(50 * 100, rel=1e-4)  # 4326 round trip of the toy layers
    assert prepared.report.frame().set_index("action").loc["clipped to the boundary", "count"] == 1


def test_auto_crs_is_the_utm_zone(toy_osm, toy_boundary):
    prepared = transform(RawSources(toy_boundary, toy_osm), "auto")
    assert prepared.crs.to_epsg() == 32634  # 400000 E in the Greek Grid lies in UTM zone 34


def test_repair_counts_invalid_and_empty():
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    gdf = gpd.GeoDataFrame({"v": [1, 2, 3]}, geometry=[bowtie, Polygon(), box(0, 0, 1, 1)], crs="EPSG:2100")
    report = Report()
    out = repair_geometries(gdf, "layer", report, polygons_only=True)
    assert len(out) == 2 and out.is_valid.all()
    actions = dict(zip(report.frame()["action"], report.frame()["count"]))
    assert actions == {"dropped: empty geometry": 1, "repaired: invalid geometry (make_valid)": 1}


def test_asset_ids_are_stable_and_readable():
    assert asset_ids(pd.Index(["way/12", "relation/3", "register/A-1", "survey/77"])).tolist() == [
        "osm-way-12", "osm-relation-3", "reg-A-1", "srv-77"]


def test_swapped_coordinates_are_repaired_and_reported(toy_osm, toy_boundary):
    # the greenfield's centre typed as lat/lon instead of lon/lat
    centre = gpd.GeoSeries([Point(X0 + 50, Y0 + 50)], crs=2100).to_crs(4326).iloc[0]
    reg = register([{"register_id": "R1", "status": "idle", "xy": (centre.y, centre.x)}]).set_crs(4326, allow_override=True)
    prepared = transform(RawSources(toy_boundary, toy_osm, reg, None), "EPSG:2100")
    report = prepared.report.frame().set_index("action")
    assert "row 2 (R1)" in report.loc[[a for a in report.index if a.startswith("repaired: x and y were swapped")][0], "detail"]
    field = prepared.inventory.set_index("asset_id").loc["osm-way-1"]
    assert field["register_id"] == "R1" and field["sources"] == "register;osm"


def parcels_gdf():
    return gpd.GeoDataFrame({"parcel_code": ["010203040506", "000000000017"], "area_official": [10000.0, 40000.0]},
                            geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 1500, Y0 + 300, X0 + 1700, Y0 + 500)],
                            crs="EPSG:2100")


def test_register_by_parcel_code_and_parcel_codes_on_assets(toy_osm, toy_boundary):
    reg = register([{"register_id": "R1", "status": "idle", "parcel_code": "000000000017", "kind": "land"},
                    {"register_id": "R2", "status": "idle", "parcel_code": "999999999999"}])
    raw = RawSources(toy_boundary, toy_osm, reg, None, parcels=parcels_gdf())
    prepared = transform(raw, "EPSG:2100")
    inv = prepared.inventory.set_index("asset_id")
    assert inv.loc["cad-000000000017", "area_m2"] == pytest.approx(40000)
    assert inv.loc["cad-000000000017", "geometry_source"] == "cadastral parcel (register parcel_code)"
    assert inv.loc["osm-way-1", "parcel_code"] == "010203040506"  # the greenfield lies on that parcel
    assert pd.isna(inv.loc["osm-way-2", "parcel_code"])
    report = prepared.report.frame().set_index("action")
    assert "row 3 (R2: 999999999999)" in report.loc["dropped: parcel_code not among the parcels", "detail"]


def test_imprecise_gps_points_are_not_used(toy_osm, toy_boundary):
    srv = survey([{"survey_id": "S1", "occupancy": "vacant", "precision_m": 500.0, "xy": (X0 + 310, Y0 + 10)},
                  {"survey_id": "S2", "occupancy": "vacant", "precision_m": 4.0, "xy": (X0 + 50, Y0 + 50)}])
    prepared = transform(RawSources(toy_boundary, toy_osm, None, srv), "EPSG:2100", max_precision_m=50)
    report = prepared.report.frame().set_index("action")
    assert "row 2 (S1: 500 m)" in report.loc["not used: GPS precision worse than 50 m", "detail"]
    inv = prepared.inventory.set_index("asset_id")
    assert inv.loc["osm-way-1", "survey_ids"] == "S2" and pd.isna(inv.loc["osm-way-2", "survey_ids"])


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
    data = demo_data()
    data["sources"]["parcels"] = {"path": parcels_file(tmp_path, [bowtie, mixed, Point(x, y), box(x, y - 0.002, x + 0.001, y - 0.001)])}
    report, _ = run_case(tmp_path, data)
    assert "| parcels | repaired: invalid geometry (make_valid) | 1 |" in report
    assert "| parcels | repaired: kept the polygon parts of mixed geometries |" in report
    assert "| parcels | dropped: not a polygon | 1 | Point |" in report


def test_osm_completeness_measures_buildings_on_built_up_land():
    """Two residential blocks of 1 km² (one with 300 buildings, one empty) and a park: half the built-up land
    holds buildings, 150 per km² of residential land; the park is not built-up land."""
    import geopandas as gpd
    import shapely

    from pipeline.common.i18n import completeness_note
    from pipeline.transform.completeness import osm_completeness

    blocks = [shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000), shapely.box(0, 1000, 1000, 2000)]
    landuse = gpd.GeoDataFrame({"tags": [{"landuse": "residential"}, {"landuse": "residential"}, {"leisure": "park"}]},
                               geometry=blocks, crs=2100)
    houses = [shapely.box(x, y, x + 10, y + 10) for x in range(20, 980, 50) for y in range(20, 980, 50)][:300]
    buildings = gpd.GeoDataFrame({"tags": [{"building": "house"}] * len(houses)}, geometry=houses, crs=2100)
    c = osm_completeness(buildings, landuse)
    assert (c.built_share, c.per_km2, c.built_km2) == (0.5, 150.0, 2.0) and not c.well_mapped
    assert completeness_note(c) == ("buildings mapped on 50% of built-up land (150 per km² of residential land): OSM maps "
                                    "few buildings here, so an empty map is not evidence that nothing is idle")
    assert "ένας άδειος χάρτης δεν σημαίνει" in completeness_note(c, "el")
    assert osm_completeness(buildings, landuse.iloc[[2]]) is None  # no built-up land: nothing to measure
