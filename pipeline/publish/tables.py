"""Tables for analysts and consultants: GeoPackage, CSV (UTF-8 with BOM) and XLSX."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .._text import defuse_formula, defuse_frame
from ..io import write_csv, write_geopackage, write_geoparquet, xlsx_writer
from ..features import REGISTRY
from ..match import ranking
from ..plan import plan_totals
from ..profiles import Profile

#: Columns never published (personal data of surveyors and owners' contacts).
PRIVATE_COLUMNS = ("surveyor",)


def public_inventory(features: gpd.GeoDataFrame, scores: pd.DataFrame, matching: pd.DataFrame,
                     private: set[str] | frozenset[str] = frozenset()) -> gpd.GeoDataFrame:
    """Inventory with features, one score column per use and the best use;
    private columns (``PRIVATE_COLUMNS`` and those the config marks) blanked."""
    wide = scores.pivot(index="asset_id", columns="use", values="score").add_prefix("score_")
    inv = features.drop(columns=[c for c in PRIVATE_COLUMNS if c in features.columns])
    for col in private & set(inv.columns):
        inv[col] = None
    inv = inv.merge(wide, left_on="asset_id", right_index=True, how="left")
    best = matching.set_index("asset_id")[["best_use", "score", "reason_en", "reason_el"]]
    inv = inv.merge(best.rename(columns={"score": "best_score"}), left_on="asset_id", right_index=True, how="left")
    return inv


#: Decimals kept in published tables (analysis keeps full precision).
DECIMALS = {"score": 1, "runner_up_score": 1, "area_m2": 1, "value": 3, "weight": 3, "points": 2, "topsis": 3,
            "p_top_k": 3, "usable_area_m2": 1, "kwp": 1, "mwh_per_year": 1, "cultivable_m2": 1, "jobs": 1}


def rounded(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its score, area and weight columns rounded for publication."""
    return df.round({c: d for c, d in DECIMALS.items() if c in df.columns})


