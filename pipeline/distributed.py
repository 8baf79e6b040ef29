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

import logging
import math
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from .features import compute_features
from .profiles import Profile
from .transform import Context

log = logging.getLogger(__name__)

HALO_M = max(settings.NEAREST_SEARCH_M, settings.SERVICES_RADIUS_M, settings.DENSITY_RADIUS_M)


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


def context_for(context: Context, bounds, halo: float = HALO_M) -> Context:
    """The part of ``context`` within ``halo`` of ``bounds`` (rasters and zones kept whole)."""
    return Context(
        boundary=context.boundary, buildings=_nearby(context.buildings, bounds, halo),
        landuse=_nearby(context.landuse, bounds, halo), roads=_nearby(context.roads, bounds, halo),
        pois=_nearby(context.pois, bounds, halo), rasters=context.rasters, parcels=context.parcels,
        zones=context.zones, solar=context.solar)


def _features_of_part(assets: gpd.GeoDataFrame, context: Context, names: list[str] | None) -> gpd.GeoDataFrame:
    return compute_features(assets, context, names)


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
    for rows in hilbert_partitions(inventory, parts):
        part = inventory.iloc[np.sort(rows)]
        futures.append(client.submit(_features_of_part, part, context_for(context, part.total_bounds), names, pure=False))
    done = client.gather(futures)
    if not done:
        return compute_features(inventory, context, names)
    out = pd.concat(done)
    return out.loc[inventory.index]


def score_distributed(features: gpd.GeoDataFrame, profiles: list[Profile], client=None, **kwargs):
    """Scores of the gathered features. Scoring is vectorised over all assets
    at once and its ranks are global, so it runs where the features were
    gathered; only the feature computation needs the partitions."""
    from .score import score

    return score(features, profiles, **kwargs)
