"""The strategic-plan annex in Markdown, HTML and PDF: inventory summary, rankings
per use, the plan with candidate organisations, impact totals and targets,
method and weights, sensitivity, data sources and licences. Headings in Greek
and English from one table; every text from the inputs is escaped in HTML."""

from __future__ import annotations

import calendar
import contextlib
import html
import logging
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..common._text import markdown_text
from ..common.changes import summary as change_summary
from ..common.evidence import CONFIDENCE
from ..common.i18n import LEGAL_FORMS, idle_evidence_text, legal_form_name, number, sources_text, t
from ..common.io import FIXED_DATE, atomic_path, write_text
from ..plan import plan_totals
from ..score.profiles import Profile
from ..participation.workshops import workshop_table
from .implementation import implementation_section
from ..features import REGISTRY
from .legal import conditions_table, route_rows, sources_table
from .tables import english_header, headers
from .view import Published
from .mapdata import plan_figures

log = logging.getLogger(__name__)

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


def _h(key: str) -> str:
    en, el = HEADINGS[key]
    return f"{en} / {el}"


INTEREST_HEADERS = {"asset_id": "asset / ακίνητο", "org_id": "id", "organisation": "organisation / φορέας",
                    "legal_form": "legal form / νομική μορφή", "uses": "uses / χρήσεις"}
VERIFY_HEADERS = {"asset_id": "asset / ακίνητο", "name": "name / όνομα", "ownership": "ownership / ιδιοκτησία",
                  "ownership_evidence": "evidence / τεκμήριο", "confidence": "confidence / βεβαιότητα",
                  "sources": "sources / πηγές", "best_use": "best use / καλύτερη χρήση", "best_score": "score / βαθμός"}
CONFLICT_HEADERS = {"asset_id": "asset / ακίνητο", "attribute": "on / θέμα", "source": "source / πηγή",
                    "value": "says / αναφέρει", "other_source": "other source / άλλη πηγή",
                    "other_value": "which says / που αναφέρει"}

#: Most rows a table of the annex prints; the rest are in the XLSX (a register
#: of 100k rows must not make a PDF of 100k rows).
MAX_ROWS = 100


