"""Where an extract reaches: its declared bounds (or its nodes), the share
of a boundary they cover, the project's box, references cut off at the
extract's edge, and cutting a large file to the project's box."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box

from ...common import settings
from ._core import TAG_FILTER


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


def context_bbox(boundary: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Lon/lat box of the boundary grown by ``CONTEXT_BUFFER_M``."""
    metric = boundary.to_crs(boundary.estimate_utm_crs())
    grown = metric.buffer(settings.CONTEXT_BUFFER_M).to_crs(settings.WGS84)
    w, s, e, n = (float(v) for v in grown.total_bounds)
    return w, s, e, n


