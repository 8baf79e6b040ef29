"""The field-survey form: an XLSForm for KoboToolbox and ODK Collect made from
what the project's uses need and what the inventory lacks or doubts.

The form asks, for an asset picked from the inventory (``assets.csv``, an
attachment with its id, name and position, so a surveyor can pick it from a
list or on a map), the questions the reader of survey exports understands
without configuration: occupancy and condition with the very values
:mod:`pipeline.extract.survey` reads, access, signs of ownership where some
owner is unknown, the roof for rooftop solar and water and soil for farms,
where those uses are scored, a located point with the project's accuracy
limit, photos and notes. Labels are Greek and English. The form is converted
to XForm XML with pyxform, and any error or warning of that conversion stops
the command: a broken form never leaves the tool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from ..common import settings
from ..common.columns import SURVEY_FORM_CALCULATED
from ..common.errors import InputError
from ..common.i18n import value_name

EL, EN = "label::Ελληνικά (el)", "label::English (en)"
#: The form's choices (name, English label) per list. Their names are the
#: values the survey reader accepts (it reads ``partly_used`` as ``partly
#: used``), so answers need no column mapping; their Greek labels are those of
#: ``values_el.yaml``, the one table of Greek names for survey answers.
CHOICES: dict[str, list[tuple[str, str]]] = {
    "occupancy": [("in_use", "in use"), ("partly_used", "partly used"), ("vacant", "vacant"),
                  ("abandoned", "abandoned")],
    "condition": [("good", "good"), ("fair", "fair"), ("poor", "poor"), ("ruin", "ruin")],
    "access": [("paved_road", "paved road"), ("dirt_road", "dirt road"), ("footpath", "footpath"),
               ("no_access", "no access")],
    "ownership_sign": [("municipal_sign", "municipal sign"), ("state_sign", "state or regional sign"),
                       ("private_sign", "private owner's sign"), ("fenced_locked", "fenced and locked"),
                       ("none_seen", "none seen")],
    "roof": [("flat_sound", "flat, sound"), ("pitched_sound", "pitched, sound"), ("damaged", "damaged"),
             ("shaded", "shaded by trees or buildings")],
    "water": [("mains", "mains water"), ("well", "well or borehole"), ("irrigation", "irrigation network"),
              ("none", "none")],
    "soil": [("cultivated", "cultivated"), ("grass", "grass"), ("rubble", "rubble or fill"),
             ("sealed", "concrete or asphalt")],
}


#: Questions asked only of one kind of asset (the form's ``relevant``, the field sheet's blocks).
KIND_QUESTIONS = {"roof": "building", "water": "land", "soil": "land"}


def choice_label(list_name: str, name: str, lang: str) -> str:
    """A choice's label in ``lang`` (``el`` from ``values_el.yaml``)."""
    if lang == "el":
        return value_name(name.replace("_", " "), "el", list_name)
    return dict(CHOICES[list_name])[name]


@dataclass
class SurveyForm:
    """The sheets of the XLSForm and the asset list it attaches."""

    survey: pd.DataFrame
    choices: pd.DataFrame
    settings: pd.DataFrame
    assets: pd.DataFrame


def asset_list(inventory: gpd.GeoDataFrame) -> pd.DataFrame:
    """``assets.csv``: one row per asset with ``asset_id``, ``name`` (its
    name and id, what the surveyor sees), ``lat``, ``lon`` (a point inside
    it), ``geometry`` (``lat lon 0 0``, for the map appearance), ``kind``,
    ``confidence`` and ``conflicts`` (read by the form's questions)."""
    pts = inventory.geometry.representative_point().to_crs(settings.WGS84)
    names = [f"{n} ({a})" if isinstance(n, str) and n else str(a) for a, n in zip(inventory["asset_id"], inventory["name"])]
    return pd.DataFrame({
        "asset_id": inventory["asset_id"].astype(str).to_numpy(), "name": names,
        "lat": pts.y.round(7).to_numpy(), "lon": pts.x.round(7).to_numpy(),
        "geometry": [f"{y:.7f} {x:.7f} 0 0" for x, y in zip(pts.x, pts.y)],
        "kind": inventory["kind"].astype(str).to_numpy(),
        "confidence": inventory["confidence"].fillna("").astype(str).to_numpy(),
        "conflicts": inventory["conflicts"].fillna("").astype(str).to_numpy(),
    })


def question(type_: str, name: str, el: str, en: str, **more) -> dict:
    return {"type": type_, "name": name, EL: el, EN: en, **more}


