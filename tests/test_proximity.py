"""The counting and zonal kernels are exact: they equal GEOS's pair-by-pair
``dwithin`` and exactextract's coverage on real Volos and Athens data and on
the cases where bounds are easy to get wrong (points exactly at the radius,
holes, concave shapes, wide targets, empty geometries), whatever the memory
budget and the number of threads."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from pipeline.common import _proximity, settings
from pipeline.transform._raster import to_crs, zonal, zonal_exactextract
from pipeline.extract.osm import read_osm_file
from pipeline.extract.raster import RasterLayer, read_raster
from pipeline.extract.raster import RasterSource


def pairwise_count(geoms: np.ndarray, targets: np.ndarray, radius: float) -> np.ndarray:
    """The reference: every pair within ``radius`` by the tree's dwithin predicate."""
    good = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = np.zeros(len(geoms))
    a, _ = shapely.STRtree(targets).query(geoms[good], predicate="dwithin", distance=radius)
    out[good] = np.bincount(a, minlength=good.sum())
    return out


@pytest.fixture(scope="module")
def volos_layers(shared):
    layers = read_osm_file(shared / "osm" / "volos_center_2020.osm.pbf")
    return {name: getattr(layers, name).to_crs("EPSG:2100") for name in ("buildings", "landuse", "pois", "roads")}


@pytest.mark.parametrize("method", ["grid", "pairs"])
@pytest.mark.parametrize("radius", [25.0, 250.0, 500.0])
def test_count_within_equals_every_pair_on_volos(volos_layers, radius, method):
    sites = np.concatenate([volos_layers["buildings"].geometry.to_numpy(), volos_layers["landuse"].geometry.to_numpy()])
    pois = volos_layers["pois"].geometry.to_numpy()  # points and a few polygons (a school's grounds, a market)
    assert len(sites) > 200 and len(pois) > 200 and (shapely.get_type_id(pois) != 0).any()
    expected = pairwise_count(sites, pois, radius)
    assert expected.sum() > 0
    np.testing.assert_array_equal(_proximity.count_within(sites, pois, radius, method), expected)


def test_count_within_equals_every_pair_for_athens_buildings_as_targets(shared):
    layers = read_osm_file(shared / "osm" / "athens_ilisia_2025.osm.pbf")
    buildings = layers.buildings.to_crs("EPSG:2100").geometry.to_numpy()
    landuse = layers.landuse.to_crs("EPSG:2100").geometry.to_numpy()
    sites = np.concatenate([landuse, buildings[:100]])
    targets = np.concatenate([buildings, landuse])
    # polygon targets of several bins of reach (the wide ones listed by a tree are in the awkward cases)
    _, _, reach = _proximity.centres(targets)
    assert len(np.unique(np.searchsorted(_proximity.REACH_BINS, reach))) >= 3
    for radius in (10.0, 100.0):
        np.testing.assert_array_equal(_proximity.count_within(sites, targets, radius, "grid"),
                                      pairwise_count(sites, targets, radius))


def awkward_cases():
    """Sites and targets where a bound could slip: exactly at the radius, in a
    hole, in a concave notch, a multipolygon, lines, points, empty and missing."""
    square = shapely.box(0, 0, 100, 100)
    holed = shapely.box(300, 0, 500, 200).difference(shapely.box(350, 50, 450, 150))
    notch = shapely.Polygon([(0, 300), (200, 300), (200, 500), (150, 500), (150, 350), (50, 350), (50, 500), (0, 500)])
    multi = shapely.MultiPolygon([shapely.box(600, 0, 620, 20), shapely.box(700, 100, 720, 120)])
    sites = np.array([square, holed, notch, multi, shapely.LineString([(0, 700), (300, 700)]), shapely.Point(900, 900),
                      shapely.Polygon(), None], dtype=object)
    r = 50.0
    targets = [
        shapely.Point(150, 50), shapely.Point(150.000001, 50), shapely.Point(149.999999, 50),  # at the radius of an edge
        shapely.Point(100 + r / np.sqrt(2), 100 + r / np.sqrt(2)),  # at the radius of a corner, rounded
        shapely.Point(400, 100),  # the middle of a hole, 50 m from its edges
        shapely.Point(400, 99.0), shapely.Point(100, 420), shapely.Point(100, 480),  # in the notch
        shapely.Point(660, 60), shapely.Point(610, 70), shapely.Point(150, 700), shapely.Point(900, 950),
        shapely.box(160, 160, 170, 170), shapely.Point(3000, 3000).buffer(2500),  # small and wide targets
        shapely.LineString([(0, -60), (100, -60)]),
    ]
    rng = np.random.default_rng(7)
    scatter = shapely.points(rng.uniform(-100, 1000, 3000), rng.uniform(-100, 1000, 3000))
    return sites, np.concatenate([np.array(targets, dtype=object), scatter]), r


