"""The benchmark's computations on the Dask engine (:mod:`pipeline.distributed`)
with 1 or 2 worker processes, each worker reading its tiles from the
workload's GeoParquet files."""

from __future__ import annotations

import os
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


def features_and_score(folder: Path, workers: int) -> tuple:
    """Scores of workload ``folder`` and the seconds the local cluster took to start."""
    import time

    here = str(Path(__file__).resolve().parent)
    os.environ["PYTHONPATH"] = here + os.pathsep + os.environ.get("PYTHONPATH", "")  # the workers import this module
    paths = {name: str(folder / f"{name}.parquet") for name in ("assets", "buildings", "roads", "pois")}
    start = time.perf_counter()
    with connect(workers=workers) as client:
        client.wait_for_workers(workers)
        started = time.perf_counter() - start
        feats = compute_features_from_files(paths, client, engines.CRITERIA, prepare=prepare)
    scored = score(feats, [engines.PROFILE], explain=False)
    return engines.result_frame(feats["asset_id"].to_numpy(), feats["c_road_distance_m"].to_numpy(),
                                feats["c_services_nearby"].to_numpy(), feats["c_footprint_share"].to_numpy(),
                                scored.scores["score"].to_numpy()), started
