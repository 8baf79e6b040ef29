"""The publish stage's one front door: every output of a run, built-in or
added by a plugin, is a writer ``writer(published, folders) -> [paths]`` in
one registry (:data:`OUTPUTS`), given one typed, frozen view of the run
(:class:`Published`) in which privacy is already applied; :func:`publish`
builds that view once and calls the writers in order."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from ..common.changes import COLUMNS as CHANGE_COLUMNS
from ..extract.registry import attributions, input_files, private_fields, source_files
from ..common.i18n import completeness_text, coverage_note
from ..transform.completeness import completeness_of
from ..common.i18n import legal_form_name
from ..common.io import shown_paths, write_csv, write_text
from ..manifest import config_folder
from ..participation.partners import partners_nearby
from ..participation.workshops import workshop_table
from ..plan import interest_register, verify_ownership
from ..common.privacy import Privacy
from ..score import Explanation
from .annex import annex_sections, write_annex
from .changes import write_changes
from .factsheets import write_factsheets
from .implementation import implementation_output
from .legal import route_rows
from .figures import write_figures
from .maps import write_maps
from .report import inputs_report
from .tables import public_inventory, write_tables
from .view import Folders, Published, PublishOptions


#: ``writer(published, folders) -> [paths]``: one output of a run.
OutputWriter = Callable[[Published, Folders], list[Path]]
#: Every output, by name, in the order they are written: the built-in ones
#: (registered below), then those plugins add.
OUTPUTS: dict[str, OutputWriter] = {}


def register_output(name: str, writer: OutputWriter) -> OutputWriter:
    """Write ``writer``'s output on every run (``name`` replaces an output
    of the same name). A writer writes through :func:`pipeline.common.io.atomic_path`
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


def published_view(result, options: PublishOptions | None = None) -> Published:
    """The view of a run's result that every output is written from.

    ``result`` is the runner's :class:`~pipeline.runner.RunResult`; it is
    left as it was (private fields are blanked in copies)."""
    config, options = result.config, options or PublishOptions()
    privacy = Privacy.of(result.features, private_fields(config))
    public = public_inventory(result.features, result.scored.scores, result.matching, privacy,
                              result.prepared.context.roads)
    matching = privacy.frame(result.matching)
    changes = result.changes if result.changes is not None else pd.DataFrame(columns=CHANGE_COLUMNS)
    base, known = config_folder(config), list(input_files(config).values())
    notes = pd.DataFrame({"source": "profiles", "action": "note", "count": 0, "detail": result.profile_notes})
    report = pd.concat([result.prepared.report.frame(), notes], ignore_index=True)
    report["detail"] = report["detail"].map(lambda d: shown_paths(d, base, known))
    context = result.prepared.context
    completeness, by_district = completeness_of(context)
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
        coverage_el=coverage_note(result.prepared.coverage, result.prepared.coverage_basis, "el"),
        completeness=completeness_text(completeness, by_district, "en"),
        completeness_el=completeness_text(completeness, by_district, "el"),
        title=config.project.title or config.project.name, sensitivity=config.sensitivity, config=config,
        options=options, progress=result.progress, interest=interest_register(result.prepared.organisations),
        partners=partners_nearby(public, result.prepared.context.pois, result.prepared.organisations),
        workshop=result.workshop, workshop_ranks=result.workshop_ranks, legal=result.legal)


def publish(result, dirs: tuple[Path, Path], options: PublishOptions | None = None,
            seconds: dict[str, float] | None = None) -> list[Path]:
    """Write every output of a run into ``dirs`` (tables folder, maps folder)
    and return the files written: the view is built once, then each writer
    of :data:`OUTPUTS` is called in turn. ``seconds``, when given, receives
    the time each took (``view``, then each output's name), for the manifest."""
    clock = time.perf_counter()
    view = published_view(result, options)
    timed = seconds if seconds is not None else {}
    timed["view"] = time.perf_counter() - clock
    folders = Folders(*(Path(d) for d in dirs))
    files: list[Path] = []
    for name, writer in OUTPUTS.items():
        clock = time.perf_counter()
        files += writer(view, folders)
        timed[name] = time.perf_counter() - clock
    return files


# ---------------------------------------------------------------- the built-in outputs

def tables_output(p: Published, folders: Folders) -> list[Path]:
    """GeoPackage, GeoParquet, the CSV tables and the workbook."""
    return write_tables(p, folders.tables)


def maps_output(p: Published, folders: Folders) -> list[Path]:
    """The main map and one map per use."""
    return write_maps(p, folders.maps)


def changes_output(p: Published, folders: Folders) -> list[Path]:
    """``changes.csv``: what changed since the run compared with."""
    return [write_changes(folders.tables, p.changes, list(p.credits))]


def annex_output(p: Published, folders: Folders) -> list[Path]:
    """The strategic plan's annex (Markdown, HTML, PDF)."""
    return write_annex(folders.tables, p.title, annex_sections(p), pdf=p.options.pdf)


def factsheets_output(p: Published, folders: Folders) -> list[Path]:
    """A fact sheet per asset and the atlas."""
    return write_factsheets(p, folders.tables)


def figures_output(p: Published, folders: Folders) -> list[Path]:
    """Report figures, PNG and SVG."""
    return write_figures(p, folders.tables / "figures")


def interest_output(p: Published, folders: Folders) -> list[Path]:
    """``interest.csv`` (the open call's interest register, when anyone asked
    for an asset) and ``partners.csv`` (who is within walking distance of each)."""
    written = []
    if not p.interest.empty:
        table = p.interest.assign(legal_form=p.interest["legal_form"].map(lambda c: legal_form_name(c, "el") if c else ""),
                                  attribution="; ".join(p.credits))
        written.append(write_csv(table, folders.tables / "interest.csv"))
    if not p.partners.empty:
        written.append(write_csv(p.partners.assign(attribution="; ".join(p.credits)), folders.tables / "partners.csv"))
    return written


def workshop_output(p: Published, folders: Folders) -> list[Path]:
    """``workshop.csv`` (the group's weights, dissent and consensus) and
    ``workshop_ranks.csv`` (ranks across people); nothing without workshops."""
    if p.workshop is None:
        return []
    credit = "; ".join(p.credits)
    written = [write_csv(workshop_table(p.workshop, list(p.profiles)).assign(attribution=credit),
                         folders.tables / "workshop.csv")]
    if p.workshop_ranks is not None:
        written.append(write_csv(p.workshop_ranks.assign(attribution=credit), folders.tables / "workshop_ranks.csv"))
    return written


def legal_output(p: Published, folders: Folders) -> list[Path]:
    """``legal_routes.csv``: the legal route of every planned asset, with its
    documents and sources; nothing without a plan."""
    routes = route_rows(p.plan, p.legal)
    if routes.empty:
        return []
    return [write_csv(routes.assign(attribution="; ".join(p.credits)), folders.tables / "legal_routes.csv")]


def inputs_report_output(p: Published, folders: Folders) -> list[Path]:
    """``inputs_report.md``: what happened to every input."""
    text = inputs_report(p.report, dict(p.sources), list(p.credits), p.title)
    return [write_text(text, folders.tables / "inputs_report.md")]


for _name, _writer in (("tables", tables_output), ("maps", maps_output), ("changes", changes_output),
                       ("annex", annex_output), ("factsheets", factsheets_output), ("figures", figures_output),
                       ("inputs_report", inputs_report_output), ("implementation", implementation_output),
                       ("interest", interest_output), ("workshop", workshop_output), ("legal", legal_output)):
    register_output(_name, _writer)
