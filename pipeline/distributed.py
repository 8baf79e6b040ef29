"""The features and score stages on a Dask cluster, partitioned in space.

Assets are ordered along a Hilbert curve and cut into contiguous partitions
(neighbours stay together). Each partition is sent with only the context it
can need: the context features within ``halo_m`` of the partition's bounding
box, where the halo is the farthest any criterion looks (the nearest-feature
search cap, ``NEAREST_SEARCH_M``, and the neighbourhood radii). A criterion
therefore sees exactly the features it would see on one machine, and the
scores equal the single-machine engine's (``tests/test_distributed.py``).

The cluster is a ``dask.distributed.LocalCluster`` of worker processes by
default, or any running scheduler given by address (``tcp://host:8786``).
Ranks (and TOPSIS, sensitivity) are global, so they are computed after the
partitions come back, on the gathered scores.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import shapely

from .common import _memory
from .features import CONTEXT_LAYERS, SELF_LAYERS, compute_features, layer_halos, widest_reach
from .transform import Context

log = logging.getLogger(__name__)

def hilbert_partitions(assets: gpd.GeoDataFrame, parts: int) -> list[np.ndarray]:
    """Row positions of ``assets`` in ``parts`` spatially compact groups (Hilbert order)."""
    if len(assets) == 0:
        return []
    order = np.argsort(assets.geometry.hilbert_distance(level=16).to_numpy(), kind="stable")
    return [chunk for chunk in np.array_split(order, min(parts, len(assets))) if len(chunk)]


def _nearby(layer: gpd.GeoDataFrame, bounds, halo: float) -> gpd.GeoDataFrame:
    if layer is None or len(layer) == 0:
        return layer
    x0, y0, x1, y1 = bounds
    idx = layer.sindex.query(shapely.box(x0 - halo, y0 - halo, x1 + halo, y1 + halo), predicate="intersects")
    return layer.iloc[np.sort(idx)]


def context_for(context: Context, bounds, halo: float | None = None, asset_refs=None) -> Context:
    """The part of ``context`` within ``halo`` of ``bounds`` (default: the
    widest reach of any criterion; rasters, zones and the layers of
    registered sources kept whole); ``asset_refs`` are the OSM refs of every
    asset of the project."""
    halo = widest_reach() if halo is None else halo
    return Context(asset_refs=asset_refs, layers=context.layers,
        boundary=context.boundary, buildings=_nearby(context.buildings, bounds, halo),
        landuse=_nearby(context.landuse, bounds, halo), roads=_nearby(context.roads, bounds, halo),
        pois=_nearby(context.pois, bounds, halo), rasters=context.rasters, parcels=context.parcels,
        zones=context.zones, solar=context.solar)


def connect(address: str | None = None, workers: int = 2):
    """A ``dask.distributed.Client``: to the scheduler at ``address``, or to a
    new ``LocalCluster`` of ``workers`` single-threaded processes."""
    from dask.distributed import Client, LocalCluster

    if address:
        return Client(address)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster)


def compute_features_distributed(inventory: gpd.GeoDataFrame, context: Context, client, names: Iterable[str] | None = None,
                                 partitions: int | None = None) -> gpd.GeoDataFrame:
    """:func:`pipeline.features.compute_features` on the cluster behind
    ``client``, partition by partition; the result is in the inventory's order."""
    names = list(names) if names is not None else None
    workers = max(len(client.scheduler_info().get("workers", {})), 1)
    parts = partitions or max(workers * 2, math.ceil(len(inventory) / 250_000))
    futures = []
    refs = inventory["osm_ref"].dropna().to_numpy(dtype=object)
    for rows in hilbert_partitions(inventory, parts):
        part = inventory.iloc[np.sort(rows)]
        futures.append(client.submit(compute_features, part, context_for(context, part.total_bounds, asset_refs=refs),
                                     names, pure=False))
    done = client.gather(futures)
    if not done:
        return compute_features(inventory, context, names)
    out = pd.concat(done)
    return out.loc[inventory.index]


def tiles(bounds, size_m: float) -> list[tuple[float, float, float, float]]:
    """Square tiles of ``size_m`` covering ``bounds`` (xmin, ymin, xmax, ymax)."""
    x0, y0, x1, y1 = bounds
    xs = np.arange(x0, x1 + size_m, size_m)
    ys = np.arange(y0, y1 + size_m, size_m)
    return [(float(a), float(b), float(a + size_m), float(b + size_m)) for a in xs[:-1] for b in ys[:-1]] or [
        (x0, y0, x0 + size_m, y0 + size_m)]


