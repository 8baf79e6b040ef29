"""Impact coefficients: their schema, the package's defaults
(``pipeline/common/impact_defaults.yaml``) with a project's overrides, and the
solar capacity formula that the features (solar yield) and the impact figures
both use.

Every coefficient states its source; the plan's tables repeat the sources
next to the figures. This is a shared leaf: the config validates a project's
``impact:`` overrides with it, and the criteria read the solar coefficients.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import _yaml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Coefficient(_Strict):
    """A number used in the impact figures, with where it comes from."""

    value: float = Field(ge=0)
    source: str = Field(min_length=3, description="publication, dataset or stated assumption")
    source_el: str | None = Field(None, description="the source in Greek (the annex's Greek side; else the source as written)")


class YieldSpec(_Strict):
    """Annual PV yield per kWp: a fixed figure (e.g. from PVGIS for the site),
    or computed with pvlib from clear-sky irradiance on the tilted plane at the
    project's latitude, scaled by a performance ratio and a clearness factor."""

    method: Literal["fixed", "pvlib_clearsky"] = "pvlib_clearsky"
    kwh_per_kwp: Coefficient | None = None
    tilt_deg: float = Field(25, ge=0, le=90)
    azimuth_deg: float = Field(180, ge=0, lt=360)
    performance_ratio: Coefficient | None = None
    clearness: Coefficient | None = None

    @model_validator(mode="after")
    def _complete(self) -> "YieldSpec":
        if self.method == "fixed" and self.kwh_per_kwp is None:
            raise ValueError("method fixed needs kwh_per_kwp {value, source}")
        if self.method == "pvlib_clearsky" and (self.performance_ratio is None or self.clearness is None):
            raise ValueError("method pvlib_clearsky needs performance_ratio and clearness {value, source}")
        return self


class SolarImpact(_Strict):
    module_kwp_per_m2: Coefficient
    ground_cover_ratio: Coefficient
    roof_usable_share: Coefficient
    setback_m: Coefficient
    yield_: YieldSpec = Field(alias="yield")


class JobsCoefficient(Coefficient):
    per: Literal["ha", "site", "MW", "100 m²"]


class FarmImpact(_Strict):
    cultivable_share: Coefficient


class ImpactSpec(_Strict):
    """Coefficients of the plan's impact figures; each states its source."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    solar: SolarImpact
    farm: FarmImpact
    jobs: dict[str, JobsCoefficient]


@lru_cache(maxsize=1)
def _impact_defaults_text() -> str:
    return (Path(__file__).parent / "impact_defaults.yaml").read_text(encoding="utf-8")


def impact_defaults() -> dict:
    """The package's default coefficients (``pipeline/common/impact_defaults.yaml``), as a fresh mapping."""
    return _yaml.load(_impact_defaults_text())


def merge(base: dict, override: dict) -> dict:
    """``base`` with ``override`` applied; a coefficient (a mapping with a
    ``value``) is replaced whole, so a new value must state its own source."""
    out = dict(base)
    for k, v in override.items():
        nested = isinstance(v, dict) and isinstance(base.get(k), dict) and "value" not in v
        out[k] = merge(base[k], v) if nested else v
    return out


def impact_spec(overrides: dict | None = None) -> ImpactSpec:
    """The package's coefficients with a project's ``impact:`` overrides
    (pydantic's errors carry the key path of a bad override)."""
    return ImpactSpec.model_validate(merge(impact_defaults(), overrides or {}))


def peak_kwp(inset_area: np.ndarray, open_share: np.ndarray, on_roof: np.ndarray, solar: SolarImpact) -> np.ndarray:
    """Peak PV capacity (kWp) of sites: on a roof, the usable share of its
    area inside the setback; on land, the ground-cover ratio of the open
    (unbuilt) part inside the setback; times the modules' kWp per m²."""
    covered = np.where(on_roof, inset_area * solar.roof_usable_share.value,
                       inset_area * open_share * solar.ground_cover_ratio.value)
    return covered * solar.module_kwp_per_m2.value
