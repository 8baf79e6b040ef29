"""The publish stage's one front door: every output of a run, built-in or
added by a plugin, is a writer ``writer(published, folders) -> [paths]`` in
one registry (:data:`OUTPUTS`), given one typed, frozen view of the run
(:class:`Published`) in which privacy is already applied; :func:`publish`
builds that view once and calls the writers in order."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import geopandas as gpd
import pandas as pd

from ..changes import COLUMNS as CHANGE_COLUMNS
from ..extract.registry import attributions, input_files, private_fields, source_files
from ..i18n import coverage_note
from ..io import shown_paths, write_text
from ..manifest import config_folder
from ..plan import plan_totals, verify_ownership
from ..privacy import Privacy
from ..profiles import Profile
from ..score import Explanation
from .annex import annex_sections, write_annex
from .changes import write_changes
from .factsheets import write_factsheets
from .figures import write_figures
from .maps import write_maps
from .report import inputs_report
from .tables import public_inventory, write_tables


@dataclass(frozen=True)
class PublishOptions:
    """How outputs are written: maps with their libraries inlined (offline)
    or linked from a CDN, and whether the annex is also printed as PDF."""

    self_contained: bool = True
    pdf: bool = True


@dataclass(frozen=True)
class Folders:
    """Where outputs go: the tables folder and the maps folder."""

    tables: Path
    maps: Path


@dataclass(frozen=True)
class Published:
    """What every output is made from, built once per run by
    :func:`published_view`, with private fields blanked and their values
    taken out of every derived text (:mod:`pipeline.privacy`).

    Attributes
    ----------
    inventory : GeoDataFrame
        The public inventory: every criterion, score per use and best use, project CRS.
    scores, contributions : DataFrame
        Scores per asset and use; each criterion's points.
    explanations : mapping of str to Explanation
        What each use's scores are made of (the maps' popups).
    plan, matching, targets : DataFrame
        The plan, each asset's best use, the targets reached and unmet.
    conflicts, verify : DataFrame
        Where the sources disagree; assets whose ownership is to verify.
    changes : DataFrame
        What changed since the run compared with (empty when none).
    compared : bool
        Whether an earlier run was compared with.
    impact_sources : DataFrame
        The impact coefficients and their sources.
    profiles : tuple of Profile
        The use profiles scored.
    boundary : GeoDataFrame
        The project's boundary, project CRS.
    context : Context
        The context layers (roads, land use, buildings, ...).
    report : DataFrame
        The inputs report's rows, local folders left out.
    sources : mapping of str to str
        Each source and where it was read from, local folders left out.
    credits : tuple of str
        Credits every output must carry.
    coverage : str
        The OSM coverage in words (``OSM coverage 0.6% (partial)``).
    title : str
        The project's title.
    config : ProjectConfig
        The project's config.
    options : PublishOptions
        Self-contained maps, PDFs.
    """

    inventory: gpd.GeoDataFrame
    scores: pd.DataFrame
    contributions: pd.DataFrame
    explanations: Mapping[str, Explanation]
    plan: pd.DataFrame
    matching: pd.DataFrame
    targets: pd.DataFrame
    conflicts: pd.DataFrame
    verify: pd.DataFrame
    changes: pd.DataFrame
    compared: bool
    impact_sources: pd.DataFrame
    profiles: tuple[Profile, ...]
    boundary: gpd.GeoDataFrame
    context: Any
    report: pd.DataFrame
    sources: Mapping[str, str]
    credits: tuple[str, ...]
    coverage: str
    title: str
    config: Any
    options: PublishOptions


#: ``writer(published, folders) -> [paths]``: one output of a run.
OutputWriter = Callable[[Published, Folders], list[Path]]
#: Every output, by name, in the order they are written: the built-in ones
#: (registered below), then those plugins add.
OUTPUTS: dict[str, OutputWriter] = {}


def register_output(name: str, writer: OutputWriter) -> OutputWriter:
    """Write ``writer``'s output on every run (``name`` replaces an output
    of the same name). A writer writes through :func:`pipeline.io.atomic_path`
    into the folders it is given and returns the paths it wrote."""
    OUTPUTS[name] = writer
    return writer


def redact_explanations(explanations: Mapping[str, Explanation], asset_ids: pd.Series,
                        privacy: Privacy) -> Mapping[str, Explanation]:
    """The explanations behind the maps' popups without private values (their
    raw values, and so the sentences built from them)."""
    if not privacy.values:
        return MappingProxyType(dict(explanations))
    ids = asset_ids.astype(str).tolist()
    return MappingProxyType({use: dataclasses.replace(e, raw_values={c: privacy.series(v, ids)
                                                                     for c, v in e.raw_values.items()}, _text={})
                             for use, e in explanations.items()})


def published_view(result, options: PublishOptions = PublishOptions()) -> Published:
    """The view of a run's result that every output is written from.

    ``result`` is the runner's :class:`~pipeline.runner.RunResult`; it is
    left as it was (private fields are blanked in copies)."""
    config = result.config
    privacy = Privacy.of(result.features, private_fields(config))
    public = public_inventory(result.features, result.scored.scores, result.matching, privacy)
    matching = privacy.frame(result.matching)
    changes = result.changes if result.changes is not None else pd.DataFrame(columns=CHANGE_COLUMNS)
    base, known = config_folder(config), list(input_files(config).values())
    notes = pd.DataFrame({"source": "profiles", "action": "note", "count": 0, "detail": result.profile_notes})
    report = pd.concat([result.prepared.report.frame(), notes], ignore_index=True)
    report["detail"] = report["detail"].map(lambda d: shown_paths(d, base, known))
    return Published(
        inventory=public, scores=privacy.frame(result.scored.scores),
        contributions=privacy.frame(result.scored.contributions),
        explanations=redact_explanations(result.scored.explanations, result.features["asset_id"], privacy),
        plan=privacy.frame(result.plan), matching=matching, targets=result.targets,
        conflicts=privacy.frame(result.prepared.conflicts), verify=verify_ownership(matching, public),
        changes=privacy.frame(changes), compared=result.compared_with is not None,
        impact_sources=result.impact_sources, profiles=tuple(result.profiles), boundary=result.prepared.context.boundary,
        context=result.prepared.context, report=report,
        sources=MappingProxyType(shown_paths(source_files(config), base, known)),
        credits=tuple(attributions(config)),
        coverage=coverage_note(result.prepared.coverage, result.prepared.coverage_basis),
        title=config.project.title or config.project.name, config=config, options=options)


def publish(result, dirs: tuple[Path, Path], options: PublishOptions = PublishOptions()) -> list[Path]:
    """Write every output of a run into ``dirs`` (tables folder, maps folder)
    and return the files written: the view is built once, then each writer
    of :data:`OUTPUTS` is called in turn."""
    view = published_view(result, options)
    folders = Folders(*(Path(d) for d in dirs))
    files: list[Path] = []
    for writer in OUTPUTS.values():
        files += writer(view, folders)
    return files


# ---------------------------------------------------------------- the built-in outputs

def tables_output(p: Published, folders: Folders) -> list[Path]:
    """GeoPackage, GeoParquet, the CSV tables and the workbook."""
    return write_tables(folders.tables, p.inventory, p.scores, p.contributions, p.matching, list(p.profiles),
                        p.boundary, list(p.credits), p.title, plan=p.plan, targets=p.targets,
                        impact_sources=p.impact_sources, sensitivity=p.config.sensitivity, conflicts=p.conflicts,
                        verify=p.verify, note=f"{p.coverage} of the boundary")


def maps_output(p: Published, folders: Folders) -> list[Path]:
    """The main map and one map per use."""
    return write_maps(folders.maps, p.inventory, p.scores, dict(p.explanations), list(p.profiles), p.boundary,
                      list(p.credits), p.title, plan=p.plan, top_k=p.config.sensitivity.top_k, context=p.context,
                      self_contained=p.options.self_contained, note=p.coverage)


def changes_output(p: Published, folders: Folders) -> list[Path]:
    """``changes.csv``: what changed since the run compared with."""
    return [write_changes(folders.tables, p.changes, list(p.credits))]


def annex_output(p: Published, folders: Folders) -> list[Path]:
    """The strategic plan's annex (Markdown, HTML, PDF)."""
    sections = annex_sections(p.inventory, p.scores, p.plan, plan_totals(p.plan), p.targets, list(p.profiles),
                              p.config.sensitivity, list(p.credits), p.impact_sources,
                              coverage_text=f"{p.coverage} of the boundary", conflicts=p.conflicts, verify=p.verify,
                              changes=p.changes if p.compared else None)
    return write_annex(folders.tables, p.title, sections, pdf=p.options.pdf)


def factsheets_output(p: Published, folders: Folders) -> list[Path]:
    """A fact sheet per asset and the atlas."""
    return write_factsheets(folders.tables, p.inventory, p.scores, p.plan, list(p.profiles), p.context,
                            list(p.credits), p.title, pdf=p.options.pdf)


def figures_output(p: Published, folders: Folders) -> list[Path]:
    """Report figures, PNG and SVG."""
    return write_figures(folders.tables / "figures", p.inventory, p.scores, list(p.profiles), p.boundary, p.context,
                         list(p.credits), p.title, note=f"{p.coverage} of the boundary")


def inputs_report_output(p: Published, folders: Folders) -> list[Path]:
    """``inputs_report.md``: what happened to every input."""
    text = inputs_report(p.report, dict(p.sources), list(p.credits), p.title)
    return [write_text(text, folders.tables / "inputs_report.md")]


for _name, _writer in (("tables", tables_output), ("maps", maps_output), ("changes", changes_output),
                       ("annex", annex_output), ("factsheets", factsheets_output), ("figures", figures_output),
                       ("inputs_report", inputs_report_output)):
    register_output(_name, _writer)
