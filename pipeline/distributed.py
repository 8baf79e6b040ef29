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

import geopandas as gpd
import numpy as np
import pandas as pd
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
    import pyarrow.parquet as pq

    meta = json.loads(pq.read_schema(path).metadata[b"geo"])
    covering = meta["columns"][meta["primary_column"]].get("covering", {}).get("bbox")
    if covering is None:
        raise ValueError(f"{path}: no bbox covering column to read tiles by (write it with write_covering_bbox=True)")
    field = {k: ds.field(*v) for k, v in covering.items()}
    meets = ((field["xmin"] <= box[2]) & (field["xmax"] >= box[0]) & (field["ymin"] <= box[3]) & (field["ymax"] >= box[1]))
    refs = ds.dataset(path).to_table(columns=["osm_ref"], filter=meets).column("osm_ref").drop_null()
    return refs.to_numpy().astype(object)


def tile_size(bounds, assets: int, memory_mb: float) -> float:
    """Side (m) of square tiles over ``bounds`` that hold about as many of
    ``assets`` (spread evenly) as ``memory_mb`` fits at
    ``settings.TILE_BYTES_PER_ASSET`` each (at least a thousand a tile)."""
    from .common import settings

    per_tile = max(memory_mb * 2**20 / settings.TILE_BYTES_PER_ASSET, 1000.0)
    x0, y0, x1, y1 = bounds
    area = max((x1 - x0) * (y1 - y0), 1.0)
    return float(math.sqrt(area * min(per_tile / max(assets, 1), 1.0))) + 1.0


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
    the other, tiles sized by ``settings.TILE_MEMORY_MB``: a million assets
    on one machine in bounded memory, each tile's criteria on the thread pool.
    """
    import pyarrow.parquet as pq

    from .common import settings

    meta = json.loads(pq.read_schema(paths["assets"]).metadata[b"geo"])
    bounds = meta["columns"][meta["primary_column"]].get("bbox")
    if bounds is None:
        bounds = gpd.read_parquet(paths["assets"], columns=["geometry"]).total_bounds
    halos = layer_halos(names)
    if tile_m is None and client is None:
        tile_m = tile_size(bounds, pq.read_metadata(paths["assets"]).num_rows, settings.TILE_MEMORY_MB)
    elif tile_m is None:  # about two tiles per worker: each tile pays for its halo and its trees
        workers = max(len(client.scheduler_info().get("workers", {})), 1)
        tile_m = max(bounds[2] - bounds[0], bounds[3] - bounds[1]) / math.ceil(math.sqrt(2 * workers))
    if client is None:
        done = []
        for i, tile in enumerate(tiles(bounds, tile_m)):
            done.append(_tile_features(tile, paths, names, halos, prepare, tuple(keep)))
            _memory.release_freed_memory()
            log.debug("tile %d: %d assets", i + 1, len(done[-1]))
    else:
        futures = [client.submit(_tile_features, t, paths, names, halos, prepare, tuple(keep), pure=False)
                   for t in tiles(bounds, tile_m)]
        done = client.gather(futures)
    parts = [p for p in done if len(p)]
    columns = list(keep) + [f"c_{n}" for n in names]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
