"""The legal route to each planned asset, and the legal forms' conditions the
interested organisations do not meet. A pure module: the rule table comes in
(:func:`pipeline.common.legal.legal_table`).

The route of a plan row is the rule for its asset's owner, its use and the
legal form of its leading candidate organisation (``none`` when there is no
candidate): of the rules that apply, the one naming the most of the three,
then the first written. The warnings name each organisation that asked for
the asset in the open call and does not meet its legal form's conditions
(too few members, no legal form yet, members not stated), and the other
organisations that asked for it, which it could join.
"""

from __future__ import annotations

import pandas as pd

from ..common.i18n import legal_form_name
from ..common.legal import NO_ORGANISATION, LegalTable, Rule

COLUMNS = ["legal_rule", "legal_route_el", "legal_route_en", "legal_basis_el", "legal_basis_en", "legal_sources",
           "legal_warning_el", "legal_warning_en"]
#: Most other organisations a warning names as partners to join.
JOINERS = 3


def route_rule(table: LegalTable, owner: str, use: str, form: str | None) -> Rule | None:
    """The rule for ``owner``, ``use`` and legal ``form`` (None: no organisation)."""
    form = form or NO_ORGANISATION
    fits = [r for r in table.rules if (r.owner is None or owner in r.owner) and (r.uses is None or use in r.uses)
            and (r.legal_forms is None or form in r.legal_forms)]
    return max(fits, key=lambda r: r.specificity, default=None)  # max keeps the first of equals


def leading_form(codes) -> str | None:
    """The legal form of the leading candidate (the first of ``candidate_legal_forms``)."""
    return codes.split(";")[0] if isinstance(codes, str) and codes else None


def _members(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def condition_warnings(asset_id: str, use: str, interest: pd.DataFrame, organisations: pd.DataFrame | None,
                       table: LegalTable) -> tuple[list[str], list[str]]:
    """Greek and English sentences, one per organisation that asked for the
    asset (for ``use``, or naming no use) and does not meet its legal form's
    conditions, with the others that asked for the asset, to join."""
    mine = interest[interest["asset_id"] == asset_id]
    wants = mine["uses"].fillna("").map(lambda u: not u or use in u.split(";"))
    mine = mine[wants]
    members = (organisations.set_index("org_id")["members"] if organisations is not None and "members" in organisations
               else pd.Series(dtype=float))
    el, en = [], []
    for r in mine.itertuples():
        condition = table.legal_forms.get(r.legal_form)
        if condition is None:
            continue
        count = _members(members.get(r.org_id))
        others = [o for o in dict.fromkeys(interest.loc[interest["asset_id"] == asset_id, "organisation"])
                  if o != r.organisation][:JOINERS]
        join_el = f"· θα μπορούσε να συμπράξει με: {', '.join(others)}" if others else ""
        join_en = f"; it could join: {', '.join(others)}" if others else ""
        form_el, form_en = legal_form_name(r.legal_form, "el"), legal_form_name(r.legal_form, "en")
        if condition.must_form:
            el.append(f"{r.organisation} ({form_el}): {condition.note.el}{join_el}")
            en.append(f"{r.organisation} ({form_en}): {condition.note.en}{join_en}")
        elif condition.min_members is None:
            continue
        elif count is None:
            el.append(f"{r.organisation}: δεν δήλωσε αριθμό μελών· {form_el}: {condition.note.el}")
            en.append(f"{r.organisation}: members not stated; {form_en}: {condition.note.en}")
        elif count < condition.min_members:
            el.append(f"{r.organisation} έχει {count} μέλη· {form_el}: {condition.note.el}{join_el}")
            en.append(f"{r.organisation} has {count} members; {form_en}: {condition.note.en}{join_en}")
    return el, en


def legal_routes(plan: pd.DataFrame, interest: pd.DataFrame, organisations: pd.DataFrame | None,
                 table: LegalTable) -> pd.DataFrame:
    """For each plan row (same index): the rule applied (``legal_rule``), the
    instrument and deciding body (``legal_route_el``/``_en``), the law
    (``legal_basis_el``/``_en``), the rule's source ids (``legal_sources``,
    ``;``-separated) and the conditions the interested organisations do not
    meet (``legal_warning_el``/``_en``, None when none)."""
    rows = []
    for r in plan.itertuples():
        rule = route_rule(table, r.ownership, r.use, leading_form(getattr(r, "candidate_legal_forms", None)))
        assert rule is not None, "LegalTable.problems requires a rule for every owner"
        el, en = condition_warnings(str(r.asset_id), r.use, interest, organisations, table)
        rows.append([rule.id, f"{rule.instrument.el} — {rule.body.el}", f"{rule.instrument.en} — {rule.body.en}",
                     rule.law.el, rule.law.en, ";".join(rule.sources), "· ".join(el) or None, "; ".join(en) or None])
    return pd.DataFrame(rows, columns=COLUMNS, index=plan.index).astype(object)
