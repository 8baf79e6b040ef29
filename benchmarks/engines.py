"""The benchmark's computations, done four ways on the same workload:

distance to the nearest road (capped at ``NEAREST_SEARCH_M``), amenities and
stops within ``SERVICES_RADIUS_M``, the share of the asset covered by
buildings that are not themselves assets (1 for a building asset), and a weighted score of the three
(:data:`PROFILE`).

- ``ours``: the pipeline's own criteria (:mod:`pipeline.features`) and score
  stage (:mod:`pipeline.score`), reasons and all;
- ``naive``: a per-row loop, the way a notebook user first writes it
  (geopandas calls per asset);
- ``postgis``: SQL with GiST indexes (KNN ``<->`` for the nearest road);
- ``duckdb``: SQL with DuckDB's spatial extension, two ways: its best,
  distance joins written with ``ST_DWithin``, which DuckDB 1.4.4 plans as a
  ``SPATIAL_JOIN`` (:data:`DUCKDB_QUERY`); and the first one this benchmark
  used, joins on a grown box with ``ST_Intersects`` then the distance tested
  (:data:`DUCKDB_BOX_QUERY`), kept as a second row.

Each returns a frame ``asset_id, road_m, services, footprint, score`` so the
benchmark can check they agree.
"""

from __future__ import annotations

import resource

import numpy as np
import pandas as pd

from pipeline.common import settings
from pipeline.features import compute_features
from pipeline.score.profiles import Profile
from pipeline.score import score
from pipeline.transform import Context

CRITERIA = ["road_distance_m", "services_nearby", "footprint_share"]
PROFILE = Profile.model_validate({
    "name": "bench", "label": {"en": "Benchmark use", "el": "Χρήση αναφοράς"}, "applies_to": ["land", "building"],
    "criteria": [
        {"criterion": "road_distance_m", "weight": 0.4, "function": {"type": "linear", "lower": 0, "upper": 1000, "direction": "cost"}},
        {"criterion": "services_nearby", "weight": 0.3, "function": {"type": "linear", "lower": 0, "upper": 20}},
        {"criterion": "footprint_share", "weight": 0.3, "function": {"type": "linear", "lower": 0, "upper": 1, "direction": "cost"}},
    ],
})
SQL_SCORE = """100 * (0.4 * (1 - LEAST(GREATEST(road_m / 1000.0, 0), 1))
                    + 0.3 * LEAST(GREATEST(services / 20.0, 0), 1)
                    + 0.3 * (1 - LEAST(GREATEST(footprint, 0), 1)))"""


def result_frame(ids, road, services, footprint, score_) -> pd.DataFrame:
    return pd.DataFrame({"asset_id": ids, "road_m": road, "services": services, "footprint": footprint,
                         "score": score_}).sort_values("asset_id", ignore_index=True)


def ours(assets, context: Context, explain: bool = True):
    """Features then score, with the pipeline's functions; returns (frame, stage seconds)."""
    import time

    t0, cpu0 = time.perf_counter(), time.process_time()
    per_criterion: dict = {}
    feats = compute_features(assets, context, CRITERIA, timings=per_criterion)
    t1 = time.perf_counter()
    scored = score(feats, [PROFILE], explain=explain)
    t2, cpu2 = time.perf_counter(), time.process_time()
    # the peak of the features and score, before the comparison frame below (0.14 GiB at 1M) adds its own
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    s = scored.scores
    frame = result_frame(feats["asset_id"].to_numpy(), feats["c_road_distance_m"].to_numpy(),
                         feats["c_services_nearby"].to_numpy(), feats["c_footprint_share"].to_numpy(),
                         s["score"].to_numpy())
    seconds = {"features": t1 - t0, "score": t2 - t1, "cpu": cpu2 - cpu0, "peak_rss_bytes": peak}
    for name, (wall, cpu) in per_criterion.items():
        seconds[f"{name}_s"], seconds[f"{name}_cpu_s"] = wall, cpu
    return frame, seconds, feats, scored


def naive(assets, context: Context) -> pd.DataFrame:
    """Per asset: geopandas distance to every road, distance to every POI,
    intersection with every building, then the weighted sum in Python."""
    roads, pois, buildings = context.roads.geometry, context.pois.geometry, context.buildings
    asset_refs = set(assets["osm_ref"].dropna())
    rows = []
    for _, a in assets.iterrows():
        g = a.geometry
        road = min(roads.distance(g).min(), settings.NEAREST_SEARCH_M)
        services = int((pois.distance(g) <= settings.SERVICES_RADIUS_M).sum())
        if a["kind"] == "building":
            footprint = 1.0
        else:
            others = buildings[~buildings["osm_ref"].isin(asset_refs)].geometry
            footprint = min(others.intersection(g).area.sum() / g.area, 1.0)
        s = 100 * (0.4 * (1 - min(max(road / 1000, 0), 1)) + 0.3 * min(max(services / 20, 0), 1)
                   + 0.3 * (1 - min(max(footprint, 0), 1)))
        rows.append((a["asset_id"], road, services, footprint, s))
    ids, road, services, footprint, s = map(np.array, zip(*rows))
    return result_frame(ids, road, services.astype(float), footprint, s)


