"""What OpenStreetMap does not say (issue 31): the Copernicus Urban Atlas as a
source, vacant plots from cadastral parcels, empty urban blocks where OSM maps
the buildings well, and the evidence OSM records but the inventory did not read
(a building's condition, past uses, a mapper's words, partly vacant buildings)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from greek_side import ascii_semicolons, english_words, greek_side_of_html
from pipeline.common.errors import InputError
from pipeline.common.evidence import rules, unrecorded
from pipeline.common.i18n import idle_evidence_text
from pipeline.extract.urban_atlas import UrbanAtlasSource, read_urban_atlas
from pipeline.transform.claims import claims_from_osm
from pipeline.transform.report import Report

ROOT = Path(__file__).resolve().parents[1]


def atlas_file(path: Path, rows: list[tuple[str, object]], schema: str = "2018") -> Path:
    """A small Urban Atlas file in the product's documented schema (EPSG:3035):
    2018: ``country, fua_name, fua_code, code_2018, class_2018, prod_date,
    identifier``; 2012: ``CODE2012, ITEM2012, IDENT`` (codes as text)."""
    names = {"13400": "Land without current use", "11100": "Continuous urban fabric (S.L. : > 80%)",
             "14100": "Green urban areas", "13300": "Construction sites", "14200": "Sports and leisure facilities"}
    codes = [c for c, _ in rows]
    if schema == "2018":
        data = {"country": "EL", "fua_name": "Volos", "fua_code": "EL007L1", "code_2018": codes,
                "class_2018": [names.get(c, "") for c in codes], "prod_date": "2020-06",
                "identifier": [f"{i}-EL007L1" for i in range(1, len(rows) + 1)]}
    else:
        data = {"CODE2012": codes, "ITEM2012": [names.get(c, "") for c in codes],
                "IDENT": [str(i) for i in range(1, len(rows) + 1)]}
    gdf = gpd.GeoDataFrame(data, geometry=[g for _, g in rows], crs="EPSG:2100").to_crs(3035)
    gdf.to_file(path, driver="GPKG", layer=f"EL007L1_VOLOS_UA{schema}")
    return path


# ------------------------------------------------------------------ the Urban Atlas reader

@pytest.mark.parametrize("schema", ["2018", "2012"])
def test_the_reader_understands_both_products_field_names_and_states_the_year(tmp_path, schema):
    square = shapely.box(0, 0, 100, 100)
    path = atlas_file(tmp_path / "ua.gpkg", [("13400", shapely.affinity.translate(square, 400000, 4350000)),
                                             ("11100", shapely.affinity.translate(square, 400200, 4350000))], schema)
    spec = UrbanAtlasSource(path=path)
    ua = read_urban_atlas(spec, None)
    assert ua["ua_code"].tolist() == ["13400", "11100"]
    assert ua["ua_class"].iloc[0] == "Land without current use"
    assert set(ua["year"]) == {int(schema)}
    assert ua["ua_id"].iloc[0] == ("1-EL007L1" if schema == "2018" else "1")
    # the credit the Copernicus data policy asks, with the product's year
    assert spec.attribution.startswith(f"Urban Atlas {schema}: © European Union, Copernicus Land Monitoring Service {schema}")


def test_a_file_without_a_class_code_or_with_bad_codes_is_a_clear_error(tmp_path):
    shapes = [shapely.box(400000, 4350000, 400100, 4350100)]
    plain = tmp_path / "plain.gpkg"
    gpd.GeoDataFrame({"use": ["x"]}, geometry=shapes, crs=2100).to_file(plain)
    with pytest.raises(InputError) as err:
        read_urban_atlas(UrbanAtlasSource(path=plain, year=2018), None)
    assert str(plain) in str(err.value) and "no class code field" in str(err.value) and "use" in str(err.value)
    bad = atlas_file(tmp_path / "bad.gpkg", [("134", shapes[0])])
    with pytest.raises(InputError) as err:
        read_urban_atlas(UrbanAtlasSource(path=bad), None)
    assert "feature 1-EL007L1: code_2018 '134' is not a five-digit Urban Atlas class" in str(err.value)


# ------------------------------------------------------------------ evidence OSM records

def test_a_building_s_condition_a_past_use_and_a_mapper_s_words_are_weak_evidence():
    table = rules()
    assert table.osm_match({"building": "yes", "building:condition": "poor"}) == ("weak", ["building:condition=poor"])
    assert table.osm_match({"was:shop": "bakery"}) == ("weak", ["was:shop=bakery"])
    assert table.osm_match({"building": "yes", "end_date": "2015"}) == ("weak", ["end_date=2015"])
    assert table.osm_match({"building": "yes", "roof:shape": "none"})[0] == "weak"
    assert table.osm_match({"building": "yes", "roof:shape": "gabled"}) == (None, [])
    said = table.osm_match({"building": "yes", "note": "Εγκαταλελειμμένο; χρειάζεται αυτοψία"})
    assert said == ("weak", ["note=Εγκαταλελειμμένο, χρειάζεται αυτοψία"])  # our separators taken out
    assert table.osm_match({"description": "ΚΛΕΙΣΤΟ από το 2012"})[0] == "weak"
    # an indoor gym (κλειστό γυμναστήριο) and opening hours are not closed buildings
    assert table.osm_match({"leisure": "sports_centre", "description": "Κλειστό Γυμναστήριο Νέας Ιωνίας"}) == (None, [])
    assert table.osm_match({"shop": "bakery", "note": "κλειστό τις Κυριακές"}) == (None, [])
    # the strongest signal still wins
    assert table.osm_match({"building": "ruins", "note": "ερείπιο"})[0] == "strong"


def _osm(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"osm_ref": [r["ref"] for r in rows], "tags": [r["tags"] for r in rows],
                             "name": [r["tags"].get("name") for r in rows]},
                            geometry=[r["geometry"] for r in rows], crs=2100)


def test_a_disused_shop_among_active_ones_makes_the_building_partly_vacant_and_weak():
    block = shapely.box(0, 0, 30, 20)
    other = shapely.box(100, 0, 130, 20)
    features = _osm([
        {"ref": "way/1", "tags": {"building": "yes"}, "geometry": block},
        {"ref": "way/2", "tags": {"building": "yes"}, "geometry": other},
        {"ref": "node/10", "tags": {"disused:shop": "clothes"}, "geometry": shapely.Point(5, 5)},
        {"ref": "node/11", "tags": {"shop": "bakery"}, "geometry": shapely.Point(15, 5)},
        {"ref": "node/12", "tags": {"amenity": "cafe"}, "geometry": shapely.Point(25, 5)},
        {"ref": "node/20", "tags": {"disused:shop": "shoes"}, "geometry": shapely.Point(110, 5)},
    ])
    report = Report()
    claims = claims_from_osm(features, features.iloc[:2], None, rules(), report).set_index("key")
    assert claims.loc["way/1", "strength"] == "weak"  # two shops in use beside it
    assert claims.loc["way/1", "evidence"] == ("node/10 disused:shop=clothes; partly vacant building: 2 other points "
                                               "in use (shop=bakery, amenity=cafe)")
    assert claims.loc["way/2", "strength"] == "strong"  # nothing else in use there
    assert "κτίριο εν μέρει κενό: 2 άλλα σημεία σε χρήση" in idle_evidence_text(claims.loc["way/1", "evidence"], "el")
    rows = report.frame()
    assert rows.loc[rows["action"].str.startswith("partly vacant"), "detail"].tolist() == ["node/10 in way/1"]


def test_weak_evidence_alone_is_unrecorded_until_a_record_backs_it():
    assets = pd.DataFrame({"evidence_strength": ["weak", "weak", "medium", "weak"],
                           "sources": ["parcels", "parcels;survey", "osm", "osm;register"]})
    assert unrecorded(assets).tolist() == [True, False, False, False]


# ------------------------------------------------------------------ the whole run on Volos

@pytest.fixture(scope="module")
def volos_with_parcels(shared, tmp_path_factory):
    """Central Volos (real OSM, 2020) with synthetic cadastral parcels in its
    residential land (three empty, two built, one empty in a green urban area)
    and a synthetic Urban Atlas 2018 tile: urban fabric over the residential
    land, a 13400 polygon where OSM maps nothing, a 14100 park."""
    from pipeline.common.config import config_from_dict
    from pipeline.extract.osm import read_osm_file
    from pipeline.runner import run_project

    tmp = tmp_path_factory.mktemp("volos_parcels")
    osm = read_osm_file(shared / "osm" / "volos_center_2020.osm.pbf")
    boundary = gpd.read_file(shared / "boundaries" / "dimos_volou_9105.geojson").to_crs(2100).union_all()
    landuse = osm.landuse.to_crs(2100)
    residential = landuse[landuse["tags"].map(lambda t: t.get("landuse") == "residential")].union_all()
    others = osm.features.to_crs(2100)
    others = others[others.geom_type.isin(["Polygon", "MultiPolygon"]) &
                    ~others["tags"].map(lambda t: t.get("landuse") == "residential")]
    x0, y0, x1, y1 = shapely.bounds(residential)
    xs, ys = np.meshgrid(np.arange(x0, x1, 25.0), np.arange(y0, y1, 25.0))
    squares = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + 20, ys.ravel() + 20)
    inside = shapely.within(squares, residential) & shapely.within(squares, boundary)
    squares = squares[inside]
    tree = shapely.STRtree(others.geometry.to_numpy())
    touched = np.zeros(len(squares), bool)
    touched[np.unique(tree.query(shapely.buffer(squares, 5), predicate="intersects")[0])] = True
    empty = squares[~touched]
    built_tree = shapely.STRtree(osm.buildings.to_crs(2100).geometry.to_numpy())
    full = np.zeros(len(squares), bool)
    full[np.unique(built_tree.query(squares, predicate="contains_properly")[0])] = True
    built = squares[full]
    assert len(empty) >= 4 and len(built) >= 2
    pick = np.linspace(0, len(empty) - 1, 4).astype(int)
    parcels = [*empty[pick], *built[:2]]
    codes = [f"05112{i:07d}" for i in range(1, len(parcels) + 1)]  # 12 digits, a leading zero
    gpd.GeoDataFrame({"KAEK": codes, "owner": "Δήμος Βόλου"}, geometry=parcels, crs=2100).to_file(tmp / "parcels.gpkg")
    park = parcels[3]
    ox0, _, ox1, oy1 = osm.features.to_crs(2100).total_bounds
    far = shapely.box((ox0 + ox1) / 2 - 40, oy1 + 1500, (ox0 + ox1) / 2 + 40, oy1 + 1580)  # north of what OSM maps here
    assert far.within(boundary)
    atlas_file(tmp / "ua.gpkg", [("11100", shapely.box(x0, y0, x1, y1)), ("13400", far),
                                 ("14100", shapely.buffer(park, 5))])
    seen = gpd.GeoSeries([parcels[2].centroid], crs=2100).to_crs(4326).iloc[0]  # a surveyor found the third one vacant
    pd.DataFrame({"_id": [701], "_submission_time": ["2026-11-20T10:00:00"], "_geolocation": [f"[{seen.y}, {seen.x}]"],
                  "occupancy": ["vacant"], "condition": ["poor"], "notes": ["περιφραγμένο, χόρτα"]}).to_csv(tmp / "survey.csv",
                                                                                                   index=False)
    mid = (ox0 + ox1) / 2
    halves = [shapely.box(ox0 - 500, oy1 - 6000, mid, oy1 + 500), shapely.box(mid, oy1 - 6000, ox1 + 500, oy1 + 500)]
    gpd.GeoDataFrame({"ΟΝΟΜΑ": ["Δυτικά", "Ανατολικά"]}, geometry=halves, crs=2100).to_file(tmp / "districts.gpkg")
    data = {"project": {"name": "volos-parcels", "title": "Δήμος Βόλου"}, "crs": "EPSG:2100",
            "boundary": {"path": str(shared / "boundaries" / "dimos_volou_9105.geojson")},
            "sources": {"osm": {"path": str(shared / "osm" / "volos_center_2020.osm.pbf"), "partial": True},
                        "parcels": {"path": str(tmp / "parcels.gpkg"), "owner_field": "owner"},
                        "urban_atlas": {"path": str(tmp / "ua.gpkg")},
                        "districts": {"path": str(tmp / "districts.gpkg")},
                        "survey": {"path": str(tmp / "survey.csv"), "attach_distance_m": 5}}}
    result = run_project(config_from_dict(data, tmp, "case"), tmp / "out", cache=False)
    return result, codes, tmp / "out"


@pytest.mark.slow
def test_volos_offers_the_empty_parcels_and_the_land_without_use_to_verify_and_first_to_survey(volos_with_parcels):
    from pipeline.survey.priority import survey_priority

    result, codes, out = volos_with_parcels
    inv = result.features.set_index("asset_id")
    empty, seen = [f"cad-{c}" for c in codes[:2]], f"cad-{codes[2]}"
    park, built = f"cad-{codes[3]}", [f"cad-{c}" for c in codes[4:]]
    atlas = [a for a in inv.index if a.startswith("ua-2018-")]
    assert {*empty, seen} <= set(inv.index) and len(atlas) == 1
    assert park not in inv.index and not set(built) & set(inv.index)
    report = (out / "inputs_report.md").read_text(encoding="utf-8")
    assert f"{park} (100% covered by urban_atlas/2018-3-EL007L1 urban_atlas=14100)" in report
    for asset in [*empty, *atlas]:
        assert inv.loc[asset, "confidence"] == "to verify" and inv.loc[asset, "evidence_strength"] == "weak"
        greek = idle_evidence_text(inv.loc[asset, "idle_evidence"], "el")
        assert not english_words(greek), greek
    assert inv.loc[empty[0], "idle_evidence"].startswith("vacant plot: parcel in built-up land with no mapped building")
    assert inv.loc[empty[0], "ownership"] == "municipal"  # from the parcels' owner field
    assert inv.loc[atlas[0], "idle_evidence"] == "Urban Atlas 2018 class 13400 (Land without current use)"
    # never in the plan without a record or a survey, though municipal and eligible for a use
    scores = result.scored.scores
    assert scores.loc[scores["eligible"].astype(bool), "asset_id"].isin(empty).any()
    assert not set(result.plan["asset_id"]) & {*empty, *atlas}
    labels = {p.name: (p.label.en, p.label.el) for p in result.profiles}
    priority = survey_priority(result.features, result.scored.scores, result.scored.contributions, result.plan, labels)
    first = priority["asset_id"].iloc[:3].tolist()
    assert set(first) == {*empty, *atlas}
    # the plot a surveyor found vacant is recorded now: confirmed, municipal, and open to the plan like any other
    assert inv.loc[seen, "sources"] == "survey;parcels" and inv.loc[seen, "confidence"] == "confirmed"
    assert seen not in first
    assert priority["reason_el"].iloc[0].startswith("μόνο ασθενής ένδειξη και καμία καταγραφή")
    # the annex, the atlas and the new sites' fact sheets say it all in Greek on their Greek side
    partners = set(pd.read_csv(out / "partners.csv", dtype=str)["partner"].dropna())
    for page in [out / "annex.html", out / "atlas.html", *(out / "factsheets" / f"{a}.html" for a in [*empty, *atlas])]:
        text = greek_side_of_html(page.read_text(encoding="utf-8"))
        assert not english_words(text, partners) and not ascii_semicolons(text, partners), page.name
    # the Urban Atlas credit, with its year, on the annex and the maps
    assert "© European Union, Copernicus Land Monitoring Service 2018" in (out / "annex.html").read_text(encoding="utf-8")
    credit = "Urban Atlas 2018: \\u00a9 European Union, Copernicus Land Monitoring Service 2018"  # as the page's JSON
    assert credit in (out / "maps" / "index.html").read_text(encoding="utf-8")
    assert "empty urban blocks: not looked for (OSM maps buildings on 78% of built-up land here" in report


@pytest.mark.slow
def test_completeness_is_stated_per_district_beside_the_whole(volos_with_parcels):
    """Two districts over central Volos (west and east of the extract's middle):
    each gets its own figures, in the inputs report, the annex and every map."""
    result, _, out = volos_with_parcels
    rows = result.prepared.report.frame()
    per = rows[rows["action"].str.startswith("completeness in ")]
    assert per["action"].str.extract(r"^completeness in (\w+): buildings mapped on (\d+)% of built-up land "
                                     r"\((\d+) per km²")[[0, 1, 2]].values.tolist() == [["Δυτικά", "65", "31"],
                                                                                        ["Ανατολικά", "84", "11"]]
    assert per["action"].str.endswith("an empty map is not evidence that nothing is idle").all()
    assert "ανά διαμέρισμα, κτίρια χαρτογραφημένα: Δυτικά 65% (λίγα), Ανατολικά 84% (λίγα)" in \
        (out / "annex.html").read_text(encoding="utf-8")
    for page in (out / "maps").glob("*.html"):
        if page.name != "embed.html":
            assert "by district, buildings mapped on: Δυτικά 65% (few), Ανατολικά 84% (few)" in \
                page.read_text(encoding="utf-8"), page.name


# ------------------------------------------------------------------ empty urban blocks

def _grid_roads() -> gpd.GeoDataFrame:
    """Streets on a 100 m grid (three blocks in a row) and a driveway across the middle block."""
    lines = [shapely.LineString([(x, 0), (x, 100)]) for x in (0, 100, 200, 300)]
    lines += [shapely.LineString([(0, y), (300, y)]) for y in (0, 100)]
    lines.append(shapely.LineString([(100, 50), (200, 50)]))
    tags = [{"highway": "residential"}] * 6 + [{"highway": "service"}]
    return gpd.GeoDataFrame({"tags": tags}, geometry=lines, crs=2100)


def test_an_empty_block_is_offered_only_where_osm_maps_the_buildings_well():
    from pipeline.transform.completeness import Completeness
    from pipeline.transform.inferred import empty_block_claims

    built_up = shapely.box(-10, -10, 310, 110)
    buildings = gpd.GeoDataFrame({"tags": [{"building": "yes"}]}, geometry=[shapely.box(20, 20, 60, 60)], crs=2100)
    park = gpd.GeoDataFrame({"tags": [{"leisure": "park"}]}, geometry=[shapely.box(200, 0, 300, 100)], crs=2100)
    well = Completeness(built_share=0.97, per_km2=1500.0, built_km2=0.03, residential_km2=0.03)
    report = Report()
    claims = empty_block_claims(_grid_roads(), built_up, buildings, park, well, report)
    # the middle block is one block (its driveway runs inside it), empty; the first holds a building, the third is a park
    assert claims["key"].tolist() == ["block/150-50"]
    assert shapely.equals(claims.geometry.iloc[0], shapely.box(100, 0, 200, 100))
    assert claims["strength"].tolist() == ["weak"]
    assert claims["evidence"].iloc[0].endswith("(OSM maps buildings on 97% of built-up land here)")
    rows = report.frame()
    assert rows.loc[rows["action"].str.contains("active use"), "count"].tolist() == [1]
    few = Completeness(built_share=0.78, per_km2=23.0, built_km2=3.0, residential_km2=3.3)
    report = Report()
    assert empty_block_claims(_grid_roads(), built_up, buildings, park, few, report).empty
    assert "not looked for (OSM maps buildings on 78% of built-up land here, below 90%" in report.frame()["action"].iloc[0]


def test_a_districts_file_without_a_name_or_a_crs_is_a_clear_error(tmp_path):
    from pipeline.extract.districts import DistrictSource, read_districts

    shapes = [shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)]
    named = tmp_path / "named.gpkg"
    gpd.GeoDataFrame({"ΟΝΟΜΑ": ["Αγριά", " Νέα Ιωνία "]}, geometry=shapes, crs=2100).to_file(named)
    assert read_districts(DistrictSource(path=named))["district"].tolist() == ["Αγριά", "Νέα Ιωνία"]
    nameless = tmp_path / "nameless.gpkg"
    gpd.GeoDataFrame({"code": ["1", "2"]}, geometry=shapes, crs=2100).to_file(nameless)
    with pytest.raises(InputError) as err:
        read_districts(DistrictSource(path=nameless))
    assert str(nameless) in str(err.value) and "set sources.districts.name_field (fields: code)" in str(err.value)
    bare = tmp_path / "bare.geojson"
    bare.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "A"}, '
                    '"geometry": {"type": "Point", "coordinates": [1, 2]}}]}', encoding="utf-8")
    assert read_districts(DistrictSource(path=bare)).crs.to_epsg() == 4326  # GeoJSON is lon/lat by definition
