"""Data contracts checked at every stage boundary.

A contract names the columns a stage's output must have, their kind, whether
they may hold missing values, the CRS and the id column that must be unique.
:func:`check` gathers every violation and raises one
:class:`~pipeline.common.errors.ContractError`. The contracts below are the written
interface between stages; later stages may add columns, never drop these.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from pandas.api import types as ptypes

from . import settings
from .errors import ContractError
from .evidence import CONFIDENCE, OWNERSHIP, STRENGTHS

_KIND_CHECKS = {
    "str": lambda s: ptypes.is_string_dtype(s) or ptypes.is_object_dtype(s),
    "float": ptypes.is_float_dtype,
    "int": ptypes.is_integer_dtype,
    "bool": ptypes.is_bool_dtype,
    "number": lambda s: ptypes.is_numeric_dtype(s) and not ptypes.is_bool_dtype(s),
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # str | float | int | bool | number
    nullable: bool = False
    allowed: frozenset[str] | None = None


@dataclass(frozen=True)
class Contract:
    """What a stage's output table must look like."""

    name: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()
    geometry_types: frozenset[str] | None = None  # None: not a GeoDataFrame
    metric_crs: bool = False
    valid_geometries: bool = True  # False for raw layers: transform repairs them


def _column_problems(df: pd.DataFrame, contract: Contract) -> list[str]:
    problems = []
    for col in contract.columns:
        if col.name not in df.columns:
            problems.append(f"column '{col.name}' is missing")
            continue
        s = df[col.name]
        if len(s) and not _KIND_CHECKS[col.kind](s) and not s.isna().all():
            problems.append(f"column '{col.name}' should hold {col.kind} values, has dtype {s.dtype}")
        n_missing = int(s.isna().sum())
        if n_missing and not col.nullable:
            problems.append(f"column '{col.name}' has {n_missing} missing value(s)")
        if col.allowed is not None:
            bad = sorted(set(map(str, pd.unique(s.dropna()))) - col.allowed)
            if bad:
                problems.append(f"column '{col.name}' has values {bad} outside {sorted(col.allowed)}")
    return problems


def _key_problems(df: pd.DataFrame, contract: Contract) -> list[str]:
    key = [c for c in contract.unique if c in df.columns]
    if not key or len(key) != len(contract.unique):
        return []
    # a column holding one value (the use, in one profile's scores) cannot tell rows apart: hashing the
    # other column alone checks a run's million scores in 0.3-0.5 s against 0.9 s for the pair
    varying = [c for c in key if len(df) and not (df[c] == df[c].iloc[0]).fillna(False).all()]
    if len(varying) == 1:
        dup = df[varying[0]].duplicated(keep=False)
    elif not varying:
        dup = pd.Series(len(df) > 1, index=df.index)
    else:
        dup = df.duplicated(subset=key, keep=False)
    if not dup.any():
        return []
    ids = df.loc[dup, key].drop_duplicates().head(5).to_dict("records")
    return [f"{'+'.join(key)} is not unique: {int(dup.sum())} rows share ids, e.g. {ids}"]


def _geometry_problems(df: pd.DataFrame, contract: Contract, crs) -> list[str]:
    if not isinstance(df, gpd.GeoDataFrame):
        return ["is not a GeoDataFrame"]
    problems = []
    types = set(df.geom_type.dropna().unique())
    allowed = contract.geometry_types or frozenset()
    if types - allowed:
        problems.append(f"geometry types {sorted(types - allowed)} not allowed (expected {sorted(allowed)})")
    n_empty = int((df.geometry.is_empty | df.geometry.isna()).sum())
    if n_empty:
        problems.append(f"{n_empty} empty or missing geometries")
    n_invalid = int((~df.geometry.is_valid).sum()) if contract.valid_geometries else 0
    if n_invalid:
        problems.append(f"{n_invalid} invalid geometries")
    if df.crs is None:
        problems.append("has no CRS")
    elif crs is not None and not df.crs.equals(crs):
        problems.append(f"CRS is {df.crs.to_string()}, expected {crs}")
    elif contract.metric_crs and not df.crs.is_projected:
        problems.append(f"CRS {df.crs.to_string()} is not metric")
    return problems


def check(df: pd.DataFrame, contract: Contract, crs=None) -> pd.DataFrame:
    """Check ``df`` against ``contract``; return it unchanged or raise.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
    contract : Contract
    crs : optional
        The CRS the output must be in (the project CRS).
    """
    problems = _column_problems(df, contract) + _key_problems(df, contract)
    if contract.geometry_types is not None:
        problems += _geometry_problems(df, contract, crs)
    if problems:
        raise ContractError(f"{contract.name} (stage output contract)", problems)
    return df


