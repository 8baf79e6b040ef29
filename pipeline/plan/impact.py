"""Impact figures of the plan: usable area, solar capacity and yield,
cultivable area and jobs, per (asset, use) and in total.

Every coefficient comes from :class:`pipeline.common.coefficients.ImpactSpec`, which
states its source; the plan's tables repeat the sources next to the figures.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..common.coefficients import Coefficient, ImpactSpec, YieldSpec, peak_kwp
from ..score.profiles import Profile


def annual_yield(spec: YieldSpec, latitude: float, longitude: float) -> float:
    """kWh per kWp per year: the fixed figure, or pvlib's clear-sky
    irradiation on the tilted plane over a year at this place, times the
    performance ratio and the clearness factor."""
    if spec.method == "fixed":
        assert spec.kwh_per_kwp is not None  # YieldSpec checks it
        return float(spec.kwh_per_kwp.value)
    import pvlib

    times = pd.date_range("2025-01-01", "2026-01-01", freq="1h", inclusive="left", tz="UTC")
    site = pvlib.location.Location(latitude, longitude)
    sun = site.get_solarposition(times)
    sky = site.get_clearsky(times, model="simplified_solis", solar_position=sun)
    poa = pvlib.irradiance.get_total_irradiance(spec.tilt_deg, spec.azimuth_deg, sun["apparent_zenith"],
                                                sun["azimuth"], sky["dni"], sky["ghi"], sky["dhi"])
    kwh_per_m2 = float(poa["poa_global"].clip(lower=0).sum()) / 1000.0  # = kWh per kWp at 1 kW/m²
    assert spec.performance_ratio is not None and spec.clearness is not None  # YieldSpec checks them
    return kwh_per_m2 * spec.performance_ratio.value * spec.clearness.value


def _inset_area(geoms: np.ndarray, setback: float) -> np.ndarray:
    return shapely.area(shapely.buffer(geoms, -setback)) if setback > 0 else shapely.area(geoms)


def potentials(features: gpd.GeoDataFrame, scores: pd.DataFrame, profiles: list[Profile], spec: ImpactSpec,
               yield_kwh_per_kwp: float) -> pd.DataFrame:
    """Impact figures for every eligible (asset, use) pair.

    Columns: ``asset_id``, ``use``, ``usable_area_m2``, ``kwp``,
    ``mwh_per_year``, ``cultivable_m2``, ``jobs``.
    """
    pairs = scores.loc[scores["eligible"], ["asset_id", "use"]]
    f = features.set_index("asset_id").loc[pairs["asset_id"]]
    rule = pairs["use"].map({p.name: p.impact for p in profiles}).to_numpy()
    geoms = f.geometry.to_numpy()
    area = shapely.area(geoms)
    built = f["c_footprint_share"].fillna(0).to_numpy() if "c_footprint_share" in f else np.zeros(len(f))
    floor = f["c_floor_area_m2"].fillna(0).to_numpy() if "c_floor_area_m2" in f else area
    solar = spec.solar
    inset = _inset_area(geoms, solar.setback_m.value)
    open_land = area * (1 - built)
    usable = np.select([rule == "ground_pv", rule == "roof_pv", rule == "floor"],
                       [inset * (1 - built), inset, floor], default=open_land)
    pv = (rule == "ground_pv") | (rule == "roof_pv")
    kwp = np.where(pv, peak_kwp(inset, 1 - built, rule == "roof_pv", solar), 0.0)
    cultivable = np.where(rule == "farm", open_land * spec.farm.cultivable_share.value, 0.0)
    jobs = np.full(len(pairs), np.nan)
    for use, coef in spec.jobs.items():
        mine = (pairs["use"] == use).to_numpy()
        unit = {"ha": usable / 10000, "site": np.ones(len(pairs)), "MW": kwp / 1000, "100 m²": usable / 100}[coef.per]
        jobs[mine] = coef.value * unit[mine]
    return pd.DataFrame({
        "asset_id": pairs["asset_id"].to_numpy(), "use": pairs["use"].to_numpy(),
        "usable_area_m2": usable, "kwp": kwp, "mwh_per_year": kwp * yield_kwh_per_kwp / 1000,
        "cultivable_m2": cultivable, "jobs": jobs,
    })


#: The coefficients' topics and names in English and Greek.
TOPICS = {"solar": "φωτοβολταϊκά", "farm": "αγρόκτημα", "jobs": "θέσεις εργασίας"}
PER_EL = {"ha": "ha", "site": "ακίνητο", "MW": "MW", "100 m²": "100 m²"}


def coefficient_sources(spec: ImpactSpec, yield_kwh_per_kwp: float, use_names: dict[str, str] | None = None) -> pd.DataFrame:
    """Every coefficient used, its value and its source, for the report: ``topic``, ``coefficient``, ``value``,
    ``source``, and the Greek ``topic_el``, ``coefficient_el``, ``source_el`` (a project's own coefficient
    without a Greek source keeps the source as written). ``use_names`` gives the uses' Greek names."""
    s = spec.solar
    names = use_names or {}
    rows: list[tuple[str, tuple[str, str], Coefficient | None]] = [
        ("solar", ("module kWp per m²", "kWp πλαισίων ανά m²"), s.module_kwp_per_m2),
        ("solar", ("ground cover ratio", "λόγος κάλυψης εδάφους"), s.ground_cover_ratio),
        ("solar", ("usable share of a roof", "αξιοποιήσιμο μερίδιο στέγης"), s.roof_usable_share),
        ("solar", ("setback (m)", "απόσταση από τα άκρα (m)"), s.setback_m),
        ("farm", ("cultivable share of open land", "καλλιεργήσιμο μερίδιο ακάλυπτης γης"), spec.farm.cultivable_share)]
    y = s.yield_
    yield_name = ("yield (kWh/kWp/year)", "ενεργειακή απόδοση (kWh/kWp/έτος)")
    if y.method == "fixed":
        rows.append(("solar", yield_name, y.kwh_per_kwp))
    else:
        rows += [("solar", ("performance ratio", "λόγος απόδοσης"), y.performance_ratio),
                 ("solar", ("clearness factor", "συντελεστής διαύγειας"), y.clearness)]

    def row(topic: str, name: tuple[str, str], value: float, source: str, source_el: str | None) -> dict:
        return {"topic": topic, "coefficient": name[0], "value": value, "source": source, "topic_el": TOPICS[topic],
                "coefficient_el": name[1], "source_el": source_el or source}

    out = [row(t, n, c.value, c.source, c.source_el) for t, n, c in rows if c is not None]
    if y.method == "pvlib_clearsky":
        out.append(row("solar", yield_name, round(yield_kwh_per_kwp, 1),
                       f"computed with pvlib: clear-sky (simplified Solis) irradiation on a {y.tilt_deg:g}° plane "
                       f"facing {y.azimuth_deg:g}° at the project's centre, times the two factors above",
                       f"υπολογισμός με το pvlib: ακτινοβολία καθαρού ουρανού (απλοποιημένο μοντέλο Solis) σε επίπεδο "
                       f"κλίσης {y.tilt_deg:g}° με προσανατολισμό {y.azimuth_deg:g}° στο κέντρο της περιοχής, επί τους "
                       "δύο συντελεστές παραπάνω"))
    out += [row("jobs", (f"{use} (per {c.per})", f"{names.get(use, use)} (ανά {PER_EL[c.per]})"), c.value, c.source,
                c.source_el) for use, c in spec.jobs.items()]
    return pd.DataFrame(out)
