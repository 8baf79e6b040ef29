"""The strategic-plan annex in Markdown, HTML and PDF: inventory summary, rankings
per use, the plan with candidate organisations, impact totals and targets,
method and weights, sensitivity, data sources and licences. Headings in Greek
and English from one table; every text from the inputs is escaped in HTML."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..common.changes import summary as change_summary
from ..common.evidence import CONFIDENCE
from ..common.i18n import (LEGAL_FORMS, claim_text, conflicts_text, source_name, evidence_text, idle_evidence_text, legal_form_name, number,
                           sources_text, t)
from ..common.io import write_text
from ..common.pdf import write_pdf
from ..plan import plan_totals
from ..score.profiles import Profile
from ..participation.workshops import workshop_table
from .implementation import implementation_section
from ..features import REGISTRY
from .legal import route_rows, sources_table
from .tables import english_header, headers
from .view import Published
from .mapdata import plan_figures
from ._bilingual import Bi, html_text, md_text


HEADINGS = {
    "summary": ("Inventory of idle assets", "Απογραφή αδρανών ακινήτων"),
    "plan": ("The plan: assets, uses and organisations", "Το σχέδιο: ακίνητα, χρήσεις και φορείς"),
    "totals": ("Impact of the plan", "Αποτύπωμα του σχεδίου"),
    "targets": ("Targets", "Στόχοι"),
    "interest": ("Expressions of interest", "Εκδηλώσεις ενδιαφέροντος"),
    "workshop": ("Workshops' weights", "Βάρη των εργαστηρίων"),
    "rankings": ("Ranking per use", "Κατάταξη ανά χρήση"),
    "method": ("Method and weights", "Μέθοδος και βαρύτητες"),
    "sensitivity": ("Sensitivity of the rankings", "Ευαισθησία των κατατάξεων"),
    "sources": ("Data sources and licences", "Πηγές δεδομένων και άδειες"),
    "coefficients": ("Impact coefficients and their sources", "Συντελεστές αποτυπώματος και πηγές τους"),
    "to_verify": ("Idle assets to verify", "Αδρανή ακίνητα προς επαλήθευση"),
    "ownership": ("Ownership to verify before the plan can use them", "Ιδιοκτησία προς επαλήθευση"),
    "conflicts": ("Where the sources disagree", "Διαφωνίες μεταξύ πηγών"),
    "legal_forms": ("Legal forms and their conditions", "Νομικές μορφές και προϋποθέσεις τους"),
    "legal": ("The legal route to each site", "Η νομική οδός για κάθε ακίνητο"),
    "left_out": ("Inputs that did not become sites", "Εισροές που δεν έγιναν ακίνητα"),
    "legal_sources": ("Sources of the legal routes", "Πηγές των νομικών οδών"),
    "changes": ("What changed since the last run", "Τι άλλαξε από την προηγούμενη εκτέλεση"),
}


def _h(key: str) -> Bi:
    en, el = HEADINGS[key]
    return Bi(el, en)


def B(el: str, en: str) -> Bi:  # noqa: N802 (a short name: the annex writes hundreds)
    return Bi(el, en)


INTEREST_HEADERS = {"asset_id": B("ακίνητο", "asset"), "org_id": B("κωδικός", "id"), "organisation": B("φορέας", "organisation"),
                    "legal_form": B("νομική μορφή", "legal form"), "uses": B("χρήσεις", "uses")}
VERIFY_HEADERS = {"asset_id": B("ακίνητο", "asset"), "name": B("όνομα", "name"), "ownership": B("ιδιοκτησία", "ownership"),
                  "ownership_evidence": B("τεκμήριο", "evidence"), "confidence": B("βεβαιότητα", "confidence"),
                  "sources": B("πηγές", "sources"), "best_use": B("καλύτερη χρήση", "best use"), "best_score": B("βαθμός", "score")}
CONFLICT_HEADERS = {"asset_id": B("ακίνητο", "asset"), "attribute": B("θέμα", "on"), "source": B("πηγή", "source"),
                    "value": B("αναφέρει", "says"), "other_source": B("άλλη πηγή", "other source"),
                    "other_value": B("που αναφέρει", "which says")}

#: Most rows a table of the annex prints; the rest are in the XLSX (a register
#: of 100k rows must not make a PDF of 100k rows).
MAX_ROWS = 100


def _cell(value, decimals: int | None = None) -> "str | Bi":
    """A table cell as text: nothing for a missing value, integers as integers,
    other numbers rounded to ``decimals`` (1 unless the column says), grouped as :func:`_grouped` does."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, Bi):
        return value
    if isinstance(value, bool | np.bool_):
        return "✓" if value else ""
    if isinstance(value, int | np.integer):
        return _grouped(f"{int(value):,}")
    if isinstance(value, float | np.floating):
        places = 1 if decimals is None else decimals
        rounded = round(float(value), places)
        return _grouped(f"{int(rounded):,}" if rounded == int(rounded) else f"{rounded:,.{places}f}")
    return str(value)


