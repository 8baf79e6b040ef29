"""The publish stage's one front door: every output of a run from its result."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..i18n import coverage_note
from ..io import shown_paths, write_text
from ..extract.registry import attributions, input_files, private_fields, source_files
from ..manifest import config_folder
from ..plan import plan_totals, verify_ownership
from ..changes import COLUMNS as CHANGE_COLUMNS
from .annex import annex_sections, write_annex
from .changes import write_changes
from .factsheets import write_factsheets
from .figures import write_figures
from .maps import write_maps
from .report import inputs_report
from .tables import public_inventory, write_tables
from ..privacy import Privacy
from ..score import Explanation


@dataclass(frozen=True)
class PublishOptions:
    """How outputs are written: maps with their libraries inlined (offline)
    or linked from a CDN, and whether the annex is also printed as PDF."""

    self_contained: bool = True
    pdf: bool = True


@dataclass(frozen=True)
class Published:
    """What every output is made from, private fields already blanked: the
    view an output registered by a plugin receives.

    Attributes
    ----------
    inventory : GeoDataFrame
        The public inventory: every criterion, score per use and best use,
        project CRS.
    scores, plan, matching, targets : DataFrame
        Scores per asset and use, the plan, each asset's best use, the targets.
    profiles : list of Profile
        The use profiles scored.
    credits : list of str
        Credits every output must carry.
    title : str
        The project's title.
    config : ProjectConfig
        The project's config.
    """

    inventory: object
    scores: object
    plan: object
    matching: object
    targets: object
    profiles: list
    credits: list[str]
    title: str
    config: object


#: ``writer(published, folder) -> [paths]``: an output written into the tables folder.
OutputWriter = Callable[[Published, Path], list[Path]]
#: Outputs added by plugins, by name, written after the built-in ones.
OUTPUTS: dict[str, OutputWriter] = {}


def register_output(name: str, writer: OutputWriter) -> OutputWriter:
    """Write ``writer``'s output on every run (``name`` replaces an output
    of the same name). A writer writes through :func:`pipeline.io.atomic_path`
    into the folder it is given and returns the paths it wrote."""
    OUTPUTS[name] = writer
    return writer


def redact_explanations(explanations: dict[str, Explanation], asset_ids: pd.Series,
                        privacy: Privacy) -> dict[str, Explanation]:
    """The explanations behind the maps' popups without private values (their
    raw values, and so the sentences built from them)."""
    if not privacy.values:
        return explanations
    ids = asset_ids.astype(str).tolist()
    return {use: dataclasses.replace(e, raw_values={c: privacy.series(v, ids) for c, v in e.raw_values.items()},
                                     _text={})
            for use, e in explanations.items()}


def publish(result, dirs: tuple[Path, Path], options: PublishOptions = PublishOptions()) -> list[Path]:
    """Write every output of a run: tables, maps, annex, figures and the
    inputs report, into ``dirs`` (tables folder, maps folder); return the
    files written.

    ``result`` is the runner's :class:`~pipeline.runner.RunResult`. Fields
    marked private are blanked in copies; ``result`` is left as it was.
    """
    tables_dir, maps_dir = (Path(d) for d in dirs)
    config = result.config
    credits = attributions(config)
    title = config.project.title or config.project.name
    privacy = Privacy.of(result.features, private_fields(config))
    public = public_inventory(result.features, result.scored.scores, result.matching, privacy)
    plan, matching = privacy.frame(result.plan), privacy.frame(result.matching)
    scores, contributions = privacy.frame(result.scored.scores), privacy.frame(result.scored.contributions)
    explanations = redact_explanations(result.scored.explanations, result.features["asset_id"], privacy)
    conflicts = privacy.frame(result.prepared.conflicts)
    boundary = result.prepared.context.boundary
    verify = verify_ownership(matching, public)
    coverage = coverage_note(result.prepared.coverage, result.prepared.coverage_basis)
    files = write_tables(tables_dir, public, scores, contributions,
                         matching, result.profiles, boundary, credits, title,
                         plan=plan, targets=result.targets, impact_sources=result.impact_sources,
                         sensitivity=config.sensitivity, conflicts=conflicts, verify=verify,
                         note=f"{coverage} of the boundary")
    files += write_maps(maps_dir, public, scores, explanations, result.profiles,
                        boundary, credits, title,
                        plan=plan, top_k=config.sensitivity.top_k, context=result.prepared.context,
                        self_contained=options.self_contained, note=coverage)
    changes = getattr(result, "changes", None)
    changes = privacy.frame(changes if changes is not None else pd.DataFrame(columns=CHANGE_COLUMNS))
    files.append(write_changes(tables_dir, changes, credits))
    compared = getattr(result, "compared_with", None)
    annex = annex_sections(public, scores, plan, plan_totals(plan), result.targets,
                           result.profiles, config.sensitivity, credits, result.impact_sources,
                           coverage_text=f"{coverage} of the boundary", conflicts=conflicts,
                           verify=verify, changes=changes if compared is not None else None)
    files += write_annex(tables_dir, title, annex, pdf=options.pdf)
    files += write_factsheets(tables_dir, public, scores, plan, result.profiles,
                              result.prepared.context, credits, title, pdf=options.pdf)
    files += write_figures(tables_dir / "figures", public, scores, result.profiles, boundary,
                           result.prepared.context, credits, title, note=f"{coverage} of the boundary")
    report = result.prepared.report.frame()
    notes = pd.DataFrame({"source": "profiles", "action": "note", "count": 0, "detail": result.profile_notes})
    base, known = config_folder(config), list(input_files(config).values())
    report = pd.concat([report, notes], ignore_index=True)
    report["detail"] = report["detail"].map(lambda d: shown_paths(d, base, known))
    report = inputs_report(report, shown_paths(source_files(config), base, known), credits, title)
    files.append(write_text(report, tables_dir / "inputs_report.md"))
    view = Published(public, scores, plan, matching, result.targets, result.profiles, credits, title,
                     config)
    for writer in OUTPUTS.values():
        files += writer(view, tables_dir)
    return files
