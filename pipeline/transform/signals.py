"""What OpenStreetMap's tags say of each feature, judged by the evidence
table in force (``evidence.yaml`` and the project's overrides): signals that
a site is idle, works under way, railway corridors, and land in active use.
The extract stage reads features unchanged; this is the inventory's first
judgement of them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ..common import evidence, settings


def idle_evidence(tags: pd.Series, table: evidence.Rules | None = None) -> pd.Series:
    """The tags by which the evidence table (``evidence.yaml``) judges each
    feature, ``"k=v; k=v"``, or ``""`` when it has none: idle signals of any
    strength, signs of active works, and railway corridors.

    Parameters
    ----------
    tags : Series of dict
        OSM tags per feature.
    table : Rules, optional
        The evidence table in force (default: the package's).
    """
    table = table or evidence.rules()

    def signals(t: dict) -> str:
        strength, hits = table.osm_match(t)
        if strength == "not_idle":
            hits = [f"{k}={v}" for k, v in t.items() if table.osm_match({k: v})[0] == "not_idle"]
        corridor = table.corridor(t)
        return "; ".join(sorted(set(hits) | ({corridor} if corridor else set())))

    return pd.Series([signals(t) for t in tags], index=tags.index, dtype=object)


def _active(tags: pd.Series, table: evidence.Rules) -> np.ndarray:
    return np.fromiter((bool(table.active_use(t)) for t in tags), bool, len(tags))




def osm_signals(features: gpd.GeoDataFrame, table: evidence.Rules | None = None
                ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The features with an idle signal (of any strength, or works, or a
    corridor: :func:`idle_evidence`), and the polygons of land in active use
    (parks, schools, cemeteries, works)."""
    table = table or evidence.rules()
    tags = features["tags"]
    polygon = features.geom_type.isin(settings.POLYGONAL).to_numpy()
    idle = (idle_evidence(tags, table) != "").to_numpy()
    active = polygon & _active(tags, table)
    return features[idle].reset_index(drop=True), features[active].reset_index(drop=True)