# ---------------------------------------------------------------- SQL engines

POSTGIS_QUERY = f"""
WITH f AS (
  SELECT a.asset_id,
         LEAST((SELECT ST_Distance(a.geom, r.geom) FROM roads r ORDER BY r.geom <-> a.geom LIMIT 1),
               {settings.NEAREST_SEARCH_M}) AS road_m,
         (SELECT count(*) FROM pois p WHERE ST_DWithin(a.geom, p.geom, {settings.SERVICES_RADIUS_M})) AS services,
         CASE WHEN a.kind = 'building' THEN 1.0 ELSE LEAST(1.0, COALESCE(
           (SELECT sum(ST_Area(ST_Intersection(a.geom, b.geom))) FROM buildings b
             WHERE ST_Intersects(a.geom, b.geom) AND NOT b.is_asset), 0) / ST_Area(a.geom)) END
           AS footprint
  FROM assets a)
SELECT asset_id, road_m, services, footprint, {SQL_SCORE} AS score FROM f
"""

def _box(d: float) -> str:
    """An asset's bounding box grown by ``d`` metres, for the box formulation
    (:data:`DUCKDB_BOX_QUERY`): a join on ``ST_Intersects`` with it, then the
    distance tested."""
    return f"ST_MakeEnvelope(ST_XMin(a.geom) - {d}, ST_YMin(a.geom) - {d}, ST_XMax(a.geom) + {d}, ST_YMax(a.geom) + {d})"


def _nearest_tier(name: str, reach: float, before: list[str]) -> str:
    """Distance to the nearest road for the assets the tiers ``before`` left,
    from the roads within a box grown by ``reach``; exact where the minimum is
    within ``reach`` (any road farther than that is outside the box), which the
    HAVING keeps; the last tier (reaching ``NEAREST_SEARCH_M``) keeps every minimum."""
    left = "assets" if not before else (
        "(SELECT * FROM assets WHERE asset_id NOT IN (" + " UNION ALL ".join(f"SELECT asset_id FROM {t}" for t in before) + "))")
    having = "" if reach >= settings.NEAREST_SEARCH_M else f" HAVING min(ST_Distance(a.geom, r.geom)) <= {reach}"
    return (f"{name} AS MATERIALIZED (\n  SELECT a.asset_id, min(ST_Distance(a.geom, r.geom)) AS d\n"
            f"  FROM {left} a JOIN roads r ON ST_Intersects({_box(reach)}, r.geom) GROUP BY a.asset_id{having})")


#: the tiers' reaches: most assets in a town have a road within 100 m, the rest within 1 km, a few farther
ROAD_TIERS = (100.0, 1000.0, settings.NEAREST_SEARCH_M)

#: what both formulations compute alike: the cover by buildings, and the criteria and score per asset
_DUCKDB_TAIL = f"""cov AS (  -- land assets only, against buildings that are not assets: both filtered before the join
  SELECT a.asset_id, sum(ST_Area(ST_Intersection(a.geom, b.geom))) AS m2
  FROM (SELECT * FROM assets WHERE kind <> 'building') a
  JOIN (SELECT * FROM buildings WHERE NOT is_asset) b ON ST_Intersects(a.geom, b.geom) GROUP BY a.asset_id),
f AS (
  SELECT a.asset_id, LEAST(COALESCE(near0.d, near1.d, near2.d, {settings.NEAREST_SEARCH_M}), {settings.NEAREST_SEARCH_M}) AS road_m,
         COALESCE(svc.n, 0) AS services,
         CASE WHEN a.kind = 'building' THEN 1.0 ELSE LEAST(1.0, COALESCE(cov.m2, 0) / ST_Area(a.geom)) END AS footprint
  FROM assets a LEFT JOIN near0 USING (asset_id) LEFT JOIN near1 USING (asset_id) LEFT JOIN near2 USING (asset_id)
  LEFT JOIN svc USING (asset_id) LEFT JOIN cov USING (asset_id))
SELECT asset_id, road_m, services, footprint, {SQL_SCORE} AS score FROM f
"""