def test_count_within_awkward_cases():
    sites, targets, r = awkward_cases()
    got = _proximity.count_within(sites, targets, r, "grid")
    np.testing.assert_array_equal(got, pairwise_count(sites, targets, r))
    np.testing.assert_array_equal(_proximity.count_within(sites, targets, r, "pairs"), got)
    assert got[-2:].tolist() == [0, 0], "empty and missing sites count nothing"
    only = _proximity.count_within(sites[:1], np.array([shapely.Point(150, 50), shapely.Point(150.000001, 50)]), r, "grid")
    assert only.tolist() == [1]


def test_count_within_is_the_same_on_any_budget_and_threads(volos_layers, monkeypatch):
    sites = volos_layers["landuse"].geometry.to_numpy()
    pois = volos_layers["pois"].geometry.to_numpy()
    expected = _proximity.count_within(sites, pois, 500.0, "grid")
    for budget, threads in ((0.001, 1), (0.001, 2), (64.0, 2)):
        monkeypatch.setattr(settings, "WORK_MEMORY_MB", budget)
        monkeypatch.setattr(settings, "THREADS", threads)
        assert len(_proximity.chunks(np.ones(len(sites)), _proximity.ASSET_BYTES)) > (1 if budget < 1 else 0)
        for method in ("grid", "pairs"):
            np.testing.assert_array_equal(_proximity.count_within(sites, pois, 500.0, method), expected)


def test_chunks_cover_every_item_once_within_the_budget(monkeypatch):
    monkeypatch.setattr(settings, "WORK_MEMORY_MB", 1.0)
    monkeypatch.setattr(settings, "THREADS", 2)
    weights = np.random.default_rng(1).integers(1, 5000, 400)
    bounds = _proximity.chunks(weights, 100.0)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(weights)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    share = 2**20 / 2
    assert all(weights[s:e].sum() * 100.0 <= share or e - s == 1 for s, e in bounds)


