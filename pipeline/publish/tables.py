"""Tables for analysts and consultants: GeoPackage, CSV (UTF-8 with BOM) and XLSX."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..common._text import defuse_formula, defuse_frame
from ..common.io import write_csv, write_geopackage, write_geoparquet, xlsx_writer
from ..features import REGISTRY
from ..common.i18n import COLUMNS_EL, greek_names, legal_form_name, t
from ..plan.match import ranking
from ..plan import plan_totals
from ..common.labels import site_labels
from ..common.privacy import Privacy
from .qgis_styles import add_styles, project_styles
from .view import Published

def public_inventory(features: gpd.GeoDataFrame, scores: pd.DataFrame, matching: pd.DataFrame,
                     private: Privacy | set[str] | frozenset[str] = frozenset(),
                     roads: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Inventory with features, one score column per use and the best use,
    fit to publish (see :mod:`pipeline.common.privacy`): private columns blanked and
    their values taken out of every derived text, reasons included; and a
    ``label`` for people (the name, or what it is and its street from
    ``roads``: :func:`pipeline.common.labels.site_labels`), made after the
    blanking so a private name never reaches it."""
    privacy = private if isinstance(private, Privacy) else Privacy.of(features, private)
    wide = scores.pivot(index="asset_id", columns="use", values="score").add_prefix("score_")
    inv = features.merge(wide, left_on="asset_id", right_index=True, how="left")
    best = matching.set_index("asset_id")[["best_use", "score", "reason_en", "reason_el"]]
    inv = inv.merge(best.rename(columns={"score": "best_score"}), left_on="asset_id", right_index=True, how="left")
    public = privacy.frame(inv)
    public.insert(public.columns.get_loc("name") + 1, "label", site_labels(public, roads))
    return public


#: Decimals kept in published tables (analysis keeps full precision).
DECIMALS = {"score": 1, "runner_up_score": 1, "area_m2": 1, "value": 3, "weight": 3, "points": 2, "topsis": 3,
            "p_top_k": 3, "usable_area_m2": 1, "kwp": 1, "mwh_per_year": 1, "cultivable_m2": 1, "jobs": 1}


#: Decimals of a criterion's value by its unit (``c_<criterion>`` columns).
UNIT_DECIMALS = {"m": 0, "m²": 0, "count": 0, "°": 1, "0-1": 2, "MWh/year": 1, "kWh/m²": 0}
#: English headers of the workbook's columns whose code does not say it (the rest keep their code).
COLUMNS_EN = {"rank_p05": "rank (5th percentile of the weight draws)", "rank_p95": "rank (95th percentile)",
              "p_top_k": "share of draws in the top", "ahp_consistency_ratio": "AHP consistency ratio"}


def column_decimals(columns) -> dict[str, int]:
    """Decimals of each column that is rounded for publication."""
    out = {c: d for c, d in DECIMALS.items() if c in columns}
    for c in columns:
        spec = REGISTRY.get(str(c)[2:]) if str(c).startswith("c_") else None
        if spec is not None and spec.unit in UNIT_DECIMALS:
            out[c] = UNIT_DECIMALS[spec.unit]
        elif str(c).startswith("score_"):
            out[c] = 1
    return out


