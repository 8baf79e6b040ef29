"""Citizens' reports: the report form, and the moderation workbook made of
its export.

The form (an XLSForm, Greek and English, converted by pyxform) asks whether
a site is idle or, on the contrary, in use; which asset it is (picked from
the inventory's list) or where (a point); how sure the reporter is
(hearsay, seen, confirmed); since when it is empty; a description, a photo,
and, optionally, a contact. The moderation workbook lists every report with
what it says and where, leaving out the contact and the free text; a
moderator accepts or rejects each (a rejection needs its reason). The
``reports`` source reads it back: accepted reports only.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..common._text import defuse_frame
from ..common.errors import InputError
from ..common.io import read_table, xlsx_writer
from ..extract._tables import blank
from ..extract.reports import CERTAINTY, COLUMNS, KINDS, SHEET
from ..survey.form import EL, EN, SurveyForm, asset_list, question

LABELS = {
    "report": {"idle": ("Είναι αδρανές / άδειο", "It is idle / empty"),
               "not_idle": ("Δεν είναι αδρανές: χρησιμοποιείται", "It is not idle: it is in use")},
    "certainty": {"hearsay": ("Το έχω ακούσει", "I have heard so"), "seen": ("Το έχω δει", "I have seen it"),
                  "confirmed": ("Το γνωρίζω με βεβαιότητα (π.χ. ιδιοκτήτης, γείτονας)",
                                "I know it for sure (e.g. owner, neighbour)")},
}
DECISION_CHOICES = ("δεκτή / accept", "απορρίπτεται / reject")


def questions() -> list[dict]:
    """The rows of the report form's ``survey`` sheet."""
    return [
        question("start", "start", "", ""), question("end", "end", "", ""), question("today", "today", "", ""),
        question("note", "intro", "Αναφέρετε ένα αδρανές ακίνητο (ή ένα που δεν είναι αδρανές). Κάθε αναφορά ελέγχεται "
                 "πριν χρησιμοποιηθεί· τα στοιχεία σας δεν δημοσιεύονται.",
                 "Report an idle site (or one that is not idle). Every report is checked before it is used; "
                 "your details are never published."),
        question("select_one report", "report", "Τι αναφέρετε;", "What do you report?", required="yes"),
        question("select_one_from_file assets.csv", "asset_id", "Ακίνητο του καταλόγου (αν υπάρχει)",
                 "Site on the list (if it is there)", appearance="search", parameters="value=asset_id label=name"),
        question("geopoint", "location", "Θέση του ακινήτου", "Where the site is", required="${asset_id} = ''"),
        question("select_one certainty", "certainty", "Πόσο σίγουροι είστε;", "How sure are you?", required="yes"),
        question("text", "empty_since", "Από πότε είναι άδειο; (π.χ. 2019)", "Empty since when? (e.g. 2019)",
                 relevant="${report} = 'idle'"),
        question("text", "description", "Περιγραφή", "Description"),
        question("image", "photo", "Φωτογραφία", "Photo", parameters="max-pixels=1600"),
        question("text", "reporter_name", "Όνομα (προαιρετικό, δεν δημοσιεύεται)", "Name (optional, never published)"),
        question("text", "reporter_email", "Email (προαιρετικό, δεν δημοσιεύεται)", "Email (optional, never published)"),
        question("text", "reporter_phone", "Τηλέφωνο (προαιρετικό, δεν δημοσιεύεται)", "Phone (optional, never published)"),
    ]


def build_report_form(inventory: gpd.GeoDataFrame, title: str, form_id: str, version: str) -> SurveyForm:
    """The report form for this inventory (a pure function)."""
    survey = pd.DataFrame(questions()).fillna("")
    choices = pd.DataFrame([{"list_name": lst, "name": k, EL: el, EN: en}
                            for lst, items in LABELS.items() for k, (el, en) in items.items()])
    settings = pd.DataFrame([{"form_title": title, "form_id": form_id, "version": version,
                              "default_language": "Ελληνικά (el)"}])
    return SurveyForm(survey, choices, settings, asset_list(inventory))


def moderation_rows(export: Path) -> pd.DataFrame:
    """The rows of the moderation workbook from the form's export (CSV or
    XLSX): each report's id (the export's ``_id``), kind, asset or point,
    certainty and empty-since; no contact, no free text.

    Raises
    ------
    InputError
        When the export lacks the form's questions.
    """
    what = f"report form export {export}"
    table = read_table(Path(export), what)
    table.columns = [str(c).rsplit("/", 1)[-1] for c in table.columns]  # Kobo's group/question headers
    missing = [c for c in ("_id", "report", "certainty") if c not in table.columns]
    if missing:
        raise InputError(what, [f"columns {missing} not found: export the form 'idle-assets report-form' wrote"])
    lat = table.get("_location_latitude", pd.Series(index=table.index, dtype=object))
    lon = table.get("_location_longitude", pd.Series(index=table.index, dtype=object))
    if "location" in table:
        parts = table["location"].fillna("").astype(str).str.split(expand=True)
        if parts.shape[1] >= 2:
            lat, lon = lat.where(lat.notna(), parts[0].replace("", None)), lon.where(lon.notna(), parts[1].replace("", None))
    return pd.DataFrame({"report_id": table["_id"].astype(str), "report": table["report"],
                         "asset_id": table.get("asset_id", pd.Series(index=table.index, dtype=object)),
                         "latitude": lat, "longitude": lon, "certainty": table["certainty"],
                         "empty_since": table.get("empty_since", pd.Series(index=table.index, dtype=object)),
                         "decision": "", "reason": ""}, columns=list(COLUMNS)).fillna("")


def write_moderation_workbook(rows: pd.DataFrame, target: Path) -> Path:
    """The workbook a moderator fills: a drop-down for the decision, the reason beside it."""
    with xlsx_writer(Path(target)) as writer:
        defuse_frame(rows).to_excel(writer, sheet_name=SHEET, index=False)
        sheet = writer.book[SHEET]
        keys = list(rows.columns)
        for i, key in enumerate(keys, start=1):
            cell = sheet.cell(row=1, column=i)
            cell.font = Font(bold=True)
            if key in ("decision", "reason"):
                cell.fill = PatternFill("solid", fgColor="FFF2CC")
            sheet.column_dimensions[get_column_letter(i)].width = 22
        column = get_column_letter(keys.index("decision") + 1)
        check = DataValidation(type="list", formula1='"' + ",".join(DECISION_CHOICES) + '"', allow_blank=True,
                               showErrorMessage=True, errorTitle="idle-assets", error="δεκτή / accept or απορρίπτεται / reject")
        check.add(f"{column}2:{column}{max(len(rows) + 1, 2)}")
        sheet.add_data_validation(check)
        sheet.freeze_panes = "B2"
    return Path(target)


def check_kinds(rows: pd.DataFrame) -> list[str]:
    """Rows of an export whose answers are not the form's choices (a form edited by hand)."""
    out = []
    for i, (rid, kind, sure) in enumerate(zip(rows["report_id"], rows["report"], rows["certainty"]), start=2):
        if kind not in KINDS:
            out.append(f"row {i} ({rid}): report {kind!r} is not one of {', '.join(KINDS)}")
        if sure not in CERTAINTY and not blank(sure):
            out.append(f"row {i} ({rid}): certainty {sure!r} is not one of {', '.join(CERTAINTY)}")
    return out
