"""The thin runner: wires the six stages for one project and writes the outputs.

Each stage is a pure function of its inputs; only :func:`pipeline.publish.publish`
writes files. Logging is configured by the entry point, not here.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .common import settings
from . import stage_cache
from .common.changes import ATTRIBUTES, RunTables
from .common.changes import compare as compare_runs
from .common.config import ProjectConfig
from .common.errors import ConfigError, CoverageError, InputError
from .extract.registry import private_fields
from .ledger import open_ledger, record_run
from .ledger.model import TENURED
from .ledger.progress import Progress, Snapshot, progress
from .ledger.runs import RunRecord
from .participation.workshops import Workshop, aggregate, read_ratings
from .common.i18n import coverage_figure
from .plan.impact import coefficient_sources
from .manifest import RunFacts, WarningLog, check_inputs_unchanged, input_files, input_hashes, now, stage_key, write_manifest
from .common.outputs import StagedOutputs, check_writable, write_error
from .common.legal import LegalTable, legal_table
from .common.sharing import compatible_uses
from .stages import STAGES, prepared_inventory, run_stages
from .score.profiles import Profile, fit_to_sources, load_profiles
from .publish import PublishOptions, publish
from .publish.changes import read_previous
from .score import ScoreResult, exclusion_notes, score
from .transform import Prepared

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
    profile_notes: list[str] = field(default_factory=list)
    stage_cache: str = "off"
    changes: pd.DataFrame | None = None
    compared_with: Path | None = None
    ledger: RunRecord | None = None
    progress: Progress | None = None
    workshop: Workshop | None = None
    workshop_ranks: pd.DataFrame | None = None
    legal: LegalTable | None = None


def project_profiles(config: ProjectConfig) -> tuple[list[Profile], Workshop | None]:
    """The project's use profiles, with the workshops' weights when the config
    names their export (they replace the profiles' own for the uses rated)."""
    spec = config.profiles
    if spec.workshop is None:
        return load_profiles(spec), None
    workshop = aggregate(read_ratings(spec.workshop, load_profiles(spec)))
    for r in workshop.consensus.itertuples():
        if r.inconsistent:
            log.warning("workshop weights %s: %s: the pairwise judgements of %s contradict each other (consistency "
                        "ratio above 0.1); their weights are kept, ask them to revise", spec.workshop, r.use,
                        r.inconsistent.replace(";", ", "))
    both = sorted(set(spec.weights) & set(workshop.overrides()))
    if both:
        raise ConfigError("profiles", [f"profiles.weights.{u}: the workshop's export rates {u} too; keep one of them"
                                       for u in both])
    return load_profiles(spec.model_copy(update={"weights": {**spec.weights, **workshop.overrides()}})), workshop


def people_ranks(features: gpd.GeoDataFrame, profiles: list[Profile], workshop: Workshop, group: pd.DataFrame,
                 top: int = 3) -> pd.DataFrame:
    """How each asset ranks under each participant's own weights beside the
    group's: ``use``, ``asset_id``, ``group_rank``, ``best_rank``,
    ``worst_rank``, ``top_share`` (of participants ranking it in the first
    ``top``); ``group`` holds the group's ranks (``use``, ``asset_id``, ``group_rank``)."""
    rows = []
    by_name = {p.name: p for p in profiles}
    for (who, use), mine in workshop.personal.groupby(["participant", "use"]):
        profile = by_name[use]
        weights = dict(zip(mine["criterion"], mine["weight"]))
        own = profile.model_copy(update={"criteria": [c.model_copy(update={"weight": weights.get(c.criterion, c.weight)})
                                                      for c in profile.criteria]})
        s = score(features, [own], explain=False).scores
        s = s[s["eligible"]]
        rows.append(pd.DataFrame({"participant": who, "use": use, "asset_id": s["asset_id"].to_numpy(),
                                  "rank": s["rank"].to_numpy()}))
    if not rows:
        return pd.DataFrame(columns=["use", "asset_id", "group_rank", "best_rank", "worst_rank", "top_share"])
    ranks = pd.concat(rows, ignore_index=True)
    out = ranks.groupby(["use", "asset_id"]).agg(best_rank=("rank", "min"), worst_rank=("rank", "max"),
                                                 top_share=("rank", lambda r: round(float((r <= top).mean()), 3)))
    return out.reset_index().merge(group, on=["use", "asset_id"], how="left")[
        ["use", "asset_id", "group_rank", "best_rank", "worst_rank", "top_share"]]


def check_targets(config: ProjectConfig, profiles: list[Profile]) -> None:
    """Targets may only name the project's uses."""
    names = {p.name for p in profiles}
    problems = [f"plan.targets.{i}.uses: '{u}' is not a profile of this project ({', '.join(sorted(names))})"
                for i, t in enumerate(config.plan.targets) for u in t.uses if u not in names]
    if problems:
        raise ConfigError("plan", problems)


def prepare(config: ProjectConfig, raw, solar: tuple | None = None) -> Prepared:
    """The transform stage with the project's survey settings (see :data:`pipeline.stages.STAGES`)."""
    return prepared_inventory(config, raw, solar)


def check_coverage(config: ProjectConfig, prepared: Prepared) -> None:
    """Stop when the OSM extract covers too little of the boundary (unless the
    config accepts a partial extract)."""
    if prepared.coverage >= settings.MIN_COVERAGE or config.sources["osm"].partial:
        if prepared.coverage < settings.MIN_COVERAGE:
            log.warning("the OSM extract covers only %s of the boundary (sources.osm.partial: true): "
                        "the inventory is partial", coverage_figure(prepared.coverage))
        return
    source = config.sources["osm"].path or "Overpass"
    raise CoverageError("osm source", [
        f"{source}: the extract covers {coverage_figure(prepared.coverage)} of the boundary, less than "
        f"{settings.MIN_COVERAGE:.0%}: an inventory from it would miss most of the municipality. Use an extract "
        "that covers the whole boundary (e.g. Geofabrik's Greece extract), or set sources.osm.partial: true to "
        "go on with the coverage printed on every output"], prepared.coverage)


def weight_notes(profiles: list[Profile]) -> list[str]:
    """Profiles whose stated weights do not sum to 1 (they are normalised)."""
    out = []
    for p in profiles:
        total = sum(c.weight for c in p.criteria)
        if p.ahp is None and abs(total - 1) > 1e-6:
            out.append(f"{p.name}: stated weights sum to {total:g}; normalised to 1 "
                       f"({', '.join(f'{k} {v:.3f}' for k, v in p.weights().items())})")
    return out


def _cached_stages(values: dict, cache_dir: Path | None, key: str, force: bool, inputs: list[dict] | None,
                   seconds: dict[str, float]) -> str:
    """The cached stages' outputs (``prepared``, ``features``) into ``values``:
    from the cache when its key matches, else computed (and stored). Returns
    ``"hit"``, ``"miss"`` or ``"off"``.

    Computed outputs are stored only after the inputs are hashed again and
    found unchanged, so the cache never keeps content under another content's key.
    """
    if cache_dir is not None:
        stage_cache.clean_leftovers(cache_dir)
        if not force and (entry := stage_cache.load(cache_dir, key)) is not None:
            log.info("extract, transform and features taken from the stage cache (%s)", cache_dir / key)
            values["prepared"], values["features"] = entry
            return "hit"
    run_stages([s for s in STAGES if s.cached], values, seconds)
    if inputs is not None:
        check_inputs_unchanged(values["config"], inputs)
    if cache_dir is None:
        return "off"
    try:
        stage_cache.save(cache_dir, key, values["prepared"], values["features"])
    except (OSError, TypeError) as exc:  # a cache that cannot be written costs time, not the run
        log.warning("stage cache not written (%s): %s", cache_dir, exc)
    return "miss"


def analyse(config: ProjectConfig, cache_dir: Path | None = None, force: bool = False,
            inputs: list[dict] | None = None, client=None, profiles: list[Profile] | None = None,
            workshop: Workshop | None = None) -> RunResult:
    """Run the stages of :data:`pipeline.stages.STAGES` (extract to plan), in memory.

    With ``cache_dir``, the outputs of extract, transform and features are
    reused when the inputs' contents and the config sections they read are
    unchanged (so changing weights re-runs only scoring onwards); ``force``
    recomputes them. With a ``dask.distributed`` ``client`` the features
    stage runs on its cluster, partitioned in space (same results).
    ``profiles`` are the project's use profiles when the caller has loaded
    and checked them already (:func:`preflight`), with the ``workshop``
    their weights came from.
    """
    if profiles is None:
        profiles, workshop = project_profiles(config)
        check_targets(config, profiles)
    stated = weight_notes(profiles)
    inputs = inputs if inputs is not None else input_hashes(config)
    key = stage_key(config, inputs, profiles)
    seconds: dict[str, float] = {}
    legal = legal_table(config.plan.legal_routes, [p.name for p in profiles])
    values: dict = {"config": config, "uses": [p.name for p in profiles], "client": client,
                    "sharing": compatible_uses(), "committed": committed_assignments(config), "legal": legal}
    cache = _cached_stages(values, cache_dir, key, force, inputs, seconds)
    prepared = values["prepared"]
    check_coverage(config, prepared)
    fitted, notes = fit_to_sources(profiles, prepared.context.sources())
    notes = stated + notes
    for note in notes:
        log.info("profile %s", note)
    values["profiles"] = fitted
    values = run_stages([s for s in STAGES if not s.cached], values, seconds)
    scored = values["scored"]
    for note in exclusion_notes(scored):
        log.warning("%s", note)
        notes.append(note)
    plan, targets = values["planned"]
    result = RunResult(config, fitted, prepared, values["features"], scored, values["matching"], plan, targets,
                       coefficient_sources(config.impact_spec(), prepared.context.solar[1], {p.name: p.label.el for p in fitted}), seconds=seconds,
                       profile_notes=notes, stage_cache=cache, workshop=workshop, legal=legal)
    if workshop is not None:
        group = scored.scores.loc[scored.scores["eligible"], ["use", "asset_id", "rank"]].rename(columns={"rank": "group_rank"})
        result.workshop_ranks = people_ranks(values["features"], fitted, workshop, group)
    return result


def counts(result: RunResult) -> dict:
    """Counts per stage for the manifest."""
    s = result.scored.scores
    return {
        "extract": {f"{r.source}: {r.action}": int(r.count) for r in result.prepared.report.frame().itertuples()
                    if r.action.startswith("read")},
        "transform": {"idle assets": int(len(result.prepared.inventory))},
        "features": {"criteria": int(sum(c.startswith("c_") for c in result.features.columns))},
        "score": {f"eligible for {u}": int(n) for u, n in s[s["eligible"]].groupby("use").size().items()},
        "match": {"assets assigned": int(len(result.plan)),
                  "unmet targets": int((result.targets["unmet"] > 0).sum()) if len(result.targets) else 0},
    }


def project_cache_dir(config: ProjectConfig) -> Path:
    """The project's folder in the stage cache (outside every output folder)."""
    return stage_cache.cache_root() / config.project.name


def preflight(config: ProjectConfig, out: Path | None = None) -> tuple[Path, Path, list[Profile], Workshop | None]:
    """Check what a run needs before it reads anything: the profiles (with
    the workshops' weights) and targets, and output folders that can be
    written without touching an input or a folder of the user's. Returns the
    tables and maps folders, the profiles (loaded and checked once for the
    run) and the workshop their weights came from."""
    profiles, workshop = project_profiles(config)
    check_targets(config, profiles)
    legal_table(config.plan.legal_routes, [p.name for p in profiles])
    tables_dir, maps_dir = config.output_dirs(out)
    inputs = dict(input_files(config))
    if config.source_file:
        inputs["config"] = Path(config.source_file)
    check_writable([tables_dir, maps_dir], inputs)
    if config.ledger is not None:
        check_ledger(config, [tables_dir, maps_dir])
    return tables_dir, maps_dir, profiles, workshop


def committed_assignments(config: ProjectConfig) -> pd.DataFrame | None:
    """What the plan's ledger has assigned, in preparation or operating:
    ``asset_id``, ``use`` (the latest agreed) and ``evidence`` (the latest
    step's); None without a ledger. These sites are in active use: the plan
    keeps them, with their use, and offers them to no one else."""
    if config.ledger is None:
        return None
    with open_ledger(config.ledger.location()) as ledger:
        events = pd.DataFrame(ledger.history())
    columns = ["asset_id", "use", "evidence"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    events = events.sort_values(["ledger_id", "date", "event_id"], kind="stable")
    last = events.groupby("ledger_id").tail(1)
    held = last[last["status"].isin(TENURED)]
    agreed = events.dropna(subset=["use"]).groupby("ledger_id")["use"].last() if "use" in events else pd.Series(dtype=object)
    return pd.DataFrame({"asset_id": held["ledger_id"].to_numpy(), "use": held["ledger_id"].map(agreed).to_numpy(),
                         "evidence": held["evidence"].to_numpy()}, columns=columns)


def check_ledger(config: ProjectConfig, folders: list[Path]) -> None:
    """The ledger opens (created or migrated now, so a bad path or URL stops
    the run before its work) and lives outside the output folders, which
    each run replaces."""
    assert config.ledger is not None
    if config.ledger.path is not None:
        where = Path(config.ledger.path).resolve()
        for folder in folders:
            if where.is_relative_to(Path(folder).resolve()):
                raise InputError("ledger.path", [f"{config.ledger.path} is inside the output folder {folder}, which "
                                                 "every run replaces: keep the ledger beside the config"])
    with open_ledger(config.ledger.location()):
        pass


def record_in_ledger(config: ProjectConfig, result: RunResult, today: dt.date | None = None) -> None:
    """Record the run's inventory in the project's ledger (when it has one)
    and keep what the ledger holds then, for the outputs to show."""
    if config.ledger is None:
        return
    today = today or dt.date.today()
    with open_ledger(config.ledger.location()) as ledger:
        result.ledger = record_run(ledger, result.features, today, private_fields(config))
        result.progress = progress(Snapshot.of(ledger), result.plan, result.targets, today)
    log.info("ledger %s: %s", ledger.where, result.ledger.summary())


def run_tables(result: RunResult) -> RunTables:
    """What a later run compares itself with (:mod:`pipeline.common.changes`)."""
    columns = [c for c in ("asset_id", "name", *ATTRIBUTES) if c in result.features]
    return RunTables(pd.DataFrame(result.features[columns]), result.scored.scores, result.plan)


def run_project(config: ProjectConfig, out: Path | None = None, force: bool = False, cache: bool = True,
                cdn: bool = False, client=None, compare: Path | None = None, today: dt.date | None = None) -> RunResult:
    """Run all six stages and write every output (under ``out`` when given),
    then the run's ``manifest.json``.

    Outputs are written into staging folders and swapped in at the end (see
    :mod:`pipeline.common.outputs`), under a lock of the output folders: a failed run
    leaves the previous outputs as they were. The outputs of extract,
    transform and features are kept in the stage cache, outside the output
    folders (``cache=False`` disables it; ``force`` recomputes everything).
    What changed since the run whose tables are in the output folder (or in
    ``compare``) is written as ``changes.csv`` and a section of the annex.
    A project with a ``ledger`` records the run's assets in it as of
    ``today`` (default: the date now) before publishing, so the outputs show
    each asset's path; a run that fails after that leaves the ledger's new
    entries, which the next run finds again without repeating them.
    """
    started = now()
    capture = WarningLog()
    logging.getLogger("pipeline").addHandler(capture)
    try:
        tables_dir, maps_dir, profiles, workshop = preflight(config, out)
        previous = read_previous(compare or tables_dir, required=compare is not None)
        inputs = input_hashes(config)
        with StagedOutputs([tables_dir, maps_dir]) as staged:
            result = analyse(config, project_cache_dir(config) if cache else None, force, inputs, client, profiles,
                             workshop)
            if previous is not None:
                labels = {p.name: (p.label.en, p.label.el) for p in result.profiles}
                result.changes = compare_runs(previous, run_tables(result), labels)
                result.compared_with = Path(compare or tables_dir)
            record_in_ledger(config, result, today)  # before publishing, which shows each asset's path
            start = time.perf_counter()
            stage_tables = staged.staged(tables_dir)
            options = PublishOptions(self_contained=config.output.self_contained and not cdn, pdf=config.output.pdf)
            try:
                per_output: dict[str, float] = {}
                files = publish(result, (stage_tables, staged.staged(maps_dir)), options, per_output)
                result.seconds["publish"] = time.perf_counter() - start
                result.seconds.update({f"publish {name}": s for name, s in per_output.items()})
                facts = RunFacts(started, counts(result), result.seconds, result.stage_cache, capture.messages)
                files.append(write_manifest(stage_tables / "manifest.json", config, inputs, facts, files,
                                            shown=staged.final))
            except OSError as exc:
                raise write_error(exc, tables_dir) from None
            staged.commit()
        result.files = [staged.final(f) for f in files]
    finally:
        logging.getLogger("pipeline").removeHandler(capture)
    return result
