"""The stages of a run, declared once (kedro's pipeline of pure nodes is the
model): each :class:`Stage` names its function, the values it reads, the
value it gives, the contract that value must meet, and whether it is part of
what the stage cache holds. :func:`run_stages` is the one loop that times
each stage, logs it, checks its contract and gives memory back; the runner
only says which values it starts from. Stage outputs are not changed after:
the solar yield, which the criteria read, is a stage of its own whose value
the transform stage puts into the (frozen) context."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .common import _memory, contracts, settings
from .extract import check_raw, extract
from .features import available_criteria, compute_features, features_contract
from .plan.impact import annual_yield, potentials
from .plan.match import best_use
from .plan import interest_register, make_plan
from .plan.legal import legal_routes
from .score import score
from .transform import project_boundary, transform

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stage:
    """One stage: ``func`` takes the values named in ``inputs`` (in that
    order) and gives the value named ``output``; ``contract(value, values)``
    raises if that value is not what the next stages expect; ``cached``
    stages form the prefix whose outputs the stage cache keeps."""

    name: str
    func: Callable[..., Any]
    inputs: tuple[str, ...]
    output: str
    contract: Callable[[Any, Mapping[str, Any]], None] | None = None
    cached: bool = False


def solar_coefficients(config, raw) -> tuple:
    """The project's PV coefficients and the yearly yield of a kWp at the
    boundary's centre (kWh), for the solar criteria and the impact figures."""
    spec = config.impact_spec()
    _, boundary = project_boundary(raw.boundary, config.crs)  # the centre of the boundary the other stages see
    centre = boundary.to_crs(4326).geometry.union_all().representative_point()
    return spec.solar, annual_yield(spec.solar.yield_, centre.y, centre.x)


def prepared_inventory(config, raw, solar):
    """The transform stage with the project's survey settings and inventory rules."""
    survey, reports = config.sources.get("survey"), config.sources.get("reports")
    prepared = transform(raw, config.crs, survey.attach_distance_m if survey else 0.0,
                         survey.max_precision_m if survey else None, config.inventory, solar,
                         reports.attach_distance_m if reports else settings.SURVEY_ATTACH_DISTANCE_M)
    if prepared.inventory.empty:
        log.warning("no idle assets found: check the OSM tags, the register's status column and the survey")
    return prepared


def features_of(prepared, client):
    """Every criterion for every asset, on this machine or on a Dask ``client``'s cluster."""
    if client is None:
        return compute_features(prepared.inventory, prepared.context)
    from .distributed import compute_features_distributed

    return compute_features_distributed(prepared.inventory, prepared.context, client)


def scores_of(features, profiles, config):
    return score(features, profiles, config.sensitivity)


def best_uses(features, scored, profiles):
    return best_use(features, scored.scores, [p.name for p in profiles])


def plan_of(config, features, scored, profiles, prepared, sharing, committed, legal) -> tuple:
    """The plan, with the legal route of each row, and the target report
    (impact potentials computed on the way); ``committed``: what the plan's
    ledger has assigned already; ``legal``: the legal routes table."""
    pot = potentials(features, scored.scores, profiles, config.impact_spec(), prepared.context.solar[1])
    labels = {p.name: (p.label.en, p.label.el) for p in profiles}
    plan, report = make_plan(scored.scores, pot, features, prepared.organisations, config.plan, labels, sharing,
                             committed)
    routes = legal_routes(plan, interest_register(prepared.organisations), prepared.organisations, legal)
    return pd.concat([plan, routes], axis=1), report


def _raw_contract(raw, _values) -> None:
    check_raw(raw)


def _inventory_contract(prepared, _values) -> None:
    contracts.check(prepared.inventory, contracts.INVENTORY, prepared.crs)


def _features_contract(features, values) -> None:
    # the inventory's columns were checked after transform: check what the criteria added
    names = available_criteria(values["prepared"].context.sources())
    added = features_contract(names).columns[len(contracts.INVENTORY.columns):]
    contracts.check(features, contracts.Contract("features", added))


def _scores_contract(scored, _values) -> None:
    contracts.check(scored.scores, contracts.SCORES)
    contracts.check(scored.contributions, contracts.CONTRIBUTIONS)


def _matching_contract(matching, _values) -> None:
    contracts.check(matching, contracts.MATCHING)


#: The stages of a run, in order.
STAGES: tuple[Stage, ...] = (
    Stage("extract", extract, ("config", "uses"), "raw", _raw_contract, cached=True),
    Stage("solar", solar_coefficients, ("config", "raw"), "solar", cached=True),
    Stage("transform", prepared_inventory, ("config", "raw", "solar"), "prepared", _inventory_contract, cached=True),
    Stage("features", features_of, ("prepared", "client"), "features", _features_contract, cached=True),
    Stage("score", scores_of, ("features", "profiles", "config"), "scored", _scores_contract),
    Stage("match", best_uses, ("features", "scored", "profiles"), "matching", _matching_contract),
    Stage("plan", plan_of, ("config", "features", "scored", "profiles", "prepared", "sharing", "committed", "legal"),
          "planned"),
)


def run_stages(stages: Iterable[Stage], values: dict[str, Any], seconds: dict[str, float]) -> dict[str, Any]:
    """Run ``stages`` in order on ``values`` (extended with each output);
    each stage's wall time goes into ``seconds``, its contract is checked and
    the memory it freed is given back."""
    for stage in stages:
        clock = time.perf_counter()
        out = stage.func(*(values[name] for name in stage.inputs))
        if stage.contract is not None:
            stage.contract(out, values)
        values[stage.output] = out
        seconds[stage.name] = time.perf_counter() - clock
        log.info("stage %s done in %.2f s", stage.name, seconds[stage.name])
        _memory.release_freed_memory()
    return values


__all__ = ["STAGES", "Stage", "run_stages"]
