"""The status workbook: an officer records many steps at once in a
spreadsheet and the ledger reads it back.

:func:`write_status_workbook` lists every asset still in the register with
its status now, and empty columns to fill; each coded column has a drop-down
of its values (Greek label / English label), dates and numbers are checked by
the spreadsheet as they are typed. :func:`read_status_workbook` reads it back
with no mapping: rows with no new status are skipped; every other row is
checked, and one error names every bad row (row number, asset, what is
wrong) before anything is recorded.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..common._text import defuse_frame
from ..common.errors import InputError
from ..common.io import read_table, xlsx_writer
from ..extract._tables import blank, parse_dates
from .model import EXIT_REASONS, ROLES, STATUSES, TENURES, Event, event_problems
from .store import Ledger

SHEET = "status"
LISTS = "lists"
#: The columns: key, header (Greek / English), what the cell holds; the first four are information.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("accept", "Αποδοχή / accept", "proposals only: ναι / yes records the row, anything else skips it"),
    ("asset", "Ακίνητο / asset", "the asset's id (do not change)"),
    ("name", "Όνομα / name", ""),
    ("status_now", "Κατάσταση τώρα / status now", ""),
    ("since", "Από / since", ""),
    ("date", "Ημερομηνία / date", "when the step happened: 2026-05-20 or 20/05/2026"),
    ("status", "Νέα κατάσταση / new status", "the step reached (leave empty: nothing recorded for this row)"),
    ("role", "Ρόλος / role", "who records it (default: officer)"),
    ("evidence", "Τεκμήριο / evidence", "Diavgeia ΑΔΑ, survey submission, register row"),
    ("tenure", "Παραχώρηση / tenure", "with assigned, in preparation, operating"),
    ("term_years", "Διάρκεια (έτη) / term (years)", ""),
    ("use", "Χρήση που συμφωνήθηκε / use agreed", "with assigned and after: a use profile's name, e.g. social_farm"),
    ("new_use", "Νέα χρήση / new use", "with exited"),
    ("area_m2", "Έκταση σε χρήση (m²) / area brought back (m²)", "with exited"),
    ("funding", "Χρηματοδότηση / funding", "with exited"),
    ("reason", "Λόγος εξόδου / exit reason", "with exited, when there is no new use"),
    ("note", "Σημείωση / note", ""),
    ("source", "Πηγή / source", "where a proposal comes from (e.g. the decision on Diavgeia)"),
)
HEADERS = {header: key for key, header, _ in COLUMNS}
#: The coded columns and their values.
CODES = {"status": STATUSES, "role": ROLES, "tenure": TENURES, "reason": EXIT_REASONS}
#: The accept column's values.
YES_NO = {"yes": ("ναι", "yes"), "no": ("όχι", "no")}
#: Columns only a proposals workbook has.
PROPOSAL_ONLY = ("accept", "source")


def _choice(labels: tuple[str, str]) -> str:
    """A coded value as the drop-down shows it: Greek label / English label."""
    return f"{labels[0]} / {labels[1]}"


def write_status_workbook(ledger: Ledger, target: Path, today: dt.date | None = None,
                          proposals: list[dict] | None = None) -> Path:
    """The workbook of every asset not exited, to fill and read back; or,
    with ``proposals`` (rows of the fill columns, e.g. from council
    decisions), those rows prefilled, each to accept or not."""
    latest = {e["ledger_id"]: e for e in ledger.history()}  # oldest first: the last one stays
    assets = {a["ledger_id"]: a for a in ledger.assets()}
    columns = [c for c in COLUMNS if proposals is not None or c[0] not in PROPOSAL_ONLY]
    rows = []
    for item in proposals if proposals is not None else [{"asset": k} for k in assets]:
        asset, now = assets.get(item["asset"]), latest.get(item["asset"])
        if asset is None or now is None or (proposals is None and asset["end_date"] is not None):
            continue
        rows.append({**item, "name": asset["name"] or "", "status_now": _choice(STATUSES[now["status"]]),
                     "since": now["date"]})
    for row in rows:
        for key, codes in CODES.items():
            if row.get(key) in codes:
                row[key] = _choice(codes[row[key]])
    table = pd.DataFrame(rows, columns=[k for k, _, _ in columns]).rename(columns={k: h for k, h, _ in columns})
    codes_in_use = {**CODES, **({"accept": YES_NO} if proposals is not None else {})}
    lists = pd.DataFrame({key: pd.Series([_choice(v) for v in codes.values()]) for key, codes in codes_in_use.items()})
    with xlsx_writer(Path(target)) as writer:
        defuse_frame(table).to_excel(writer, sheet_name=SHEET, index=False)
        lists.to_excel(writer, sheet_name=LISTS, index=False)
        _format(writer.book[SHEET], columns, len(table), lists, today or dt.date.today())
        writer.book[LISTS].sheet_state = "hidden"
    return Path(target)


def _format(sheet, columns: list, n: int, lists: pd.DataFrame, today: dt.date) -> None:
    last = max(n + 1, 2)  # the assets' rows
    keys = [k for k, _, _ in columns]
    for i, (key, _, help_text) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font = Font(bold=True)
        if key not in ("asset", "name", "status_now", "since", "source"):
            cell.fill = PatternFill("solid", fgColor="FFF2CC")  # the columns to fill
        if help_text:
            cell.comment = Comment(help_text, "idle-assets")
        sheet.column_dimensions[get_column_letter(i)].width = 14 if key in ("date", "since", "term_years") else 26
    sheet.freeze_panes = sheet.cell(row=2, column=keys.index("name") + 2).coordinate
    for key in lists.columns:
        column = get_column_letter(keys.index(key) + 1)
        source = get_column_letter(list(lists.columns).index(key) + 1)
        count = lists[key].notna().sum()
        check = DataValidation(type="list", formula1=f"={LISTS}!${source}$2:${source}${count + 1}", allow_blank=True,
                               showErrorMessage=True, errorTitle="idle-assets", error="choose a value from the list")
        check.add(f"{column}2:{column}{last}")
        sheet.add_data_validation(check)
    date_column = get_column_letter(keys.index("date") + 1)
    dates = DataValidation(type="date", operator="lessThanOrEqual", formula1=f"DATE({today.year},{today.month},{today.day})",
                           allow_blank=True, showErrorMessage=True, errorTitle="idle-assets",
                           error="a date, not after today")
    dates.add(f"{date_column}2:{date_column}{last}")
    sheet.add_data_validation(dates)
    for key in ("term_years", "area_m2"):
        column = get_column_letter(keys.index(key) + 1)
        number = DataValidation(type="decimal", operator="greaterThan", formula1="0", allow_blank=True,
                                showErrorMessage=True, errorTitle="idle-assets", error="a positive number")
        number.add(f"{column}2:{column}{last}")
        sheet.add_data_validation(number)


def _code(value: str, codes: dict[str, tuple[str, str]]) -> str | None:
    """The key of a coded value given as its key, its Greek or English label, or both."""
    text = str(value).strip()
    for key, labels in codes.items():
        if text.casefold() in {key.casefold(), labels[0].casefold(), labels[1].casefold(), _choice(labels).casefold()}:
            return key
    return None


def read_status_workbook(path: Path, ledger: Ledger, today: dt.date | None = None,
                         uses: set[str] | None = None) -> list[Event]:
    """The events a filled workbook records, every row checked.

    Raises
    ------
    InputError
        Naming every bad row of the workbook (nothing is recorded).
    """
    what = f"status workbook {path}"
    table = read_table(Path(path), what, sheet=SHEET)
    table = table.rename(columns=lambda c: HEADERS.get(c, c))
    missing = [h for k, h, _ in COLUMNS if k in ("asset", "date", "status") and k not in table.columns]
    if missing:
        raise InputError(what, [f"columns {missing} not found: write the workbook with 'idle-assets status workbook'"])
    table = table[table["status"].map(lambda v: not blank(v))]
    if "accept" in table.columns:  # a proposals workbook: only the rows accepted
        table = table[table["accept"].map(lambda v: not blank(v) and _code(v, YES_NO) == "yes")]
    rows = pd.Series(table.index + 2, index=table.index)  # the header is row 1
    ids = table["asset"].fillna("").astype(str).str.strip()
    problems: list[str] = []
    dates = parse_dates(table["date"], ids, rows, problems)
    known = {a["ledger_id"] for a in ledger.assets()}
    events = []
    for index, row in table.iterrows():
        where = f"row {rows[index]} ({ids[index] or 'no asset'})"
        row_problems = []
        if ids[index] not in known:
            row_problems.append(f"asset {ids[index]!r} is not in the ledger")
        codes = {}
        for key, values in CODES.items():
            cell = row.get(key)
            if key not in table.columns or blank(cell):
                continue
            codes[key] = _code(cell, values)
            if codes[key] is None:
                row_problems.append(f"{key} {str(cell).strip()!r} is not one of the list's values")
        numbers: dict[str, float] = {}
        for key in ("term_years", "area_m2"):
            cell = row.get(key)
            if key in table.columns and not blank(cell):
                try:
                    numbers[key] = float(str(cell).replace(",", "."))
                except ValueError:
                    row_problems.append(f"{key} {str(cell).strip()!r} is not a number")
        if blank(row.get("date")):
            row_problems.append("no date: when did it happen?")
        text = {k: (None if k not in table.columns or blank(row.get(k)) else str(row.get(k)).strip())
                for k in ("evidence", "new_use", "funding", "note", "use")}
        if uses is not None and text["use"] is not None and text["use"] not in uses:
            row_problems.append(f"use {text['use']!r} is not a use of this project ({', '.join(sorted(uses))})")
        status = codes.get("status")
        if not row_problems and dates[index] is not None and status:
            event = Event(ids[index], str(dates[index])[:10], status, codes.get("role") or "officer",
                          evidence=text["evidence"], tenure=codes.get("tenure"), term_years=numbers.get("term_years"),
                          new_use=text["new_use"], area_m2=numbers.get("area_m2"), funding=text["funding"],
                          reason=codes.get("reason"), note=text["note"], use=text["use"])
            row_problems += event_problems(event, today)
            events.append(event)
        problems += [f"{where}: {p}" for p in row_problems]
    if problems:
        raise InputError(what, problems)
    return events


def record_workbook(path: Path, ledger: Ledger, today: dt.date | None = None,
                    uses: set[str] | None = None) -> list[Event]:
    """Record a filled workbook's events, all or none (``uses``: the project's, a row's use must be one)."""
    events = read_status_workbook(path, ledger, today, uses)
    with ledger.transaction():
        for event in events:
            ledger.record(event, today)
    return events
