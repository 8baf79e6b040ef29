"""Partners near each site: OSM's community facilities and the open call's
organisations within walking distance, nearest first, on the fact sheets."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from pipeline.participation.partners import partners_nearby
from pipeline.runner import run_project
from pipeline.common.config import config_from_dict
from projects import demo_data

X, Y = 392_000.0, 4_357_000.0


def test_facilities_and_organisations_within_walking_distance_nearest_first():
    inventory = gpd.GeoDataFrame({"asset_id": ["a", "b"]}, geometry=[box(X, Y, X + 50, Y + 50),
                                                                     box(X + 5000, Y, X + 5050, Y + 50)], crs=2100)
    pois = gpd.GeoDataFrame({
        "osm_ref": ["node/1", "node/2", "node/3", "node/4"], "name": ["2ο Δημοτικό", None, "Περίπτερο", "Βιβλιοθήκη"],
        "tags": [{"amenity": "school"}, {"amenity": "community_centre"}, {"shop": "kiosk"}, {"amenity": "library"}]},
        geometry=[Point(X + 300, Y), Point(X + 100, Y), Point(X + 10, Y), Point(X + 2000, Y)], crs=2100)
    orgs = gpd.GeoDataFrame({"name": ["ΚοινΣΕπ Αγρός", "Μακρινός"], "legal_form": ["koinsep", "association"]},
                            geometry=[Point(X + 700, Y), Point(X + 9000, Y)], crs=2100)
    table = partners_nearby(inventory, pois.to_crs(4326), orgs)
    assert table["asset_id"].unique().tolist() == ["a"]  # b has no one within 800 m
    osm = table[table["source"] == "OpenStreetMap"]
    assert osm["partner"].tolist() == ["κέντρο κοινότητας (node/2)", "2ο Δημοτικό"]  # a kiosk is no partner; the library is 2 km off
    assert osm["distance_m"].tolist() == pytest.approx([50, 250], abs=10)
    assert table.loc[table["source"] == "open call", "partner"].tolist() == ["ΚοινΣΕπ Αγρός"]


@pytest.mark.slow
def test_the_fact_sheets_list_the_partners_near_each_site(tmp_path):
    data = demo_data()
    data["output"] = {"pdf": False}
    result = run_project(config_from_dict(data, tmp_path), tmp_path / "out")
    partners = pd.read_csv(tmp_path / "out" / "partners.csv", encoding="utf-8-sig")
    assert len(partners) and (partners["distance_m"] <= 800).all()
    first = partners["asset_id"].iloc[0]
    sheet = (tmp_path / "out" / "factsheets" / f"{first}.html").read_text(encoding="utf-8")
    assert "Partners within walking distance" in sheet and str(partners["partner"].iloc[0]) in sheet
    assert set(partners["asset_id"]) <= set(result.features["asset_id"])
