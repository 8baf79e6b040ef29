"""Stage 1, extract: read every source named in the config, unchanged.

Each source is read by its own module and described once in the source
registry (:mod:`.registry`); :func:`extract` reads every configured source in
the registry's order and, if any fail, raises one
:class:`~pipeline.errors.InputError` listing the problems of every source, so
a user fixes all of them in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from .. import contracts, settings
from ..config import ProjectConfig
from ..errors import InputError
from .boundary import read_boundary
from .osm import LAYERS, OsmLayers, context_bbox, read_osm
from .raster import RasterLayer, read_raster
from .register import read_register
from .registry import SOURCES, Reading, Source, register_source
from .survey import read_survey
from .zones import read_zone

__all__ = ["RasterLayer", "RawSources", "Reading", "Source", "check_raw", "extract", "read_boundary", "read_osm", "read_raster",
           "read_register", "read_survey", "read_zone", "register_source"]

#: Sources whose data has a field of its own in :class:`RawSources`; what
#: other (registered) sources read is kept in ``RawSources.extra`` by name.
_FIELDS = ("boundary", "osm", "register", "survey", "rasters", "parcels", "organisations", "zones")


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
    #: what sources registered by other packages read, by source name
    extra: dict[str, Any] = field(default_factory=dict)
    #: rows for the inputs report about what reading repaired or left out
    notes: list[dict] = field(default_factory=list)


def _read_source(source: Source, config: ProjectConfig, reading: Reading, problems: list[str]) -> Any:
    """What ``source`` reads (a dict by key for a list section), gathering
    its problems into ``problems``; None when it is not configured or failed."""
    def attempt(spec):
        try:
            return source.read(spec, reading)
        except InputError as exc:
            problems.extend(f"{exc.title}: {p}" for p in exc.problems)
            return None

    items = source.items(config)
    if source.key is None:
        return attempt(items[0]) if items else None
    by_key: dict[str, list] = {}
    for spec in items:
        data = attempt(spec)
        if data is not None:
            by_key.setdefault(source.key(spec), []).append(data)
    merge = source.merge or (lambda parts: parts[0])
    return {k: merge(parts) for k, parts in by_key.items()}


def extract(config: ProjectConfig, uses: list[str] | None = None) -> RawSources:
    """Read every configured source of a project: first those that need no
    area (the boundary and the tables), then, within the boundary's box, the
    others. ``uses`` are the names of the project's use profiles, which the
    organisations' uses are checked against (the runner passes them; the
    profiles are not read here).

    Raises
    ------
    InputError
        Gathering the problems of every source that could not be read.
    """
    problems: list[str] = []
    reading = Reading(config, uses)
    data: dict[str, Any] = {}
    for source in [s for s in SOURCES.values() if not s.needs_area]:
        data[source.name] = _read_source(source, config, reading, problems)
        if source.name == "boundary" and data["boundary"] is not None:
            reading.boundary, reading.bbox = data["boundary"], context_bbox(data["boundary"])
    if reading.boundary is not None:
        for source in [s for s in SOURCES.values() if s.needs_area]:
            data[source.name] = _read_source(source, config, reading, problems)
    if problems:
        raise InputError(f"project {config.project.name}", problems)
    raw = RawSources(**{k: v for k, v in data.items() if k in _FIELDS and v is not None},
                     extra={k: v for k, v in data.items() if k not in _FIELDS and v is not None},
                     notes=reading.notes)
    return raw


def check_raw(raw: RawSources) -> None:
    """The extract stage's contract: the OSM layers, the register and the survey."""
    for name in LAYERS:
        contracts.check(getattr(raw.osm, name), contracts.OSM_LAYER, settings.WGS84)
    if raw.register is not None:
        contracts.check(raw.register, contracts.REGISTER)
    if raw.survey is not None:
        contracts.check(raw.survey, contracts.SURVEY, settings.WGS84)