def _grouped(text: str) -> str:
    """A number as both languages read it: thousands apart by a narrow space (ISO 80000), the decimal
    sign a comma (the annex is a Greek document): ``3 295``, ``1 478,4``."""
    return text.replace(",", "\u202f").replace(".", ",")


def tidy(df: pd.DataFrame, decimals: "dict[Any, int] | None" = None) -> pd.DataFrame:
    """``df`` with every cell as text (see :func:`_cell`): what both formats print."""
    decimals = decimals or {}
    return pd.DataFrame({c: [_cell(v, decimals.get(c)) for v in df[c]] for c in df.columns}, index=df.index)


def _limited(df: pd.DataFrame, sheet: str, file: str | None = None) -> tuple[pd.DataFrame, Bi]:
    """At most :data:`MAX_ROWS` rows of ``df``, and a line saying where the
    rest are (``sheet`` of idle_assets.xlsx, or ``file``)."""
    if len(df) <= MAX_ROWS:
        return df, Bi("", "")
    where_en, where_el = (file, file) if file else (f"idle_assets.xlsx (sheet {sheet})", f"idle_assets.xlsx (φύλλο {sheet})")
    return df.head(MAX_ROWS), Bi(f" Οι πρώτες {MAX_ROWS} από {number(len(df), 0, 'el')} γραμμές· όλες στο {where_el}.",
                                 f" The first {MAX_ROWS} of {len(df):,} rows; all of them are in {where_en}.")


