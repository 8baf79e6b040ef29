"""The benchmark's computations on the Dask engine (:mod:`pipeline.distributed`)
with 1 or 2 worker processes."""

from __future__ import annotations

import engines
from pipeline.distributed import compute_features_distributed, connect
from pipeline.score import score


def features_and_score(assets, context, workers: int):
    with connect(workers=workers) as client:
        client.wait_for_workers(workers)
        feats = compute_features_distributed(assets, context, client, engines.CRITERIA)
    scored = score(feats, [engines.PROFILE], explain=False)
    return engines.result_frame(feats["asset_id"].to_numpy(), feats["c_road_distance_m"].to_numpy(),
                                feats["c_services_nearby"].to_numpy(), feats["c_footprint_share"].to_numpy(),
                                scored.scores["score"].to_numpy())
