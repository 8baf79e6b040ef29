"""Stage 1, extract: read every source named in the config, unchanged.

Each source is read by its own module; :func:`extract` reads them all and, if
any fail, raises one :class:`~pipeline.errors.InputError` listing the problems
of every source, so a user fixes all of them in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely

from .. import contracts, evidence, settings
from ..config import OsmSource, ProjectConfig, ZoneSource
from .._text import clean_controls
from ..io import read_vector
from ._tables import control_note
from ..errors import InputError
from .boundary import read_boundary
from .organisations import read_organisations
from .osm import LAYERS, OsmLayers, clip_extract, declared_extent, read_osm_file, read_osm_overpass, resolve_osm_path
from .parcels import read_parcels
from .raster import RasterLayer, read_raster
from .register import read_register
from .survey import read_survey

__all__ = ["RasterLayer", "RawSources", "extract", "read_boundary", "read_osm", "read_raster", "read_register",
           "read_survey"]


@dataclass
class RawSources:
    """Everything read from the inputs, in the sources' own CRSs."""

    boundary: gpd.GeoDataFrame
    osm: OsmLayers
    register: gpd.GeoDataFrame | None = None
    survey: gpd.GeoDataFrame | None = None
    rasters: dict[str, RasterLayer] = field(default_factory=dict)
    parcels: gpd.GeoDataFrame | None = None
    organisations: gpd.GeoDataFrame | None = None
    zones: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    #: rows for the inputs report about what reading repaired or left out
    notes: list[dict] = field(default_factory=list)


def _clean_layer(gdf: gpd.GeoDataFrame | None, source: str, label: str, notes: list[dict]) -> gpd.GeoDataFrame | None:
    """``gdf`` without control characters in its text (OSM tags included), noted for the report."""
    if gdf is None or gdf.empty:
        return gdf
    cleaned, touched = clean_controls(gdf)
    if len(touched):
        where = [str(v) for v in cleaned[label].to_numpy()[touched]] if label in cleaned else [f"feature {i + 1}" for i in touched]
        notes.append(control_note(source, where))
    return cleaned


def context_bbox(boundary: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Lon/lat box of the boundary grown by ``CONTEXT_BUFFER_M``."""
    metric = boundary.to_crs(boundary.estimate_utm_crs())
    grown = metric.buffer(settings.CONTEXT_BUFFER_M).to_crs(settings.WGS84)
    return tuple(float(v) for v in grown.total_bounds)


def read_zone(src: ZoneSource) -> gpd.GeoDataFrame:
    """A zone layer (flood-prone or protected areas) as read, with its CRS."""
    what = f"{src.kind} zones {src.path}"
    gdf = read_vector(src.path, what, layer=src.layer)
    if gdf.crs is None:
        if src.crs is None:
            raise InputError(what, ["the file has no CRS; set 'crs' for it in the config"])
        gdf = gdf.set_crs(src.crs)
    return gdf[["geometry"]]


def read_osm(src: OsmSource, boundary: gpd.GeoDataFrame, table: evidence.Rules | None = None) -> OsmLayers:
    """The OSM layers around ``boundary`` from the source's door: Overpass, or
    a local file (first cut to the area with pyosmium when large)."""
    bbox = context_bbox(boundary)
    if src.overpass:
        area = shapely.box(*bbox)
        return read_osm_overpass(area, src.cache(), src.overpass_url, table)
    path = resolve_osm_path(src.path)
    big = path.exists() and path.stat().st_size > settings.OSM_CLIP_ABOVE_BYTES
    declared = declared_extent(path) if path.exists() else None
    if src.clip == "always" or (src.clip == "auto" and big):
        try:
            path = clip_extract(path, bbox, src.cache())
        except RuntimeError as exc:  # pyosmium's errors on unreadable files
            raise InputError("osm source", [f"{path}: cannot be clipped ({exc})"]) from None
    layers = read_osm_file(path, bbox, table)
    layers.extent = declared if declared is not None else layers.extent  # the whole file's, not the cut's
    return layers


def extract(config: ProjectConfig, uses: list[str] | None = None) -> RawSources:
    """Read the boundary, OSM, register and survey of a project. ``uses`` are
    the names of the project's use profiles, which the organisations' uses are
    checked against (the runner passes them; the profiles are not read here).

    Raises
    ------
    InputError
        Gathering the problems of every source that could not be read.
    """
    problems: list[str] = []

    def attempt(fn, *args):
        try:
            return fn(*args)
        except InputError as exc:
            problems.extend(f"{exc.title}: {p}" for p in exc.problems)
            return None

    src = config.sources
    notes: list[dict] = []
    register = attempt(read_register, src.asset_register, notes) if src.asset_register else None
    survey = attempt(read_survey, src.survey, notes) if src.survey else None
    boundary = attempt(read_boundary, config.boundary)
    bbox = context_bbox(boundary) if boundary is not None else None
    osm = attempt(read_osm, src.osm, boundary, evidence.rules(config.inventory)) if boundary is not None else None
    if osm is not None:
        for name in LAYERS:
            setattr(osm, name, _clean_layer(getattr(osm, name), f"osm {name}", "osm_ref", notes))
    rasters = {r.kind: attempt(read_raster, r, bbox) for r in src.rasters} if bbox is not None else {}
    parcels = attempt(read_parcels, src.parcels, bbox) if src.parcels and bbox is not None else None
    parcels = _clean_layer(parcels, "parcels", "parcel_code", notes)
    zones = {}
    for zone in src.zones:
        gdf = attempt(read_zone, zone)
        if gdf is not None:
            zones[zone.kind] = pd.concat([zones[zone.kind], gdf.to_crs(zones[zone.kind].crs)]) if zone.kind in zones else gdf
    organisations = attempt(read_organisations, src.organisations, uses, notes) if src.organisations else None
    if problems:
        raise InputError(f"project {config.project.name}", problems)
    for name in LAYERS:
        contracts.check(getattr(osm, name), contracts.OSM_LAYER, settings.WGS84)
    if register is not None:
        contracts.check(register, contracts.REGISTER)
    if survey is not None:
        contracts.check(survey, contracts.SURVEY, settings.WGS84)
    return RawSources(boundary=boundary, osm=osm, register=register, survey=survey, rasters=rasters,
                      parcels=parcels, organisations=organisations, zones=zones, notes=notes)