def _nearest_within(name: str, reach: float, before: list[str]) -> str:
    """Distance to the nearest road for the assets the tiers ``before`` left,
    over the roads within ``reach`` (an ``ST_DWithin`` spatial join): exact
    for every asset with a road that near, the others left to the next tier."""
    left = "assets" if not before else (
        "(SELECT * FROM assets WHERE asset_id NOT IN (" + " UNION ALL ".join(f"SELECT asset_id FROM {t}" for t in before) + "))")
    return (f"{name} AS MATERIALIZED (\n  SELECT a.asset_id, min(ST_Distance(a.geom, r.geom)) AS d\n"
            f"  FROM {left} a JOIN roads r ON ST_DWithin(a.geom, r.geom, {reach}) GROUP BY a.asset_id)")


def _duckdb_query(nearest, services: str) -> str:
    """The query with the nearest-road tiers built by ``nearest`` and the ``svc`` table by ``services``."""
    tiers = [nearest(f"near{i}", reach, [f"near{j}" for j in range(i)]) for i, reach in enumerate(ROAD_TIERS)]
    return "WITH " + ",\n".join(tiers) + ",\n" + services + ",\n" + _DUCKDB_TAIL


#: DuckDB's first formulation here: box joins (``ST_Intersects`` with a grown box), then the distance tested
DUCKDB_BOX_QUERY = _duckdb_query(_nearest_tier, f"""svc AS (  -- conditions on both tables go in the aggregate: in WHERE they stop the spatial join
  SELECT a.asset_id, count(*) FILTER (WHERE ST_Distance(a.geom, p.geom) <= {settings.SERVICES_RADIUS_M}) AS n
  FROM assets a JOIN pois p ON ST_Intersects({_box(settings.SERVICES_RADIUS_M)}, p.geom) GROUP BY a.asset_id)""")

#: DuckDB at its best: every distance join an ``ST_DWithin`` join, which
#: DuckDB 1.4.4 plans as a SPATIAL_JOIN on the R-tree (``EXPLAIN`` shows it);
#: the nearest road in the same tiers as the box query, without its HAVING.
DUCKDB_QUERY = _duckdb_query(_nearest_within, f"""svc AS (
  SELECT a.asset_id, count(*) AS n
  FROM assets a JOIN pois p ON ST_DWithin(a.geom, p.geom, {settings.SERVICES_RADIUS_M}) GROUP BY a.asset_id)""")
#: the formulations ``duckdb_run`` knows, by name
DUCKDB_QUERIES = {"dwithin": DUCKDB_QUERY, "box": DUCKDB_BOX_QUERY}


def duckdb_spatial_path() -> str:
    """Where the PyPI package ``duckdb-ext-spatial`` put the extension (loaded
    by path: duckdb cannot download it offline)."""
    import glob
    import importlib.util

    spec = importlib.util.find_spec("duckdb_ext")
    found = glob.glob(f"{list(spec.submodule_search_locations)[0]}/extensions/*/*/spatial.duckdb_extension")
    if not found:
        raise RuntimeError("spatial.duckdb_extension not found: pip install 'duckdb-ext-spatial==1.4.4.*'")
    return found[0]


def duckdb_run(folder, threads: int = 2, query: str = "dwithin") -> tuple[pd.DataFrame, dict]:
    """Load the GeoParquet layers into DuckDB, then run the ``query``
    formulation (:data:`DUCKDB_QUERIES`) on ``threads`` threads; returns
    (frame, seconds of each, and the query's CPU seconds)."""
    import time

    import duckdb

    con = duckdb.connect()
    con.execute(f"LOAD '{duckdb_spatial_path()}'")
    con.execute(f"SET threads = {int(threads)}")
    t0 = time.perf_counter()
    for name in ("assets", "roads", "pois", "buildings"):
        cols = {"assets": "asset_id, kind, osm_ref",
                "buildings": "osm_ref IN (SELECT osm_ref FROM assets WHERE osm_ref IS NOT NULL) AS is_asset"}.get(name, "1 AS x")
        con.execute(f"CREATE TABLE {name} AS SELECT {cols}, geometry AS geom "
                    f"FROM read_parquet('{folder}/{name}.parquet')")
        con.execute(f"CREATE INDEX {name}_rtree ON {name} USING RTREE (geom)")
    t1, cpu1 = time.perf_counter(), time.process_time()
    frame = con.execute(DUCKDB_QUERIES[query]).df()
    t2, cpu2 = time.perf_counter(), time.process_time()
    con.close()
    return (result_frame(frame["asset_id"], frame["road_m"], frame["services"].astype(float), frame["footprint"],
                         frame["score"]), {"load": t1 - t0, "query": t2 - t1, "cpu": cpu2 - cpu1})
