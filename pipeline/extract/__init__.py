"""Stage 1, extract: read every source named in the config, unchanged.

Each source is one module holding its config section's model and its
reader, and registers itself in the source registry (:mod:`.registry`) as a
plugin's source does. :func:`extract` reads every configured source in the
registry's order and, if any fail, raises one
:class:`~pipeline.common.errors.InputError` listing the problems of every source, so
a user fixes all of them in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from importlib import import_module
from typing import Any

import geopandas as gpd

from ..common import contracts, settings
from ..common.config import ProjectConfig
from ..common.errors import InputError
from .registry import SOURCES, Reading, Source, register_source

#: The built-in sources' modules, in the order reports list the sources (each
#: registers its source on import, as a plugin's module does).
BUILT_IN = ("osm", "boundary", "register", "survey", "reports", "organisations", "parcels", "urban_atlas", "raster",
            "zones", "districts")
for _module in BUILT_IN:
    import_module(f"{__name__}.{_module}")

from .boundary import read_boundary  # noqa: E402  (after the registrations above, which fix the order)
from .osm import LAYERS, OsmLayers, context_bbox, read_osm  # noqa: E402
from .raster import RasterLayer, read_raster  # noqa: E402
from .register import read_register  # noqa: E402
from .survey import read_survey  # noqa: E402
from .zones import read_zone  # noqa: E402

__all__ = ["BUILT_IN", "RasterLayer", "RawSources", "Reading", "Source", "check_raw", "extract", "read_boundary",
           "read_osm", "read_raster", "read_register", "read_survey", "read_zone", "register_source"]


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
    reports: gpd.GeoDataFrame | None = None
    zones: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    #: what sources registered by other packages read, by source name
    extra: dict[str, Any] = field(default_factory=dict)
    #: rows for the inputs report about what reading repaired or left out
    notes: list[dict] = field(default_factory=list)

    @classmethod
    def from_readings(cls, data: dict[str, Any], notes: list[dict]) -> "RawSources":
        """What each source read, by source name: the transform stage's own
        inputs in their fields, any other source's in ``extra``."""
        own = {f.name for f in fields(cls)} - {"extra", "notes"}
        return cls(**{k: v for k, v in data.items() if k in own and v is not None},
                   extra={k: v for k, v in data.items() if k not in own and v is not None}, notes=notes)


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
            by_key.setdefault(source.item_key(spec), []).append(data)
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
    return RawSources.from_readings(data, reading.notes)


def check_raw(raw: RawSources) -> None:
    """The extract stage's contract: the OSM layers, the register and the survey."""
    for name in LAYERS:
        contracts.check(getattr(raw.osm, name), contracts.OSM_LAYER, settings.WGS84)
    if raw.register is not None:
        contracts.check(raw.register, contracts.REGISTER)
    if raw.survey is not None:
        contracts.check(raw.survey, contracts.SURVEY, settings.WGS84)
