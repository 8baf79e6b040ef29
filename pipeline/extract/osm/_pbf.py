"""The PBF door: ``.osm.pbf`` files through pyrosm (areas pyrosm drops
through pyosmium)."""

from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from ...common import settings
from ._core import TAG_FILTER, _LAYER_KEYS, _META, _features, empty_features


def from_pyrosm(raw: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """pyrosm's result (tags as columns plus a JSON ``tags`` column) as features."""
    if raw is None or len(raw) == 0:
        return empty_features()
    raw = raw[raw.geometry.notna() & ~raw.geometry.is_empty]
    tag_cols = [c for c in raw.columns if c not in _META]
    wide = raw[tag_cols].astype(object).where(raw[tag_cols].notna(), None).to_dict("records")
    extra = raw["tags"] if "tags" in raw.columns else [None] * len(raw)

    def parse(value) -> dict:
        if isinstance(value, dict):
            return value
        try:
            return json.loads(value) if isinstance(value, str) and value else {}
        except json.JSONDecodeError:
            return {}

    tags = [{**{k: v for k, v in parse(x).items() if k not in _META},
             **{k: str(v) for k, v in w.items() if v is not None}} for w, x in zip(wide, extra)]
    return _features(raw["osm_type"].astype(str), raw["id"], tags, raw.geometry.to_numpy(), raw.crs)


def _read_pbf(path: Path, bbox) -> gpd.GeoDataFrame:
    """All relevant features of a PBF. pyrosm's dedicated readers are used
    where they exist: its generic custom-criteria reader drops some valid
    closed ways (e.g. three-corner landuse polygons) that they keep."""
    import pyrosm

    osm = pyrosm.OSM(str(path), bounding_box=list(bbox) if bbox else None, **_whole_relations(pyrosm.OSM))
    lifecycle = {k: True for k in TAG_FILTER if k not in _PYROSM_DEDICATED}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Could not find any")
        warnings.filterwarnings("ignore", category=FutureWarning)
        parts = [
            osm.get_buildings(),
            osm.get_landuse(),
            osm.get_network(network_type="all"),
            osm.get_pois(custom_filter=dict.fromkeys(settings.POI_TAGS, True)),
            osm.get_data_by_custom_criteria(custom_filter=lifecycle, filter_type="keep"),
        ]
    frames = [from_pyrosm(p) for p in parts] + [_pbf_areas(path, bbox, ("leisure",))]
    features = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else empty_features()
    return gpd.GeoDataFrame(features, crs=settings.WGS84).drop_duplicates("osm_ref").reset_index(drop=True)


_PYROSM_DEDICATED = set(_LAYER_KEYS)


def _whole_relations(reader) -> dict[str, bool]:
    """Ask pyrosm for every member of a relation that crosses the bounding
    box. Without it, pyrosm 0.25 builds the polygon from the members inside
    the box only, and closes it wrongly: a 1,339 m² multipolygon came back as
    2,432 m² (a real Volos relation retagged, tests/test_osm_sources.py).
    A pyrosm without the option is called without it (Python 3.10 gets an
    older pyrosm: 0.25 needs 3.11)."""
    return {"complete_relations": True} if "complete_relations" in inspect.signature(reader).parameters else {}


def _pbf_areas(path: Path, bbox, keys: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Areas (closed ways and multipolygon relations) carrying any of ``keys``,
    assembled by pyosmium: pyrosm's custom-criteria reader drops some closed
    ways with these keys (sports pitches, tracks) that the XML door keeps."""
    import osmium
    from shapely import wkb

    factory = osmium.geom.WKBFactory()
    types, ids, tags, geoms = [], [], [], []
    for area in osmium.FileProcessor(str(path)).with_areas():
        if not area.is_area() or not any(k in area.tags for k in keys):
            continue
        try:
            geom = wkb.loads(factory.create_multipolygon(area), hex=True)
        except RuntimeError:  # an area whose rings pyosmium cannot close
            continue
        types.append("way" if area.from_way() else "relation")
        ids.append(area.orig_id())
        tags.append({k: v for k, v in area.tags if k not in _META})  # as the other readers keep them
        geoms.append(geom.geoms[0] if len(geom.geoms) == 1 else geom)
    if not geoms:
        return empty_features()
    out = _features(types, ids, tags, geoms, settings.WGS84)
    return out[out.intersects(box(*bbox))] if bbox else out