def _md_table(df: pd.DataFrame) -> str:
    """A Markdown table; every cell escaped so no viewer renders it as HTML or links."""
    if df.empty:
        return "_κανένα / none_\n"
    cells = df.astype(object).where(df.notna(), "").map(md_text)
    head = "| " + " | ".join(md_text(c) for c in df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    return head + "\n".join("| " + " | ".join(row) + " |" for row in cells.to_numpy()) + "\n"


#: Columns written in English only (a research note, an English text beside its Greek one): marked as such.
ENGLISH_COLUMNS = {"read", "what", "which", "credit"}


def _html_table(df: pd.DataFrame) -> str:
    """An HTML table whose column widths are set from their text (a fixed
    layout: a printer need not measure every cell's narrowest width); Greek and
    English texts marked with their language, every text escaped."""
    if df.empty:
        return "<p><i>κανένα / <span lang='en'>none</span></i></p>"
    text = df.astype(str)
    need = [max(6.0, min(80.0, max([len(str(c)) / 2, *text[c].str.len().head(200).tolist()]))) ** 0.6 for c in df.columns]
    cols = "".join(f"<col style='width:{100 * n / sum(need):.1f}%'>" for n in need)
    english = [isinstance(c, Bi) and c.en in ENGLISH_COLUMNS for c in df.columns]

    def cell(value, in_english: bool) -> str:
        if in_english and not isinstance(value, Bi):
            return f"<span lang='en'>{html.escape(str(value))}</span>" if str(value) else ""
        return html_text(value)

    head = "".join(f"<th>{html_text(c)}</th>" for c in df.columns)
    rows = "".join("<tr>" + "".join(f"<td>{cell(v, e)}</td>" for v, e in zip(row, english)) + "</tr>"
                   for row in df.astype(object).where(df.notna(), "").itertuples(index=False))
    return (f"<table class='t'><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _use_names(profiles: list[Profile]) -> dict[str, Bi]:
    return {p.name: Bi(p.label.el, p.label.en) for p in profiles}


def _forms(codes) -> "Bi | str":
    """Legal-form codes (``koinsep;association``) by their Greek and English names with the law."""
    if not isinstance(codes, str) or not codes:
        return ""
    return Bi("· ".join(legal_form_name(c, "el", True) for c in codes.split(";")),
              "; ".join(legal_form_name(c, "en", True) for c in codes.split(";")))


def _site(asset_id, name) -> str:
    """A site as the annex names it: ``name (id)``, or its id."""
    return f"{name} ({asset_id})" if isinstance(name, str) and name else str(asset_id)


def _both(el_values, en_values) -> list:
    """Greek and English texts side by side, nothing where both are missing."""
    return [Bi(el if isinstance(el, str) else "", en if isinstance(en, str) else "")
            if isinstance(el, str) or isinstance(en, str) else "" for el, en in zip(el_values, en_values)]


def _inventory_table(inv: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    out = pd.DataFrame({
        B("ακίνητο", "asset"): [_site(a, n) for a, n in zip(inv["asset_id"], inv["name"])],
        B("είδος", "kind"): [Bi(t("el", k), k) for k in inv["kind"]],
        B("εμβαδόν (m²)", "area (m²)"): inv["area_m2"].round(0),
        B("πηγές", "sources"): [Bi(sources_text(s, "el"), sources_text(s, "en")) for s in inv["sources"]],
        B("ένδειξη", "why idle"): [Bi(idle_evidence_text(v, "el"), idle_evidence_text(v, "en")) for v in inv["idle_evidence"]],
        B("ιδιοκτησία", "ownership"): [Bi(t("el", o), o) for o in inv["ownership"]],
        B("βεβαιότητα", "confidence"): [Bi(t("el", "short_" + c), c) for c in inv["confidence"]],
    })
    if "conflicts" in extra:
        out[B("διαφωνία", "disagree on")] = [Bi(conflicts_text(v, "el"), conflicts_text(v, "en")) if isinstance(v, str) else ""
                                             for v in inv["conflicts"]]
    return out


def _plan_table(plan: pd.DataFrame, names: dict[str, Bi]) -> pd.DataFrame:
    impact = [Bi(plan_figures(r, "el"), plan_figures(r, "en")) for _, r in plan.iterrows()]
    column = lambda name: plan.get(name, pd.Series([None] * len(plan), index=plan.index))  # noqa: E731
    return pd.DataFrame({
        B("ακίνητο", "asset"): [_site(a, n) for a, n in zip(plan["asset_id"], plan["name"])],
        B("χρήση", "use"): plan["use"].map(names).fillna(plan["use"]),
        B("βαθμός", "score"): plan["score"].round(0),
        B("αιτιολόγηση", "reason"): _both(plan["reason_el"], plan["reason_en"]),
        B("αποτύπωμα", "impact"): impact,
        B("φορείς", "organisations"): _both(column("candidate_organisations_el"), column("candidate_organisations_en")),
        B("νομικές μορφές", "legal forms"): plan["candidate_legal_forms"].map(_forms),
        B("νομική οδός", "legal route"): _both(column("legal_route_el"), column("legal_route_en")),
        B("σημείωση", "note"): _both(column("note_el"), column("note_en")),
    })


LEGAL_NOTE = Bi("Οδηγός για το σχέδιο, όχι νομική γνωμοδότηση: η νομική υπηρεσία του δήμου ελέγχει κάθε οδό πριν από "
                "την απόφαση. Η οδός εξαρτάται από τον ιδιοκτήτη, τη χρήση και τη νομική μορφή του πρώτου υποψήφιου φορέα.",
                "A guide for the plan, not a legal opinion: the municipality's legal service checks each route before "
                "a decision. The route follows the owner, the use and the legal form of the leading candidate.")


def _legal_sections(view: Published, names: dict[str, Bi]) -> list[tuple[Bi, Bi, pd.DataFrame | None]]:
    """The legal route of each planned site (with the conditions not met) and the sources they cite."""
    routes = route_rows(view.plan, view.legal)
    if routes.empty or view.legal is None:
        return []
    shown, more = _limited(routes, "legal_routes", "legal_routes.csv")
    table = pd.DataFrame({
        B("ακίνητο", "asset"): [_site(a, n) for a, n in zip(shown["asset_id"], shown["name"])],
        B("χρήση", "use"): shown["use"].map(names).fillna(shown["use"]),
        B("νομική μορφή", "legal form"): shown["legal_form"],
        B("οδός", "route"): [Bi(f"{a} — {b}", f"{c} — {d}") for a, b, c, d in
                             zip(shown["instrument_el"], shown["body_el"], shown["instrument_en"], shown["body_en"])],
        B("νόμος", "law"): _both(shown["law_el"], shown["law_en"]),
        B("έγγραφα", "documents"): _both(shown["documents_el"], shown["documents_en"]),
        B("πηγές", "sources"): shown["source_ids"].str.replace(";", ", "),
        B("προσοχή", "check"): _both(shown["warning_el"], shown["warning_en"]),
    })
    sources = sources_table(view.legal, routes).rename(columns={"source": B("κωδικός", "id"), "title": B("τίτλος", "title"),
                                                                 "url": B("διεύθυνση", "address"), "read": B("ανάγνωση", "read")})
    return [(_h("legal"), LEGAL_NOTE + more, tidy(table)), (_h("legal_sources"), Bi("", ""), tidy(sources))]


CONFIDENCE_EL_PLURAL = {"confirmed": "επιβεβαιωμένα", "probable": "πιθανά", "to verify": "προς επαλήθευση"}


def _bilingual_name(column: str) -> "Bi | str":
    el, _ = headers(column, {})
    return Bi(el, english_header(column)) if el != column else column


def _bilingual(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its code headers (``usable_ha``) as Greek and English words (``αξιοποιήσιμα (ha) / usable (ha)``)."""
    return df.rename(columns={c: _bilingual_name(str(c)) for c in df.columns})


def _paired(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each pair of columns ``x_el`` and ``x`` (or ``x_en``) as one column of both texts."""
    out = df.copy()
    for col in [c for c in df.columns if str(c).endswith("_el")]:
        base = str(col)[:-3]
        english = base if base in df.columns else f"{base}_en" if f"{base}_en" in df.columns else None
        if english is None:
            continue
        out[base] = _both(df[col], df[english])
        out = out.drop(columns=[c for c in (col, f"{base}_en") if c in out.columns and c != base])
    return out


def _criterion_name(code: str) -> "Bi | str":
    spec = REGISTRY.get(code)
    return Bi(spec.label_el, spec.label_en) if spec else code


#: What the inputs report says of records and features that did not become sites (its actions' first words).
LEFT_OUT = ("to locate", "dropped", "skipped", "not used", "not idle", "excluded", "corridor candidate")


def left_out(report: pd.DataFrame) -> pd.DataFrame:
    """The inputs report's rows about records and features left out of the inventory, each with its count."""
    mine = report[report["action"].astype(str).str.startswith(LEFT_OUT) & (report["count"] > 0)]
    return mine[["source", "action", "count", "detail"]].reset_index(drop=True)


def _changes_section(changes: pd.DataFrame) -> tuple[Bi, Bi, pd.DataFrame | None]:
    """What changed since the run before, one row per change."""
    first_upper = lambda text: text[:1].upper() + text[1:]  # noqa: E731
    head = Bi(first_upper(change_summary(changes, "el")) + ".", first_upper(change_summary(changes, "en")) + ".")
    if changes.empty:
        return _h("changes"), head, None
    shown, more = _limited(changes, "changes", "changes.csv")
    table = pd.DataFrame({B("ακίνητο", "asset"): [_site(a, n) for a, n in zip(shown["asset_id"], shown["name"])],
                          B("αλλαγή", "change"): _both(shown["text_el"], shown["text_en"])})
    return _h("changes"), head + more, tidy(table)


def annex_sections(view: Published, top: int = 10) -> list[tuple[Bi, Bi, pd.DataFrame | None]]:
    """``(heading, paragraph, table)`` for each section of the view's annex,
    shared by both formats, each text in Greek and English (:class:`Bi`);
    every table's cells are text already (:func:`tidy`): no None or nan,
    integers as integers, uses and legal forms by their names. Long tables
    show their first :data:`MAX_ROWS` rows and say where the rest are. The
    inventory is split into assets a record confirms or strong OSM evidence
    makes probable, and those to verify. When the run was compared with the
    one before it, the annex opens with what changed. The view must hold a
    plan, targets and impact sources."""
    inventory, scores, profiles, credits = view.inventory, view.scores, list(view.profiles), list(view.credits)
    plan, targets, coefficients, sensitivity = view.plan, view.targets, view.impact_sources, view.sensitivity
    if plan is None or targets is None or coefficients is None:
        raise ValueError("the annex is written from a view with a plan, targets and impact sources")
    totals, conflicts, verify = plan_totals(plan), view.conflicts, view.verify
    changes = view.changes if view.compared else None
    names = _use_names(profiles)
    kinds = inventory["kind"].value_counts()
    sources = inventory["sources"].value_counts()
    levels = inventory["confidence"].value_counts()
    ha = inventory["area_m2"].sum() / 10000
    english = [f"{len(inventory)} idle assets ({kinds.get('land', 0)} land, {kinds.get('building', 0)} buildings), "
               f"{ha:.2f} ha; " + ", ".join(f"{levels.get(c, 0)} {c}" for c in CONFIDENCE),
               "; ".join(f"{n} from {sources_text(s, 'en')}" for s, n in sources.items()), view.coverage_text]
    greek = [f"{number(len(inventory), 0, 'el')} αδρανή ακίνητα ({number(kinds.get('land', 0), 0, 'el')} γη, "
             f"{number(kinds.get('building', 0), 0, 'el')} κτίρια), {number(ha, 2, 'el')} ha· "
             + ", ".join(f"{number(levels.get(c, 0), 0, 'el')} {CONFIDENCE_EL_PLURAL[c]}" for c in CONFIDENCE),
             "· ".join(f"{number(n, 0, 'el')} από {sources_text(s, 'el')}" for s, n in sources.items()),
             view.coverage_text_el]
    summary = Bi(*(". ".join(x for x in side if x) + "." for side in (greek, english)))
    sure = inventory["confidence"] != "to verify"
    shown, more = _limited(inventory[sure], "inventory")
    out = [(_h("summary"), summary + more, tidy(_inventory_table(shown, [])))]
    if changes is not None:
        out.insert(0, _changes_section(changes))
    shown, more = _limited(inventory[~sure], "inventory")
    out.append((_h("to_verify"), B("Ασθενής ένδειξη χωρίς καταγραφή, άγνωστη ιδιοκτησία ή διαφωνία πηγών: ελέγξτε τα επί "
                                   "τόπου ή στα αρχεία.", "Weak evidence without a record, unknown ownership, or sources "
                                   "that disagree: check these on the ground or in the records.") + more,
                tidy(_inventory_table(shown, ["conflicts"]))))
    if verify is not None:
        shown, more = _limited(verify.assign(
            best_use=verify["best_use"].map(names).fillna(verify["best_use"]),
            ownership=[Bi(t("el", o), o) for o in verify["ownership"]],
            ownership_evidence=_both([evidence_text(v, "el") if isinstance(v, str) else None for v in verify["ownership_evidence"]],
                                     verify["ownership_evidence"]),
            confidence=[Bi(t("el", "short_" + c), c) for c in verify["confidence"]],
            sources=[Bi(sources_text(v, "el"), sources_text(v, "en")) for v in verify["sources"]],
        ).rename(columns=VERIFY_HEADERS), "verify_ownership")
        out.append((_h("ownership"), B("Το σχέδιο αναθέτει μόνο δημοτικά και άλλα δημόσια ακίνητα, εκτός αν η ρύθμιση "
                                       "του έργου ορίζει plan.ownership: any.", "The plan assigns only municipal and other "
                                       "public assets unless the config says plan.ownership: any.") + more,
                    tidy(shown, {B("βαθμός", "score"): 0})))
    if conflicts is not None:
        shown, more = _limited(conflicts, "conflicts")
        shown = shown.assign(attribute=[Bi(conflicts_text(v, "el"), v) for v in shown["attribute"]],
                             **{c: [Bi(source_name(v, "el"), v) for v in shown[c]] for c in ("source", "other_source")},
                             **{c: [Bi(claim_text(v, "el"), v) for v in shown[c]] for c in ("value", "other_value")})
        out.append((_h("conflicts"), more, tidy(shown.rename(columns=CONFLICT_HEADERS))))
    shown, more = _limited(plan, "plan")
    out.append((_h("plan"), B("Κάθε ακίνητο λαμβάνει μία χρήση ή χρήσεις που συνυπάρχουν (φωτοβολταϊκά στέγης με χρήση "
                              "του κτιρίου)· η ανάθεση προσεγγίζει πρώτα κάθε στόχο και έπειτα μεγιστοποιεί τον συνολικό "
                              "βαθμό.", "Each asset gets one use, or uses that can share it (rooftop solar with a use "
                              "inside the building); the assignment first approaches every target, then maximises the "
                              "total score.") + more, tidy(_plan_table(shown, names))))
    out.append((_h("totals"), Bi("", ""), tidy(_bilingual(totals.assign(
        use=totals["use"].map({**names, "TOTAL": Bi("Σύνολο", "TOTAL")}).fillna(totals["use"]))),
        {_bilingual_name("usable_ha"): 2, _bilingual_name("cultivable_ha"): 2})))
    out.append((_h("targets"), Bi("", ""), tidy(_bilingual(_paired(_target_rows(targets, names))))))
    if not view.interest.empty:
        interest = view.interest.assign(
            legal_form=view.interest["legal_form"].map(lambda c: Bi(legal_form_name(c, "el", True), legal_form_name(c, "en", True))
                                                       if c else ""),
            uses=view.interest["uses"].map(lambda u: Bi(", ".join(names[x].el if x in names else x for x in str(u or "").split(";") if x),
                                                        ", ".join(names[x].en if x in names else x for x in str(u or "").split(";") if x))))
        shown, more = _limited(interest.drop(columns=["space_m2"]).rename(columns=INTEREST_HEADERS), "interest",
                               "interest.csv")
        out.append((_h("interest"), B("Οι φορείς που ζήτησαν ακίνητα στην πρόσκληση εκδήλωσης ενδιαφέροντος.",
                                      "The organisations that asked for assets in the open call.") + more, tidy(shown)))
    if view.workshop is not None:
        out.append(_workshop_section(view, profiles, names))
    out += _legal_sections(view, names)
    left = left_out(view.report)
    if not left.empty:
        shown, more = _limited(left, "left_out")
        out.append((_h("left_out"), B("Εγγραφές και στοιχεία OSM που δεν έγιναν ακίνητα και γιατί: σημεία προς εντοπισμό, "
                                      "απορρίψεις, εγκαταλελειμμένες σιδηροδρομικές γραμμές (διάδρομοι) που μπορεί να "
                                      "αξιοποιήσει ένα σχέδιο.", "Records and OSM features the inventory did not take, "
                                      "and why: points to locate, dropped or skipped rows, abandoned railway corridors a "
                                      "plan may reuse.") + more,
                    tidy(shown.assign(source=[Bi(source_name(v, "el"), v) for v in shown["source"]])
                         .rename(columns={"source": B("πηγή", "source"), "action": B("τι (στα αγγλικά)", "what"),
                                          "count": B("πλήθος", "count"), "detail": B("ποια (στα αγγλικά)", "which")}))))
    if view.progress is not None:
        out.append(implementation_section(view.progress))
    forms = view.legal.legal_forms if view.legal is not None else {}
    conditions: dict[str, dict[str, Any]] = {"min_members": {}, "conditions": {}, "source": {}}
    for form, c in forms.items():
        conditions["min_members"][form] = c.min_members if c.min_members is not None else ""
        conditions["conditions"][form] = Bi(c.note.el, c.note.en)
        conditions["source"][form] = c.source
    keys = list(LEGAL_FORMS)
    out.append((_h("legal_forms"), B("Οι νομικές μορφές των φορέων που μπορεί να προτείνει το σχέδιο και οι προϋποθέσεις "
                                     "που ελέγχει στις απαντήσεις της ανοιχτής πρόσκλησης.", "The legal forms of the "
                                     "organisations the plan can propose, and the conditions the plan checks against the "
                                     "open call's answers."),
                tidy(pd.DataFrame({B("νομική μορφή", "legal form"): [Bi(v["el_full"], v["en_full"]) for v in LEGAL_FORMS.values()],
                                   B("ελάχ. μέλη", "min. members"): [conditions["min_members"].get(k, "") for k in keys],
                                   B("προϋποθέσεις", "conditions"): [conditions["conditions"].get(k, "") for k in keys],
                                   B("πηγή", "source"): [conditions["source"].get(k, "") for k in keys]}))))
    k = getattr(sensitivity, "top_k", 3)
    for p in profiles:
        eligible = (scores["use"] == p.name) & scores["eligible"]
        s = scores[eligible].sort_values("rank").head(top)
        s = s.merge(inventory[["asset_id", "name"]], on="asset_id", how="left")
        table = pd.DataFrame({B("σειρά", "rank"): s["rank"], B("ακίνητο", "asset"): [_site(a, n) for a, n in zip(s["asset_id"], s["name"])],
                              B("βαθμός", "score"): s["score"].round(0), "TOPSIS": s["rank_topsis"],
                              B(f"στις {k} πρώτες (%)", f"top {k} (%)"): (100 * s["p_top_k"]).round(0),
                              B("αιτιολόγηση", "reason"): _both(s["reason_el"], s["reason_en"])})
        n = int(eligible.sum())
        out.append((_h("rankings") + Bi(f": {p.label.el}", f": {p.label.en}"),
                    B(f"{number(n, 0, 'el')} κατάλληλα ακίνητα· τα καλύτερα {min(top, n)} εδώ, όλα στο ranking_{p.name}.csv.",
                      f"{n:,} eligible assets; the best {min(top, n)} shown, all in ranking_{p.name}.csv."),
                    tidy(table, {B("βαθμός", "score"): 0})))
    weights = pd.DataFrame([{B("χρήση", "use"): names[p.name], B("κριτήριο", "criterion"): _criterion_name(c.criterion),
                             B("βάρος", "weight"): round(p.weights()[c.criterion], 3),
                             B("συνάρτηση αξίας", "value function"): Bi(FUNCTIONS_EL.get(c.function.type, c.function.type),
                                                                        c.function.type),
                             B("λόγος συνέπειας AHP", "AHP CR"): p.consistency_ratio()}
                            for p in profiles for c in p.criteria])
    out.append((_h("method"), B("Βαθμός = 100 × Σ βάρος × τιμή (σταθμισμένος γραμμικός συνδυασμός)· τιμές από τη συνάρτηση "
                                "αξίας κάθε κριτηρίου· TOPSIS ως εναλλακτική κατάταξη· βάρη AHP όπου το προφίλ δίνει "
                                "συγκρίσεις ανά δύο (με τον λόγο συνέπειας).", "Score = 100 × Σ weight × value (weighted "
                                "linear combination); values from each criterion's value function; TOPSIS as an "
                                "alternative ranking; AHP weights where a profile gives pairwise comparisons (consistency "
                                "ratio shown)."),
                tidy(weights, {B("βάρος", "weight"): 3, B("λόγος συνέπειας AHP", "AHP CR"): 3})))
    if sensitivity is not None:
        out.append((_h("sensitivity"), B(
            f"{number(sensitivity.draws, 0, 'el')} τυχαίες σταθμίσεις (λογαριθμοκανονική διασπορά "
            f"{str(sensitivity.spread).replace('.', ',')}, σπόρος {sensitivity.seed})· για κάθε ακίνητο, το ποσοστό των "
            f"σταθμίσεων στις οποίες είναι στις {sensitivity.top_k} πρώτες θέσεις και το διάστημα θέσεων 5-95 % δίνονται "
            "στις κατατάξεις.",
            f"{sensitivity.draws:,} random weight draws (log-normal spread {sensitivity.spread:g}, seed {sensitivity.seed}); "
            f"for each asset the share of draws in which it ranks in the top {sensitivity.top_k} and its 5-95 % rank "
            "interval are in the rankings above."), None))
    out.append((_h("coefficients"), Bi("", ""), tidy(_bilingual(_paired(coefficients)), {_bilingual_name("value"): 3})))
    out.append((_h("sources"), B("Οι πηγές αναφέρονται όπως το ζητούν οι άδειές τους, αυτολεξεί.",
                                 "The sources are credited as their licences ask, word for word."),
                pd.DataFrame({B("πηγή", "credit"): credits})))
    return out


#: Value functions by their Greek names.
FUNCTIONS_EL = {"linear": "γραμμική", "piecewise": "τμηματικά γραμμική", "thresholds": "κατώφλια",
                "categories": "κατηγορίες"}


def _target_rows(targets: pd.DataFrame, names: dict[str, Bi]) -> pd.DataFrame:
    """The targets with their uses and units in words."""
    units = {"sites": ("ακίνητα", "sites"), "ha": ("ha", "ha"), "kWp": ("kWp", "kWp"), "MWh/year": ("MWh/έτος", "MWh/year"),
             "jobs": ("θέσεις εργασίας", "jobs"), "m²": ("m²", "m²")}
    out = targets.copy()
    if "uses" in out:
        out["uses"] = [Bi(", ".join(names[u].el if u in names else u for u in str(v).split(";") if u),
                          ", ".join(names[u].en if u in names else u for u in str(v).split(";") if u)) for v in out["uses"]]
    if "unit" in out:
        out["unit"] = [Bi(*units[u]) if u in units else u for u in out["unit"]]
    return out


def _workshop_section(view: Published, profiles: list[Profile], names: dict[str, Bi]) -> tuple[Bi, Bi, pd.DataFrame]:
    """The workshops' weights with each criterion's dissent, and the consensus per use."""
    workshop = view.workshop
    assert workshop is not None
    table = workshop_table(workshop, profiles).assign(use=lambda t: t["use"].map(names).fillna(t["use"]))

    def agreement(lang: str) -> str:
        parts = []
        for r in workshop.consensus.itertuples():
            name = names[r.use].el if lang == "el" and r.use in names else names[r.use].en if r.use in names else r.use
            who = (f"{r.participants}" + (f", {r.pairwise} {'με συγκρίσεις ανά δύο' if lang == 'el' else 'pairwise'}"
                                          if getattr(r, "pairwise", 0) else "")
                   + (("· ασυνεπείς (CR > 0,1): " if lang == "el" else "; inconsistent, CR > 0.1: ")
                      + r.inconsistent.replace(";", ", ") if getattr(r, "inconsistent", "") else ""))
            w = f"{r.kendall_w:g}".replace(".", ",") if lang == "el" else f"{r.kendall_w:g}"
            parts.append(f"{name}: W = {w} ({who})")
        return ("· " if lang == "el" else "; ").join(parts)

    text = Bi("Τα βάρη είναι των εργαστηρίων (γεωμετρικός μέσος των βαρών των συμμετεχόντων, από βαθμολογία 1-9 ή από "
              "συγκρίσεις ανά δύο στην κλίμακα του Saaty)· συμφωνία κατά τον συντελεστή W του Kendall (0 καμία, 1 η ίδια "
              f"σειρά για όλους), σε παρένθεση οι συμμετέχοντες: {agreement('el')}.",
              "The weights are the workshops' (geometric mean of the participants' own, rated 1-9 or from pairwise "
              "judgements on Saaty's scale); consensus as Kendall's W (0 none, 1 the same order for all), participants "
              f"in brackets: {agreement('en')}.")
    return _h("workshop"), text, tidy(_bilingual(table), {_bilingual_name("group_weight"): 3, _bilingual_name("dissent"): 2,
                                                         _bilingual_name("kendall_w"): 2})


def write_annex(folder: Path, title: str, sections, pdf: bool = True) -> list[Path]:
    """``annex.md``, ``annex.html`` and, with ``pdf``, ``annex.pdf``; in HTML each Greek and English text is
    marked with its language (the English in grey)."""
    folder = Path(folder)
    heading = Bi(f"{title}: παράρτημα στρατηγικού σχεδίου", f"{title}: strategic-plan annex")
    md = [f"# {md_text(heading)}\n"]
    for head, text, table in sections:
        md.append(f"## {md_text(head)}\n")
        if text:
            md.append(md_text(text.strip() if isinstance(text, Bi) else text) + "\n")
        if table is not None:
            md.append(_md_table(table))
    body = []
    for head, text, table in sections:
        body.append(f"<h2>{html_text(head)}</h2>")
        if text:
            body.append(f"<p>{html_text(text.strip() if isinstance(text, Bi) else text)}</p>")
        if table is not None:
            body.append(_html_table(table))
    page = (f"<!DOCTYPE html><html lang='el'><head><meta charset='utf-8'><title>{html.escape(str(heading))}</title>"
            "<style>body{font:14px/1.45 sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
            "table.t{border-collapse:collapse;font-size:12px;margin:.5em 0 1.5em}"
            "table.t th,table.t td{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}"
            "table.t th{background:#dde7f0}h2{border-bottom:2px solid #1a9641;padding-bottom:2px}"
            "span[lang=en]{color:#555}</style></head><body>"
            f"<h1>{html_text(heading)}</h1>"
            + "\n".join(body) + "</body></html>\n")
    written = [write_text("\n".join(md), folder / "annex.md"), write_text(page, folder / "annex.html")]
    printed = write_pdf(page, folder / "annex.pdf", PRINT_CSS) if pdf else None
    return written + ([printed] if printed else [])


#: A4 landscape pages; tables as wide as the page, their cells wrapped
#: (anywhere, for long ids and URLs) and their headers repeated on every page.
PRINT_CSS = ("@page{size:A4 landscape;margin:12mm 10mm;@bottom-right{content:counter(page) ' / ' counter(pages);"
             "font:8px sans-serif}}body{max-width:none;margin:0;font-size:10px}"
             "table.t{font-size:7.5px;width:100%;table-layout:fixed}"
             "table.t td{overflow-wrap:anywhere}table.t th{overflow-wrap:normal;hyphens:manual}"
             "table.t td:first-child{min-width:24mm}"
             "table.t thead{display:table-header-group}table.t tr{break-inside:avoid}h2{break-after:avoid}")