def test_criteria_running_side_by_side_share_the_working_memory(monkeypatch):
    """Two criteria computed together each cut their chunks to half of
    ``WORK_MEMORY_MB`` while both run (a barrier holds them together), and
    a criterion alone has all of it."""
    import threading

    import geopandas as gpd
    import pandas as pd

    from pipeline.features import REGISTRY, Criterion, compute_features
    from pipeline.transform import Context

    monkeypatch.setattr(settings, "WORK_MEMORY_MB", 64.0)
    monkeypatch.setattr(settings, "THREADS", 2)
    both_running, seen = threading.Barrier(2, timeout=10), {}

    def recording(name):
        def func(assets, context):
            both_running.wait()
            seen[name] = _proximity.budget_bytes()
            both_running.wait()  # neither ends before the other has looked
            return pd.Series(1.0, index=assets.index)
        return func

    for name in ("test_a", "test_b"):
        monkeypatch.setitem(REGISTRY, name, Criterion(name, "-", name, name, "number", recording(name)))
    assets = gpd.GeoDataFrame({"asset_id": ["x"], "kind": ["land"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=2100)
    empty = gpd.GeoDataFrame(geometry=[], crs=2100)
    context = Context(boundary=empty, buildings=empty, landuse=empty, roads=empty, pois=empty)
    compute_features(assets, context, ["test_a", "test_b"])
    assert seen == {"test_a": 32 * 2**20, "test_b": 32 * 2**20}
    assert _proximity.budget_bytes() == 64 * 2**20


# ---------------------------------------------------------------- zonal statistics

@pytest.fixture(scope="module")
def volos_dem(shared, volos_layers):
    path = shared / "dem" / "dem_srtm3_volos_9105.tif"
    bounds = volos_layers["landuse"].to_crs("EPSG:4326").total_bounds
    layer = read_raster(RasterSource(kind="dem", path=str(path)), tuple(bounds + np.array([-0.01, -0.01, 0.01, 0.01])))
    return to_crs(layer, CRS.from_epsg(2100))


def test_zonal_mean_equals_exactextract_on_volos(volos_layers, volos_dem):
    import geopandas as gpd
    import pandas as pd

    sites = gpd.GeoDataFrame(geometry=np.concatenate([volos_layers["buildings"].geometry.to_numpy(),
                                                      volos_layers["landuse"].geometry.to_numpy()]), crs="EPSG:2100")
    ours, ref = zonal(sites, volos_dem, "mean"), zonal_exactextract(sites, volos_dem, "mean")
    assert ours.notna().all() and len(ours) > 200
    pd.testing.assert_series_equal(ours, ref, check_exact=False, atol=1e-6, rtol=0)
    # a classified copy: the class covering most of each site
    classes = RasterLayer("landcover", np.floor(volos_dem.array / 5) * 5, volos_dem.transform, volos_dem.crs, volos_dem.path)
    ours, ref = zonal(sites, classes, "majority"), zonal_exactextract(sites, classes, "majority")
    assert ours.nunique() > 3
    pd.testing.assert_series_equal(ours, ref)


def test_zonal_holes_edges_nodata_and_flipped_grids():
    import geopandas as gpd
    import pandas as pd

    values = np.arange(100, dtype="float32").reshape(10, 10)
    values[0, 0] = np.nan
    north_up = RasterLayer("dem", values, Affine(10, 0, 0, 0, -10, 100), CRS.from_epsg(2100), None)
    sites = gpd.GeoDataFrame(geometry=[
        shapely.box(0, 0, 100, 100).difference(shapely.box(25, 25, 75, 75)),  # a hole over cell boundaries
        shapely.box(-50, 95, 5, 200),  # mostly off the raster, on the NaN cell: nothing valid
        shapely.box(95, -5, 150, 5),  # one corner cell
        shapely.Polygon([(12, 12), (48, 13), (30, 47)]),  # a triangle across cells
        shapely.box(500, 500, 600, 600),  # off the raster
        shapely.Point(50, 50),  # no area
    ], crs="EPSG:2100")
    ours = zonal(sites, north_up, "mean")
    polygons = sites.iloc[:5]  # exactextract refuses points
    # exactextract keeps coverage fractions in single precision: equal to 1e-6
    pd.testing.assert_series_equal(ours.iloc[:5], zonal_exactextract(polygons, north_up, "mean"), check_exact=False,
                                   atol=1e-6, rtol=0)
    # GEOS's overlay of each cell gives the same weights to double precision
    cells = [(r, c, shapely.box(c * 10, 90 - r * 10, c * 10 + 10, 100 - r * 10)) for r in range(10) for c in range(10)]
    for i in (0, 2, 3):
        parts = [(values[r, c], shapely.area(shapely.intersection(sites.geometry.iloc[i], box))) for r, c, box in cells]
        parts = [(v, a) for v, a in parts if a > 0 and not np.isnan(v)]
        assert ours.iloc[i] == pytest.approx(sum(v * a for v, a in parts) / sum(a for _, a in parts), abs=1e-9)
    assert np.isnan(ours.iloc[1]) and np.isnan(ours.iloc[4]) and np.isnan(ours.iloc[5])
    assert ours.iloc[2] == values[9, 9]
    south_up = RasterLayer("dem", np.flipud(values), Affine(10, 0, 0, 0, 10, 0), CRS.from_epsg(2100), None)
    pd.testing.assert_series_equal(zonal(sites, south_up, "mean"), ours)
    with pytest.raises(ValueError, match="rotated"):
        zonal(sites, RasterLayer("dem", values, Affine(10, 1, 0, 0, -10, 100), CRS.from_epsg(2100), None), "mean")


def test_auto_takes_the_grid_only_where_there_are_many_pairs(monkeypatch):
    rng = np.random.default_rng(3)
    sites = shapely.buffer(shapely.points(rng.uniform(0, 5000, 300), rng.uniform(0, 5000, 300)), 20)
    calls = []
    real = _proximity._count_pairs
    monkeypatch.setattr(_proximity, "_count_pairs", lambda *a: calls.append(len(a[1])) or real(*a))
    sparse = shapely.points(rng.uniform(0, 5000, 500), rng.uniform(0, 5000, 500))  # ~15 within 500 m: 4,500 pairs
    dense = shapely.points(rng.uniform(0, 5000, 30000), rng.uniform(0, 5000, 30000))  # ~900: 270,000 pairs
    _proximity.count_within(sites, sparse, 500.0)
    got = _proximity.count_within(sites, dense, 500.0)
    assert calls == [500]
    np.testing.assert_array_equal(got, pairwise_count(sites, dense, 500.0))
    many = shapely.buffer(shapely.points(rng.uniform(0, 5000, 6000), rng.uniform(0, 5000, 6000)), 20)
    got = _proximity.count_within(many, sparse, 500.0)  # ~15 each, 90,000 pairs in all: the grid
    assert calls == [500]
    np.testing.assert_array_equal(got, pairwise_count(many, sparse, 500.0))


def every_pair_nearest(geoms: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The reference: each geometry's least GEOS distance to every target, capped."""
    d = shapely.distance(geoms[:, None], targets[None, :]).min(axis=1)
    return np.minimum(d, settings.NEAREST_SEARCH_M)


@pytest.mark.parametrize("passes", [1, 2, 3])
def test_nearest_distance_equals_every_pair_on_volos(volos_layers, passes, monkeypatch):
    """Buildings and landuse to the nearest road and to the nearest POI: the
    box passes (the nearer boxes first) and the nearest-neighbour search for
    the rest give GEOS's own minimum over all pairs, to the bit."""
    import geopandas as gpd

    from pipeline.features import _common as features

    monkeypatch.setattr(features, "NEAREST_PASSES", passes)
    sites = np.concatenate([volos_layers["buildings"].geometry.to_numpy(), volos_layers["landuse"].geometry.to_numpy()])
    assets = gpd.GeoDataFrame(geometry=sites[::3], crs="EPSG:2100")
    for layer in ("roads", "pois"):
        targets = volos_layers[layer].geometry.to_numpy()
        got = features.nearest_distance(assets, targets, layer).to_numpy()
        np.testing.assert_array_equal(got, every_pair_nearest(assets.geometry.to_numpy(), targets))
    # a target far away: the later passes and the cap
    x0, _, x1, y1 = shapely.total_bounds(sites)
    far = np.array([shapely.Point(x1 + 5000 - (x1 - x0) / 2, y1), shapely.Point(x1 + 9000, y1)])
    got = features.nearest_distance(assets, far, "far").to_numpy()
    expected = every_pair_nearest(assets.geometry.to_numpy(), far)
    np.testing.assert_array_equal(got, expected)
    assert (expected < settings.NEAREST_SEARCH_M).any() and (expected == settings.NEAREST_SEARCH_M).any()


def test_nearest_among_measures_only_what_could_be_nearer(monkeypatch):
    """Of a square's candidate lines, the one whose box is nearest is measured
    first; the lines whose box is farther than that distance are not measured."""
    from pipeline.features import _common as features

    square = np.array([shapely.box(0, 0, 10, 10)])
    lines = np.array([shapely.LineString([(12, 0), (12, 10)]),    # 2 m away, box 2 m away
                      shapely.LineString([(0, 15), (10, 15)]),    # 5 m, box 5 m: not measured
                      shapely.LineString([(-30, -30), (40, 40)])])  # crosses the square, box 0: measured first
    measured = []
    real = shapely.distance
    monkeypatch.setattr(features.shapely, "distance", lambda a, b: (measured.extend(b), real(a, b))[1])
    a_idx, t_idx = np.zeros(3, int), np.arange(3)
    gap = _proximity.box_gap(shapely.bounds(square)[a_idx], shapely.bounds(lines))
    assert features._nearest_among(square, lines, a_idx, t_idx, gap).tolist() == [0.0]
    assert [lines.tolist().index(g) for g in measured] == [2]


def test_arrow_allocates_with_the_system_malloc_after_the_entry_point(monkeypatch):
    """The entry point's choice of allocator holds for Arrow's reads, and
    giving freed memory back is safe to call at any time."""
    import pyarrow as pa

    from pipeline.common import _memory

    monkeypatch.setattr(pa, "set_memory_pool", lambda pool: monkeypatch.setattr(pa, "default_memory_pool", lambda: pool))
    _memory.use_system_allocator()
    assert pa.default_memory_pool().backend_name == "system"
    _memory.release_freed_memory()
    _memory.release_freed_memory()


def awkward_sites() -> np.ndarray:
    """Shapes where a nearest-distance search is easy to get wrong."""
    square = shapely.box(0, 0, 100, 100)
    return np.array([
        square,                                                     # a road crosses it
        square.difference(shapely.box(40, 40, 60, 60)),            # a road lies wholly in its hole
        shapely.MultiPolygon([shapely.box(300, 0, 310, 10), shapely.box(500, 500, 520, 530)]),
        shapely.Point(-50, -50), shapely.LineString([(700, 0), (700, 90)]),
        shapely.box(48, 48, 52, 52),                               # inside the hole, a road inside it
        shapely.box(90_000, 90_000, 90_010, 90_010),              # far outside the targets' grid
        shapely.Polygon(), None,
    ], dtype=object)


def test_nearest_to_points_and_lines_equals_geos_to_the_bit(volos_layers, shared):
    """The compiled segment search gives GEOS's own distance for roads, stops
    and lines on real Volos and Ilisia data and on awkward shapes: inside a
    hole, wholly inside, multi-part, points, lines, far away, empty."""
    from pipeline.common import _segments

    ilisia = read_osm_file(shared / "osm" / "athens_ilisia_2025.osm.pbf")
    for layers in (volos_layers, {n: getattr(ilisia, n).to_crs("EPSG:2100") for n in ("buildings", "landuse", "pois", "roads")}):
        sites = np.concatenate([layers[n].geometry.to_numpy() for n in ("buildings", "landuse", "pois")])
        pois = layers["pois"].geometry.to_numpy()
        for targets in (layers["roads"].geometry.to_numpy(), pois[shapely.get_type_id(pois) == 0],
                        shapely.boundary(layers["landuse"].geometry.to_numpy())):
            assert _segments.handles(targets)
            got = np.minimum(_segments.nearest(sites, targets, settings.NEAREST_SEARCH_M), settings.NEAREST_SEARCH_M)
            np.testing.assert_array_equal(got, every_pair_nearest(sites, targets))
    assert not _segments.handles(layers["pois"].geometry.to_numpy())  # polygons among them: left to GEOS
    sites = awkward_sites()
    roads = np.array([shapely.LineString([(-20, 50), (120, 50)]), shapely.LineString([(45, 50), (55, 50)]),
                      shapely.MultiLineString([[(305, 20), (305, 40)], [(600, 600), (600, 600.5)]]),
                      shapely.Point(-60, -50), shapely.LineString([(50, 49), (50, 51)])], dtype=object)
    got = _segments.nearest(sites, roads, settings.NEAREST_SEARCH_M)
    live = ~(shapely.is_missing(sites) | shapely.is_empty(sites))
    expected = shapely.distance(sites[live][:, None], roads[None, :]).min(axis=1)
    np.testing.assert_array_equal(got[live], np.where(expected <= settings.NEAREST_SEARCH_M, expected, np.inf))
    assert got[1] == 0.0 and got[5] == 0.0 and np.isinf(got[~live]).all()
    # a road wholly in the hole is 5 m from the polygon: inside the hole is outside the polygon
    alone = _segments.nearest(sites[1:2], roads[1:2], settings.NEAREST_SEARCH_M)
    assert alone[0] == shapely.distance(sites[1], roads[1]) == 5.0


def test_covered_area_equals_geos_intersections(volos_layers, shared, monkeypatch):
    """Clipped by the kernel (a convex ring on either side), prepared (a
    crowded neighbourhood) or clipped to the cover's triangles (two concave
    shapes): the covered area equals the sum of GEOS's intersections, holes
    and multipolygons included."""
    from pipeline.features import covered_area
    from pipeline.features import _common

    def reference(areas, cover):
        a, c = shapely.STRtree(cover).query(areas, predicate="intersects")
        out = np.zeros(len(areas))
        np.add.at(out, a, shapely.area(shapely.intersection(areas[a], cover[c])))
        return out

    used = {"prepared": 0, "clipped": 0, "triangulated": 0}
    for way in used:
        real = getattr(_common, f"_{way}_overlap")
        monkeypatch.setattr(_common, f"_{way}_overlap",
                            lambda *a, way=way, real=real: (used.__setitem__(way, used[way] + len(a[-1])), real(*a))[1])
    ilisia = read_osm_file(shared / "osm" / "athens_ilisia_2025.osm.pbf")
    for layers in (volos_layers, {n: getattr(ilisia, n).to_crs("EPSG:2100") for n in ("buildings", "landuse")}):
        b = layers["buildings"].geometry.to_numpy()
        boxes = shapely.box(*shapely.bounds(b[::7]).T)
        holed = shapely.difference(shapely.buffer(b[::9], 30.0), shapely.buffer(b[::9], 5.0))
        for areas in (layers["landuse"].geometry.to_numpy(), b, boxes, holed, shapely.buffer(b[::5], 100.0)):
            got, expected = covered_area(areas, b), reference(areas, b)
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-6)
            assert (got[expected == 0] == 0).all()  # touching is no overlap (a Volos plot and a building)
        np.testing.assert_allclose(covered_area(b, holed), reference(b, holed), rtol=1e-9, atol=1e-6)
    assert used["prepared"] > 1000 and used["clipped"] > 1000 and used["triangulated"] > 1000  # every way was taken
    multi = np.array([shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)]),
                      shapely.Polygon([(0, 0), (30, 0), (30, 30), (15, 5), (0, 30)])], dtype=object)
    np.testing.assert_allclose(covered_area(multi, multi[::-1]), reference(multi, multi[::-1]), rtol=1e-12)


