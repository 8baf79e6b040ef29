"""The register of sites as an exchange format others can validate.

``register.csv`` (one row per site, a point in lon/lat) and
``register.gpkg`` (the same rows with each site's shape), described by a
Frictionless Table Schema (``register.schema.json``) and a Data Package
(``datapackage.json``); every file is checked against the schema before it
is put in place. The fields follow the UK brownfield land register data
standard of 2017 (site reference, previously part of, site name, CRS, GeoX,
GeoY, hectares, first added, last updated, end date, notes) and France's
CNIG "friches" standard (its four statuses: potential, without project, with
project, reconverted), with the ΚΑΕΚ of the Hellenic Cadastre and the plan's
statuses in Greek and English.

:func:`register_problems` checks a municipality's own file: every row that
breaks the schema, and what a schema cannot see (coordinates swapped or
outside Greece, an end before a beginning, an exit without an end date).
:func:`read_register_file` reads an export back as it was written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from frictionless import Resource, Schema, validate

from ..common.errors import InputError
from ..common.io import atomic_path, write_geopackage, write_text
from .model import EXIT_REASONS, STATUSES, TENURED, TENURES, Event, Site
from .progress import Snapshot

#: How the plan's statuses read in CNIG's codelist of a friche's status.
CNIG_STATUS = {
    "reported": "friche potentielle", "identified": "friche potentielle", "verified": "friche potentielle",
    "available": "friche sans projet", "offered": "friche sans projet", "blocked": "friche sans projet",
    "requested": "friche avec projet", "assigned": "friche avec projet", "in_preparation": "friche avec projet",
    "operating": "friche reconvertie", "exited": "",
}
#: The steps an agreed use is recorded with.
AGREED = ("offered", "requested", *TENURED)
#: Greece with a margin, lon/lat: coordinates outside it are wrong, or swapped.
GREECE = (19.0, 34.5, 30.0, 42.0)


def _field(name: str, kind: str, description: str, **constraints) -> dict[str, Any]:
    field: dict[str, Any] = {"name": name, "type": kind, "description": description}
    if kind == "date":
        field["format"] = "%Y-%m-%d"
    if constraints:
        field["constraints"] = constraints
    return field


#: The Table Schema of ``register.csv`` (the GeoPackage's attributes are the same).
FIELDS: list[dict[str, Any]] = [
    _field("site_id", "string", "The site's id in every run (SiteReference)", required=True, unique=True),
    _field("previously_part_of", "string", "Ids of the sites it was split or merged from, ';'-separated (PreviouslyPartOf)"),
    _field("name", "string", "Name or address (SiteNameAddress)"),
    _field("kind", "string", "land or building", enum=["land", "building"]),
    _field("kaek", "string", "Hellenic Cadastre code (ΚΑΕΚ), 12 digits", pattern=r"\d{12}"),
    _field("register_id", "string", "The municipality's asset register id"),
    _field("crs", "string", "Coordinate reference system of geo_x, geo_y (CoordinateReferenceSystem)",
           required=True, enum=["EPSG:4326"]),
    _field("geo_x", "number", "Longitude of a point inside the site (GeoX)", minimum=-180, maximum=180),
    _field("geo_y", "number", "Latitude of a point inside the site (GeoY)", minimum=-90, maximum=90),
    _field("hectares", "number", "Area (Hectares)", minimum=0),
    _field("status", "string", "Step of the plan's path", required=True, enum=list(STATUSES)),
    _field("status_el", "string", "The step in Greek"),
    _field("status_en", "string", "The step in English"),
    _field("cnig_status", "string", "The step in CNIG's friches codelist",
           enum=sorted({v for v in CNIG_STATUS.values() if v})),
    _field("status_date", "date", "When the step was reached", required=True),
    _field("evidence", "string", "What shows it: a Diavgeia ΑΔΑ, a survey submission, a register row"),
    _field("tenure", "string", "How an assigned site is held", enum=list(TENURES)),
    _field("term_years", "number", "The tenure's term in years", minimum=0),
    _field("use", "string", "The use agreed with the assignment (a use profile's name)"),
    _field("first_added", "date", "First found (FirstAddedDate)", required=True),
    _field("last_updated", "date", "Last step recorded (LastUpdatedDate)", required=True),
    _field("end_date", "date", "Left the register (EndDate)"),
    _field("end_reason", "string", "Why it left the register", enum=list(EXIT_REASONS)),
    _field("new_use", "string", "The use it has after leaving the register"),
    _field("notes", "string", "Notes (Notes)"),
]
SCHEMA: dict[str, Any] = {"fields": FIELDS, "primaryKey": ["site_id"], "missingValues": [""]}
COLUMNS = [f["name"] for f in FIELDS]


def register_frame(snapshot: Snapshot, geometries: dict[str, bytes]) -> gpd.GeoDataFrame:
    """The register's rows from the ledger: one per site, its current step, its shape (lon/lat)."""
    events = snapshot.events.sort_values(["ledger_id", "date", "event_id"], kind="stable")
    last = events.groupby("ledger_id").tail(1).drop(columns=["use"], errors="ignore")
    assets = snapshot.assets.merge(last, on="ledger_id", how="inner", suffixes=("", "_event")).set_index("ledger_id")
    agreed = (events.dropna(subset=["use"]).groupby("ledger_id")["use"].last() if "use" in events
              else pd.Series(dtype=object))
    shapes = gpd.GeoSeries(shapely.from_wkb([geometries.get(i) for i in assets.index]), index=assets.index, crs=4326)
    points = shapes.representative_point()
    text = lambda column: assets[column].astype(object).where(assets[column].notna(), "")  # noqa: E731
    rows = pd.DataFrame({
        "site_id": assets.index, "previously_part_of": text("previously_part_of"), "name": text("name"),
        "kind": text("kind"), "kaek": text("parcel_code"), "register_id": text("register_id"), "crs": "EPSG:4326",
        "geo_x": points.x.round(6).to_numpy(), "geo_y": points.y.round(6).to_numpy(),
        "hectares": (assets["area_m2"].astype(float) / 10_000).round(4).to_numpy(),
        "status": assets["status"], "status_el": assets["status"].map(lambda s: STATUSES[s][0]),
        "status_en": assets["status"].map(lambda s: STATUSES[s][1]),
        "cnig_status": assets["status"].map(CNIG_STATUS), "status_date": assets["date"],
        "evidence": text("evidence"), "tenure": text("tenure"), "term_years": assets["term_years"].astype(float),
        "use": [u if isinstance(u, str) else "" for u in assets.index.map(agreed)],
        "first_added": assets["first_added"], "last_updated": assets["last_updated"], "end_date": text("end_date"),
        "end_reason": text("reason"), "new_use": text("new_use"), "notes": text("note"),
    }).reset_index(drop=True)
    return gpd.GeoDataFrame(rows, geometry=shapes.to_numpy(), crs=4326)