def _tile_features(tile, paths: dict, names: list[str], halos: dict, prepare=None, keep=("asset_id", "kind")) -> pd.DataFrame:
    """Read one tile's assets (those whose box's lower-left corner lies in the
    tile, so each asset is in exactly one tile) and the context each layer's
    halo needs, compute the features there and return the columns ``keep``
    and the criteria (not the geometries: the files have them)."""
    x0, y0, x1, y1 = tile
    assets = gpd.read_parquet(paths["assets"], bbox=tile)
    if len(assets) == 0:
        return assets
    b = shapely.bounds(assets.geometry.to_numpy())
    assets = assets[(b[:, 0] >= x0) & (b[:, 0] < x1) & (b[:, 1] >= y0) & (b[:, 1] < y1)]
    if len(assets) == 0:
        return assets
    ax0, ay0, ax1, ay1 = assets.total_bounds
    layers = {}
    for layer in CONTEXT_LAYERS:
        h = halos.get(layer)
        if h is None or layer not in paths:
            layers[layer] = assets.iloc[:0][["geometry"]].assign(osm_ref=None, tags=None)
        else:
            layers[layer] = gpd.read_parquet(paths[layer], bbox=(ax0 - h, ay0 - h, ax1 + h, ay1 + h))
    if prepare is not None:
        layers = prepare(layers)
    # the assets near the tile too: context "other than the assets" leaves them all out of the layers that can hold them
    reach = max((h for layer, h in halos.items() if layer in SELF_LAYERS and h is not None), default=0.0)
    near = _refs_within(paths["assets"], (ax0 - reach, ay0 - reach, ax1 + reach, ay1 + reach))
    context = Context(boundary=assets.iloc[:0], asset_refs=near, **layers)
    feats = compute_features(assets, context, names)
    return pd.DataFrame(feats[list(keep) + [f"c_{n}" for n in names]])


def _refs_within(path, box) -> np.ndarray:
    """The ``osm_ref`` of the rows of GeoParquet ``path`` whose bbox covering
    meets ``box``, without decoding a geometry (the same rows as
    ``read_parquet(bbox=box)``, which needs the covering too)."""
    import pyarrow.dataset as ds

    meta = json.loads(pq.read_schema(path).metadata[b"geo"])
    covering = meta["columns"][meta["primary_column"]].get("covering", {}).get("bbox")
    if covering is None:
        raise ValueError(f"{path}: no bbox covering column to read tiles by (write it with write_covering_bbox=True)")
    field = {k: ds.field(*v) for k, v in covering.items()}
    meets = ((field["xmin"] <= box[2]) & (field["xmax"] >= box[0]) & (field["ymin"] <= box[3]) & (field["ymax"] >= box[1]))
    refs = ds.dataset(path).to_table(columns=["osm_ref"], filter=meets).column("osm_ref").drop_null()
    return refs.to_numpy().astype(object)


@dataclass(frozen=True)
class MemoryPlan:
    """How a run from files fits its memory budget: ``whole_bytes`` is the
    estimated peak of reading every layer at once, ``budget_bytes`` the
    budget, ``grid`` the columns and rows of tiles over the assets' extent
    (``(1, 1)``: whole, one read)."""

    whole_bytes: float
    budget_bytes: float
    grid: tuple[int, int]

    @property
    def whole(self) -> bool:
        return self.grid == (1, 1)

    def describe(self) -> str:
        way = "whole" if self.whole else f"tile by tile ({self.grid[0]} x {self.grid[1]} tiles)"
        return f"estimated {self.whole_bytes / 1e9:.2f} GB read whole, budget {self.budget_bytes / 1e9:.2f} GB: {way}"


def file_bounds(path) -> tuple[float, float, float, float]:
    """The extent of GeoParquet ``path``: its metadata's bbox, or read."""
    meta = json.loads(pq.read_schema(path).metadata[b"geo"])
    bounds = meta["columns"][meta["primary_column"]].get("bbox")
    if bounds is None:
        bounds = gpd.read_parquet(path, columns=["geometry"]).total_bounds
    return tuple(float(v) for v in bounds)  # type: ignore[return-value]


