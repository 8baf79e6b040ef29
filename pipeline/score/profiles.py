"""Use profiles: what a use needs (hard constraints) and prefers (weighted criteria).

Profiles are YAML files validated with pydantic; the built-in ones live in
``pipeline/profiles/``. A project selects profiles, adds its own files and
overrides weights in its config (see :class:`pipeline.common.config.ProfilesSpec`).
Weights are normalised to sum to 1 within each profile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from ..common.config import MAX_WEIGHT, ProfilesSpec, format_validation_error, read_yaml
from ..common.errors import ConfigError
from ..plugins import load_plugins
from ..features import REGISTRY

BUILTIN_DIR = Path(__file__).parent / "profiles"
#: Folders whose ``*.yaml`` files are available profiles: the built-in one,
#: then those plugins add (a later profile of the same name replaces one before).
PROFILE_DIRS: list[Path] = [BUILTIN_DIR]


def add_profile_dir(path: Path) -> None:
    """Make the profiles in ``path`` (``*.yaml``) available to every project."""
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"{path}: not a folder of profiles")
    if path not in PROFILE_DIRS:
        PROFILE_DIRS.append(path)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


#: Names a use may not take: they are the names of other outputs (map pages,
#: figures, workbook sheets, the atlas, the survey pack), which a use's own
#: page, figure or sheet would overwrite; nor may a name start with a prefix
#: of per-use outputs (``ranking_``).
RESERVED_NAMES = frozenset({"index", "embed", "inventory", "sources", "plan", "plan_totals", "targets", "matching",
                            "method_weights", "criteria", "impact_sources", "scores", "contributions", "manifest",
                            "annex", "inputs_report", "figures", "maps", "idle_assets", "conflicts",
                            "verify_ownership", "atlas", "factsheets", "changes", "field_sheet", "survey_priority",
                            "route", "assets", "survey_form"})
RESERVED_PREFIXES = ("ranking_",)


def _not_reserved(name: str) -> str:
    if name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
        raise ValueError(f"'{name}' is reserved for another output; choose another name "
                         f"(reserved: {', '.join(sorted(RESERVED_NAMES))}, and names starting "
                         f"{', '.join(RESERVED_PREFIXES)})")
    return name


class ValueFunction(_Strict):
    """Turns a raw criterion value into a 0-1 desirability.

    ``linear``: 0 at ``lower``, 1 at ``upper`` (reversed for ``direction: cost``);
    ``piecewise``: straight lines through ``points`` [[x, y], ...];
    ``thresholds``: ``y`` of the last point whose ``x`` the value reaches, else ``below``;
    ``categories``: ``map`` of class -> value, ``default`` for other classes.
    """

    type: Literal["linear", "piecewise", "thresholds", "categories"]
    lower: float | None = None
    upper: float | None = None
    direction: Literal["benefit", "cost"] = "benefit"
    points: list[tuple[float, float]] | None = None
    below: float = Field(0.0, ge=0, le=1)
    map: dict[str, float] | None = None
    default: float = Field(0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _complete(self) -> "ValueFunction":
        if self.type == "linear":
            if self.lower is None or self.upper is None or self.lower >= self.upper:
                raise ValueError("linear needs lower < upper")
        elif self.type in ("piecewise", "thresholds"):
            if not self.points or [p[0] for p in self.points] != sorted(p[0] for p in self.points):
                raise ValueError(f"{self.type} needs points [[x, y], ...] with x ascending")
            if any(not 0 <= p[1] <= 1 for p in self.points):
                raise ValueError("every point's y must be within 0..1")
        elif not self.map or any(not 0 <= v <= 1 for v in self.map.values()):
            raise ValueError("categories needs a map of class: value within 0..1")
        return self

    def __call__(self, raw: pd.Series) -> pd.Series:
        """Desirability in 0..1 (NaN where ``raw`` is missing)."""
        if self.type == "categories":
            known = raw.notna() & (raw != "unknown")
            return raw.map(self.map).astype(float).fillna(self.default).where(known)
        x = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        if self.type == "linear":
            assert self.lower is not None and self.upper is not None  # checked by _complete
            v = np.clip((x - self.lower) / (self.upper - self.lower), 0, 1)
            if self.direction == "cost":
                v = 1 - v
        elif self.type == "piecewise":
            xs, ys = zip(*(self.points or []))
            v = np.interp(x, xs, ys)
        else:
            xs, ys = np.array(self.points).T
            idx = np.searchsorted(xs, x, side="right") - 1
            v = np.where(idx >= 0, ys[np.maximum(idx, 0)], self.below)
        return pd.Series(np.where(np.isnan(x), np.nan, v), index=raw.index)


class CriterionSpec(_Strict):
    criterion: str
    weight: float = Field(gt=0, le=MAX_WEIGHT)
    function: ValueFunction
    missing: float = Field(0.5, ge=0, le=1, description="value used when the criterion is unknown")


class Constraint(_Strict):
    """A hard rule: the asset is excluded when it breaks it."""

    criterion: str
    min: float | None = None
    max: float | None = None
    in_: list[str] | None = Field(None, alias="in")
    not_in: list[str] | None = None
    if_missing: Literal["pass", "exclude"] = "pass"

    @model_validator(mode="after")
    def _one_rule(self) -> "Constraint":
        if all(v is None for v in (self.min, self.max, self.in_, self.not_in)):
            raise ValueError("a constraint needs min, max, in or not_in")
        return self


def _fraction(value):
    """Saaty-scale entries as planners write them: ``3``, ``0.333`` or ``"1/3"``."""
    if isinstance(value, str) and "/" in value:
        top, _, bottom = value.partition("/")
        try:
            return float(top) / float(bottom)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{value!r} is not a number or a fraction like 1/3") from None
    return value


Judgement = Annotated[float, BeforeValidator(_fraction)]


class AhpSpec(_Strict):
    """Weights from AHP pairwise comparisons: ``matrix[i][j]`` says how much
    more important criterion ``order[i]`` is than ``order[j]`` (Saaty's 1-9
    scale, reciprocals below the diagonal). A consistency ratio above 0.1 is
    refused unless ``force: true``."""

    order: list[str] = Field(min_length=2)
    matrix: list[list[Judgement]]
    force: bool = False


class Labels(_Strict):
    en: str
    el: str


class Profile(_Strict):
    """One use (social farm, solar, ...) and how to judge a site for it."""

    name: Annotated[str, AfterValidator(_not_reserved)] = Field(pattern=r"^[a-z0-9_]+$", max_length=60)
    label: Labels
    description: str = ""
    applies_to: list[Literal["land", "building"]]
    impact: Literal["ground_pv", "roof_pv", "farm", "land", "floor"] = Field(
        "land", description="how the plan's impact figures are computed for this use")
    constraints: list[Constraint] = Field(default_factory=list)
    criteria: list[CriterionSpec] = Field(min_length=1)
    ahp: AhpSpec | None = None

    def weights(self) -> dict[str, float]:
        """Criterion weights summing to 1: from the AHP matrix when given
        (for the criteria still in the profile), else the stated weights."""
        if self.ahp is not None:
            from .mcda import ahp_weights

            w = dict(zip(self.ahp.order, ahp_weights(self.ahp.matrix).weights))
            raw = {c.criterion: w[c.criterion] for c in self.criteria}
        else:
            raw = {c.criterion: c.weight for c in self.criteria}
        total = sum(raw.values())
        return {k: v / total for k, v in raw.items()}

    def consistency_ratio(self) -> float | None:
        """Saaty's consistency ratio of the AHP matrix, None without one."""
        if self.ahp is None:
            return None
        from .mcda import ahp_weights

        return ahp_weights(self.ahp.matrix).consistency_ratio

    def criterion_names(self) -> list[str]:
        return list(dict.fromkeys([c.criterion for c in self.criteria] + [c.criterion for c in self.constraints]))


