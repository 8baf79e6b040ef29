import logging
import dataclasses
import math

from pathlib import Path
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline.extract import RawSources
from pipeline.features import REGISTRY, available_criteria, compute_features, criteria_markdown
from pipeline.transform import transform


@pytest.fixture
def toy_features(toy_osm, toy_boundary):
    prepared = transform(RawSources(toy_boundary, toy_osm), "EPSG:2100")
    return compute_features(prepared.inventory, prepared.context).set_index("asset_id")


def test_criteria_match_hand_computed_values(toy_features, caplog):
    got = toy_features.loc[["osm-way-1", "osm-way-2", "osm-way-3"],
                           ["c_road_distance_m", "c_transit_distance_m", "c_residential_distance_m",
                            "c_roof_area_m2", "c_footprint_share", "c_compactness"]]
    expected = pd.DataFrame(
        {
            "c_road_distance_m": [50.0, 50.0, 50.0],
            "c_transit_distance_m": [math.hypot(210, 60), 60.0, math.hypot(190, 60)],
            # the idle house way/3 no longer counts as housing; the residential area starts at x=1000
            "c_residential_distance_m": [900.0, 680.0, 490.0],
            "c_roof_area_m2": [0.0, 400.0, 100.0],
            "c_footprint_share": [0.0, 1.0, 1.0],
            "c_compactness": [math.pi / 4] * 3,
        },
        index=pd.Index(["osm-way-1", "osm-way-2", "osm-way-3"], name="asset_id"),
    )
    # the toy layers travel through EPSG:4326 and back: centimetre tolerance
    assert_frame_equal(got, expected, atol=0.05, rtol=1e-4, check_index_type=False)


def test_categories_and_unknowns(toy_features):
    assert toy_features.loc["osm-way-1", "c_landuse"] == "greenfield"
    assert toy_features.loc["osm-way-2", "c_condition"] == "unknown"


def test_missing_context_gives_unknown_values_and_a_warning(toy_features, toy_osm, toy_boundary, caplog):
    # no school is mapped in the toy town (way/2 is a *disused* school)
    assert toy_features["c_school_distance_m"].isna().all()
    with caplog.at_level(logging.WARNING):
        prepared = transform(RawSources(toy_boundary, toy_osm), "EPSG:2100")
        compute_features(prepared.inventory, prepared.context, ["school_distance_m"])
    assert "no schools in the data: that distance is unknown for every asset" in caplog.text


def test_every_criterion_returns_a_series_on_the_assets_index(toy_osm, toy_boundary):
    prepared = transform(RawSources(toy_boundary, toy_osm), "EPSG:2100")
    inv = prepared.inventory.iloc[::-1]  # any order
    names = available_criteria(prepared.context.sources())
    assert "slope_deg" not in names and "area_m2" in names  # no DEM in the toy town
    for name in names:
        crit = REGISTRY[name]
        out = crit.func(inv, prepared.context)
        assert out.index.equals(inv.index), name
        assert crit.unit and crit.label_en and crit.label_el