def rounded(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its scores, areas, weights and criterion values rounded for publication (each to its unit)."""
    return df.round(column_decimals(df.columns))


def headers(column: str, uses: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """A column's Greek and English headers in the workbook: criteria by their
    names and units, scores by their uses' names, the rest from
    :data:`COLUMNS_EL` (the code when neither knows it)."""
    name = str(column)
    if name.startswith("c_") and name[2:] in REGISTRY:
        spec = REGISTRY[name[2:]]
        unit = f" ({spec.unit})" if spec.unit not in ("class", "") else ""
        shown = greek_names()["units"].get(spec.unit, spec.unit)
        unit_el = f" ({'πλήθος' if spec.unit == 'count' else shown})" if unit else ""
        return f"{spec.label_el}{unit_el}", f"{spec.label_en}{unit}"
    if name.startswith("score_") and name[6:] in uses:
        el, en = uses[name[6:]]
        return f"βαθμός: {el}", f"score: {en}"
    return COLUMNS_EL.get(name, name), COLUMNS_EN.get(name) or english_header(name)


_UNITS = (("_per_year", " per year"), ("_m2", " (m²)"), ("_ha", " (ha)"), ("_eur", " (€)"), ("_m", " (m)"),
          ("_en", " (English)"), ("_el", " (Greek)"))


def english_header(code: str) -> str:
    """A column code as an English header: ``usable_area_m2`` -> ``usable area (m²)``, ``mwh_per_year`` ->
    ``MWh per year``, ``reason_el`` -> ``reason (Greek)``."""
    text = code
    for suffix, words in _UNITS:
        if text.endswith(suffix):
            text = text[: -len(suffix)] + words
            break
    text = text.replace("_", " ").replace("mwh", "MWh").replace("kwp", "kWp").replace("osm", "OSM")
    return text


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


def labelled(df: pd.DataFrame, uses: dict[str, str]) -> pd.DataFrame:
    """``df`` for people: uses by their Greek and English names, legal forms
    by their names, kinds, ownership and confidence in both languages."""
    out = df.copy()
    for col in ("use", "best_use", "runner_up"):
        if col in out:
            out[col] = out[col].map(lambda u: uses.get(u, u) if isinstance(u, str) else u)
    if "candidate_legal_forms" in out:
        out["candidate_legal_forms"] = out["candidate_legal_forms"].map(
            lambda v: "; ".join(f"{legal_form_name(c, 'el')} / {legal_form_name(c, 'en')}" for c in v.split(";"))
            if isinstance(v, str) and v else v)
    for col, prefix in (("kind", ""), ("ownership", ""), ("confidence", "short_")):
        if col in out:
            out[col] = out[col].map(lambda v, prefix=prefix: f"{t('el', prefix + v)} / {v}" if isinstance(v, str) else v)
    return out


def _number_format(series: pd.Series, decimals: int | None) -> str | None:
    """The Excel format of a numeric column: thousands grouped, its decimals (None for text)."""
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    if decimals is None:
        whole = series.dropna()
        decimals = 0 if whole.empty or (whole == whole.round()).all() else 2
    return "#,##0" if decimals == 0 else "#,##0." + "0" * decimals


def _xlsx_sheet(writer, df: pd.DataFrame, sheet: str, title: tuple[str, str], credit: str,
                uses: dict[str, tuple[str, str]] | None = None) -> None:
    """A sheet: its Greek title, its English title with the credits, a Greek and
    an English header row (criteria with their units), the table with numbers as
    Excel numbers in their format, a filter on every column and the header rows
    and first column frozen. Rows 1 and 3 are the Greek side, rows 2 and 4 the English."""
    df = defuse_frame(rounded(df))
    names = [headers(c, uses or {}) for c in df.columns]
    df.to_excel(writer, sheet_name=sheet, index=False, startrow=3)
    ws = writer.sheets[sheet]
    ws["A1"] = defuse_formula(title[0])
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = defuse_formula(f"{title[1]}. {credit}")
    ws["A2"].font = Font(italic=True, size=9)
    fill = PatternFill("solid", fgColor="DDE7F0")
    for i, (el, en) in enumerate(names, start=1):
        ws.cell(row=3, column=i, value=defuse_formula(el))
        ws.cell(row=4, column=i, value=defuse_formula(en))
    for row in (3, 4):
        for cell in ws[row]:
            cell.font = Font(bold=True, italic=row == 4, size=11 if row == 3 else 9)
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    decimals = column_decimals(df.columns)
    for i, col in enumerate(df.columns, start=1):
        width = max([len(names[i - 1][0]) // 2, len(names[i - 1][1]) // 2]
                    + [len(str(v)) for v in df[col].head(200)])
        ws.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)
        fmt = _number_format(df[col], decimals.get(col))
        if fmt is not None:
            for (cell,) in ws.iter_rows(min_row=5, max_row=len(df) + 4, min_col=i, max_col=i):
                cell.number_format = fmt
    if len(df.columns):
        ws.auto_filter.ref = f"A4:{get_column_letter(len(df.columns))}{len(df) + 4}"
    ws.freeze_panes = "B5"


def write_tables(view: Published, out_dir: Path) -> list[Path]:
    """Write the GeoPackage, the CSV tables and the XLSX workbook of the view
    ``view`` into ``out_dir``. Every CSV made from the data carries the credits
    in an ``attribution`` column, and every sheet carries them and the OSM
    coverage under its title.

    Returns
    -------
    list of Path
        Every file written.
    """
    inventory, scores, contributions, matching = view.inventory, view.scores, view.contributions, view.matching
    profiles, credits, title, plan = list(view.profiles), list(view.credits), view.title, view.plan
    sensitivity = view.sensitivity
    note = view.coverage_text
    out_dir = Path(out_dir)
    credit = "Data: " + "; ".join(credits)
    sheet_credit = f"{credit}. {note}" if note else credit

    def named(el: str, en: str) -> tuple[str, str]:
        return f"{title}: {el}", f"{title}: {en}"

    layers = {"idle_assets": inventory, "boundary": view.boundary}
    if plan is not None and len(plan):
        shapes = inventory.set_index("asset_id").geometry
        layers["plan"] = gpd.GeoDataFrame(rounded(plan), geometry=shapes.loc[plan["asset_id"]].to_numpy(),
                                          crs=inventory.crs)
    styles = project_styles([(p.name, f"{p.label.el} / {p.label.en}") for p in profiles])
    written = [write_geopackage(layers, out_dir / "idle_assets.gpkg", lambda path: add_styles(path, styles)),
               write_geoparquet(inventory, out_dir / "idle_assets.parquet")]
    rankings = {p.name: rounded(ranking(scores, inventory, p.name)) for p in profiles}
    matching, scores, contributions = rounded(matching), rounded(scores), rounded(contributions)
    for name, table in rankings.items():
        written.append(write_csv(table.assign(attribution=credit), out_dir / f"ranking_{name}.csv"))
    written.append(write_csv(matching.assign(attribution=credit), out_dir / "matching.csv"))
    given = {"plan": plan, "plan_totals": plan_totals(plan) if plan is not None else None, "targets": view.targets,
             "impact_sources": view.impact_sources, "verify_ownership": view.verify, "conflicts": view.conflicts}
    extra = {k: rounded(v) for k, v in given.items() if v is not None}
    for name, table in extra.items():  # the coefficients' sources are not data of the place
        written.append(write_csv(table if name == "impact_sources" else table.assign(attribution=credit),
                                 out_dir / f"{name}.csv"))
    written.append(write_csv(scores.assign(attribution=credit), out_dir / "scores.csv"))
    written.append(write_csv(contributions.assign(attribution=credit), out_dir / "contributions.csv"))
    target = out_dir / "idle_assets.xlsx"
    fixed = ["plan", "plan_totals", "targets", "matching", "inventory", "verify_ownership", "conflicts",
             "method_weights", "criteria", "impact_sources", "sources", "inputs_report"]
    sheets = sheet_names(fixed + [p.name for p in profiles])
    uses = {p.name: f"{p.label.el} / {p.label.en}" for p in profiles}
    extra = {k: labelled(v, uses) for k, v in extra.items()}
    matching = labelled(matching, uses)
    rankings = {k: labelled(v, uses) for k, v in rankings.items()}
    with xlsx_writer(target) as writer:
        if "plan" in extra:
            _xlsx_sheet(writer, extra["plan"], "plan", named(
                "ακίνητα με τις χρήσεις τους, αποτύπωμα και υποψήφιοι φορείς",
                "assets assigned to uses, impact and candidate organisations"), sheet_credit)
            _xlsx_sheet(writer, extra["plan_totals"], "plan_totals", named(
                "το αποτύπωμα του σχεδίου ανά χρήση και συνολικά", "impact of the plan per use and in total"), sheet_credit)
            _xlsx_sheet(writer, extra["targets"], "targets", named(
                "οι στόχοι του σχεδίου, τι επιτυγχάνεται και τι υπολείπεται", "the plan's targets, reached and unmet"),
                sheet_credit)
        _xlsx_sheet(writer, matching, "matching", named("η καλύτερη χρήση κάθε ακινήτου", "best use per asset"), sheet_credit)
        for p in profiles:
            _xlsx_sheet(writer, rankings[p.name], sheets[p.name], named(f"κατάταξη: {p.label.el}", f"ranking: {p.label.en}"),
                        sheet_credit)
        assets = labelled(pd.DataFrame(inventory.drop(columns="geometry")), uses)
        _xlsx_sheet(writer, assets, "inventory", named("απογραφή αδρανών ακινήτων", "idle-asset inventory"), sheet_credit,
                    {p.name: (p.label.el, p.label.en) for p in profiles})
        if "verify_ownership" in extra:
            _xlsx_sheet(writer, extra["verify_ownership"], "verify_ownership", named(
                "ακίνητα με ιδιοκτησία μη δημόσια ή άγνωστη: επαλήθευση πριν τα χρησιμοποιήσει το σχέδιο",
                "assets whose ownership is not public or not known: verify before the plan uses them"), sheet_credit)
        if "conflicts" in extra:
            _xlsx_sheet(writer, extra["conflicts"], "conflicts", named("διαφωνίες μεταξύ πηγών", "where the sources disagree"),
                        sheet_credit)
        weights = pd.DataFrame([
            {"use": p.name, "criterion": c.criterion, "weight": round(p.weights()[c.criterion], 4),
             "weights_from": "AHP" if p.ahp else "stated", "ahp_consistency_ratio": p.consistency_ratio(),
             "function": c.function.type, "missing_value": c.missing}
            for p in profiles for c in p.criteria
        ])
        method = "criteria and weights (score = 100 x weighted sum; TOPSIS as an alternative ranking"
        method_el = "κριτήρια και βάρη (βαθμός = 100 × σταθμισμένο άθροισμα· TOPSIS ως εναλλακτική κατάταξη"
        if sensitivity is not None:
            method += (f"; sensitivity: {sensitivity.draws} weight draws, spread {sensitivity.spread:g}, "
                       f"seed {sensitivity.seed}, top {sensitivity.top_k}")
            method_el += (f"· ευαισθησία: {sensitivity.draws} τυχαίες σταθμίσεις, διασπορά "
                          f"{str(sensitivity.spread).replace('.', ',')}, σπόρος {sensitivity.seed}, "
                          f"{sensitivity.top_k} πρώτες θέσεις")
        _xlsx_sheet(writer, weights, "method_weights", named(method_el + ")", method + ")"), sheet_credit)
        criteria = pd.DataFrame([{"criterion": c.name, "unit": c.unit, "direction": c.direction, "label_en": c.label_en,
                                  "label_el": c.label_el, "needs": c.needs or ""} for c in REGISTRY.values()])
        _xlsx_sheet(writer, criteria, "criteria", named("η βιβλιοθήκη κριτηρίων", "the criteria library"), sheet_credit)
        if "impact_sources" in extra:
            _xlsx_sheet(writer, extra["impact_sources"], "impact_sources", named(
                "συντελεστές αποτυπώματος και πηγές τους", "impact coefficients and their sources"), sheet_credit)
        _xlsx_sheet(writer, pd.DataFrame({"source and licence": credits}), "sources",
                    ("Πηγές δεδομένων και άδειες", "Data sources and licences"), sheet_credit)
        _xlsx_sheet(writer, view.report[["source", "action", "count", "detail"]], "inputs_report", named(
            "τι έγινε με κάθε εισροή (σημεία προς εντοπισμό, απορρίψεις, υποψήφιοι διάδρομοι και κάθε πλήθος· στα αγγλικά)",
            "what happened to every input (records to locate, dropped or skipped, corridor candidates and every count)"),
            sheet_credit)
    written.append(target)
    return written
