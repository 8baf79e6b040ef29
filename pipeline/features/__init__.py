"""Stage 3, features: the criteria library.

Each criterion is a pure, vectorised function ``f(assets, context) -> Series``
on the assets' index, registered by name with its unit and labels so that use
profiles refer to it. No I/O happens here. Distances use shapely's STRtree;
no criterion loops over geometries in Python.

One module per family of criteria (``shape``, ``access``, ``built``,
``survey``, ``solar``, ``rasters``, ``zones``), registered in that order;
the registry and its decorator in ``_registry``, shared helpers in
``_common``; this module runs the stage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import pandas as pd

from ..common import _proximity, contracts
from ..transform import Context
from ._common import NEAREST_PASSES, NEAREST_ROUNDS, covered_area, nearest_distance
from ._registry import (CONTEXT_LAYERS, REGISTRY, SELF_LAYERS, Criterion, CriterionFn, criteria_markdown, criterion,
                        layer_halos, registry_fingerprint, widest_reach)
# the families, in the order their criteria are registered (the order of the features' columns)
from .shape import area, compactness
from .access import (RESIDENTIAL_BUILDINGS, residential_distance, road_distance, school_distance, services_nearby,
                     transit_distance)
from .built import built_share, floor_area, footprint_share, landuse_class, roof_area
from .survey import condition, occupancy
from .solar import solar_yield
from .rasters import elevation, irradiance, landcover, slope
from .zones import flood_share, protected_share

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- stage

def compute_features(inventory: gpd.GeoDataFrame, context: Context,
                     names: Iterable[str] | None = None, timings: dict | None = None) -> gpd.GeoDataFrame:
    """Add one column per criterion to the inventory.

    Parameters
    ----------
    inventory : GeoDataFrame
        Output of the transform stage (project CRS).
    context : Context
        Context layers in the same CRS.
    names : iterable of str, optional
        Criteria to compute; default every registered criterion whose raster
        (if it needs one) the project has.
    timings : dict, optional
        Filled with each criterion's wall and CPU seconds (``{name: (wall, cpu)}``;
        CPU is the process's, every thread of the pool included). The
        criteria run side by side on the threads, so their seconds overlap.
    """
    names = list(dict.fromkeys(names)) if names is not None else available_criteria(context.sources())
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise KeyError(f"unknown criteria {unknown}; known: {sorted(REGISTRY)}")
    def one(name: str) -> pd.Series:
        wall, cpu = time.perf_counter(), time.process_time()
        with _proximity.sharing_the_budget():
            value = REGISTRY[name].func(inventory, context).reindex(inventory.index)
        if timings is not None:
            timings[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return value

    together = _proximity.threads()
    if together > 1 and len(names) > 1:
        # each criterion's serial parts (extracting coordinates, building its index) overlap
        # another's compiled loops; the values do not depend on it, and the criteria running
        # share the working memory budget (_proximity.sharing_the_budget)
        with ThreadPoolExecutor(max_workers=together) as pool:
            started = {name: pool.submit(one, name) for name in longest_first(names, context)}
            computed = [started[name].result() for name in names]
    else:
        computed = [one(name) for name in names]
    added = pd.DataFrame({f"c_{name}": value for name, value in zip(names, computed)}, index=inventory.index)
    return gpd.GeoDataFrame(pd.concat([inventory, added], axis=1), geometry=inventory.geometry.name, crs=inventory.crs)


def longest_first(names: Iterable[str], context: Context) -> list[str]:
    """The criteria in the order they start on the pool: those reading the
    most rows of context layers first (their ``reads``; one that does not
    declare them reads every layer), ties in the given order.

    Longest first: a criterion's work grows with the rows it reads, and the
    one that starts last should be short, so that no core waits while a long
    one finishes alone. It matters most for a criterion that begins with a
    serial part (building an index over a whole layer, as ``footprint_share``
    does over the buildings): started first, that part overlaps the others'
    chunks. On the sparse benchmark at 1M (footprint_share, road_distance_m and
    services_nearby on two threads) both cores then stay busy to the end of
    the features, where in registration order one worked alone for their last
    second; the features took 2.03-2.35 s against 2.17-2.70 s in one
    alternation of three runs each, within this machine's noise in another."""
    def rows(name: str) -> int:
        reads = REGISTRY[name].reads
        layers = [getattr(context, layer) for layer in (CONTEXT_LAYERS if reads is None else reads)]
        return sum(len(layer) for layer in layers if layer is not None)

    return sorted(names, key=rows, reverse=True)


def available_criteria(sources) -> list[str]:
    """Registered criteria computable with these optional sources (raster
    kinds, ``dem`` giving slope too, and ``zone:<kind>``)."""
    return [n for n, c in REGISTRY.items() if c.needs is None or c.needs in sources]


def features_contract(names: Iterable[str]) -> contracts.Contract:
    """The inventory contract plus one ``c_<criterion>`` column per criterion."""
    cols = tuple(
        contracts.Column(f"c_{n}", "str" if REGISTRY[n].kind == "category" else "float", nullable=True)
        for n in names
    )
    base = contracts.INVENTORY
    return contracts.Contract("features", base.columns + cols, base.unique, base.geometry_types, base.metric_crs)


__all__ = ["CONTEXT_LAYERS", "NEAREST_PASSES", "NEAREST_ROUNDS", "REGISTRY", "RESIDENTIAL_BUILDINGS", "SELF_LAYERS",
           "Criterion", "CriterionFn", "area", "available_criteria", "built_share", "compactness", "compute_features",
           "condition", "covered_area", "criteria_markdown", "criterion", "elevation", "features_contract",
           "flood_share", "floor_area", "footprint_share", "irradiance", "landcover", "landuse_class", "layer_halos",
           "longest_first", "nearest_distance", "occupancy", "protected_share", "registry_fingerprint", "residential_distance",
           "road_distance", "roof_area", "school_distance", "services_nearby", "slope", "solar_yield",
           "transit_distance", "widest_reach"]