def test_criteria_start_longest_first_and_keep_their_columns_order(toy_osm, toy_boundary, monkeypatch):
    """The pool starts the criteria reading the most context rows first (an
    undeclared one reads every layer), ties in the order asked; the columns
    stay in the order asked, whatever order they ran in."""
    from pipeline.common import settings
    from pipeline.features import longest_first

    prepared = transform(RawSources(toy_boundary, toy_osm), "EPSG:2100")
    context = dataclasses.replace(prepared.context, buildings=pd.concat([prepared.context.buildings] * 5),
                                  pois=pd.concat([prepared.context.pois] * 3))
    rows = {layer: len(getattr(context, layer)) for layer in ("buildings", "roads", "pois")}
    assert len(set(rows.values())) == 3 and min(rows.values()) > 0
    asked = ["area_m2", "services_nearby", "road_distance_m", "footprint_share", "compactness", "undeclared"]
    monkeypatch.setitem(REGISTRY, "undeclared", dataclasses.replace(REGISTRY["area_m2"], name="undeclared", reads=None))
    order = longest_first(asked, context)
    assert order[0] == "undeclared" and order[-2:] == ["area_m2", "compactness"]
    by_rows = {"footprint_share": rows["buildings"], "road_distance_m": rows["roads"], "services_nearby": rows["pois"]}
    assert order[1:4] == sorted(by_rows, key=by_rows.get, reverse=True)
    # a layer the project lacks reads no rows
    assert longest_first(["area_m2", "footprint_share"], dataclasses.replace(context, buildings=None)) == \
        ["area_m2", "footprint_share"]
    monkeypatch.setattr(settings, "THREADS", 2)
    together = compute_features(prepared.inventory, prepared.context, asked[:5])
    assert list(together.columns[-5:]) == [f"c_{n}" for n in asked[:5]]
    monkeypatch.setattr(settings, "THREADS", 1)
    assert_frame_equal(together, compute_features(prepared.inventory, prepared.context, asked[:5]))


def test_unknown_criterion_is_refused(toy_osm, toy_boundary):
    prepared = transform(RawSources(toy_boundary, toy_osm), "EPSG:2100")
    with pytest.raises(KeyError, match="unknown criteria"):
        compute_features(prepared.inventory, prepared.context, ["slope"])


def test_dem_criteria_on_the_real_volos_dem(shared):
    """Elevation and slope from the real SRTM clip, reprojected to EPSG:2100."""
    import geopandas as gpd
    from shapely.geometry import Point

    from pipeline.extract.raster import RasterSource
    from pipeline.extract import read_raster
    from pipeline.transform import Context, Report, project_rasters

    # the harbour front of Volos and Pelion's western slopes north of the town (a 545 m SRTM cell)
    sites = gpd.GeoDataFrame({"name": ["port", "pelion"]},
                             geometry=[Point(22.9500, 39.3600), Point(22.9592, 39.4217)], crs=4326).to_crs(2100)
    sites["geometry"] = sites.buffer(150)
    dem = read_raster(RasterSource(path=shared / "dem" / "dem_srtm3_volos_9105.tif", kind="dem"),
                      (22.9, 39.33, 23.05, 39.45))
    assert dem.crs.to_epsg() == 4326
    rasters = project_rasters({"dem": dem}, sites.crs, Report())
    assert rasters["dem"].crs.to_epsg() == 2100 and "slope" in rasters
    ctx = Context(boundary=None, buildings=None, landuse=None, roads=None, pois=None, rasters=rasters)
    elevation = REGISTRY["elevation_m"].func(sites, ctx)
    slope = REGISTRY["slope_deg"].func(sites, ctx)
    assert elevation[0] < 30 and slope[0] < 5            # the harbour front
    assert 400 < elevation[1] < 1000 and slope[1] > 10   # Pelion's flank