@pytest.mark.parametrize("radius, settled", [(250.0, 0.5), (40.0, 0.1)])
def test_grown_areas_settle_most_pairs_by_bounds_and_equal_geos(volos_layers, shared, radius, settled):
    """Neighbourhoods (real plots and buildings of Volos and Ilisia, concave
    ones included, grown as built_share grows them): the pairs the bounds
    settle are truly inside (GEOS ``covers``) or outside (no ``intersects``),
    they are most pairs at built_share's 250 m (fewer at 40 m, where a building's
    circle is large beside the ring), and the covered area equals GEOS's intersections."""
    from pipeline.features import covered_area
    from pipeline.features._common import _settled_by_reach
    from pipeline.features.built import QUAD_SEGS, _grown_bounds

    ilisia = read_osm_file(shared / "osm" / "athens_ilisia_2025.osm.pbf")
    for layers in (volos_layers, {n: getattr(ilisia, n).to_crs("EPSG:2100") for n in ("buildings", "landuse")}):
        b = layers["buildings"].geometry.to_numpy()
        g = np.concatenate([layers["landuse"].geometry.to_numpy(), b[::3]])
        hood = shapely.buffer(g, radius, quad_segs=QUAD_SEGS)
        a, c = shapely.STRtree(b).query(hood)
        inside, outside = _settled_by_reach(g, *_grown_bounds(radius), a, b[c])
        assert shapely.covers(hood[a[inside]], b[c[inside]]).all()
        assert not shapely.intersects(hood[a[outside]], b[c[outside]]).any()
        assert (inside | outside).mean() > settled
        reference = np.zeros(len(g))
        np.add.at(reference, a, shapely.area(shapely.intersection(hood[a], b[c])))
        np.testing.assert_allclose(covered_area(hood, b, grown=(g, *_grown_bounds(radius))), reference,
                                   rtol=1e-9, atol=1e-6)