POLYGONS = settings.POLYGONAL
KINDS = frozenset({"land", "building"})

OSM_LAYER = Contract(
    name="osm layer",
    columns=(
        Column("osm_ref", "str"),
        Column("osm_type", "str", allowed=frozenset({"node", "way", "relation"})),
        Column("osm_id", "int"),
        Column("name", "str", nullable=True),
        Column("tags", "str"),  # dicts are object-dtype columns
    ),
    unique=("osm_ref",),
    geometry_types=frozenset({"Point", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}),
    valid_geometries=False,
)

REGISTER = Contract(
    name="register",
    columns=(
        Column("row", "int"),
        Column("register_id", "str"),
        Column("status", "str"),
        Column("name", "str", nullable=True),
        Column("kind", "str", nullable=True, allowed=frozenset({"land", "building"})),
        Column("osm_ref", "str", nullable=True),
        Column("parcel_code", "str", nullable=True),
        Column("area_m2", "float", nullable=True),
    ),
    unique=("register_id",),
)

SURVEY = Contract(
    name="survey",
    columns=(
        Column("row", "int"),
        Column("survey_id", "str"),
        Column("condition", "str", nullable=True),
        Column("occupancy", "str", nullable=True),
        Column("idle", "bool"),
    ),
    unique=("survey_id",),
    geometry_types=frozenset({"Point"}),
)

INVENTORY = Contract(
    name="inventory",
    columns=(
        Column("asset_id", "str"),
        Column("name", "str", nullable=True),
        Column("kind", "str", allowed=KINDS),
        Column("area_m2", "float"),
        Column("sources", "str"),
        Column("idle_evidence", "str"),
        Column("geometry_source", "str"),
        Column("osm_ref", "str", nullable=True),
        Column("register_id", "str", nullable=True),
        Column("parcel_code", "str", nullable=True),
        Column("survey_ids", "str", nullable=True),
        Column("landuse", "str", nullable=True),
        Column("building", "str", nullable=True),
        Column("condition", "str", nullable=True),
        Column("occupancy", "str", nullable=True),
        Column("evidence_strength", "str", allowed=frozenset(STRENGTHS)),
        Column("ownership", "str", allowed=frozenset(OWNERSHIP)),
        Column("ownership_evidence", "str"),
        Column("confidence", "str", allowed=frozenset(CONFIDENCE)),
        Column("conflicts", "str", nullable=True),
        Column("active_use", "str", nullable=True),
    ),
    unique=("asset_id",),
    geometry_types=POLYGONS,
    metric_crs=True,
)

SCORES = Contract(
    name="scores",
    columns=(
        Column("asset_id", "str"),
        Column("use", "str"),
        Column("eligible", "bool"),
        Column("excluded_by", "str", nullable=True),
        Column("score", "float", nullable=True),
        Column("rank", "number", nullable=True),
        Column("reason_en", "str"),
        Column("reason_el", "str"),
        Column("topsis", "float", nullable=True),
        Column("rank_topsis", "number", nullable=True),
        Column("p_top_k", "float", nullable=True),
        Column("rank_p05", "float", nullable=True),
        Column("rank_p95", "float", nullable=True),
    ),
    unique=("asset_id", "use"),
)

SCORE_NUMBERS = Contract(
    name="scores (numbers only)",
    columns=tuple(c for c in SCORES.columns if c.name not in ("excluded_by", "reason_en", "reason_el")),
    unique=SCORES.unique,
)

CONTRIBUTIONS = Contract(
    name="contributions",
    columns=(
        Column("asset_id", "str"),
        Column("use", "str"),
        Column("criterion", "str"),
        Column("raw", "str", nullable=True),
        Column("value", "float"),
        Column("weight", "float"),
        Column("points", "float"),
        Column("missing", "bool"),
    ),
    unique=("asset_id", "use", "criterion"),
)

MATCHING = Contract(
    name="matching",
    columns=(
        Column("asset_id", "str"),
        Column("name", "str", nullable=True),
        Column("kind", "str", allowed=KINDS),
        Column("best_use", "str", nullable=True),
        Column("score", "float", nullable=True),
        Column("rank_in_use", "number", nullable=True),
        Column("runner_up", "str", nullable=True),
        Column("runner_up_score", "float", nullable=True),
        Column("reason_en", "str"),
        Column("reason_el", "str"),
    ),
    unique=("asset_id",),
)
