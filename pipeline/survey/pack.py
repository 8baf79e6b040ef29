"""The field-survey pack of a project: the form, what to survey first, the
route and the field sheet, written together into one folder (or not at all).

Wires the analysis (:func:`pipeline.runner.analyse`, from the stage cache when
it can) to the pure builders :mod:`pipeline.survey.form`,
:mod:`pipeline.survey.priority` and :mod:`pipeline.survey.route`, then to the
writers in :mod:`pipeline.publish`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Transformer

from .. import __version__
from ..common import settings
from ..common.config import ProjectConfig
from ..common.errors import InputError
from ..common.labels import site_labels
from ..extract.registry import attributions, private_fields
from ..manifest import input_files
from ..common.outputs import StagedOutputs, check_writable
from ..common.privacy import Privacy
from ..publish.fieldwork import Fieldwork, route_table, write_fieldwork
from ..publish.survey_form import write_survey_form
from ..runner import analyse, project_cache_dir
from .form import build_form, form_id
from .priority import survey_priority
from .route import Route, road_graph, visiting_order

log = logging.getLogger(__name__)

#: Stops on one route at most (about a day's visits) unless ``--visits`` says otherwise.
MAX_VISITS = 25


@dataclass
class SurveyPack:
    """What :func:`survey_pack` made and wrote."""

    priority: pd.DataFrame
    route: Route
    route_table: pd.DataFrame
    files: list[Path] = field(default_factory=list)


def default_folder(config: ProjectConfig) -> Path:
    """``<processed>/<project>-survey``: beside the run's outputs, not inside
    them (a run replaces its output folder whole)."""
    tables = config.output_dirs()[0]
    return tables.parent / f"{tables.name}-survey"


def parse_start(text: str) -> tuple[float, float]:
    """``"lat,lon"`` in degrees."""
    try:
        lat, lon = (float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise InputError("--start", [f"'{text}' is not 'latitude,longitude' in degrees (e.g. 39.3621,22.9420)"]) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError("--start", [f"'{text}': latitude {lat}, longitude {lon} are not degrees"])
    return lat, lon


def check_start(start: tuple[float, float], boundary: gpd.GeoDataFrame) -> None:
    """Refuse a route start outside the boundary: the roads beyond are not read."""
    x, y = Transformer.from_crs(settings.WGS84, boundary.crs, always_xy=True).transform(start[1], start[0])
    if not boundary.geometry.union_all().covers(shapely.Point(x, y)):
        raise InputError("--start", [f"{start[0]},{start[1]} lies outside the project's boundary; give a point "
                                     "inside it (latitude,longitude in degrees), e.g. the municipal depot"])


def visits(priority: pd.DataFrame, inventory: gpd.GeoDataFrame, limit: int | None,
           start: tuple[float, float] | None) -> gpd.GeoDataFrame:
    """The stops: the assets a visit could change something for (priority
    above 0), most worth it first, at most ``limit``; the start first when given
    (else the first of them)."""
    chosen = priority[priority["priority"] > 0].head(limit or MAX_VISITS)
    where = inventory.set_index("asset_id").geometry.representative_point()
    stops = gpd.GeoDataFrame({"stop_id": chosen["asset_id"].to_numpy(), "name": chosen["name"].to_numpy(),
                              "priority_rank": chosen["priority_rank"].to_numpy(),
                              "priority": chosen["priority"].to_numpy(),
                              "reason_en": chosen["reason_en"].to_numpy(), "reason_el": chosen["reason_el"].to_numpy()},
                             geometry=where.loc[chosen["asset_id"]].to_numpy(), crs=inventory.crs)
    if start is not None:
        x, y = Transformer.from_crs(settings.WGS84, inventory.crs, always_xy=True).transform(start[1], start[0])
        first = gpd.GeoDataFrame({"stop_id": ["start"], "name": ["Αφετηρία / Start"]},
                                 geometry=gpd.points_from_xy([x], [y]), crs=inventory.crs)
        stops = gpd.GeoDataFrame(pd.concat([first, stops], ignore_index=True), crs=inventory.crs)
    return stops


def survey_pack(config: ProjectConfig, folder: Path | None = None, limit: int | None = None,
                start: tuple[float, float] | None = None, pdf: bool = True) -> SurveyPack:
    """Build the project's survey pack and write it into ``folder`` (default
    :func:`default_folder`), staged and swapped in whole: a failure leaves
    the folder as it was."""
    folder = Path(folder) if folder else default_folder(config)
    inputs = dict(input_files(config))
    if config.source_file:
        inputs["config"] = Path(config.source_file)
    check_writable([folder], inputs)
    result = analyse(config, project_cache_dir(config))
    if start is not None:
        check_start(start, result.prepared.context.boundary)
    survey = config.sources.get("survey")
    privacy = Privacy.of(result.features, private_fields(config))  # the run's own rule of what is published
    public = privacy.frame(result.features)
    labels_of = site_labels(public, result.prepared.context.roads)  # after the blanking: no private name in them
    title = f"{config.project.title or config.project.name}: αυτοψία / field survey"
    form = build_form(public, [p.name for p in result.profiles], title, form_id(config.project.name),
                      __version__, survey.max_precision_m if survey else 50.0)
    labels = {p.name: (p.label.en, p.label.el) for p in result.profiles}
    priority = privacy.frame(survey_priority(result.features, result.scored.scores, result.scored.contributions,
                                             result.plan, labels))
    priority["name"] = priority["asset_id"].map(dict(zip(public["asset_id"], labels_of)))
    stops = visits(priority, public, limit, start)
    if len(stops) == 0:
        raise InputError("survey route", ["no asset has anything a visit could settle (every priority is 0)"])
    route = visiting_order(road_graph(result.prepared.context.roads), stops)
    table = route_table(route, pd.DataFrame(stops.drop(columns="geometry")))
    off = table.loc[table["off_road"].astype(bool), "stop_id"].drop_duplicates().tolist()
    if off:
        log.warning("survey route: %s lie far from every mapped road; the route's last stretch to them is straight",
                    ", ".join(off))
    with StagedOutputs([folder]) as staged:
        here = staged.staged(folder)
        files = write_survey_form(here, form)
        work = Fieldwork(priority, route, table, public, form, result.prepared.context, title, attributions(config))
        files += write_fieldwork(here, work, pdf=pdf)
        staged.commit()
    return SurveyPack(priority, route, table, [staged.final(f) for f in files])
