"""The strategic-plan annex in Markdown, HTML and PDF: inventory summary, rankings
per use, the plan with candidate organisations, impact totals and targets,
method and weights, sensitivity, data sources and licences. Headings in Greek
and English from one table; every text from the inputs is escaped in HTML."""

from __future__ import annotations

import html
import logging
from pathlib import Path

import pandas as pd

from .._text import markdown_text
from ..io import atomic_path, write_text
from ..evidence import CONFIDENCE
from ..profiles import Profile

log = logging.getLogger(__name__)

HEADINGS = {
    "summary": ("Inventory of idle assets", "Απογραφή αδρανών ακινήτων"),
    "plan": ("The plan: assets, uses and organisations", "Το σχέδιο: ακίνητα, χρήσεις και φορείς"),
    "totals": ("Impact of the plan", "Αποτύπωμα του σχεδίου"),
    "targets": ("Targets", "Στόχοι"),
    "rankings": ("Ranking per use", "Κατάταξη ανά χρήση"),
    "method": ("Method and weights", "Μέθοδος και βαρύτητες"),
    "sensitivity": ("Sensitivity of the rankings", "Ευαισθησία των κατατάξεων"),
    "sources": ("Data sources and licences", "Πηγές δεδομένων και άδειες"),
    "coefficients": ("Impact coefficients and their sources", "Συντελεστές αποτυπώματος και πηγές τους"),
    "to_verify": ("Idle assets to verify", "Αδρανή ακίνητα προς επαλήθευση"),
    "ownership": ("Ownership to verify before the plan can use them", "Ιδιοκτησία προς επαλήθευση"),
    "conflicts": ("Where the sources disagree", "Διαφωνίες μεταξύ πηγών"),
}


def _h(key: str) -> str:
    en, el = HEADINGS[key]
    return f"{en} / {el}"


