"""The benchmark's computations tile by tile from the workload's GeoParquet
files (:func:`pipeline.distributed.compute_features_from_files`): on the Dask
engine with 1 or 2 worker processes, each worker reading its tiles, or in
this process alone within a memory budget (whole, or in tiles sized by it)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import engines
from pipeline.distributed import compute_features_from_files, connect
from pipeline.score import score


def prepare(layers: dict) -> dict:
    """The workload's one-tag text column as OSM-style tag dicts."""
    from workload import tags_from_text

    for name, layer in layers.items():
        if "tag" in layer:
            layers[name] = layer.assign(tags=tags_from_text(layer.pop("tag")))
    return layers


def paths_of(folder: Path) -> dict:
    return {name: str(folder / f"{name}.parquet") for name in ("assets", "buildings", "roads", "pois")}


def scored_frame(feats) -> tuple:
    """The comparison frame of ``feats`` scored, and the ``perf_counter`` at
    which the scores were ready (before the frame is built, as the other
    engines are timed)."""
    scored = score(feats, [engines.PROFILE], explain=False)
    ready = time.perf_counter()
    return result(feats, scored), ready


def result(feats, scored):
    return engines.result_frame(feats["asset_id"].to_numpy(), feats["c_road_distance_m"].to_numpy(),
                                feats["c_services_nearby"].to_numpy(), feats["c_footprint_share"].to_numpy(),
                                scored.scores["score"].to_numpy())


#: the issue's bound on a dense million's peak (2.5 GB), as the run's memory budget
BUDGET_MB = 2.5e9 / 2**20


def features_and_score_tiled(folder: Path, budget_mb: float = BUDGET_MB):
    """Scores of workload ``folder`` computed in this process from the files
    within a memory budget of ``budget_mb`` (read whole if the layers fit,
    otherwise tile by tile), the ``perf_counter`` at which they were ready,
    and the plan the run chose (:class:`pipeline.distributed.MemoryPlan`)."""
    from pipeline.common import settings
    from pipeline.distributed import memory_plan

    settings.MEMORY_BUDGET_MB = budget_mb
    paths = paths_of(folder)
    plan = memory_plan(paths)
    frame, ready = scored_frame(compute_features_from_files(paths, None, engines.CRITERIA, prepare=prepare))
    return frame, ready, plan


def features_and_score(folder: Path, workers: int) -> tuple:
    """Scores of workload ``folder``, the seconds the local cluster took to
    start and the ``perf_counter`` at which the scores were ready."""
    here = str(Path(__file__).resolve().parent)
    os.environ["PYTHONPATH"] = here + os.pathsep + os.environ.get("PYTHONPATH", "")  # the workers import this module
    paths = paths_of(folder)
    start = time.perf_counter()
    with connect(workers=workers) as client:
        client.wait_for_workers(workers)
        started = time.perf_counter() - start
        feats = compute_features_from_files(paths, client, engines.CRITERIA, prepare=prepare)
    frame, ready = scored_frame(feats)
    return frame, started, ready
