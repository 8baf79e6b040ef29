"""The source registry: every input a project can have, described once.

Each :class:`Source` says where its settings live in the config, how it is
read, which files it reads, how reports name it, what credit its data needs
and which of its columns a config may keep private. The extract stage, input
hashing (manifest and stage-cache key), the credits on every output and the
private columns all derive from :data:`SOURCES`, so adding a source is one
reader module plus one :func:`register_source` call (see ``docs/extending.md``).

A source registered by another package gives the pydantic ``model`` of its
config section, which then validates ``sources.<name>`` like a built-in one;
what it reads reaches the criteria as ``context.layers[<name>]``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .. import columns
from .._text import clean_controls
from ..config import SOURCE_SECTIONS, ProjectConfig, Sources
from ._tables import control_note
from .boundary import read_boundary
from .organisations import read_organisations
from .osm import LAYERS as OSM_LAYERS
from .osm import read_osm, resolve_osm_path
from .parcels import read_parcels
from .raster import read_raster
from .register import read_register
from .survey import read_survey
from .zones import read_zone

_SIDECARS = (".shx", ".dbf", ".prj", ".cpg")


@dataclass
class Reading:
    """What a reader may use besides its own settings: the project's config,
    the boundary and its lon/lat box once read, the use names, and the notes
    for the inputs report. (Readers read; judging what the data says is the
    transform stage's.)"""

    config: ProjectConfig
    uses: list[str] | None
    notes: list[dict] = field(default_factory=list)
    boundary: gpd.GeoDataFrame | None = None
    bbox: tuple[float, float, float, float] | None = None


def _path_files(spec: Any) -> dict[str, Path]:
    return {"": Path(spec.path)} if getattr(spec, "path", None) else {}


def _path_text(spec: Any) -> str:
    return str(spec.path)


@dataclass(frozen=True)
class Source:
    """One kind of input.

    Attributes
    ----------
    name : str
        Key of its data in :class:`~pipeline.extract.RawSources` and of its
        rows in reports (``register``; a list section's items are named
        ``<name> <key>``, e.g. ``raster dem``).
    section : str
        Where its settings are in the config: ``boundary`` or
        ``sources.<field>``. A list section holds several items.
    label : str
        How reports and errors call it (``asset register``).
    read : callable
        ``read(spec, reading) -> data`` for one configured item.
    needs_area : bool
        Read after the boundary, whose box ``reading.bbox`` then holds.
    key : callable, optional
        For a list section, the key of an item's data (a raster's kind).
    merge : callable, optional
        ``merge([data, ...]) -> data`` for items of one key (zones of one
        kind from several files); without it a key may be given once.
    title : callable, optional
        ``title(spec) -> str``: an item's name in reports (``raster dem``);
        default the source's name.
    files : callable
        ``files(spec) -> {suffix: path}``: the files an item reads, hashed
        for the manifest and the stage-cache key (a Shapefile's sidecars
        are added).
    where : callable
        ``where(spec) -> str``: where an item was read from, for reports.
    private : mapping
        Columns a config may keep private (canonical name -> inventory
        column), with ``aliases`` the other names a file may give them.
    model : pydantic model class, optional
        The config model of a source registered by another package.
    """

    name: str
    section: str
    label: str
    read: Callable[[Any, Reading], Any]
    needs_area: bool = True
    key: Callable[[Any], str] | None = None
    merge: Callable[[list], Any] | None = None
    title: Callable[[Any], str] | None = None
    files: Callable[[Any], dict[str, Path]] = _path_files
    where: Callable[[Any], str] = _path_text
    private: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    model: type | None = None

    def items(self, config: ProjectConfig) -> list[Any]:
        """The configured items of this source (none when it is not configured)."""
        head, _, attr = self.section.partition(".")
        if head != "sources":
            value = getattr(config, head)
        elif attr in type(config.sources).model_fields:
            value = getattr(config.sources, attr)
        else:
            value = config.sources.extra.get(attr)
        if value is None:
            return []
        return list(value) if isinstance(value, (list, tuple)) else [value]

    def item_name(self, spec: Any) -> str:
        return self.title(spec) if self.title else self.name

    def fingerprint(self) -> dict:
        """What identifies the source's code, for the stage-cache key."""
        fn = lambda f: f"{getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', repr(f))}"
        return {"section": self.section, "read": fn(self.read), "needs_area": self.needs_area,
                "model": fn(self.model) if self.model else None}


#: Every source, in the order reports list them (the boundary and the table
#: sources are read first, then those that need the boundary's box).
SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> Source:
    """Add ``source`` to the registry (replacing one of the same name). A
    source with a config ``model`` gets its section ``sources.<name>``."""
    head, _, attr = source.section.partition(".")
    if source.model is not None:
        if head != "sources" or not attr or attr in Sources.model_fields:
            raise ValueError(f"{source.name}: a registered source's section must be a new 'sources.<name>'")
        SOURCE_SECTIONS[attr] = source.model
    if source.private:  # the config's 'private:' lists are checked against these
        columns.PRIVATE_CAPABLE[source.name] = dict(source.private)
        columns.ALIASES[source.name] = dict(source.aliases)
    SOURCES[source.name] = source
    return source


def unregister_source(name: str) -> None:
    """Remove a source added by :func:`register_source` (tests, plugins unloading)."""
    source = SOURCES.pop(name)
    if source.model is not None:
        SOURCE_SECTIONS.pop(source.section.partition(".")[2], None)
    if source.private:
        columns.PRIVATE_CAPABLE.pop(name, None)
        columns.ALIASES.pop(name, None)


def configured(config: ProjectConfig) -> Iterator[tuple[Source, Any]]:
    """Every configured item of every source, in registry order."""
    for source in SOURCES.values():
        for spec in source.items(config):
            yield source, spec


# ---------------------------------------------------------------- facts derived from the registry

def input_files(config: ProjectConfig) -> dict[str, Path]:
    """Every input file of the project by source name (a Shapefile with its
    sidecar files, the extra profile files too)."""
    files: dict[str, Path] = {}
    counts: dict[str, int] = {}
    for source, spec in configured(config):
        name = source.item_name(spec)
        counts[name] = counts.get(name, 0) + 1
        for suffix, path in source.files(spec).items():
            label = f"{name}{' ' + suffix if suffix else ''}"
            files[label if label not in files else f"{label} {counts[name]}"] = Path(path)
    for name, path in list(files.items()):
        if path.suffix.lower() == ".shp":
            for ext in _SIDECARS:
                if path.with_suffix(ext).exists():
                    files[f"{name} ({ext})"] = path.with_suffix(ext)
    for p in config.profiles.files:
        files[f"profile {p.name}"] = Path(p)
    return files


def source_files(config: ProjectConfig) -> dict[str, str]:
    """Each source and where it was read from, for reports."""
    return {source.item_name(spec): source.where(spec) for source, spec in configured(config)}


def attributions(config: ProjectConfig) -> list[str]:
    """Every credit the project's outputs must carry, without repeats: each
    configured source's ``attribution``, then the project's own."""
    credits = [getattr(spec, "attribution", None) for _, spec in configured(config)]
    return list(dict.fromkeys(c for c in [*credits, *config.attribution] if c))


def private_fields(config: ProjectConfig) -> set[str]:
    """Inventory columns that must not be published, from the sources' ``private`` lists."""
    return {source.private[c] for source, spec in configured(config) for c in getattr(spec, "private", ())
            if c in source.private}


def fingerprint() -> str:
    """A digest of the registry (names, sections, readers), for the stage-cache key."""
    facts = {name: s.fingerprint() for name, s in SOURCES.items()}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- the built-in sources

def clean_layer(gdf: gpd.GeoDataFrame | None, source: str, label: str, notes: list[dict]) -> gpd.GeoDataFrame | None:
    """``gdf`` without control characters in its text (OSM tags included), noted for the report."""
    if gdf is None or gdf.empty:
        return gdf
    cleaned, touched = clean_controls(gdf)
    if len(touched):
        where = [str(v) for v in cleaned[label].to_numpy()[touched]] if label in cleaned else [f"feature {i + 1}" for i in touched]
        notes.append(control_note(source, where))
    return cleaned


def _read_osm(spec, reading: Reading):
    layers = read_osm(spec, reading.boundary)
    for name in OSM_LAYERS:
        setattr(layers, name, clean_layer(getattr(layers, name), f"osm {name}", "osm_ref", reading.notes))
    return layers


def _osm_where(spec) -> str:
    if spec.overpass:
        return f"Overpass ({spec.overpass_url or 'osmnx default'}), cache {spec.cache()}"
    return str(resolve_osm_path(spec.path))


def _box(reading: Reading) -> tuple[float, float, float, float]:
    assert reading.bbox is not None  # sources that need the area are read once the boundary is
    return reading.bbox


def _merge_zones(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    return pd.concat([frames[0], *(f.to_crs(frames[0].crs) for f in frames[1:])]) if len(frames) > 1 else frames[0]


for _source in (
    Source("osm", "sources.osm", "OpenStreetMap", _read_osm,
           files=lambda s: {"": resolve_osm_path(s.path)} if s.path else {}, where=_osm_where),
    Source("boundary", "boundary", "boundary", lambda s, _r: read_boundary(s), needs_area=False,
           where=lambda s: str(s.path) if s.path else f"bbox {s.bbox}"),
    Source("register", "sources.asset_register", "asset register", lambda s, r: read_register(s, r.notes),
           needs_area=False, private=columns.PRIVATE_CAPABLE["register"], aliases=columns.REGISTER),
    Source("survey", "sources.survey", "field survey", lambda s, r: read_survey(s, r.notes), needs_area=False,
           private=columns.PRIVATE_CAPABLE["survey"], aliases=columns.SURVEY),
    Source("organisations", "sources.organisations", "organisations",
           lambda s, r: read_organisations(s, r.uses, r.notes), needs_area=False,
           private=columns.PRIVATE_CAPABLE["organisations"], aliases=columns.ORGANISATIONS),
    Source("parcels", "sources.parcels", "cadastral parcels",
           lambda s, r: clean_layer(read_parcels(s, _box(r)), "parcels", "parcel_code", r.notes),
           where=lambda s: str(s.path) if s.path else f"WFS {s.wfs.url} ({s.wfs.typename})"),
    Source("rasters", "sources.rasters", "raster", lambda s, r: read_raster(s, _box(r)), key=lambda s: s.kind,
           title=lambda s: f"raster {s.kind}"),
    Source("zones", "sources.zones", "zones", lambda s, _r: read_zone(s), key=lambda s: s.kind, merge=_merge_zones,
           title=lambda s: f"{s.kind} zones"),
):
    register_source(_source)