def schema_problems(csv: Path) -> list[str]:
    """Every row of ``csv`` that breaks :data:`SCHEMA`, as ``row N, field: what``."""
    path = Path(csv).resolve()
    report = validate(Resource(path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(SCHEMA),
                               format="csv", encoding="utf-8"))
    out = []
    for task in report.tasks:
        for error in task.errors:
            where = ", ".join(x for x in (f"row {error.row_number}" if getattr(error, "row_number", None) else "",
                                          getattr(error, "field_name", None) or "") if x)
            out.append(f"{where or 'file'}: {error.type}: {error.note or error.message}")
    return out


def register_problems(csv: Path) -> list[str]:
    """What is wrong with a register file: the schema's findings, then
    coordinates swapped or outside Greece, dates out of order, exits without an end."""
    problems = schema_problems(csv)
    if any(p.startswith("file") for p in problems):
        return problems
    table = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8")
    rows = table.index + 2  # the header is row 1
    x = pd.to_numeric(table.get("geo_x"), errors="coerce")
    y = pd.to_numeric(table.get("geo_y"), errors="coerce")
    w, s, e, n = GREECE
    inside = x.between(w, e) & y.between(s, n)
    swapped = ~inside & y.between(w, e) & x.between(s, n)
    for row, site, sx, sy in zip(rows[swapped], table["site_id"][swapped], x[swapped], y[swapped]):
        problems.append(f"row {row}, geo_x/geo_y: ({sx}, {sy}) looks swapped: lon {sy}, lat {sx} is in Greece ({site})")
    away = ~inside & ~swapped & x.notna() & y.notna()
    for row, site, sx, sy in zip(rows[away], table["site_id"][away], x[away], y[away]):
        problems.append(f"row {row}, geo_x/geo_y: ({sx}, {sy}) is outside Greece ({site})")
    dates = {c: pd.to_datetime(table.get(c), errors="coerce", format="%Y-%m-%d")
             for c in ("first_added", "last_updated", "end_date", "status_date")}
    for later in ("last_updated", "end_date", "status_date"):
        bad = dates[later] < dates["first_added"]
        for row, site in zip(rows[bad], table["site_id"][bad]):
            problems.append(f"row {row}, {later}: before first_added ({site})")
    ended = table.get("status", pd.Series(dtype=str)).eq("exited") & table.get("end_date", pd.Series(dtype=str)).eq("")
    for row, site in zip(rows[ended], table["site_id"][ended]):
        problems.append(f"row {row}, end_date: an exited site needs its end date ({site})")
    return problems


