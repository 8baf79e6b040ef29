"""The view of a run that every output is written from (:class:`Published`),
where outputs go (:class:`Folders`) and how (:class:`PublishOptions`): the
publish stage's one interface, shared by the built-in writers and plugins."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import geopandas as gpd
import pandas as pd

from ..common.config import SensitivitySpec
from ..ledger.progress import Progress
from ..common.legal import LegalTable
from ..participation.workshops import Workshop
from ..score.profiles import Profile
from ..score import Explanation


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
    taken out of every derived text (:mod:`pipeline.common.privacy`).

    Attributes
    ----------
    inventory : GeoDataFrame
        The public inventory: every criterion, score per use and best use, project CRS.
    scores, contributions : DataFrame
        Scores per asset and use; each criterion's points.
    explanations : mapping of str to Explanation
        What each use's scores are made of (the maps' popups).
    plan, matching, targets : DataFrame
        The plan, each asset's best use, the targets reached and unmet
        (plan and targets None where a view has none).
    conflicts, verify : DataFrame or None
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
    sensitivity : SensitivitySpec or None
        The weight draws behind the rank stability (the method sheet, the maps' top-k).
    config : ProjectConfig
        The project's config.
    options : PublishOptions
        Self-contained maps, PDFs.
    interest : DataFrame
        The open call's interest register: who asked for which asset, for
        what uses (no contacts); empty without organisations.
    partners : DataFrame
        Per asset, the community facilities and open-call organisations within walking distance.
    workshop : Workshop or None
        The workshops' weights and consensus, when the project has them.
    workshop_ranks : DataFrame or None
        Each asset's rank under the group's weights and under each participant's.
    progress : Progress or None
        The plan's ledger as the run left it (each asset's status and
        history, targets against what operates); None without a ledger.
    legal : LegalTable or None
        The legal routes table the plan's routes come from (sources, legal
        forms' conditions, rules).
    """

    inventory: gpd.GeoDataFrame
    scores: pd.DataFrame
    contributions: pd.DataFrame
    explanations: Mapping[str, Explanation]
    plan: pd.DataFrame | None
    matching: pd.DataFrame
    targets: pd.DataFrame | None
    conflicts: pd.DataFrame | None
    verify: pd.DataFrame | None
    changes: pd.DataFrame
    compared: bool
    impact_sources: pd.DataFrame | None
    profiles: tuple[Profile, ...]
    boundary: gpd.GeoDataFrame
    context: Any
    report: pd.DataFrame
    sources: Mapping[str, str]
    credits: tuple[str, ...]
    coverage: str
    title: str
    sensitivity: SensitivitySpec | None
    config: Any
    options: PublishOptions
    progress: Progress | None = None
    workshop: Workshop | None = None
    workshop_ranks: pd.DataFrame | None = None
    legal: LegalTable | None = None
    coverage_el: str = ""
    interest: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(
        columns=["asset_id", "org_id", "organisation", "legal_form", "uses", "space_m2"]))
    partners: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(
        columns=["asset_id", "partner", "kind_el", "kind_en", "distance_m", "source"]))

    completeness: str = ""
    completeness_el: str = ""

    @property
    def coverage_text(self) -> str:
        """The coverage as outputs state it (``OSM coverage 0.6% ... of the boundary``) with how completely
        OSM maps the buildings, empty when unknown."""
        text = f"{self.coverage} of the boundary" if self.coverage else ""
        return "; ".join(x for x in (text, self.completeness) if x)

    @property
    def coverage_text_el(self) -> str:
        """The coverage in Greek (``κάλυψη OSM 0,6% (μερική) του ορίου``) with the completeness, empty when unknown."""
        text = f"{self.coverage_el} του ορίου" if self.coverage_el else ""
        return "· ".join(x for x in (text, self.completeness_el) if x)




_EMPTY = pd.DataFrame


def view_of(inventory: gpd.GeoDataFrame, scores: pd.DataFrame, profiles: list[Profile], boundary: gpd.GeoDataFrame,
            **parts: Any) -> Published:
    """A view made of parts, for tests, notebooks and benchmarks that score
    without a whole run: any other field of :class:`Published` may be given
    by name; what is not given is empty (no plan, no context, no credits)."""
    defaults: dict[str, Any] = dict(
        contributions=_EMPTY(columns=["asset_id", "use"]), explanations=MappingProxyType({}), plan=None,
        matching=_EMPTY(columns=["asset_id", "best_use"]), targets=None, conflicts=None, verify=None,
        changes=_EMPTY(columns=["asset_id"]), compared=False, impact_sources=None, context=None,
        report=_EMPTY(columns=["source", "action", "count", "detail"]), sources=MappingProxyType({}), credits=(),
        coverage="", title="", sensitivity=None, config=None, options=PublishOptions(), progress=None, legal=None,
        interest=_EMPTY(columns=["asset_id", "org_id", "organisation", "legal_form", "uses", "space_m2"]),
        partners=_EMPTY(columns=["asset_id", "partner", "kind_el", "kind_en", "distance_m", "source"]))
    unknown = set(parts) - set(defaults)
    if unknown:
        raise TypeError(f"Published has no field(s) {sorted(unknown)}")
    given = {**defaults, **parts}
    given["explanations"] = MappingProxyType(dict(given["explanations"]))
    given["credits"] = tuple(given["credits"])
    return Published(inventory=inventory, scores=scores, profiles=tuple(profiles), boundary=boundary, **given)


__all__ = ["Folders", "PublishOptions", "Published", "view_of"]