def memory_plan(paths: dict, budget_mb: float | None = None) -> MemoryPlan:
    """Whether the layers in ``paths`` fit ``budget_mb`` (default
    ``settings.MEMORY_BUDGET_MB``) read whole, and if not the tiles that do.

    A tile holds its assets, the context within its halo and its working
    memory while the features of every tile done so far wait for the score:
    tiles get half of what the budget leaves after the process, the working
    memory and every asset's outputs, at the layers' estimated bytes per asset.
    """
    from .common import settings

    budget_mb = settings.MEMORY_BUDGET_MB if budget_mb is None else budget_mb
    machine = _memory.machine_bytes()
    budget = budget_mb * 2**20 if budget_mb is not None else 0.6 * (machine or 8e9)
    assets = pq.read_metadata(paths["assets"]).num_rows
    layers = sum(_memory.geoparquet_bytes(p) for p in paths.values())
    work = settings.WORK_MEMORY_MB * 2**20
    whole = _memory.run_bytes(layers, assets, work)
    if whole <= budget:
        return MemoryPlan(whole, budget, (1, 1))
    left = (budget - _memory.run_bytes(0.0, assets, work)) / 2
    if left < 1000 * layers / max(assets, 1):
        log.warning("a memory budget of %.0f MiB leaves no room for tiles beside the outputs of %d assets "
                    "(%.0f MiB): tiles of a thousand assets, the run will peak above it",
                    budget / 2**20, assets, _memory.run_bytes(0.0, assets, work) / 2**20)
    count = math.ceil(assets / max(left / (layers / max(assets, 1)), 1000.0))
    x0, y0, x1, y1 = file_bounds(paths["assets"])
    columns = max(round(math.sqrt(count * max(x1 - x0, 1.0) / max(y1 - y0, 1.0))), 1)
    return MemoryPlan(whole, budget, (columns, math.ceil(count / columns)))


def grid_tiles(bounds, columns: int, rows: int) -> list[tuple[float, float, float, float]]:
    """``columns`` x ``rows`` equal tiles over ``bounds``, the last ones a
    metre wider so that an asset on the far edge lies in one of them."""
    x0, y0, x1, y1 = bounds
    xs, ys = np.linspace(x0, x1 + 1.0, columns + 1), np.linspace(y0, y1 + 1.0, rows + 1)
    return [(float(xs[i]), float(ys[j]), float(xs[i + 1]), float(ys[j + 1])) for i in range(columns) for j in range(rows)]


def compute_features_from_files(paths: dict, client, names: list[str], tile_m: float | None = None,
                                prepare=None, keep=("asset_id", "kind")) -> pd.DataFrame:
    """Features of every asset in the GeoParquet file ``paths["assets"]``,
    computed tile by tile, each tile reading its assets and the context it
    needs straight from the files (``paths`` names ``buildings``,
    ``landuse``, ``roads``, ``pois``; written with a bbox covering column
    and sorted in space, the reads skip most row groups). Only the columns
    ``keep`` and the criteria come back (a plain DataFrame in file order of
    the tiles; join on ``asset_id``). ``prepare`` turns the layers read into
    context layers (tags, ...).

    With a Dask ``client`` the workers behind it take the tiles (only tile
    bounds travel). With ``client=None`` this process takes them one after
    the other: read whole when the layers fit ``settings.MEMORY_BUDGET_MB``
    (estimated from the files' metadata, :func:`memory_plan`), otherwise in
    tiles sized to stay within it (a million downtown assets on one machine
    in bounded memory), each tile's criteria on the thread pool.
    """
    bounds = file_bounds(paths["assets"])
    halos = layer_halos(names)
    if tile_m is not None:
        boxes = tiles(bounds, tile_m)
    elif client is None:
        plan = memory_plan(paths)
        log.info("features from files: %s", plan.describe())
        boxes = grid_tiles(bounds, *plan.grid)
    else:  # about two tiles per worker: each tile pays for its halo and its trees
        workers = max(len(client.scheduler_info().get("workers", {})), 1)
        boxes = tiles(bounds, max(bounds[2] - bounds[0], bounds[3] - bounds[1]) / math.ceil(math.sqrt(2 * workers)))
    if client is None:
        done = []
        for i, tile in enumerate(boxes):
            done.append(_tile_features(tile, paths, names, halos, prepare, tuple(keep)))
            _memory.release_freed_memory()
            log.debug("tile %d: %d assets", i + 1, len(done[-1]))
    else:
        futures = [client.submit(_tile_features, t, paths, names, halos, prepare, tuple(keep), pure=False)
                   for t in boxes]
        done = client.gather(futures)
    parts = [p for p in done if len(p)]
    columns = list(keep) + [f"c_{n}" for n in names]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