def fit_to_sources(profiles: list[Profile], sources: set[str]) -> tuple[list[Profile], list[str]]:
    """Drop from each profile the criteria and constraints whose optional
    source (a raster kind or ``zone:<kind>``) the project lacks (weights
    re-normalise), returning notes saying what was dropped.

    A profile left with no criterion keeps none of them and is reported.
    """
    from ..features import REGISTRY as criteria

    usable = lambda name: criteria[name].needs is None or criteria[name].needs in sources
    out, notes = [], []
    for p in profiles:
        named = {c.criterion for c in p.criteria} | {c.criterion for c in p.constraints}
        dropped = sorted(n for n in named if not usable(n))
        if not dropped:
            out.append(p)
            continue
        kept = [c for c in p.criteria if usable(c.criterion)]
        if not kept:
            notes.append(f"{p.name}: every criterion needs a raster the project lacks ({', '.join(dropped)}); profile skipped")
            continue
        out.append(p.model_copy(update={"criteria": kept,
                                        "constraints": [c for c in p.constraints if usable(c.criterion)]}))
        needs = sorted({need.replace("zone:", "") + (" zones" if need.startswith("zone:") else " raster")
                        for n in dropped if (need := criteria[n].needs)})
        notes.append(f"{p.name}: {', '.join(dropped)} not used (no {', '.join(needs)} in the config)")
        if p.ahp is not None:
            notes.append(f"{p.name}: AHP weights re-normalised over the criteria kept")
    return out, notes


