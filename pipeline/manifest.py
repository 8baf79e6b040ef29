"""What a run used and made: input files with content hashes, the config,
library versions, times, counts per stage and warnings (``manifest.json``),
and the key of the stage cache derived from the same facts."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from . import __version__
from .common.config import ProjectConfig
from .common.errors import InputError
from .extract import registry
from .extract.registry import input_files
from .features import registry_fingerprint
from .common.io import shown_paths, write_text

LIBRARIES = ("geopandas", "shapely", "pyproj", "pyogrio", "pandas", "numpy", "pyrosm", "osmnx", "osmium", "rasterio",
             "exactextract", "folium", "pydantic", "scipy", "pymcdm", "pvlib", "openpyxl")
#: Bump when cached stage outputs change meaning, so old caches are not reused.
CACHE_FORMAT = 4


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def input_hashes(config: ProjectConfig) -> list[dict]:
    return [{"source": name, "path": str(path), "bytes": path.stat().st_size, "sha256": sha256(path)}
            for name, path in input_files(config).items() if path.is_file()]


def check_inputs_unchanged(config: ProjectConfig, inputs: list[dict]) -> None:
    """Raise :class:`InputError` if an input file's content is no longer the
    one hashed before it was read: the run would otherwise record one file's
    hash while its outputs come from another's."""
    now_ = {i["source"]: i["sha256"] for i in input_hashes(config)}
    changed = [f"{i['path']}: changed while this run was reading it; run again once it is no longer being written"
               for i in inputs if now_.get(i["source"]) != i["sha256"]]
    if changed:
        raise InputError(f"project {config.project.name}", changed)


def stage_key(config: ProjectConfig, inputs: list[dict], profiles: list | None = None) -> str:
    """Key of the cached extract → transform → features outputs: the input
    contents, the config sections those stages read (not weights,
    sensitivity or plan, which only later stages use), the profiles in use
    (their names check the organisations' uses), the package's version, and
    the registries of sources and criteria (a source or criterion added,
    removed or changed in what it reads makes a new key)."""
    sections = config.model_dump(mode="json", include={"crs", "boundary", "impact", "inventory"})
    sections["sources"] = config.sources.dump()
    facts = {"format": CACHE_FORMAT, "pipeline": __version__, "config": sections,
             "uses": [getattr(p, "name", p) for p in profiles] if profiles is not None else config.profiles.use,
             "sources": registry.fingerprint(), "criteria": registry_fingerprint(),
             "inputs": sorted((i["source"], i["sha256"]) for i in inputs)}
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def config_folder(config: ProjectConfig) -> Path:
    """The folder a project's relative paths are taken from (its config file's; else the current one)."""
    return Path(config.source_file).resolve().parent if config.source_file else Path.cwd()


def library_versions() -> dict[str, str]:
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class WarningLog(logging.Handler):
    """Collects the warnings the pipeline logs during a run."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


@dataclass(frozen=True)
class RunFacts:
    """What a run records of itself: when it started, counts per stage,
    seconds per stage, the stage cache's use, and the warnings it logged."""

    started: str
    counts: dict
    seconds: dict
    stage_cache: str
    warnings: list[str]


def write_manifest(target: Path, config: ProjectConfig, inputs: list[dict], facts: RunFacts, outputs: list[Path],
                   shown=lambda p: p) -> Path:
    """``manifest.json`` at ``target``; ``shown`` gives the path an output will
    have once the run's staged outputs are swapped in. Paths are written
    relative: inputs and config values to the config's folder, outputs to the
    manifest's own folder (with each input's SHA-256, that names it)."""
    base = config_folder(config)
    known = [Path(i["path"]) for i in inputs]
    here = Path(shown(Path(target))).parent
    manifest = {
        "pipeline": f"idle-assets {__version__}",
        "project": config.project.name,
        "config_file": Path(config.source_file).name if config.source_file else None,
        "config": shown_paths({**config.model_dump(mode="json", by_alias=True), "sources": config.sources.dump()},
                              base, known),
        "inputs": shown_paths(inputs, base, known),
        "libraries": library_versions(),
        "started": facts.started,
        "finished": now(),
        "seconds": {k: round(v, 3) for k, v in facts.seconds.items()},
        "stage_cache": facts.stage_cache,
        "counts": facts.counts,
        "warnings": shown_paths(facts.warnings, base, known),
        "outputs": [{"path": Path(os.path.relpath(shown(p), here)).as_posix(), "sha256": sha256(p)}
                    for p in outputs if Path(p).exists()],
    }
    return write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n", target)