def test_irradiance_and_landcover_rasters_in_another_crs(tmp_path, toy_osm, toy_boundary):
    """GeoTIFFs in Web Mercator are windowed, reprojected and summarised per asset."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from pipeline.extract.raster import RasterSource
    from pipeline.extract import read_raster
    from pipeline.transform import project_rasters, Report

    prepared = transform(RawSources(toy_boundary, toy_osm), "EPSG:2100")
    west, south, east, north = prepared.inventory.to_crs(3857).total_bounds
    transform_ = from_origin(west - 2000, north + 2000, 20, 20)
    h, w = int((north - south + 4000) / 20), int((east - west + 4000) / 20)
    xs = np.arange(w) * 20 + west - 2000
    ghi = np.tile(1500 + (xs - xs.min()) / 10, (h, 1)).astype("float32")  # rises eastwards
    classes = np.where(np.arange(w) * 20 + west - 2000 < west + 200, 211, 112).astype("uint8")
    classes = np.tile(classes, (h, 1))
    for name, data in (("ghi.tif", ghi), ("clc.tif", classes)):
        with rasterio.open(tmp_path / name, "w", driver="GTiff", width=w, height=h, count=1, dtype=data.dtype,
                           crs="EPSG:3857", transform=transform_, nodata=0) as ds:
            ds.write(data, 1)
    bbox = tuple(prepared.inventory.to_crs(4326).total_bounds)
    raw = {"irradiance": read_raster(RasterSource(path=tmp_path / "ghi.tif", kind="irradiance"), bbox),
           "landcover": read_raster(RasterSource(path=tmp_path / "clc.tif", kind="landcover"), bbox)}
    ctx = dataclasses.replace(prepared.context, rasters=project_rasters(raw, prepared.crs, Report()))
    assert ctx.rasters["landcover"].crs.to_epsg() == 2100
    got = compute_features(prepared.inventory, ctx, ["irradiance", "landcover"]).set_index("asset_id")
    assert got.loc["osm-way-1", "c_landcover"] == "211"   # the western field
    assert got.loc["osm-way-3", "c_landcover"] == "112"   # the town to the east
    assert got.loc["osm-way-1", "c_irradiance"] < got.loc["osm-way-3", "c_irradiance"]
    assert 1500 < got.loc["osm-way-1", "c_irradiance"] < 2000


def test_zone_overlap_shares_and_the_constraints_they_drive(toy_osm, toy_boundary):
    import geopandas as gpd
    from shapely.geometry import box

    from pipeline.common.config import ProfilesSpec
    from pipeline.score.profiles import fit_to_sources, load_profiles
    from pipeline.score import score

    x0, y0 = 400000, 4300000
    flood = gpd.GeoDataFrame(geometry=[box(x0 - 50, y0 - 50, x0 + 50, y0 + 150)], crs=2100)   # west half of way/1
    parks = gpd.GeoDataFrame(geometry=[box(x0 + 290, y0 - 10, x0 + 330, y0 + 30)], crs=2100)  # all of way/2
    raw = RawSources(toy_boundary, toy_osm, zones={"flood": flood.to_crs(4326), "protected": parks})
    prepared = transform(raw, "EPSG:2100")
    assert prepared.context.sources() == {"zone:flood", "zone:protected"}
    feats = compute_features(prepared.inventory, prepared.context)
    f = feats.set_index("asset_id")
    assert f.loc["osm-way-1", "c_flood_share"] == pytest.approx(0.5, abs=0.01)
    assert f.loc["osm-way-2", "c_protected_share"] == pytest.approx(1.0, abs=0.01)
    assert f.loc["osm-way-3", "c_flood_share"] == 0 and f.loc["osm-way-3", "c_protected_share"] == 0
    profiles, notes = fit_to_sources(load_profiles(ProfilesSpec(use=["recycling_centre", "solar_ground"])),
                                     prepared.context.sources())
    s = score(feats, profiles).scores.set_index(["use", "asset_id"])
    assert "share in a flood-prone zone 50% above the maximum 0%" in s.loc[("recycling_centre", "osm-way-1"), "excluded_by"]
    assert "share in a flood-prone zone 50% above the maximum 25%" in s.loc[("solar_ground", "osm-way-1"), "excluded_by"]
    # without zones the same constraints are left out, and said so
    _, notes = fit_to_sources(load_profiles(ProfilesSpec(use=["recycling_centre"])), set())
    assert any("flood_share" in n and "flood zones" in n for n in notes)


def test_the_readme_criteria_table_is_the_registry():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- criteria:start -->\n", 1)[1].split("<!-- criteria:end -->", 1)[0]
    assert table == criteria_markdown()


def test_every_tag_a_criterion_selects_is_read_by_the_extract():
    from pipeline.extract.osm import TAG_FILTER

    for crit in REGISTRY.values():
        for key in crit.tags:
            assert key in TAG_FILTER or key.split(":")[0] in TAG_FILTER, (crit.name, key)
