"""The legal routes as people read them: one row per planned asset and use
with the instrument, the deciding body, the law, the usual documents and the
sources (title, address and where they were read), for ``legal_routes.csv``,
the fact sheets and the annex. Every text is the rule table's or the plan's;
the writers escape it."""

from __future__ import annotations

import pandas as pd

from ..common.i18n import legal_form_name
from ..common.legal import LegalTable
from ..plan.legal import leading_form

COLUMNS = ["asset_id", "name", "use", "legal_form", "legal_rule", "instrument_el", "instrument_en", "body_el",
           "body_en", "law_el", "law_en", "documents_el", "documents_en", "source_ids", "sources", "warning_el",
           "warning_en"]


def source_text(table: LegalTable, ids: str | None) -> str:
    """The sources named by ``ids`` (``;``-separated): title and address of each."""
    out = []
    for key in (ids or "").split(";"):
        source = table.sources.get(key)
        if source is not None:
            out.append(f"{source.title}{f' <{source.url}>' if source.url else ''}")
    return " | ".join(out)


def route_rows(plan: pd.DataFrame | None, table: LegalTable | None) -> pd.DataFrame:
    """The legal route of every plan row (empty without a plan or a table)."""
    if plan is None or plan.empty or table is None or "legal_rule" not in plan:
        return pd.DataFrame(columns=COLUMNS)
    rules = {r.id: r for r in table.rules}
    rows = []
    for r in plan.itertuples():
        rule = rules[r.legal_rule]
        form = leading_form(r.candidate_legal_forms)
        rows.append([r.asset_id, r.name, r.use, legal_form_name(form, "el") if form else "", rule.id,
                     rule.instrument.el, rule.instrument.en, rule.body.el, rule.body.en, rule.law.el, rule.law.en,
                     "· ".join(rule.documents.el), "; ".join(rule.documents.en), r.legal_sources,
                     source_text(table, r.legal_sources),
                     r.legal_warning_el, r.legal_warning_en])
    return pd.DataFrame(rows, columns=COLUMNS)


def sources_table(table: LegalTable, used: pd.DataFrame) -> pd.DataFrame:
    """The sources the routes in ``used`` (``route_rows``) and the legal forms' conditions cite."""
    rules = {r.id: r for r in table.rules}
    ids = list(dict.fromkeys([s for rule in used["legal_rule"] for s in rules[rule].sources]
                             + [c.source for c in table.legal_forms.values()]))
    return pd.DataFrame([{"source": k, "title": table.sources[k].title, "url": table.sources[k].url or "",
                          "read": table.sources[k].read} for k in ids], columns=["source", "title", "url", "read"])