def _ahp_problems(profile: Profile, where: str) -> list[str]:
    from .mcda import CR_LIMIT, ahp_weights

    ahp = profile.ahp
    assert ahp is not None
    listed = [c.criterion for c in profile.criteria]
    if sorted(ahp.order) != sorted(listed):
        return [f"{where}: ahp.order {ahp.order} must name exactly the profile's criteria {listed}"]
    try:
        result = ahp_weights(ahp.matrix)
    except ValueError as exc:
        return [f"{where}: ahp.matrix: {exc}"]
    if len(ahp.matrix) != len(ahp.order):
        return [f"{where}: ahp.matrix has {len(ahp.matrix)} rows for {len(ahp.order)} criteria"]
    if result.consistency_ratio > CR_LIMIT and not ahp.force:
        return [f"{where}: the AHP comparisons are inconsistent (consistency ratio {result.consistency_ratio:.3f} "
                f"> {CR_LIMIT}); revise the matrix or set ahp.force: true"]
    return []


def _semantic_problems(profile: Profile, where: str) -> list[str]:
    problems = []
    seen = set()
    for i, spec in enumerate(profile.criteria):
        crit = REGISTRY.get(spec.criterion)
        if crit is None:
            problems.append(f"{where}: criteria.{i}.criterion: unknown criterion '{spec.criterion}' (known: {', '.join(sorted(REGISTRY))})")
            continue
        if spec.criterion in seen:
            problems.append(f"{where}: criteria.{i}: '{spec.criterion}' is listed twice")
        seen.add(spec.criterion)
        is_cat = spec.function.type == "categories"
        if is_cat != (crit.kind == "category"):
            problems.append(f"{where}: criteria.{i}: '{spec.criterion}' is a {crit.kind}; "
                            f"use {'a categories' if crit.kind == 'category' else 'a numeric'} function")
    if profile.ahp is not None:
        problems.extend(_ahp_problems(profile, where))
    for i, con in enumerate(profile.constraints):
        crit = REGISTRY.get(con.criterion)
        if crit is None:
            problems.append(f"{where}: constraints.{i}.criterion: unknown criterion '{con.criterion}'")
        elif crit.kind == "category" and (con.min is not None or con.max is not None):
            problems.append(f"{where}: constraints.{i}: '{con.criterion}' is a category; use in / not_in")
        elif crit.kind == "number" and (con.in_ or con.not_in):
            problems.append(f"{where}: constraints.{i}: '{con.criterion}' is a number; use min / max")
    return problems


def read_profile_file(path: Path) -> tuple[Profile | None, list[str]]:
    """A profile and the problems found in it (profile is None if unusable)."""
    data = read_yaml(path)
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        return None, [f"{path}: {line}" for line in format_validation_error(exc)]
    return profile, _semantic_problems(profile, str(path))


def builtin_profile_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def load_profiles(spec: ProfilesSpec) -> list[Profile]:
    """The profiles a project scores, with its weight overrides applied.

    Raises
    ------
    ConfigError
        Listing every problem in every profile and override.
    """
    load_plugins()
    problems: list[str] = []
    available: dict[str, Profile] = {}
    for path in [*(f for d in PROFILE_DIRS for f in sorted(d.glob("*.yaml"))), *spec.files]:
        try:
            profile, found = read_profile_file(path)
        except ConfigError as exc:
            problems.extend(f"{exc.title}: {p}" for p in exc.problems)
            continue
        problems.extend(found)
        if profile is not None:
            available[profile.name] = profile  # a project file may replace a built-in profile
    names = spec.use if spec.use is not None else list(available)
    for name in names:
        if name not in available and not any(name in p for p in problems):
            problems.append(f"profiles.use: unknown profile '{name}' (available: {', '.join(sorted(available))})")
    chosen = [available[n] for n in names if n in available]
    by_name = {p.name: p for p in chosen}
    for use, weights in spec.weights.items():
        if use not in by_name:
            problems.append(f"profiles.weights.{use}: not a profile in use ({', '.join(by_name)})")
            continue
        profile = by_name[use]
        if profile.ahp is not None:
            problems.append(f"profiles.weights.{use}: {use} takes its weights from its AHP matrix; edit the matrix instead")
            continue
        listed = {c.criterion for c in profile.criteria}
        for crit, w in weights.items():
            if crit not in listed:
                problems.append(f"profiles.weights.{use}.{crit}: not a criterion of {use} ({', '.join(sorted(listed))})")
            elif w <= 0:
                problems.append(f"profiles.weights.{use}.{crit}: weight must be > 0 (remove the criterion in a profile file instead)")
        if not any(p.startswith(f"profiles.weights.{use}") for p in problems):
            criteria = [c.model_copy(update={"weight": weights.get(c.criterion, c.weight)}) for c in profile.criteria]
            by_name[use] = profile.model_copy(update={"criteria": criteria})
    if not names:
        problems.append("profiles.use: no profile selected")
    if problems:
        raise ConfigError("use profiles", problems)
    return [by_name[n] for n in names]
