"""The thin runner: wires the six stages for one project and writes the outputs.

Each stage is a pure function of its inputs; only :func:`publish_outputs`
writes files. Logging is configured by the entry point, not here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .config import ProjectConfig
from .extract import extract
from .extract.osm import resolve_osm_path
from .errors import ConfigError
from .features import compute_features
from .impact import annual_yield, coefficient_sources, potentials
from .io import write_text
from .match import best_use
from .plan import make_plan, plan_totals
from .profiles import Profile, fit_to_sources, load_profiles
from .publish import inputs_report, write_map, write_tables
from .publish.tables import public_inventory
from .score import ScoreResult, score
from .transform import Prepared, transform

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """Everything a run produced, in memory, plus the files written."""

    config: ProjectConfig
    profiles: list[Profile]
    prepared: Prepared
    features: gpd.GeoDataFrame
    scored: ScoreResult
    matching: pd.DataFrame
    plan: pd.DataFrame
    targets: pd.DataFrame
    impact_sources: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self, top: int = 3) -> str:
        """A short text summary: assets found and the top assets per use."""
        inv = self.features
        lines = [f"{len(inv)} idle assets ({(inv['kind'] == 'land').sum()} land, "
                 f"{(inv['kind'] == 'building').sum()} buildings) in {self.config.project.title or self.config.project.name}"]
        names = inv.set_index("asset_id")["name"]
        for p in self.profiles:
            s = self.scored.scores
            s = s[(s["use"] == p.name) & s["eligible"]].sort_values(["rank", "asset_id"]).head(top)
            best = ", ".join(f"{names.get(a) or a} ({v:.0f})" for a, v in zip(s["asset_id"], s["score"])) or "no eligible asset"
            lines.append(f"  {p.label.en}: {best}")
        total = plan_totals(self.plan).iloc[-1]
        lines.append(f"plan: {total['sites']:.0f} assets assigned; {total['usable_ha']:.2f} ha usable, "
                     f"{total['kwp']:,.0f} kWp of solar ({total['mwh_per_year']:,.0f} MWh/year), "
                     f"{total['cultivable_ha']:.2f} ha cultivable, about {total['jobs']:.0f} jobs")
        for t in self.targets.itertuples():
            if t.unmet > 0:
                lines.append(f"  unmet target: {t.target}: reached {t.reached:g} of {t.target_value:g} {t.unit}")
        return "\n".join(lines)


def source_files(config: ProjectConfig) -> dict[str, str]:
    """Each source and where it was read from, for reports."""
    src = config.sources
    osm = (f"Overpass ({src.osm.overpass_url or 'osmnx default'}), cache {src.osm.cache()}" if src.osm.overpass
           else str(resolve_osm_path(src.osm.path)))
    out = {"osm": osm,
           "boundary": str(config.boundary.path) if config.boundary.path else f"bbox {config.boundary.bbox}"}
    for name, table in (("register", src.asset_register), ("survey", src.survey), ("organisations", src.organisations)):
        if table:
            out[name] = str(table.path)
    if src.parcels:
        out["parcels"] = str(src.parcels.path) if src.parcels.path else f"WFS {src.parcels.wfs.url} ({src.parcels.wfs.typename})"
    for raster in src.rasters:
        out[f"raster {raster.kind}"] = str(raster.path)
    for zone in src.zones:
        out[f"{zone.kind} zones"] = str(zone.path)
    return out


def check_targets(config: ProjectConfig, profiles: list[Profile]) -> None:
    """Targets may only name the project's uses."""
    names = {p.name for p in profiles}
    problems = [f"plan.targets.{i}.uses: '{u}' is not a profile of this project ({', '.join(sorted(names))})"
                for i, t in enumerate(config.plan.targets) for u in t.uses if u not in names]
    if problems:
        raise ConfigError("plan", problems)


def prepare(config: ProjectConfig, raw) -> Prepared:
    """The transform stage with the project's survey settings."""
    survey = config.sources.survey
    return transform(raw, config.crs, survey.attach_distance_m if survey else 0.0,
                     survey.max_precision_m if survey else None)


def analyse(config: ProjectConfig) -> RunResult:
    """Run extract -> transform -> features -> score -> match, in memory."""
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now
        log.info("stage %s done in %.2f s", stage, seconds[stage])

    profiles = load_profiles(config.profiles)
    check_targets(config, profiles)
    raw = extract(config)
    lap("extract")
    prepared = prepare(config, raw)
    profiles, notes = fit_to_sources(profiles, prepared.context.sources() | {"solar"})
    for note in notes:
        log.info("profile %s", note)
        prepared.report.add("profiles", "criterion not used", 0, note)
    lap("transform")
    if prepared.inventory.empty:
        log.warning("no idle assets found: check the OSM tags, the register's status column and the survey")
    spec = config.impact_spec()
    centre = prepared.context.boundary.to_crs(4326).geometry.union_all().representative_point()
    kwh = annual_yield(spec.solar.yield_, centre.y, centre.x)
    prepared.context.solar = (spec.solar, kwh)
    features = compute_features(prepared.inventory, prepared.context)
    lap("features")
    scored = score(features, profiles, config.sensitivity)
    lap("score")
    matching = best_use(features, scored.scores, [p.name for p in profiles])
    pot = potentials(features, scored.scores, profiles, spec, kwh)
    plan, targets = make_plan(scored.scores, pot, features, prepared.organisations, config.plan)
    lap("match")
    return RunResult(config, profiles, prepared, features, scored, matching, plan, targets,
                     coefficient_sources(spec, kwh), seconds=seconds)


def publish_outputs(result: RunResult, out: Path | None = None) -> list[Path]:
    """Write tables, map and inputs report; return the files written."""
    config = result.config
    tables_dir, maps_dir = config.output_dirs(out)
    credits = config.attributions()
    title = config.project.title or config.project.name
    public = public_inventory(result.features, result.scored.scores, result.matching)
    boundary = result.prepared.context.boundary
    files = write_tables(tables_dir, public, result.scored.scores, result.scored.contributions,
                         result.matching, result.profiles, boundary, credits, title,
                         plan=result.plan, targets=result.targets, impact_sources=result.impact_sources,
                         sensitivity=config.sensitivity)
    files.append(write_map(maps_dir / "index.html", public, result.scored.scores, result.profiles,
                           boundary, credits, title, plan=result.plan, top_k=config.sensitivity.top_k))
    report = inputs_report(result.prepared.report.frame(), source_files(config), credits, title)
    files.append(write_text(report, tables_dir / "inputs_report.md"))
    return files


def run_project(config: ProjectConfig, out: Path | None = None) -> RunResult:
    """Run all six stages and write every output (under ``out`` when given)."""
    result = analyse(config)
    start = time.perf_counter()
    result.files = publish_outputs(result, out)
    result.seconds["publish"] = time.perf_counter() - start
    return result
