"""The open call's form: an XLSForm (Greek and English, converted by pyxform
as the survey form is) for organisations' expressions of interest.

Its questions are named as the organisations source's columns (name,
legal_form, afm, gemi, members, workers, uses, space_m2, budget_eur, area,
assets, contact_name, email, phone), so an export of it from KoboToolbox or
ODK Central is read back with no mapping; its ``_id`` is the
organisation's id. The legal forms are those the reader knows; the ΑΦΜ is
checked as it is typed (9 digits, the last its check digit); the uses are
the project's; the assets of interest are picked from the inventory's list
(``assets.csv``, as in the survey form). Contact details are private: the
pipeline never publishes them.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from ..common.i18n import LEGAL_FORMS
from ..score.profiles import Profile
from ..survey.form import EL, EN, SurveyForm, asset_list, question

#: The ΑΦΜ's check as an XPath constraint: 9 digits, the sum of the first
#: eight times 2⁸ … 2¹, mod 11, mod 10, is the ninth.
AFM_CONSTRAINT = ("regex(., '^[0-9]{9}$') and ("
                  + " + ".join(f"number(substr(., {i + 1}, 1)) * {2 ** (8 - i)}" for i in range(8))
                  + ") mod 11 mod 10 = number(substr(., 9, 1))")
EMAIL_CONSTRAINT = r"regex(., '^[^@\s]+@[^@\s]+\.[^@\s]+$')"


def questions() -> list[dict]:
    """The rows of the form's ``survey`` sheet."""
    formed = "${legal_form} != 'informal_group'"
    return [
        question("start", "start", "", ""), question("end", "end", "", ""), question("today", "today", "", ""),
        question("note", "intro", "Πρόσκληση εκδήλωσης ενδιαφέροντος για αδρανή δημοτικά ακίνητα (κοινωνική και "
           "αλληλέγγυα οικονομία). Τα στοιχεία επικοινωνίας δεν δημοσιεύονται.",
           "Call for expressions of interest in idle municipal property (social and solidarity economy). "
           "Contact details are never published."),
        question("text", "name", "Επωνυμία φορέα ή ομάδας", "Name of the organisation or group", required="yes"),
        question("select_one legal_form", "legal_form", "Νομική μορφή", "Legal form", required="yes"),
        question("text", "afm", "ΑΦΜ", "Tax number (ΑΦΜ)", relevant=formed, constraint=AFM_CONSTRAINT,
           **{"constraint_message::Ελληνικά (el)": "9 ψηφία· το τελευταίο είναι ψηφίο ελέγχου",
              "constraint_message::English (en)": "9 digits, the last a check digit"}),
        question("text", "gemi", "Αριθμός ΓΕΜΗ ή Μητρώου ΚΑλΟ", "Registration number (GEMI or social economy register)",
           relevant=formed),
        question("integer", "members", "Αριθμός μελών", "Number of members", constraint=". >= 1"),
        question("integer", "workers", "Αριθμός εργαζομένων", "Number of workers", constraint=". >= 0"),
        question("select_multiple uses", "uses", "Χρήσεις που σας ενδιαφέρουν", "Uses you want", required="yes"),
        question("decimal", "space_m2", "Χώρος που χρειάζεστε (m²)", "Space you need (m²)", constraint=". > 0"),
        question("decimal", "budget_eur", "Διαθέσιμος προϋπολογισμός (€)", "Budget you can bring (€)", constraint=". >= 0"),
        question("text", "area", "Περιοχή προτίμησης", "Area you prefer"),
        question("select_multiple_from_file assets.csv", "assets", "Ακίνητα που σας ενδιαφέρουν",
           "Assets you are interested in", appearance="search", parameters="value=asset_id label=name"),
        question("text", "contact_name", "Υπεύθυνος επικοινωνίας (δεν δημοσιεύεται)", "Contact person (never published)",
           required="yes"),
        question("text", "email", "Email (δεν δημοσιεύεται)", "Email (never published)", constraint=EMAIL_CONSTRAINT),
        question("text", "phone", "Τηλέφωνο (δεν δημοσιεύεται)", "Phone (never published)"),
    ]


def build_open_call_form(inventory: gpd.GeoDataFrame, profiles: list[Profile], title: str, form_id: str,
                         version: str) -> SurveyForm:
    """The open call's XLSForm for this inventory and these uses (a pure function)."""
    survey = pd.DataFrame(questions()).fillna("")
    choices = pd.DataFrame(
        [{"list_name": "legal_form", "name": k, EL: v["el_full"], EN: v["en_full"]} for k, v in LEGAL_FORMS.items()]
        + [{"list_name": "uses", "name": p.name, EL: p.label.el, EN: p.label.en} for p in profiles])
    settings = pd.DataFrame([{"form_title": title, "form_id": form_id, "version": version,
                              "default_language": "Ελληνικά (el)"}])
    return SurveyForm(survey, choices, settings, asset_list(inventory))