def test_path_areas_equal_geos_areas(volos_layers):
    from pipeline.common import _segments
    from pipeline.features._common import _path_areas

    b = volos_layers["buildings"].geometry.to_numpy()
    holed = shapely.difference(shapely.buffer(b[::9], 30.0), shapely.buffer(b[::9], 5.0))  # rings with holes
    apart = shapely.union(b[:10], b[-10:])  # multipolygons
    g = np.concatenate([b, volos_layers["landuse"].geometry.to_numpy(), holed, apart,
                        volos_layers["roads"].geometry.to_numpy()[:50], np.array([shapely.Polygon()], dtype=object)])
    assert (shapely.get_num_interior_rings(holed) > 0).any() and (shapely.get_type_id(apart) == 6).any()
    np.testing.assert_allclose(_path_areas(_segments.paths(g)), shapely.area(g), rtol=1e-12, atol=1e-9)


def test_covered_area_never_prepares_the_callers_geometries(monkeypatch):
    """Criteria run side by side on the same assets: preparing (and then
    unpreparing) the caller's own geometry objects in one thread while another
    tests them crashed GEOS, so only copies the call owns are prepared."""
    from pipeline.features import covered_area

    x, y = np.meshgrid(np.arange(10) * 20.0, np.arange(10) * 20.0)
    b = shapely.box(x.ravel(), y.ravel(), x.ravel() + 10, y.ravel() + 10)
    areas = np.array([shapely.box(-5, -5, 195, 195), shapely.box(50, 50, 300, 300)])  # 100 and 42 candidates: crowded
    prepared = []
    real = shapely.prepare
    monkeypatch.setattr(shapely, "prepare", lambda g, **kw: (prepared.extend(np.atleast_1d(g)), real(g, **kw))[1])
    covered_area(areas, b)
    assert prepared
    assert not {id(g) for g in prepared} & {id(g) for g in areas}
    assert not shapely.is_prepared(areas).any()
