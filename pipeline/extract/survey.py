"""Field survey exports from KoboToolbox or ODK (CSV/XLSX).

Exports come as CSV, XLSX or GeoJSON (points). Canonical columns:
``survey_id`` (required; Kobo ``_id``/``_uuid``, ODK ``KEY``), ``latitude``
and ``longitude`` (required; or Kobo ``_geolocation`` as ``"[lat, lon]"``, or
the GeoJSON point), ``altitude``, ``precision_m``, ``condition`` (good/fair/poor/ruin),
``occupancy`` (in use/partly used/vacant/abandoned), ``access``, ``photo``
(kept as a link), ``notes``, ``surveyor`` (private: never published), ``date``;
and from the project's own form (``idle-assets survey-form``): ``asset_id``
(the asset the surveyor picked: the answer is attached to it, wherever the
point was taken), ``ownership_sign``, ``roof``, ``water`` and ``soil``.
Answers chosen from a list are read without case and with ``_`` as a space
(the form's ``partly_used`` is ``partly used``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import Field

from ..common import settings
from ..common import columns, evidence
from ..common.errors import InputError
from ..common.io import read_table, read_vector
from ._tables import map_text, parse_dates, parse_numbers, read_records, TableSource, TableSpec
from .registry import Source, register_source


class SurveySource(TableSource):
    """Field survey export (KoboToolbox / ODK CSV or XLSX)."""

    _source: ClassVar[str] = "survey"

    attach_distance_m: float = Field(settings.SURVEY_ATTACH_DISTANCE_M, gt=0)
    max_precision_m: float | None = Field(
        settings.SURVEY_MAX_PRECISION_M, gt=0, description="points with a worse GPS precision are not used")


ALIASES = columns.SURVEY
log = logging.getLogger(__name__)
CONDITIONS = {"good", "fair", "poor", "ruin"}
OCCUPANCY = {"in use", "partly used", "vacant", "abandoned"}


def _split_geolocation(df: pd.DataFrame) -> None:
    """Fill latitude/longitude from Kobo's ``_geolocation`` ``"[lat, lon]"``, or
    latitude, longitude, altitude and accuracy from a geopoint's own
    ``"lat lon altitude accuracy"`` (where the export has no split columns)."""
    need = df["latitude"].isna() & df["geolocation"].notna()
    if need.any():
        # Kobo's "[lat, lon]", or a geopoint's own "lat lon altitude accuracy"
        parts = df.loc[need, "geolocation"].astype(str).str.strip("[]() ").str.split(r"[,\s]+", expand=True, regex=True)
        if parts.shape[1] >= 2:
            df.loc[need, "latitude"] = parts[0]
            df.loc[need, "longitude"] = parts[1]
        for col, k in (("altitude", 2), ("precision_m", 3)):
            if parts.shape[1] > k:
                empty = df.loc[need, col].isna()
                df.loc[empty[empty].index, col] = parts.loc[empty, k]


def _survey_table(src: SurveySource, what: str) -> pd.DataFrame:
    """The export as a table; a GeoJSON export's points become latitude,
    longitude and altitude columns."""
    if Path(src.path).suffix.lower() not in {".geojson", ".json"}:
        return read_table(src.path, what, src.sheet, src.encoding)
    gdf = read_vector(src.path, what)
    bad = ~gdf.geom_type.isin(["Point"])
    if bad.any():
        raise InputError(what, [f"feature {i + 1}: geometry {t} is not a point" for i, t in
                                zip(np.flatnonzero(bad), gdf.geom_type[bad])])
    if gdf.crs is not None:
        gdf = gdf.to_crs(settings.WGS84)
    df = pd.DataFrame(gdf.drop(columns="geometry")).astype(object)
    df["latitude"], df["longitude"] = gdf.geometry.y.to_numpy(), gdf.geometry.x.to_numpy()
    if gdf.geometry.has_z.any():
        df["altitude"] = gdf.geometry.z.to_numpy()
    return df


#: Columns of KoboToolbox and ODK exports that are about the submission, not the site.
_EXPORT_METADATA = ("_", "meta/", "meta-", "formhub/", "__version__", "start", "end", "today", "deviceid", "simserial",
                    "subscriberid", "phonenumber", "audit", "instanceName",
                    # ODK Central's CSV export
                    "SubmitterID", "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "DeviceID",
                    "Edits", "FormVersion")


def _unused_columns(table: pd.DataFrame, src: SurveySource) -> list[str]:
    """The export's columns that no canonical column takes (and are not the
    export's own metadata or the calculations of the project's form)."""
    taken = {c.casefold() for c in (*src.columns.values(), *columns.SURVEY_FORM_CALCULATED)}
    for canon, names in ALIASES.items():
        taken |= {n.casefold() for n in (canon, *names)}
    out = []
    for col in table.columns:
        name = str(col)
        if name.casefold() in taken or name.rsplit("/", 1)[-1].casefold() in taken:
            continue
        if name.startswith(_EXPORT_METADATA) or name.rsplit("/", 1)[-1].startswith(_EXPORT_METADATA):
            continue
        out.append(name)
    return out


def _drop_repeated_submissions(df: pd.DataFrame, notes: list[dict] | None) -> pd.DataFrame:
    """One row per submission: KoboToolbox and ODK can export a submission sent
    twice as two rows with the same ``_uuid`` (instanceID); the first is kept."""
    repeated = df["uuid"].notna() & df["uuid"].duplicated(keep="first")
    if repeated.any() and notes is not None:
        detail = ", ".join(f"row {r} ({u})" for r, u in zip(df.loc[repeated, "row"], df.loc[repeated, "uuid"]))
        notes.append({"source": "survey", "action": "skipped: repeated submissions (same _uuid), counted once",
                      "count": int(repeated.sum()), "detail": detail})
    return df[~repeated]


#: The survey's rows (submissions).
TABLE = TableSpec("survey", ALIASES, ("survey_id",), "survey_id",
                  ("survey_id", "uuid", *columns.SURVEY_ANSWERS, "asset_id", "photo", "notes", "surveyor", "date"))


def read_survey(src: SurveySource, notes: list[dict] | None = None) -> gpd.GeoDataFrame:
    """Read and check a survey export; points in EPSG:4326. Repairs, repeated
    submissions and columns that are not used are appended to ``notes``.

    Raises
    ------
    InputError
        One error naming every bad row, field and what is wrong.
    """
    what = f"survey {src.path}"
    table = _survey_table(src, what)
    df, problems, sid = read_records(table, src, what, TABLE, notes)
    unused = _unused_columns(table, src)
    if unused:
        log.warning("survey %s: columns not used: %s (map them under 'columns:' if they hold %s, photo or notes)",
                    src.path, ", ".join(unused), ", ".join(columns.SURVEY_ANSWERS))
        if notes is not None:
            notes.append({"source": "survey", "action": "not used: columns the pipeline does not read",
                          "count": len(unused), "detail": ", ".join(unused)})
    df = _drop_repeated_submissions(df, notes)
    sid = sid.loc[df.index]
    _split_geolocation(df)
    for col in ("latitude", "longitude", "altitude", "precision_m"):
        df[col] = parse_numbers(df[col], col, sid, df["row"], problems, src.decimal)
    for row, s, lat, lon in zip(df["row"], sid, df["latitude"], df["longitude"]):
        if pd.isna(lat) or pd.isna(lon):
            problems.append(f"row {row} ({s}): no coordinates (latitude/longitude or _geolocation)")
        elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append(f"row {row} ({s}): latitude {lat}, longitude {lon} are not degrees")
    for row, s, precision in zip(df["row"], sid, df["precision_m"]):
        if pd.notna(precision) and precision < 0:
            problems.append(f"row {row} ({s}): GPS precision {precision:g} m is negative (a precision is a distance)")
    for col in columns.SURVEY_ANSWERS:
        df[col] = map_text(df[col], lambda v: v.casefold().replace("_", " "))
    for col, allowed in (("condition", CONDITIONS), ("occupancy", OCCUPANCY)):
        for row, s, v in zip(df["row"], sid, df[col]):
            if v is not None and v not in allowed:
                problems.append(f"row {row} ({s}): {col} {v!r} is not one of {sorted(allowed)}")
    df["date"] = parse_dates(df["date"], sid, df["row"], problems)
    if problems:
        raise InputError(what, problems)
    rules = evidence.rules()
    df["idle"] = df["occupancy"].map(lambda v: rules.record_strength("survey", v) is not None).astype(bool)
    geom = gpd.points_from_xy(df["longitude"], df["latitude"], crs=settings.WGS84)
    return gpd.GeoDataFrame(df.drop(columns=["geolocation", "uuid"]), geometry=geom, crs=settings.WGS84)


register_source(Source("survey", "sources.survey", "field survey",
                       lambda spec, reading: read_survey(spec, reading.notes), model=SurveySource,
                       needs_area=False, private=columns.PRIVATE_CAPABLE["survey"], aliases=columns.SURVEY))