def _md_table(df: pd.DataFrame) -> str:
    """A Markdown table; every cell escaped so no viewer renders it as HTML or links."""
    if df.empty:
        return "_none / κανένα_\n"
    cells = df.astype(object).where(df.notna(), "").map(markdown_text)
    head = "| " + " | ".join(markdown_text(c) for c in df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    return head + "\n".join("| " + " | ".join(row) + " |" for row in cells.to_numpy()) + "\n"


def _html_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "<p><i>none / κανένα</i></p>"
    return df.to_html(index=False, escape=True, na_rep="", border=0, classes="t")


def annex_sections(inventory: pd.DataFrame, scores: pd.DataFrame, plan: pd.DataFrame, totals: pd.DataFrame,
                   targets: pd.DataFrame, profiles: list[Profile], sensitivity, credits: list[str],
                   coefficients: pd.DataFrame, top: int = 10, coverage_text: str = "",
                   conflicts: pd.DataFrame | None = None,
                   verify: pd.DataFrame | None = None) -> list[tuple[str, str, pd.DataFrame | None]]:
    """``(heading, paragraph, table)`` for each section, shared by both formats.
    The inventory is split into assets a record confirms or strong OSM
    evidence makes probable, and those to verify."""
    kinds = inventory["kind"].value_counts()
    sources = inventory["sources"].value_counts()
    levels = inventory["confidence"].value_counts()
    summary = (f"{len(inventory)} idle assets ({kinds.get('land', 0)} land, {kinds.get('building', 0)} buildings), "
               f"{inventory['area_m2'].sum() / 10000:.2f} ha; "
               + ", ".join(f"{levels.get(c, 0)} {c}" for c in CONFIDENCE) + ". "
               + "; ".join(f"{n} from {s}" for s, n in sources.items())
               + (f". {coverage_text}." if coverage_text else ""))
    columns = ["asset_id", "name", "kind", "area_m2", "sources", "idle_evidence", "evidence_strength", "ownership",
               "confidence"]
    sure = inventory["confidence"] != "to verify"
    out = [(_h("summary"), summary, inventory.loc[sure, columns].round({"area_m2": 0})),
           (_h("to_verify"), "Weak evidence without a record, unknown ownership, or sources that disagree: "
            "check these on the ground or in the records. / Ασθενής ένδειξη, άγνωστη ιδιοκτησία ή διαφωνία πηγών.",
            inventory.loc[~sure, columns + ["conflicts"]].round({"area_m2": 0}))]
    if verify is not None:
        out.append((_h("ownership"), "The plan assigns only municipal and other public assets unless the config "
                    "says plan.ownership: any.", verify))
    if conflicts is not None:
        out.append((_h("conflicts"), "", conflicts))
    plan_cols = ["asset_id", "name", "use", "score", "reason_en", "reason_el", "usable_area_m2", "kwp",
                 "mwh_per_year", "jobs", "candidate_organisations", "candidate_legal_forms"]
    out.append((_h("plan"), "Each asset gets at most one use; the assignment first approaches every target, then "
                "maximises the total score. / Κάθε ακίνητο λαμβάνει το πολύ μία χρήση.",
                plan[[c for c in plan_cols if c in plan]].round({"score": 1, "usable_area_m2": 0, "kwp": 1,
                                                                  "mwh_per_year": 1, "jobs": 1})))
    out.append((_h("totals"), "", totals))
    out.append((_h("targets"), "", targets))
    for p in profiles:
        s = scores[(scores["use"] == p.name) & scores["eligible"]].sort_values("rank").head(top)
        s = s.merge(inventory[["asset_id", "name"]], on="asset_id", how="left")
        out.append((f"{_h('rankings')}: {p.label.en} / {p.label.el}",
                    f"{int(((scores['use'] == p.name) & scores['eligible']).sum())} eligible assets; the best {top} shown.",
                    s[["rank", "asset_id", "name", "score", "rank_topsis", "p_top_k", "reason_en", "reason_el"]]
                    .round({"score": 1, "p_top_k": 2})))
    weights = pd.DataFrame([{"use": p.name, "criterion": c.criterion, "weight": round(p.weights()[c.criterion], 3),
                             "function": c.function.type, "AHP CR": p.consistency_ratio()}
                            for p in profiles for c in p.criteria])
    out.append((_h("method"), "Score = 100 × Σ weight × value (weighted linear combination); values from each "
                "criterion's value function; TOPSIS as an alternative ranking; AHP weights where a profile gives "
                "pairwise comparisons (consistency ratio shown).", weights))
    if sensitivity is not None:
        out.append((_h("sensitivity"), f"{sensitivity.draws} random weight draws (log-normal spread "
                    f"{sensitivity.spread:g}, seed {sensitivity.seed}); for each asset the share of draws in which "
                    f"it ranks in the top {sensitivity.top_k} and its 5-95 % rank interval are in the rankings above.",
                    None))
    out.append((_h("coefficients"), "", coefficients))
    out.append((_h("sources"), "", pd.DataFrame({"source / πηγή": credits})))
    return out


def write_annex(folder: Path, title: str, sections, pdf: bool = True) -> list[Path]:
    """``annex.md``, ``annex.html`` and, with ``pdf``, ``annex.pdf``."""
    folder = Path(folder)
    md = [f"# {markdown_text(title)}: strategic-plan annex / παράρτημα στρατηγικού σχεδίου\n"]
    for heading, text, table in sections:
        md.append(f"## {markdown_text(heading)}\n")
        if text:
            md.append(markdown_text(text) + "\n")
        if table is not None:
            md.append(_md_table(table))
    body = []
    for heading, text, table in sections:
        body.append(f"<h2>{html.escape(heading)}</h2>")
        if text:
            body.append(f"<p>{html.escape(text)}</p>")
        if table is not None:
            body.append(_html_table(table))
    page = (f"<!DOCTYPE html><html lang='el'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            "<style>body{font:14px/1.45 sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
            "table.t{border-collapse:collapse;font-size:12px;margin:.5em 0 1.5em}"
            "table.t th,table.t td{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}"
            "table.t th{background:#dde7f0}h2{border-bottom:2px solid #1a9641;padding-bottom:2px}</style></head><body>"
            f"<h1>{html.escape(title)}: strategic-plan annex / παράρτημα στρατηγικού σχεδίου</h1>"
            + "\n".join(body) + "</body></html>\n")
    written = [write_text("\n".join(md), folder / "annex.md"), write_text(page, folder / "annex.html")]
    printed = write_pdf(page, folder / "annex.pdf") if pdf else None
    return written + ([printed] if printed else [])


def write_pdf(page: str, target: Path) -> Path | None:
    """The annex as an A4 PDF with WeasyPrint, when it is installed (the
    ``pdf`` extra and the Pango library); otherwise nothing, and the log says why."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        log.info("annex.pdf not written: WeasyPrint unavailable (%s); pip install -e '.[pdf]'", exc)
        return None
    printable = page.replace("</style>", "@page{size:A4;margin:15mm}body{max-width:none;margin:0}"
                                         "table.t{font-size:9px}</style>", 1)
    with atomic_path(target) as tmp:
        weasyprint.HTML(string=printable).write_pdf(tmp)
    return target
