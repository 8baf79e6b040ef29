"""A national run: the project once per municipality of a Kallikratis
boundaries file, each written to its own folder, plus a national summary.

Municipalities are independent projects (each reads its own area of the
sources with the usual context buffer), so they are the natural partitions:
with a Dask client each municipality runs on a worker, without one they run
here one after another. A municipality that fails (bad data, no data) is
reported in the summary with its error; the others go on.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import pandas as pd

from .common.config import ProjectConfig
from .common import settings
from .common.errors import CoverageError, IdleAssetsError
from .init_config import slug
from .common.io import read_vector
from .common.io import write_csv
from .common._progress import steps
from .transform.completeness import osm_completeness

log = logging.getLogger(__name__)

SUMMARY = "national_summary.csv"
#: Statuses in the summary: ``ok``; ``partial`` (the extract covers part of the
#: municipality; stopped, or run with sources.osm.partial); ``no_data`` (it
#: covers none of it); ``error`` (another problem, in ``error``).
STATUSES = ("ok", "partial", "no_data", "error")


def municipality_configs(config: ProjectConfig) -> list[ProjectConfig]:
    """One project config per municipality of ``config.boundary.path``
    (those in ``config.national.municipalities`` when listed)."""
    spec = config.boundary
    assert spec.path is not None  # a national run needs boundary.path (ProjectConfig checks it)
    table = read_vector(spec.path, f"boundary {spec.path}", layer=spec.layer)
    missing = [f for f in (spec.code_field, spec.name_field) if f not in table.columns]
    if missing:
        from .common.errors import InputError

        raise InputError(f"boundary {spec.path}", [f"no column {f!r} (set boundary.code_field / name_field)" for f in missing])
    codes = table[spec.code_field].astype(str).tolist()
    names = dict(zip(codes, table[spec.name_field].astype(str)))
    wanted = config.national.municipalities if config.national and config.national.municipalities else codes
    unknown = [c for c in wanted if c not in names]
    if unknown:
        from .common.errors import ConfigError

        raise ConfigError("national.municipalities", [f"code {c!r} is not in {spec.path}" for c in unknown])
    out = []
    for code in wanted:
        project = config.project.model_copy(update={"name": f"{slug(names[code]) or 'municipality'}-{code}",
                                                    "title": names[code]})
        out.append(config.model_copy(update={
            "project": project, "national": None, "boundary": spec.model_copy(update={"code": code}),
            "output": config.output.model_copy(update={"tables": None, "maps": None})}, deep=True))
    return out


def _run_one(config: ProjectConfig, out: Path, force: bool) -> dict:
    """Run one municipality; a summary row, with the error instead when it fails."""
    from .plan import plan_totals
    from .runner import run_project

    code = config.boundary.code
    row: dict = {"code": code, "name": config.project.title, "folder": str(out)}
    start = time.perf_counter()
    try:
        result = run_project(config, out, force=force)
    except CoverageError as exc:  # the extract does not cover this municipality (enough)
        row.update(status="no_data" if exc.coverage < 0.005 else "partial", error=str(exc).splitlines()[-1].strip(),
                   coverage=round(exc.coverage, 4))
    except IdleAssetsError as exc:
        row.update(status="error", error=str(exc).splitlines()[0])
    else:
        s = result.scored.scores
        total = plan_totals(result.plan).iloc[-1]
        coverage = result.prepared.coverage
        row.update(status="no_data" if coverage < 0.005 else "partial" if coverage < settings.MIN_COVERAGE else "ok", error=None, coverage=round(result.prepared.coverage, 4),
                   assets=len(result.features),
                   **{f"eligible_{u}": int(n) for u, n in s[s["eligible"]].groupby("use").size().items()},
                   assigned=int(total["sites"]), usable_ha=float(total["usable_ha"]), kwp=float(total["kwp"]),
                   mwh_per_year=float(total["mwh_per_year"]), jobs=float(total["jobs"]))
        context = result.prepared.context  # how far an empty map can be trusted here (see transform.completeness)
        mapped = osm_completeness(context.buildings, context.landuse, context.roads)
        row.update(buildings_mapped_share=round(mapped.built_share, 3) if mapped else None,
                   buildings_per_km2=round(mapped.per_km2) if mapped and mapped.per_km2 is not None else None)
    row["seconds"] = round(time.perf_counter() - start, 2)
    return row


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def run_national(config: ProjectConfig, out: Path | None = None, client=None, force: bool = False) -> pd.DataFrame:
    """Run every municipality (on ``client``'s cluster when given) and write
    ``national_summary.csv``: one row per municipality with its status,
    assets, eligible assets per use and plan totals."""
    from .manifest import input_files
    from .common.outputs import MARKER, check_writable

    tables, _ = config.output_dirs(out)
    check_writable([tables], dict(input_files(config)))
    Path(tables).mkdir(parents=True, exist_ok=True)
    (Path(tables) / MARKER).write_text("{}\n", encoding="utf-8")
    configs = municipality_configs(config)
    folders = [Path(tables) / str(c.boundary.code) for c in configs]
    total, started, failed = len(configs), time.perf_counter(), 0

    def progress(done: int, row: dict, config: ProjectConfig) -> None:
        nonlocal failed
        failed += row["status"] not in ("ok", "partial", "no_data")
        elapsed = time.perf_counter() - started
        left = elapsed / done * (total - done)
        log.info("national run: %d/%d municipalities (%d failed), about %s left; %s %s: %s", done, total, failed,
                    _duration(left), config.boundary.code, config.project.title, row["status"])

    if client is None:
        rows = []
        bar = sys.stderr.isatty() and log.isEnabledFor(logging.INFO)
        for k, (c, folder) in enumerate(steps(zip(configs, folders), total, "national run", log, "municipality")
                                        if bar else zip(configs, folders), start=1):
            rows.append(_run_one(c, folder, force))
            if not bar:  # the bar says it on a terminal
                progress(k, rows[-1], c)
    else:
        from dask.distributed import as_completed

        futures = {client.submit(_run_one, c, f, force, pure=False): i for i, (c, f) in enumerate(zip(configs, folders))}
        done: dict[int, dict] = {}
        for k, future in enumerate(as_completed(futures), start=1):
            i = futures[future]
            done[i] = future.result()
            progress(k, done[i], configs[i])
        rows = [done[i] for i in range(len(configs))]
    summary = pd.DataFrame(rows)
    eligible = sorted(c for c in summary.columns if c.startswith("eligible_"))
    summary[eligible] = summary[eligible].fillna(0).astype(int) if eligible else summary[eligible]
    write_csv(summary, Path(tables) / SUMMARY)
    return summary