def questions(uses: list[str], ownership_unknown: bool, max_precision_m: float | None) -> list[dict]:
    """The rows of the ``survey`` sheet for these uses (profile names) and
    whether some asset's owner is unknown."""
    kind_q, confidence_q, conflicts_q = SURVEY_FORM_CALCULATED
    pull = lambda column: f"pulldata('assets', '{column}', 'asset_id', ${{asset_id}})"
    kind = pull("kind")
    rows = [
        question("start", "start", "", ""), question("end", "end", "", ""), question("today", "today", "", ""),
        question("username", "username", "", ""),
        question("select_one_from_file assets.csv", "asset_id", "Ακίνητο", "Asset", required="yes",
           appearance="search", parameters="value=asset_id label=name"),
        question("calculate", kind_q, "", "", calculation=kind),
        question("calculate", confidence_q, "", "", calculation=pull("confidence")),
        question("calculate", conflicts_q, "", "", calculation=pull("conflicts")),
        question("note", "to_check", f"Προς έλεγχο: βεβαιότητα ${{{confidence_q}}}; διαφωνία πηγών για: ${{{conflicts_q}}}",
           f"To check: confidence ${{{confidence_q}}}; sources disagree on: ${{{conflicts_q}}}",
           relevant=f"${{{conflicts_q}}} != '' or ${{{confidence_q}}} = 'to verify'"),
        question("geopoint", "location", "Θέση (σταθείτε στο ακίνητο)", "Location (stand on the asset)", required="yes",
           parameters=f"capture-accuracy={max_precision_m:g}" if max_precision_m else ""),
        question("select_one occupancy", "occupancy", "Χρήση σήμερα", "Occupancy today", required="yes"),
    ]
    # condition is asked always: several uses read it, and a ruin is excluded from every building use
    rows.append(question("select_one condition", "condition", "Κατάσταση", "Condition", required="yes"))
    rows.append(question("select_one access", "access", "Πρόσβαση", "Access"))
    if ownership_unknown:
        rows.append(question("select_one ownership_sign", "ownership_sign", "Ενδείξεις ιδιοκτησίας", "Signs of ownership"))
    only = lambda name: f"{kind} = '{KIND_QUESTIONS[name]}'"
    if "solar_rooftop" in uses:
        rows.append(question("select_one roof", "roof", "Στέγη (για φωτοβολταϊκά)", "Roof (for rooftop solar)",
                       relevant=only("roof")))
    if "social_farm" in uses:
        rows.append(question("select_one water", "water", "Νερό", "Water", relevant=only("water")))
        rows.append(question("select_one soil", "soil", "Έδαφος", "Soil", relevant=only("soil")))
    rows += [question("image", "photo", "Φωτογραφία", "Photo", parameters="max-pixels=1600"),
             question("text", "notes", "Παρατηρήσεις", "Notes")]
    return rows


def build_form(inventory: gpd.GeoDataFrame, uses: list[str], title: str, form_id: str, version: str,
               max_precision_m: float | None) -> SurveyForm:
    """The form for this inventory and these uses (a pure function)."""
    survey = pd.DataFrame(questions(uses, bool((inventory["ownership"] == "unknown").any()), max_precision_m))
    survey = survey.fillna("")
    used = {t.split(" ", 1)[1] for t in survey["type"] if t.startswith("select_one ") and " " in t}
    choices = pd.DataFrame([{"list_name": lst, "name": n, EL: choice_label(lst, n, "el"), EN: en}
                            for lst, items in CHOICES.items() if lst in used for n, en in items])
    form_settings = pd.DataFrame([{"form_title": title, "form_id": form_id, "version": version,
                                   "default_language": "Ελληνικά (el)"}])
    return SurveyForm(survey, choices, form_settings, asset_list(inventory))


def form_id(project: str) -> str:
    """An XForm id from a project name (letters, digits, ``_``)."""
    return "idle_assets_" + re.sub(r"\W", "_", project)


def xform(form_bytes: bytes, name: str) -> str:
    """The XForm XML of an XLSForm (its bytes), by pyxform; raises
    :class:`InputError` on any error or warning of the conversion."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    try:
        result = convert(xlsform=form_bytes, warnings=warnings, file_type=".xlsx", form_name="data")
    except PyXFormError as exc:
        raise InputError(f"survey form {name}", [f"pyxform cannot convert it: {exc}"]) from None
    if warnings:
        raise InputError(f"survey form {name}", [f"pyxform warns: {w}" for w in warnings])
    return result.xform
