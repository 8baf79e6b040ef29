"""The memory a run from GeoParquet files will take, estimated from the
files' metadata, and the plan it makes from it (whole, or tiles)."""

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline.common import _memory
from pipeline.distributed import grid_tiles, memory_plan

ROOT = Path(__file__).resolve().parents[1]

#: reads one GeoParquet layer as a run does (the benchmark's prepare) and prints the RSS it added
_MEASURE = """
import gc, json, sys
sys.path.insert(0, {bench!r})
import psutil, geopandas as gpd
from dask_engine import prepare
from pipeline.common import _memory
_memory.use_system_allocator()
process = psutil.Process()
gc.collect(); _memory.release_freed_memory()
before = process.memory_info().rss
layer = prepare({{"layer": gpd.read_parquet(sys.argv[1])}})["layer"]
gc.collect(); _memory.release_freed_memory()
print(json.dumps({{"rows": len(layer), "bytes": process.memory_info().rss - before}}))
"""


def _first_tag(tags: dict) -> str:
    """The first of ``tags`` as ``key=value`` text (none with ``;`` or ``=`` inside)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from workload import tag_text

    plain = [(k, v) for k, v in tags.items() if not {";", "="} & set(k + str(v))]
    return tag_text(dict(plain[:1]))


def _real_layer(frame: gpd.GeoDataFrame, copies: int, path: Path) -> None:
    """``frame``'s real geometries and first tag as a benchmark-like
    GeoParquet layer (one tag as text) of ``copies`` copies side by side,
    each 10 km east of the last."""
    frame = frame.to_crs(2100)
    width = 10_000.0
    geoms = np.concatenate([shapely.transform(frame.geometry.to_numpy(), lambda xy, k=k: xy + [k * width, 0.0])
                            for k in range(copies)])
    n = len(geoms)
    refs = np.array([f"{r}-{k}" for k in range(copies) for r in frame["osm_ref"]], dtype=object)
    table = gpd.GeoDataFrame({"osm_ref": refs, "osm_type": np.tile(frame["osm_type"].to_numpy(), copies),
                              "osm_id": np.arange(n), "name": np.tile(frame["name"].to_numpy(), copies),
                              "tag": np.tile(np.array([_first_tag(t) for t in frame["tags"]], dtype=object), copies)},
                             geometry=geoms, crs=2100)
    table.to_parquet(path, write_covering_bbox=True, row_group_size=20_000)


@pytest.mark.slow
def test_the_estimate_of_a_layer_is_near_what_reading_it_takes(shared, tmp_path):
    """Real buildings (polygons) and amenities (mostly points) of Volos,
    copied side by side to a few hundred thousand rows: the estimate from the
    file's metadata is within a quarter of the memory reading it adds."""
    from pipeline.extract.osm import read_osm_file

    osm = read_osm_file(shared / "osm" / "volos_center_2020.osm.pbf")
    script = _MEASURE.format(bench=str(ROOT / "benchmarks"))
    for name, frame in (("buildings", osm.buildings), ("pois", osm.pois)):
        path = tmp_path / f"{name}.parquet"
        _real_layer(frame, max(300_000 // len(frame), 1), path)
        done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
        measured = json.loads(done.stdout.strip().splitlines()[-1])
        estimate = _memory.geoparquet_bytes(path)
        assert measured["rows"] >= 250_000
        assert 0.75 < estimate / measured["bytes"] < 1.33, (name, estimate, measured)


def _layers(folder: Path, assets: int) -> dict:
    """Four small layers of ``assets`` squares on a 100 m grid (and as many
    buildings, roads and points) in ``folder``."""
    side = int(np.ceil(np.sqrt(assets)))
    x, y = np.meshgrid(np.arange(side) * 100.0, np.arange(side) * 100.0)
    xy = np.column_stack([x.ravel(), y.ravel()])[:assets] + [400_000.0, 4_200_000.0]
    squares = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 20, xy[:, 1] + 20)
    layers = {"assets": squares, "buildings": squares, "roads": shapely.linestrings(
        np.stack([xy, xy + [50.0, 0.0]], axis=1)), "pois": shapely.points(xy + 60.0)}
    paths = {}
    for name, geoms in layers.items():
        frame = gpd.GeoDataFrame({"asset_id" if name == "assets" else "osm_ref": [f"{name}/{i}" for i in range(assets)]},
                                 geometry=geoms, crs=2100)
        paths[name] = str(folder / f"{name}.parquet")
        frame.to_parquet(paths[name], write_covering_bbox=True)
    return paths


def test_the_plan_reads_whole_within_the_budget_and_tiles_beyond_it(tmp_path):
    paths = _layers(tmp_path, 20_000)
    whole = memory_plan(paths, budget_mb=10_000)
    assert whole.whole and whole.whole_bytes < whole.budget_bytes
    # the estimate follows the geometries: squares cost more than points
    assert _memory.geoparquet_bytes(paths["assets"]) > _memory.geoparquet_bytes(paths["pois"])
    layers = sum(_memory.geoparquet_bytes(p) for p in paths.values())
    fixed = _memory.run_bytes(0.0, 20_000, 256 * 2**20)
    budget_mb = (fixed + 2 * 2000 * layers / 20_000) / 2**20  # room for tiles of 2,000 assets
    tiled = memory_plan(paths, budget_mb=budget_mb)
    columns, rows = tiled.grid
    assert columns * rows >= 10 and abs(columns - rows) <= 1  # a square extent: a square grid
    assert "tile by tile" in tiled.describe()


def test_a_budget_smaller_than_the_outputs_is_said(tmp_path, caplog):
    paths = _layers(tmp_path, 5_000)
    plan = memory_plan(paths, budget_mb=1.0)
    assert not plan.whole
    assert "leaves no room for tiles" in caplog.text and "5000 assets" in caplog.text


def test_grid_tiles_cover_the_extent_and_its_far_edge():
    boxes = grid_tiles((0.0, 0.0, 30.0, 20.0), 3, 2)
    assert len(boxes) == 6
    edge = shapely.points([30.0, 0.0, 15.0], [20.0, 0.0, 10.0])  # corners and a point on an inner edge
    x, y = shapely.get_x(edge), shapely.get_y(edge)
    inside = pd.DataFrame([[(b[0] <= a < b[2]) and (b[1] <= c < b[3]) for b in boxes] for a, c in zip(x, y)])
    assert (inside.sum(axis=1) == 1).all()  # each in exactly one tile, as the tiles' reads take them
