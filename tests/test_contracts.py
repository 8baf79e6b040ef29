import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from pipeline.common import contracts
from pipeline.common.errors import ContractError


def inventory(**override):
    data = {
        "asset_id": ["a", "b"], "name": ["x", None], "kind": ["land", "building"], "area_m2": [1.0, 2.0],
        "sources": ["osm", "osm"], "idle_evidence": ["e", "e"], "geometry_source": ["g", "g"],
        "osm_ref": ["way/1", "way/2"], "register_id": [None, None], "parcel_code": [None, None], "survey_ids": [None, None],
        "landuse": [None, None], "building": [None, "yes"], "condition": [None, None], "occupancy": [None, None],
        "evidence_strength": ["strong", "weak"], "ownership": ["municipal", "unknown"],
        "ownership_evidence": ["register: Δήμος", "no source names an owner"], "confidence": ["probable", "to verify"],
        "conflicts": [None, None], "active_use": [None, None],
    }
    data.update(override)
    geometry = data.pop("geometry", [box(0, 0, 1, 1), box(2, 2, 3, 3)])
    return gpd.GeoDataFrame(data, geometry=geometry, crs=data.pop("crs", "EPSG:2100"))


def test_valid_inventory_passes():
    gdf = inventory()
    assert contracts.check(gdf, contracts.INVENTORY, gdf.crs) is gdf


def test_every_violation_is_listed_in_one_error():
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    gdf = inventory(asset_id=["a", "a"], kind=["land", "parking"], geometry=[bowtie, box(0, 0, 1, 1)],
                    confidence=["probable", "sure"])
    gdf = gdf.drop(columns="sources")
    with pytest.raises(ContractError) as err:
        contracts.check(gdf, contracts.INVENTORY, "EPSG:2100")
    text = "\n".join(err.value.problems)
    assert "column 'sources' is missing" in text
    assert "asset_id is not unique" in text
    assert "values ['parking'] outside" in text
    assert "1 invalid geometries" in text
    assert "'confidence' has values ['sure'] outside" in text
    assert len(err.value.problems) == 5


def test_crs_is_checked():
    gdf = inventory().to_crs("EPSG:4326")
    with pytest.raises(ContractError, match="CRS is EPSG:4326, expected EPSG:2100"):
        contracts.check(gdf, contracts.INVENTORY, gdf.crs.from_user_input("EPSG:2100"))
    with pytest.raises(ContractError, match="is not metric"):
        contracts.check(gdf, contracts.INVENTORY)


def test_missing_values_in_required_columns():
    gdf = inventory(area_m2=[1.0, None])
    with pytest.raises(ContractError, match="'area_m2' has 1 missing value"):
        contracts.check(gdf, contracts.INVENTORY)


@pytest.mark.parametrize("ids, uses, dup", [
    (["a", "b", "c"], ["farm"] * 3, 0),                   # one use: only the ids can repeat
    (["a", "b", "a"], ["farm"] * 3, 2),
    (["a", "a", "b"], ["farm", "solar", "farm"], 0),      # the same asset for two uses is fine
    (["a", "a", "a"], ["farm", "solar", "farm"], 2),
    (["a", "a"], ["farm", None], 0),                      # a missing use is not the same use
    (["a", "a"], ["farm", "farm"], 2),                     # every key column constant
])
def test_key_uniqueness_whatever_columns_vary(ids, uses, dup):
    import pandas as pd

    df = pd.DataFrame({"asset_id": pd.array(ids, dtype="str"), "use": pd.array(uses, dtype="str")})
    problems = contracts._key_problems(df, contracts.Contract("scores", (), ("asset_id", "use")))
    assert (f"{dup} rows share ids" in problems[0]) if dup else problems == []