def sheet_names(names: list[str]) -> dict[str, str]:
    """An XLSX sheet name for each of ``names``: at most 31 characters, none of
    ``[]:*?/\\``, and unique (Excel compares them without case), so no sheet
    overwrites another."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
        candidate, n = base, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{base[:31 - len(str(n)) - 1]}~{n}"
        taken.add(candidate.casefold())
        out[name] = candidate
    return out


def _xlsx_sheet(writer, df: pd.DataFrame, sheet: str, title: str, credit: str) -> None:
    df = defuse_frame(df)
    df.to_excel(writer, sheet_name=sheet, index=False, startrow=2)
    ws = writer.sheets[sheet]
    ws["A1"] = defuse_formula(title)
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = defuse_formula(credit)
    ws["A2"].font = Font(italic=True, size=9)
    fill = PatternFill("solid", fgColor="DDE7F0")
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, col in enumerate(df.columns, start=1):
        width = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)])
        ws.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)
    ws.freeze_panes = "A4"


def write_tables(out_dir: Path, inventory: gpd.GeoDataFrame, scores: pd.DataFrame, contributions: pd.DataFrame,
                 matching: pd.DataFrame, profiles: list[Profile], boundary: gpd.GeoDataFrame,
                 credits: list[str], title: str, plan: pd.DataFrame | None = None,
                 targets: pd.DataFrame | None = None, impact_sources: pd.DataFrame | None = None,
                 sensitivity=None, conflicts: pd.DataFrame | None = None,
                 verify: pd.DataFrame | None = None) -> list[Path]:
    """Write the GeoPackage, the CSV tables and the XLSX workbook.

    Returns
    -------
    list of Path
        Every file written.
    """
    out_dir = Path(out_dir)
    credit = "Data: " + "; ".join(credits)
    written = [write_geopackage({"idle_assets": inventory, "boundary": boundary}, out_dir / "idle_assets.gpkg"),
               write_geoparquet(inventory, out_dir / "idle_assets.parquet")]
    rankings = {p.name: rounded(ranking(scores, inventory, p.name)) for p in profiles}
    matching, scores, contributions = rounded(matching), rounded(scores), rounded(contributions)
    for name, table in rankings.items():
        written.append(write_csv(table.assign(attribution=credit), out_dir / f"ranking_{name}.csv"))
    written.append(write_csv(matching.assign(attribution=credit), out_dir / "matching.csv"))
    given = {"plan": plan, "plan_totals": plan_totals(plan) if plan is not None else None, "targets": targets,
             "impact_sources": impact_sources, "verify_ownership": verify, "conflicts": conflicts}
    extra = {k: rounded(v) for k, v in given.items() if v is not None}
    for name, table in extra.items():
        written.append(write_csv(table.assign(attribution=credit) if name == "plan" else table, out_dir / f"{name}.csv"))
    written.append(write_csv(scores.assign(attribution=credit), out_dir / "scores.csv"))
    written.append(write_csv(contributions, out_dir / "contributions.csv"))
    target = out_dir / "idle_assets.xlsx"
    fixed = ["plan", "plan_totals", "targets", "matching", "inventory", "verify_ownership", "conflicts",
             "method_weights", "criteria", "impact_sources", "sources"]
    sheets = sheet_names(fixed + [p.name for p in profiles])
    with xlsx_writer(target) as writer:
        if "plan" in extra:
            _xlsx_sheet(writer, extra["plan"], "plan", f"{title}: assets assigned to uses, impact and candidate organisations", credit)
            _xlsx_sheet(writer, extra["plan_totals"], "plan_totals", f"{title}: impact of the plan per use and in total", credit)
            _xlsx_sheet(writer, extra["targets"], "targets", f"{title}: the plan's targets, reached and unmet", credit)
        _xlsx_sheet(writer, matching, "matching", f"{title}: best use per asset", credit)
        for p in profiles:
            _xlsx_sheet(writer, rankings[p.name], sheets[p.name], f"{title}: {p.label.en} / {p.label.el}", credit)
        assets = pd.DataFrame(inventory.drop(columns="geometry"))
        _xlsx_sheet(writer, assets, "inventory", f"{title}: idle-asset inventory", credit)
        if "verify_ownership" in extra:
            _xlsx_sheet(writer, extra["verify_ownership"], "verify_ownership",
                        f"{title}: assets whose ownership is not public or not known: verify before the plan uses them",
                        credit)
        if "conflicts" in extra:
            _xlsx_sheet(writer, extra["conflicts"], "conflicts", f"{title}: where the sources disagree", credit)
        weights = pd.DataFrame([
            {"use": p.name, "criterion": c.criterion, "weight": round(p.weights()[c.criterion], 4),
             "weights_from": "AHP" if p.ahp else "stated", "ahp_consistency_ratio": p.consistency_ratio(),
             "function": c.function.type, "missing_value": c.missing}
            for p in profiles for c in p.criteria
        ])
        method = f"{title}: criteria and weights (score = 100 x weighted sum; TOPSIS as an alternative ranking"
        if sensitivity is not None:
            method += (f"; sensitivity: {sensitivity.draws} weight draws, spread {sensitivity.spread:g}, "
                       f"seed {sensitivity.seed}, top {sensitivity.top_k})")
        _xlsx_sheet(writer, weights, "method_weights", method + ")" * (sensitivity is None), credit)
        criteria = pd.DataFrame([{"criterion": c.name, "unit": c.unit, "direction": c.direction, "label_en": c.label_en,
                                  "label_el": c.label_el, "needs": c.needs or ""} for c in REGISTRY.values()])
        _xlsx_sheet(writer, criteria, "criteria", f"{title}: the criteria library", credit)
        if "impact_sources" in extra:
            _xlsx_sheet(writer, extra["impact_sources"], "impact_sources", f"{title}: impact coefficients and their sources", credit)
        _xlsx_sheet(writer, pd.DataFrame({"source and licence": credits}), "sources", "Data sources", credit)
    written.append(target)
    return written
