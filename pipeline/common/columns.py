"""The columns each table source understands: canonical names, the other names
people and tools give them (Greek headers, KoboToolbox and ODK exports), and
which of them a config may mark ``private``. One place, read by the readers
(:mod:`pipeline.extract`) and by the config's validation.
"""

from __future__ import annotations

REGISTER: dict[str, tuple[str, ...]] = {
    "register_id": ("id", "asset_id", "κωδικός", "κωδικος", "α/α"),
    "name": ("title", "ονομασία", "ονομασια", "περιγραφή"),
    "owner": ("ownership", "ιδιοκτήτης", "ιδιοκτησία"),
    "status": ("use_status", "κατάσταση", "κατασταση", "χρήση"),
    "kind": ("type", "asset_type", "είδος", "τύπος"),
    "osm_ref": ("osm", "osm_id"),
    "parcel_code": ("kaek", "κaek", "καεκ", "κ.α.ε.κ.", "parcel", "cadastral_reference", "nationalcadastralreference"),
    "x": ("lon", "longitude", "easting", "γεωγραφικό μήκος"),
    "y": ("lat", "latitude", "northing", "γεωγραφικό πλάτος"),
    "area_m2": ("area", "εμβαδόν", "εμβαδον"),
    "notes": ("comments", "παρατηρήσεις", "σχόλια"),
}

SURVEY: dict[str, tuple[str, ...]] = {
    "survey_id": ("_id", "_uuid", "KEY", "meta/instanceID", "instanceID", "id"),
    "uuid": ("_uuid", "meta/instanceID", "instanceID"),  # a submission's own id: repeated when sent twice
    "latitude": ("lat", "_geolocation_latitude", "_location_latitude", "location-Latitude", "gps_latitude"),
    "longitude": ("lon", "lng", "_geolocation_longitude", "_location_longitude", "location-Longitude", "gps_longitude"),
    "altitude": ("_geolocation_altitude", "_location_altitude", "location-Altitude", "gps_altitude", "elevation"),
    "precision_m": ("precision", "_geolocation_precision", "_location_precision", "location-Accuracy", "accuracy"),
    "geolocation": ("_geolocation", "location"),  # "location": the geopoint of the project's own form
    "condition": ("building_condition", "κατάσταση"),
    "occupancy": ("use", "occupancy_status", "χρήση"),
    "access": ("road_access", "πρόσβαση"),
    "photo": ("photo_url", "_attachments", "image", "φωτογραφία"),
    "notes": ("comments", "remarks", "παρατηρήσεις"),
    "surveyor": ("username", "_submitted_by", "SubmitterName", "enumerator"),
    "date": ("_submission_time", "today", "SubmissionDate", "start"),
    "asset_id": ("asset", "ακίνητο"),  # the asset picked in the project's own form (idle-assets survey-form)
    "ownership_sign": ("ownership_signs", "ενδείξεις ιδιοκτησίας"),
    "roof": ("roof_state", "στέγη"),
    "water": ("water_source", "νερό"),
    "soil": ("soil_state", "έδαφος"),
}

#: The answers of a survey that are chosen from a list (the form's choice names,
#: read with ``_`` as a space and without case), kept per asset on the inventory.
SURVEY_ANSWERS = ("condition", "occupancy", "access", "ownership_sign", "roof", "water", "soil")

#: The calculated fields of the project's own survey form: exported with the
#: answers, they are the form's, not the site's, and are not read.
SURVEY_FORM_CALCULATED = ("asset_kind", "asset_confidence", "asset_conflicts")

ORGANISATIONS: dict[str, tuple[str, ...]] = {
    "org_id": ("id", "α/α", "κωδικός", "_id"),
    "name": ("organisation", "organization", "organisation name", "organization name", "επωνυμία", "επωνυμια",
             "φορέας"),
    "legal_form": ("legal form", "form", "type", "νομική μορφή", "νομικη μορφη"),
    "uses": ("use", "interests", "χρήσεις", "ενδιαφέρον"),
    "space_m2": ("space", "space_needed_m2", "area_needed", "χώρος", "απαιτούμενος χώρος"),
    "x": ("lon", "longitude"),
    "y": ("lat", "latitude"),
    "area": ("area_of_activity", "area_of_preference", "περιοχή", "περιοχή δραστηριότητας", "περιοχή προτίμησης"),
    "afm": ("ΑΦΜ", "α.φ.μ.", "vat", "vat_number", "tax_id", "tin"),
    "gemi": ("ΓΕΜΗ", "ΚΑλΟ", "αριθμός μητρώου", "registry_number", "registration_number", "gemi_number"),
    "members": ("μέλη", "αριθμός μελών", "number_of_members"),
    "workers": ("εργαζόμενοι", "αριθμός εργαζομένων", "employees", "number_of_workers"),
    "budget_eur": ("budget", "προϋπολογισμός", "budget (€)"),
    "assets": ("assets_of_interest", "ακίνητα", "ακίνητα ενδιαφέροντος", "sites"),
    # a person's name, e-mail and phone: a form's "Name" of the respondent is a contact, never the organisation's
    "contact_name": ("contact", "υπεύθυνος", "υπεύθυνος επικοινωνίας", "ονοματεπώνυμο", "full name", "your name",
                     "contact person", "name"),
    "email": ("e-mail", "mail", "email address", "e-mail address", "διεύθυνση email", "διεύθυνση ηλεκτρονικού ταχυδρομείου"),
    "phone": ("telephone", "τηλέφωνο", "τηλ.", "mobile", "mobile phone", "κινητό", "κινητό τηλέφωνο"),
}

#: Contact columns of the organisations: always private, never published.
ORGANISATION_CONTACTS = ("contact_name", "email", "phone")

#: Per source, the canonical columns a config may mark ``private`` and the
#: inventory column each becomes (only columns that reach an output).
PRIVATE_CAPABLE: dict[str, dict[str, str]] = {
    "register": {"owner": "owner", "name": "name"},
    "survey": {"notes": "survey_notes", "photo": "photos", "access": "access", "condition": "condition",
               "occupancy": "occupancy", "surveyor": "surveyor", "ownership_sign": "ownership_sign", "roof": "roof",
               "water": "water", "soil": "soil"},
    "organisations": {c: c for c in ORGANISATION_CONTACTS},
}
ALIASES = {"register": REGISTER, "survey": SURVEY, "organisations": ORGANISATIONS}


def resolve_private(source: str, names: list[str], columns: dict[str, str]) -> tuple[list[str], list[str]]:
    """The canonical columns that ``names`` mean for ``source`` (each given by its
    canonical name, a name the file may use for it, or the name mapped under
    ``columns:``; case-insensitive), and one problem per name that is none of
    these or is a column that never reaches an output."""
    capable = PRIVATE_CAPABLE[source]
    known: dict[str, str] = {}
    for canon, aliases in ALIASES[source].items():
        for name in (canon, *aliases):
            known.setdefault(name.casefold(), canon)
    for canon, file_col in columns.items():
        known[str(file_col).casefold()] = canon
    out: list[str] = []
    problems: list[str] = []
    for name in names:
        found = known.get(str(name).casefold())
        if found is not None and found in capable:
            out.append(found)
        else:
            valid = ", ".join(f"{c} ({', '.join(ALIASES[source][c][:3])})" if ALIASES[source].get(c) else c
                              for c in capable)
            why = "is not a column that reaches an output" if found else "is not a column of this source"
            problems.append(f"private: {name!r} {why}; columns that can be kept private: {valid}")
    return list(dict.fromkeys(out)), problems
