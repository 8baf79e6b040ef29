"""The source registry: every input a project can have, described once.

Each :class:`Source` says where its settings live in the config and their
pydantic model, how it is read, which files it reads, how reports name it,
what credit its data needs and which of its columns a config may keep
private. Config validation (``sources.<key>``), the extract stage, input
hashing (manifest and stage-cache key), the credits on every output and the
private columns all derive from :data:`SOURCES`.

A built-in source and a plugin's are added the same way: one module holding
the section's model and the reader, ending with one :func:`register_source`
call (see ``docs/extending.md``). The built-in modules are listed, in the
order reports show them, in :data:`pipeline.extract.BUILT_IN`; a plugin's is
imported through its entry point. What a source outside the transform
stage's own inputs reads reaches the criteria as ``context.layers[<name>]``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from ..common import columns
from ..common.config import SOURCE_SECTIONS, ProjectConfig, SourceSection

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

    def box(self) -> tuple[float, float, float, float]:
        """The boundary's lon/lat box, for a source that ``needs_area``."""
        assert self.bbox is not None  # such sources are read once the boundary is
        return self.bbox


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
    model : pydantic model class, optional
        One item's settings, validated under ``section``; a source without
        one (the boundary) has its settings in the project schema.
    needs_area : bool
        Read after the boundary, whose box ``reading.bbox`` then holds.
    many : bool
        Its section is a list of items.
    required : bool
        Every project configures it.
    key : str, optional
        For a list section, the field of an item that keys its data (a
        raster's ``kind``).
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
    """

    name: str
    section: str
    label: str
    read: Callable[[Any, Reading], Any]
    model: type | None = None
    needs_area: bool = True
    many: bool = False
    required: bool = False
    key: str | None = None
    merge: Callable[[list], Any] | None = None
    title: Callable[[Any], str] | None = None
    files: Callable[[Any], dict[str, Path]] = _path_files
    where: Callable[[Any], str] = _path_text
    private: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def items(self, config: ProjectConfig) -> list[Any]:
        """The configured items of this source (none when it is not configured)."""
        head, _, attr = self.section.partition(".")
        value = config.sources.get(attr) if head == "sources" else getattr(config, head)
        if value is None:
            return []
        return list(value) if isinstance(value, (list, tuple)) else [value]

    def item_key(self, spec: Any) -> str:
        """The key of an item's data in a list section (its ``key`` field)."""
        assert self.key is not None
        return str(getattr(spec, self.key))

    def item_name(self, spec: Any) -> str:
        return self.title(spec) if self.title else self.name

    def fingerprint(self) -> dict:
        """What identifies the source's code, for the stage-cache key."""
        fn = lambda f: f"{getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', repr(f))}"
        return {"section": self.section, "read": fn(self.read), "needs_area": self.needs_area,
                "model": fn(self.model) if self.model else None, "many": self.many, "key": self.key}


#: Every source, in the order reports list them (the boundary and the table
#: sources are read first, then those that need the boundary's box).
SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> Source:
    """Add ``source`` to the registry (replacing one of the same name). A
    source with a config ``model`` validates its section ``sources.<key>``."""
    head, _, attr = source.section.partition(".")
    if source.model is not None:
        taken = {s.section: s.name for s in SOURCES.values()}
        if head != "sources" or not attr or taken.get(source.section, source.name) != source.name:
            raise ValueError(f"{source.name}: a source's section must be a 'sources.<key>' no other source has")
        SOURCE_SECTIONS[attr] = SourceSection(source.model, many=source.many, required=source.required,
                                              once_per=source.key if source.merge is None else None,
                                              label=source.label)
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
    if config.profiles.workshop is not None:
        files["workshop weights"] = Path(config.profiles.workshop)
    if config.plan.legal_routes is not None:
        files["legal routes"] = Path(config.plan.legal_routes)
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
