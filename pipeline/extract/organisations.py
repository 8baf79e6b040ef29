"""Organisations that answered the plan's open call (CSV/XLSX).

Canonical columns: ``org_id`` and ``name`` (required), ``legal_form``
(required; Greek or English, normalised to :data:`LEGAL_FORMS`), ``uses``
(profile names separated by ``;`` or ``,``), ``space_m2`` (space needed),
``x``/``y`` (a location in the source's ``crs``), ``area`` (area of activity,
text), and the private contact columns ``contact_name``, ``email``, ``phone``,
which never reach a published output.
"""

from __future__ import annotations

import logging
import re
from typing import ClassVar

import geopandas as gpd
import numpy as np

from ..common._text import fold
from ..common import columns, settings
from ..common.errors import InputError
from ..common.io import read_table
from ..common.schema import CrsName
from ._tables import blank, parse_numbers, read_records, TableSource, TableSpec, unused_columns
from .registry import Source, register_source


class OrganisationSource(TableSource):
    """Organisations that answered the open call; ``x``/``y`` in ``crs``."""

    _source: ClassVar[str] = "organisations"

    crs: CrsName = settings.WGS84


#: Legal forms of the social and solidarity economy (law 4430/2016) and energy
#: communities (law 5037/2023), with the ways people write them.
LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "koinsep": ("ΚοινΣΕπ", "Κοιν.Σ.Επ.", "Κοινωνική Συνεταιριστική Επιχείρηση", "KOINSEP", "social cooperative enterprise"),
    "workers_coop": ("Συνεταιρισμός Εργαζομένων", "workers co-op", "workers' co-op", "workers cooperative",
                     "worker cooperative"),
    "energy_community": ("Ενεργειακή Κοινότητα", "ΕΚ", "Ε.Κ.", "energy community"),
    "agricultural_coop": ("Αγροτικός Συνεταιρισμός", "ΑΣ", "agricultural cooperative", "agricultural co-op"),
    "association": ("Σύλλογος", "Σωματείο", "ΑΜΚΕ", "Αστική Μη Κερδοσκοπική Εταιρεία", "association", "non-profit",
                    "ngo"),
    "municipal_company": ("Δημοτική Επιχείρηση", "municipal company"),
    "koispe": ("ΚοιΣΠΕ", "Κοι.Σ.Π.Ε.", "Κοινωνικός Συνεταιρισμός Περιορισμένης Ευθύνης", "KoiSPE",
               "limited liability social co-operative"),
    "informal_group": ("ομάδα υπό σύσταση", "άτυπη ομάδα", "group not yet formed", "informal group"),
}
_FORM_BY_WORD = {fold(w): form for form, words in LEGAL_FORMS.items() for w in (form, *words)}
PRIVATE_COLUMNS = columns.ORGANISATION_CONTACTS

ALIASES = columns.ORGANISATIONS

log = logging.getLogger(__name__)


def legal_form(text: str | None) -> str | None:
    """The normalised legal form of ``text``, or None when not recognised."""
    return None if text is None or blank(text) else _FORM_BY_WORD.get(fold(text))


#: The organisations' rows: a header that could be the organisation's name or a person's is never guessed.
TABLE = TableSpec("organisations", ALIASES, ("org_id", "name", "legal_form"), "org_id",
                  ("org_id", "name", "legal_form", "uses", "area", "afm", "gemi", "assets", *PRIVATE_COLUMNS),
                  one_header_each=True)


def afm_valid(text: str) -> bool:
    """Whether ``text`` is a Greek tax number (ΑΦΜ): 9 digits whose last is the
    check digit, the sum of the first eight times 2⁸ … 2¹, mod 11, mod 10."""
    if not re.fullmatch(r"\d{9}", text) or text == "000000000":
        return False
    total = sum(int(d) << (8 - i) for i, d in enumerate(text[:8]))
    return total % 11 % 10 == int(text[8])


def _listed(value) -> list[str]:
    """Names separated by ``;``, ``,`` or spaces (a form's select_multiple)."""
    return [] if value is None else [u for u in re.split(r"[;,\s]+", str(value)) if u]


def read_organisations(src: OrganisationSource, uses: list[str] | None, notes: list[dict] | None = None
                       ) -> gpd.GeoDataFrame:
    """Read and check the organisations; ``uses`` are the project's profile
    names, which the organisations' uses must be among (not checked when None).

    Raises
    ------
    InputError
        One error naming every bad row, field and what is wrong.
    """
    what = f"organisations {src.path}"
    table = read_table(src.path, what, src.sheet, src.encoding)
    # a form's export holds the respondent's own name too: a header that could be the organisation's name
    # or a person's is never guessed, and columns not read are said
    df, problems, oid = read_records(table, src, what, TABLE, notes)
    unused = unused_columns(table, ALIASES, src.columns)
    if unused:
        log.warning("organisations %s: columns not used: %s (map them under 'columns:' if they hold %s)",
                    src.path, ", ".join(unused), ", ".join(ALIASES))
        if notes is not None:
            notes.append({"source": "organisations", "action": "not used: columns the pipeline does not read",
                          "count": len(unused), "detail": ", ".join(unused)})
    for col in ("space_m2", "x", "y", "members", "workers", "budget_eur"):
        df[col] = parse_numbers(df[col], col, oid, df["row"], problems, src.decimal)
    for row, o, afm in zip(df["row"], oid, df["afm"]):
        if afm is not None and not afm_valid(str(afm).strip()):
            problems.append(f"row {row} ({o}): ΑΦΜ {afm!r} is not a valid Greek tax number (9 digits, the last its check digit)")
    forms = df["legal_form"].map(legal_form)
    for row, o, given in zip(df["row"], oid, df["legal_form"]):
        if legal_form(given) is None:
            problems.append(f"row {row} ({o}): legal_form {given!r} not recognised (known: {', '.join(LEGAL_FORMS)})")
    wanted = df["uses"].map(_listed)
    for row, o, ws in zip(df["row"], oid, wanted):
        for w in ws:
            if uses is not None and w not in uses:
                problems.append(f"row {row} ({o}): use {w!r} is not a profile of this project ({', '.join(uses)})")
    for row, o in zip(df.loc[df["name"].isna(), "row"], oid[df["name"].isna()]):
        problems.append(f"row {row} ({o}): name is empty")
    half = df["x"].notna() ^ df["y"].notna()
    for row, o in zip(df.loc[half, "row"], oid[half]):
        problems.append(f"row {row} ({o}): give both x and y, or neither")
    if problems:
        raise InputError(what, problems)
    df["legal_form"] = forms.astype(object)
    df["uses"] = wanted.map(";".join).astype(object)
    df["assets"] = df["assets"].map(lambda v: ";".join(_listed(v)) or None).astype(object)
    has_xy = (df["x"].notna() & df["y"].notna()).to_numpy()
    points = gpd.points_from_xy(df["x"].where(has_xy), df["y"].where(has_xy), crs=src.crs)
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=list(np.where(has_xy, points, None)), crs=src.crs)


register_source(Source("organisations", "sources.organisations", "organisations",
                       lambda spec, reading: read_organisations(spec, reading.uses, reading.notes),
                       model=OrganisationSource, needs_area=False,
                       private=columns.PRIVATE_CAPABLE["organisations"], aliases=ALIASES))