def write_register(frame: gpd.GeoDataFrame, folder: Path) -> list[Path]:
    """``register.csv``, ``register.gpkg``, ``register.schema.json`` and
    ``datapackage.json`` into ``folder``; the CSV is checked against the
    schema before anything is put in place.

    Raises
    ------
    ValueError
        When the rows break the schema (a bug: the ledger's checks come first).
    """
    folder = Path(folder)
    csv = folder / "register.csv"
    with atomic_path(csv) as tmp:
        pd.DataFrame(frame[COLUMNS]).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n",
                                            float_format="%.10g")
        problems = schema_problems(tmp)
        if problems:
            raise ValueError(f"the register breaks its own schema: {problems[:5]}")
    package = {"name": "idle-assets-register", "title": "Register of idle public sites / Μητρώο αδρανών ακινήτων",
               "licenses": [{"name": "ODbL-1.0", "path": "https://opendatacommons.org/licenses/odbl/1-0/"}],
               "resources": [{"name": "register", "path": "register.csv", "format": "csv", "encoding": "utf-8",
                              "schema": "register.schema.json"}]}
    return [csv,
            write_text(json.dumps(SCHEMA, ensure_ascii=False, indent=2) + "\n", folder / "register.schema.json"),
            write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", folder / "datapackage.json"),
            write_geopackage({"register": frame[[*COLUMNS, "geometry"]]}, folder / "register.gpkg")]


def read_register_file(csv: Path) -> pd.DataFrame:
    """A register file as its schema types it (text, numbers; dates as ISO text), after checking it.

    Raises
    ------
    InputError
        Listing every problem of the file.
    """
    problems = register_problems(csv)
    if problems:
        raise InputError(f"register {csv}", problems)
    table = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8")
    for field in FIELDS:
        if field["type"] == "number":
            table[field["name"]] = pd.to_numeric(table[field["name"]].replace("", np.nan))
    return table


def import_register(csv: Path, ledger) -> int:
    """Start ``ledger`` from a register export (or a municipality's own file in
    its format): each site with its record and its current step, its shape
    from the ``register.gpkg`` beside the CSV when there is one, else its
    point. The ledger must not hold these sites yet; all or none are added.

    Raises
    ------
    InputError
        Naming every problem of the file, or the sites the ledger holds already.
    """
    table = read_register_file(Path(csv))
    known = {a["ledger_id"] for a in ledger.assets()}
    clash = sorted(set(table["site_id"]) & known)
    if clash:
        raise InputError(f"register {csv}", [f"site {s} is in the ledger already" for s in clash[:20]])
    shapes: dict[str, bytes] = {}
    beside = Path(csv).with_suffix(".gpkg")
    if beside.exists():
        frame = gpd.read_file(beside, layer="register")
        shapes = {i: shapely.to_wkb(g) for i, g in zip(frame["site_id"], frame.geometry) if g is not None}
    text = lambda v: v if isinstance(v, str) and v else None  # noqa: E731
    number = lambda v: None if pd.isna(v) else float(v)  # noqa: E731
    with ledger.transaction():
        for r in table.itertuples():
            point = (shapely.to_wkb(shapely.Point(r.geo_x, r.geo_y)) if pd.notna(r.geo_x) and pd.notna(r.geo_y)
                     else None)
            ledger.add_asset(r.site_id, r.first_added, Site(
                name=text(r.name), kind=text(r.kind), previously_part_of=text(r.previously_part_of),
                area_m2=None if pd.isna(r.hectares) else round(float(r.hectares) * 10_000, 2),
                wkb=shapes.get(r.site_id, point), parcel_code=text(r.kaek), register_id=text(r.register_id)))
            ledger.record(Event(r.site_id, r.status_date, r.status, "officer", evidence=text(r.evidence),
                                tenure=text(r.tenure), term_years=number(r.term_years), new_use=text(r.new_use),
                                reason=text(r.end_reason), note=text(r.notes),
                                use=text(r.use) if r.status in AGREED else None))
    return len(table)