def _cell(value, decimals: int | None = None) -> str:
    """A table cell as text: nothing for a missing value, integers as integers,
    other numbers rounded to ``decimals`` (1 unless the column says)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool | np.bool_):
        return "✓" if value else ""
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        places = 1 if decimals is None else decimals
        rounded = round(float(value), places)
        return f"{int(rounded):,}" if rounded == int(rounded) else f"{rounded:,.{places}f}"
    return str(value)


def tidy(df: pd.DataFrame, decimals: dict[str, int] | None = None) -> pd.DataFrame:
    """``df`` with every cell as text (see :func:`_cell`): what both formats print."""
    decimals = decimals or {}
    return pd.DataFrame({c: [_cell(v, decimals.get(c)) for v in df[c]] for c in df.columns}, index=df.index)


def _limited(df: pd.DataFrame, sheet: str, file: str | None = None) -> tuple[pd.DataFrame, str]:
    """At most :data:`MAX_ROWS` rows of ``df``, and a line saying where the
    rest are (``sheet`` of idle_assets.xlsx, or ``file``)."""
    if len(df) <= MAX_ROWS:
        return df, ""
    where_en, where_el = (file, file) if file else (f"idle_assets.xlsx (sheet {sheet})", f"idle_assets.xlsx (φύλλο {sheet})")
    return df.head(MAX_ROWS), (f"The first {MAX_ROWS} of {len(df):,} rows; all of them are in {where_en}. / "
                               f"Οι πρώτες {MAX_ROWS} από {len(df):,} γραμμές· όλες στο {where_el}.")


def _md_table(df: pd.DataFrame) -> str:
    """A Markdown table; every cell escaped so no viewer renders it as HTML or links."""
    if df.empty:
        return "_none / κανένα_\n"
    cells = df.astype(object).where(df.notna(), "").map(markdown_text)
    head = "| " + " | ".join(markdown_text(c) for c in df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    return head + "\n".join("| " + " | ".join(row) + " |" for row in cells.to_numpy()) + "\n"


def _html_table(df: pd.DataFrame) -> str:
    """An HTML table whose column widths are set from their text (a fixed
    layout: a printer need not measure every cell's narrowest width)."""
    if df.empty:
        return "<p><i>none / κανένα</i></p>"
    text = df.astype(str)
    need = [max(6.0, min(80.0, max([len(str(c)) / 2, *text[c].str.len().head(200).tolist()]))) ** 0.6 for c in df.columns]
    cols = "".join(f"<col style='width:{100 * n / sum(need):.1f}%'>" for n in need)
    table = df.to_html(index=False, escape=True, na_rep="", border=0, classes="t")
    return table.replace("<thead>", f"<colgroup>{cols}</colgroup><thead>", 1)


def _use_names(profiles: list[Profile]) -> dict[str, str]:
    return {p.name: f"{p.label.el} / {p.label.en}" for p in profiles}


def _forms(codes) -> str:
    """Legal-form codes (``koinsep;association``) by their Greek and English names with the law."""
    if not isinstance(codes, str) or not codes:
        return ""
    return "; ".join(f"{legal_form_name(c, 'el', True)} / {legal_form_name(c, 'en', True)}" for c in codes.split(";"))


def _inventory_table(inv: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    out = pd.DataFrame({
        "asset / ακίνητο": [f"{n} ({a})" if isinstance(n, str) and n else a for a, n in zip(inv["asset_id"], inv["name"])],
        "kind / είδος": [f"{t('el', k)} / {k}" for k in inv["kind"]],
        "area m² / εμβαδόν": inv["area_m2"].round(0),
        "sources / πηγές": [f"{sources_text(s, 'el')} / {sources_text(s, 'en')}" for s in inv["sources"]],
        "why idle / ένδειξη": [" / ".join(dict.fromkeys(x for x in (idle_evidence_text(v, "el"), idle_evidence_text(v, "en"))
                                                        if x)) for v in inv["idle_evidence"]],
        "ownership / ιδιοκτησία": [f"{t('el', o)} / {o}" for o in inv["ownership"]],
        "confidence / βεβαιότητα": [f"{t('el', 'short_' + c)} / {c}" for c in inv["confidence"]],
    })
    for col in extra:
        out[col] = inv[col].to_numpy()
    return out


def _plan_table(plan: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    impact = [f"{plan_figures(r, 'el')} / {plan_figures(r, 'en')}" for _, r in plan.iterrows()]
    notes = [" / ".join(x for x in (a, b) if isinstance(x, str) and x) for a, b in
             zip(plan.get("note_el", [None] * len(plan)), plan.get("note_en", [None] * len(plan)))]
    return pd.DataFrame({
        "asset / ακίνητο": [f"{n} ({a})" if isinstance(n, str) and n else a for a, n in zip(plan["asset_id"], plan["name"])],
        "use / χρήση": plan["use"].map(names).fillna(plan["use"]),
        "score / βαθμός": plan["score"].round(0),
        "reason / αιτιολόγηση": [f"{el} / {en}" for el, en in zip(plan["reason_el"], plan["reason_en"])],
        "impact / αποτύπωμα": impact,
        "organisations / φορείς": plan["candidate_organisations"],
        "legal forms / νομικές μορφές": plan["candidate_legal_forms"].map(_forms),
        "legal route / νομική οδός": [f"{el} / {en}" if isinstance(el, str) else "" for el, en in
                                      zip(plan.get("legal_route_el", [None] * len(plan)),
                                          plan.get("legal_route_en", [None] * len(plan)))],
        "note / σημείωση": notes,
    })


LEGAL_NOTE = ("A guide for the plan, not a legal opinion: the municipality's legal service checks each route before "
              "a decision. The route follows the owner, the use and the legal form of the leading candidate. / "
              "Οδηγός για το σχέδιο, όχι νομική γνωμοδότηση: η νομική υπηρεσία του δήμου ελέγχει κάθε οδό πριν από "
              "την απόφαση. Η οδός εξαρτάται από τον ιδιοκτήτη, τη χρήση και τη νομική μορφή του πρώτου υποψήφιου φορέα.")


def _legal_sections(view: Published, names: dict[str, str]) -> list[tuple[str, str, pd.DataFrame | None]]:
    """The legal route of each planned site (with the conditions not met) and the sources they cite."""
    routes = route_rows(view.plan, view.legal)
    if routes.empty or view.legal is None:
        return []
    shown, more = _limited(routes, "legal_routes", "legal_routes.csv")
    table = pd.DataFrame({
        "asset / ακίνητο": [f"{n} ({a})" if isinstance(n, str) and n else a for a, n in zip(shown["asset_id"], shown["name"])],
        "use / χρήση": shown["use"].map(names).fillna(shown["use"]),
        "legal form / νομική μορφή": shown["legal_form"],
        "route / οδός": [f"{a} — {b}" for a, b in zip(shown["instrument_el"], shown["body_el"])],
        "law / νόμος": shown["law_el"],
        "documents / έγγραφα": shown["documents_el"],
        "sources / πηγές": shown["source_ids"].str.replace(";", ", "),
        "check / προσοχή": [f"{el} / {en}" if isinstance(el, str) else "" for el, en in
                            zip(shown["warning_el"], shown["warning_en"])],
    })
    sources = sources_table(view.legal, routes).rename(columns={"source": "id", "title": "title / τίτλος",
                                                                 "url": "address / διεύθυνση", "read": "read / ανάγνωση"})
    return [(_h("legal"), f"{LEGAL_NOTE} {more}".strip(), tidy(table)), (_h("legal_sources"), "", tidy(sources))]


CONFIDENCE_EL_PLURAL = {"confirmed": "επιβεβαιωμένα", "probable": "πιθανά", "to verify": "προς επαλήθευση"}


def _bilingual_name(column: str) -> str:
    el, _ = headers(column, {})
    return f"{english_header(column)} / {el}" if el != column else column


def _bilingual(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its code headers (``usable_ha``) as English and Greek words (``usable (ha) / αξιοποιήσιμα (ha)``)."""
    return df.rename(columns={c: _bilingual_name(str(c)) for c in df.columns})


def _criterion_name(code: str) -> str:
    spec = REGISTRY.get(code)
    return f"{spec.label_el} / {spec.label_en}" if spec else code


#: What the inputs report says of records and features that did not become sites (its actions' first words).
LEFT_OUT = ("to locate", "dropped", "skipped", "not used", "not idle", "excluded", "corridor candidate")


def left_out(report: pd.DataFrame) -> pd.DataFrame:
    """The inputs report's rows about records and features left out of the inventory, each with its count."""
    mine = report[report["action"].astype(str).str.startswith(LEFT_OUT) & (report["count"] > 0)]
    return mine[["source", "action", "count", "detail"]].reset_index(drop=True)


def _changes_section(changes: pd.DataFrame) -> tuple[str, str, pd.DataFrame | None]:
    """What changed since the run before, one row per change."""
    first_upper = lambda text: text[:1].upper() + text[1:]
    head = f"{first_upper(change_summary(changes, 'en'))}. / {first_upper(change_summary(changes, 'el'))}."
    if changes.empty:
        return _h("changes"), head, None
    shown, more = _limited(changes, "changes", "changes.csv")
    table = pd.DataFrame({"asset / ακίνητο": [f"{n} ({a})" if isinstance(n, str) and n else a
                                              for a, n in zip(shown["asset_id"], shown["name"])],
                          "change / αλλαγή": [f"{el} / {en}" for el, en in zip(shown["text_el"], shown["text_en"])]})
    return _h("changes"), f"{head} {more}".strip(), tidy(table)


def annex_sections(view: Published, top: int = 10) -> list[tuple[str, str, pd.DataFrame | None]]:
    """``(heading, paragraph, table)`` for each section of the view's annex,
    shared by both formats; every table's cells are text already
    (:func:`tidy`): no None or nan, integers as integers, uses and legal
    forms by their names. Long tables show their first :data:`MAX_ROWS` rows
    and say where the rest are. The inventory is split into assets a record
    confirms or strong OSM evidence makes probable, and those to verify. When
    the run was compared with the one before it, the annex opens with what
    changed. The view must hold a plan, targets and impact sources."""
    inventory, scores, profiles, credits = view.inventory, view.scores, list(view.profiles), list(view.credits)
    plan, targets, coefficients, sensitivity = view.plan, view.targets, view.impact_sources, view.sensitivity
    if plan is None or targets is None or coefficients is None:
        raise ValueError("the annex is written from a view with a plan, targets and impact sources")
    totals, conflicts, verify = plan_totals(plan), view.conflicts, view.verify
    coverage_text = view.coverage_text
    changes = view.changes if view.compared else None
    names = _use_names(profiles)
    kinds = inventory["kind"].value_counts()
    sources = inventory["sources"].value_counts()
    levels = inventory["confidence"].value_counts()
    ha = inventory["area_m2"].sum() / 10000
    english = [f"{len(inventory)} idle assets ({kinds.get('land', 0)} land, {kinds.get('building', 0)} buildings), "
               f"{ha:.2f} ha; " + ", ".join(f"{levels.get(c, 0)} {c}" for c in CONFIDENCE),
               "; ".join(f"{n} from {sources_text(s, 'en')}" for s, n in sources.items()), coverage_text]
    greek = [f"{number(len(inventory), 0, 'el')} αδρανή ακίνητα ({number(kinds.get('land', 0), 0, 'el')} γη, "
             f"{number(kinds.get('building', 0), 0, 'el')} κτίρια), {number(ha, 2, 'el')} ha· "
             + ", ".join(f"{number(levels.get(c, 0), 0, 'el')} {CONFIDENCE_EL_PLURAL[c]}" for c in CONFIDENCE),
             "· ".join(f"{number(n, 0, 'el')} από {sources_text(s, 'el')}" for s, n in sources.items()),
             view.coverage_text_el]
    summary = " / ".join(". ".join(x for x in side if x) + "." for side in (english, greek))
    sure = inventory["confidence"] != "to verify"
    shown, more = _limited(inventory[sure], "inventory")
    out = [(_h("summary"), " ".join(x for x in (summary, more) if x), tidy(_inventory_table(shown, [])))]
    if changes is not None:
        out.insert(0, _changes_section(changes))
    shown, more = _limited(inventory[~sure], "inventory")
    out.append((_h("to_verify"), "Weak evidence without a record, unknown ownership, or sources that disagree: "
                "check these on the ground or in the records. / Ασθενής ένδειξη, άγνωστη ιδιοκτησία ή διαφωνία πηγών. "
                + more, tidy(_inventory_table(shown, ["conflicts"]).rename(columns={"conflicts": "disagree on / διαφωνία"}))))
    if verify is not None:
        shown, more = _limited(verify.assign(best_use=verify["best_use"].map(names).fillna(verify["best_use"]))
                               .rename(columns=VERIFY_HEADERS), "verify_ownership")
        out.append((_h("ownership"), "The plan assigns only municipal and other public assets unless the config "
                    "says plan.ownership: any. / Το σχέδιο αναθέτει μόνο δημοτικά και άλλα δημόσια ακίνητα. " + more,
                    tidy(shown, {"score / βαθμός": 0})))
    if conflicts is not None:
        shown, more = _limited(conflicts, "conflicts")
        out.append((_h("conflicts"), more, tidy(shown.rename(columns=CONFLICT_HEADERS))))
    shown, more = _limited(plan, "plan")
    out.append((_h("plan"), "Each asset gets one use, or uses that can share it (rooftop solar with a use inside the "
                "building); the assignment first approaches every target, then maximises the total score. / Κάθε "
                "ακίνητο λαμβάνει μία χρήση ή χρήσεις που συνυπάρχουν (φωτοβολταϊκά στέγης με χρήση του κτιρίου). " + more,
                tidy(_plan_table(shown, names))))
    out.append((_h("totals"), "", tidy(_bilingual(totals.assign(use=totals["use"].map({**names, "TOTAL": "Σύνολο / TOTAL"})
                                                                 .fillna(totals["use"]))),
                                       {_bilingual_name("usable_ha"): 2, _bilingual_name("cultivable_ha"): 2})))
    out.append((_h("targets"), "", tidy(_bilingual(targets))))
    if not view.interest.empty:
        interest = view.interest.assign(
            legal_form=view.interest["legal_form"].map(lambda c: legal_form_name(c, "el", True) if c else ""),
            uses=view.interest["uses"].map(lambda u: ", ".join(names.get(x, x) for x in str(u or "").split(";") if x)))
        shown, more = _limited(interest.drop(columns=["space_m2"]).rename(columns=INTEREST_HEADERS), "interest",
                               "interest.csv")
        out.append((_h("interest"), "Οι φορείς που ζήτησαν ακίνητα στην πρόσκληση εκδήλωσης ενδιαφέροντος. / "
                    "The organisations that asked for assets in the open call. " + more, tidy(shown)))
    if view.workshop is not None:
        table = workshop_table(view.workshop, profiles).assign(use=lambda t: t["use"].map(names).fillna(t["use"]))
        agree = "; ".join(f"{names.get(r.use, r.use)}: W = {r.kendall_w:g} ({r.participants}"
                          + (f", {r.pairwise} pairwise" if getattr(r, "pairwise", 0) else "")
                          + (f"; inconsistent, CR > 0.1: {r.inconsistent.replace(';', ', ')}"
                             if getattr(r, "inconsistent", "") else "") + ")"
                          for r in view.workshop.consensus.itertuples())
        out.append((_h("workshop"), "The weights are the workshops' (geometric mean of the participants' own, "
                    "rated 1-9 or from pairwise judgements on Saaty's scale); consensus as Kendall's W (0 none, 1 the "
                    f"same order for all), participants in brackets: {agree}. / Βάρη από τα εργαστήρια (γεωμετρικός "
                    "μέσος των βαρών των συμμετεχόντων, από βαθμολογία 1-9 ή συγκρίσεις ανά δύο)· συμφωνία κατά "
                    "Kendall W.", tidy(table, {"group_weight": 3, "dissent": 2, "kendall_w": 2})))
    out += _legal_sections(view, names)
    left = left_out(view.report)
    if not left.empty:
        shown, more = _limited(left, "left_out")
        out.append((_h("left_out"), "Records and OSM features the inventory did not take, and why: points to locate, "
                    "dropped or skipped rows, abandoned railway corridors a plan may reuse. / Εγγραφές και στοιχεία "
                    "OSM που δεν έγιναν ακίνητα και γιατί: σημεία προς εντοπισμό, απορρίψεις, εγκαταλελειμμένες "
                    "σιδηροδρομικές γραμμές (διάδρομοι). " + more,
                    tidy(shown.rename(columns={"source": "source / πηγή", "action": "what / τι", "count": "count / πλήθος",
                                               "detail": "which / ποια"}))))
    if view.progress is not None:
        out.append(implementation_section(view.progress))
    conditions = (conditions_table(view.legal).set_index("legal_form") if view.legal is not None
                  else pd.DataFrame(columns=["min_members", "conditions", "source"]))
    keys = [f"{v['el']} / {v['en']}" for v in LEGAL_FORMS.values()]
    out.append((_h("legal_forms"), "The legal forms of the organisations the plan can propose, and the conditions "
                "the plan checks against the open call's answers. / Οι νομικές μορφές των φορέων που μπορεί να "
                "προτείνει το σχέδιο και οι προϋποθέσεις που ελέγχει.",
                tidy(pd.DataFrame({"Ελληνικά": [v["el_full"] for v in LEGAL_FORMS.values()],
                                   "English": [v["en_full"] for v in LEGAL_FORMS.values()],
                                   "min. members / ελάχ. μέλη": [conditions["min_members"].get(k, "") for k in keys],
                                   "conditions / προϋποθέσεις": [conditions["conditions"].get(k, "") for k in keys],
                                   "source / πηγή": [conditions["source"].get(k, "") for k in keys]}))))
    for p in profiles:
        eligible = (scores["use"] == p.name) & scores["eligible"]
        s = scores[eligible].sort_values("rank").head(top)
        s = s.merge(inventory[["asset_id", "name"]], on="asset_id", how="left")
        table = pd.DataFrame({"rank / σειρά": s["rank"], "asset / ακίνητο": [f"{n} ({a})" if isinstance(n, str) and n
                                                                            else a for a, n in zip(s["asset_id"], s["name"])],
                              "score / βαθμός": s["score"].round(0), "TOPSIS": s["rank_topsis"],
                              f"top {getattr(sensitivity, 'top_k', 3)} (%)": (100 * s["p_top_k"]).round(0),
                              "reason / αιτιολόγηση": [f"{el} / {en}" for el, en in zip(s["reason_el"], s["reason_en"])]})
        out.append((f"{_h('rankings')}: {p.label.el} / {p.label.en}",
                    f"{int(eligible.sum()):,} eligible assets; the best {min(top, int(eligible.sum()))} shown, all "
                    f"in ranking_{p.name}.csv. / {int(eligible.sum()):,} κατάλληλα ακίνητα· τα καλύτερα "
                    f"{min(top, int(eligible.sum()))} εδώ.", tidy(table, {"score / βαθμός": 0})))
    weights = pd.DataFrame([{"use / χρήση": names[p.name], "criterion / κριτήριο": _criterion_name(c.criterion),
                             "weight / βάρος": round(p.weights()[c.criterion], 3),
                             "value function / συνάρτηση αξίας": c.function.type,
                             "AHP CR / λόγος συνέπειας AHP": p.consistency_ratio()}
                            for p in profiles for c in p.criteria])
    out.append((_h("method"), "Score = 100 × Σ weight × value (weighted linear combination); values from each "
                "criterion's value function; TOPSIS as an alternative ranking; AHP weights where a profile gives "
                "pairwise comparisons (consistency ratio shown). / Βαθμός = 100 × Σ βάρος × τιμή (σταθμισμένος "
                "γραμμικός συνδυασμός)· τιμές από τη συνάρτηση αξίας κάθε κριτηρίου· TOPSIS ως εναλλακτική κατάταξη· "
                "βάρη AHP όπου το προφίλ δίνει συγκρίσεις ανά δύο (με τον λόγο συνέπειας).",
                tidy(weights, {"weight / βάρος": 3, "AHP CR / λόγος συνέπειας AHP": 3})))
    if sensitivity is not None:
        out.append((_h("sensitivity"), f"{sensitivity.draws} random weight draws (log-normal spread "
                    f"{sensitivity.spread:g}, seed {sensitivity.seed}); for each asset the share of draws in which "
                    f"it ranks in the top {sensitivity.top_k} and its 5-95 % rank interval are in the rankings above. / "
                    f"{sensitivity.draws} τυχαίες σταθμίσεις (λογαριθμοκανονική διασπορά {sensitivity.spread:g}, "
                    f"σπόρος {sensitivity.seed})· για κάθε ακίνητο, το ποσοστό των σταθμίσεων στις οποίες είναι στις "
                    f"{sensitivity.top_k} πρώτες θέσεις και το διάστημα θέσεων 5-95 % δίνονται στις κατατάξεις.",
                    None))
    out.append((_h("coefficients"), "", tidy(_bilingual(coefficients), {_bilingual_name("value"): 3})))
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


#: A4 landscape pages; tables as wide as the page, their cells wrapped
#: (anywhere, for long ids and URLs) and their headers repeated on every page.
PRINT_CSS = ("@page{size:A4 landscape;margin:12mm 10mm;@bottom-right{content:counter(page) ' / ' counter(pages);"
             "font:8px sans-serif}}body{max-width:none;margin:0;font-size:10px}"
             "table.t{font-size:7.5px;width:100%;table-layout:fixed}"
             "table.t td{overflow-wrap:anywhere}table.t th{overflow-wrap:normal;hyphens:manual}"
             "table.t td:first-child{min-width:24mm}"
             "table.t thead{display:table-header-group}table.t tr{break-inside:avoid}h2{break-after:avoid}")


def write_pdf(page: str, target: Path, print_css: str = PRINT_CSS) -> Path | None:
    """An HTML page printed as PDF by WeasyPrint with ``print_css`` added
    (by default the annex's A4 landscape pages), when WeasyPrint is installed
    (the ``pdf`` extra and the Pango library); otherwise nothing, and the log says why."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        log.info("%s not written: WeasyPrint unavailable (%s); pip install -e '.[pdf]'", Path(target).name, exc)
        return None
    printable = page.replace("</style>", print_css + "</style>", 1)
    with atomic_path(target) as tmp, _fonts_dated_fixed():
        weasyprint.HTML(string=printable).write_pdf(tmp)
    return target


@contextlib.contextmanager
def _fonts_dated_fixed():
    """Run with ``SOURCE_DATE_EPOCH`` at :data:`pipeline.common.io.FIXED_DATE`
    (unless the user set it): fontTools dates the fonts WeasyPrint embeds
    with it (their ``head.modified``), else with the time of writing, and
    two runs on the same inputs would give different PDFs."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = str(calendar.timegm(FIXED_DATE))
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
