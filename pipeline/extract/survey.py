"""Field survey exports from KoboToolbox or ODK (CSV/XLSX).

Exports come as CSV, XLSX or GeoJSON (points). Canonical columns:
``survey_id`` (required; Kobo ``_id``/``_uuid``, ODK ``KEY``), ``latitude``
and ``longitude`` (required; or Kobo ``_geolocation`` as ``"[lat, lon]"``, or
the GeoJSON point), ``altitude``, ``precision_m``, ``condition`` (good/fair/poor/ruin),
``occupancy`` (in use/partly used/vacant/abandoned), ``access``, ``photo``
(kept as a link), ``notes``, ``surveyor`` (private: never published), ``date``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from ..config import SurveySource
from ..errors import InputError
from ..io import read_table, read_vector
from ._tables import map_text, parse_dates, parse_numbers, read_records

ALIASES: dict[str, tuple[str, ...]] = {
    "survey_id": ("_id", "_uuid", "KEY", "meta/instanceID", "instanceID", "id"),
    "latitude": ("lat", "_geolocation_latitude", "_location_latitude", "location-Latitude", "gps_latitude"),
    "longitude": ("lon", "lng", "_geolocation_longitude", "_location_longitude", "location-Longitude", "gps_longitude"),
    "altitude": ("_geolocation_altitude", "_location_altitude", "location-Altitude", "gps_altitude", "elevation"),
    "precision_m": ("precision", "_geolocation_precision", "_location_precision", "location-Accuracy", "accuracy"),
    "geolocation": ("_geolocation",),
    "condition": ("building_condition", "κατάσταση"),
    "occupancy": ("use", "occupancy_status", "χρήση"),
    "access": ("road_access", "πρόσβαση"),
    "photo": ("photo_url", "_attachments", "image", "φωτογραφία"),
    "notes": ("comments", "remarks", "παρατηρήσεις"),
    "surveyor": ("username", "_submitted_by", "enumerator"),
    "date": ("_submission_time", "today", "SubmissionDate", "start"),
}
CONDITIONS = {"good", "fair", "poor", "ruin"}
OCCUPANCY = {"in use", "partly used", "vacant", "abandoned"}


def _split_geolocation(df: pd.DataFrame) -> None:
    """Fill latitude/longitude from Kobo's ``_geolocation`` ``"[lat, lon]"``."""
    need = df["latitude"].isna() & df["geolocation"].notna()
    if need.any():
        parts = df.loc[need, "geolocation"].astype(str).str.strip("[]() ").str.split(r"[,\s]+", n=1, expand=True, regex=True)
        if parts.shape[1] == 2:
            df.loc[need, "latitude"] = parts[0]
            df.loc[need, "longitude"] = parts[1]


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


def read_survey(src: SurveySource) -> gpd.GeoDataFrame:
    """Read and check a survey export; points in EPSG:4326.

    Raises
    ------
    InputError
        One error naming every bad row, field and what is wrong.
    """
    what = f"survey {src.path}"
    df, problems, sid = read_records(
        _survey_table(src, what), src, what, ALIASES, ("survey_id",), "survey_id",
        ("survey_id", "condition", "occupancy", "access", "photo", "notes", "surveyor", "date"))
    _split_geolocation(df)
    for col in ("latitude", "longitude", "altitude", "precision_m"):
        df[col] = parse_numbers(df[col], col, sid, df["row"], problems, src.decimal)
    for row, s, lat, lon in zip(df["row"], sid, df["latitude"], df["longitude"]):
        if pd.isna(lat) or pd.isna(lon):
            problems.append(f"row {row} ({s}): no coordinates (latitude/longitude or _geolocation)")
        elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append(f"row {row} ({s}): latitude {lat}, longitude {lon} are not degrees")
    for col, allowed in (("condition", CONDITIONS), ("occupancy", OCCUPANCY)):
        df[col] = map_text(df[col], lambda v: v.casefold().replace("_", " "))
        for row, s, v in zip(df["row"], sid, df[col]):
            if v is not None and v not in allowed:
                problems.append(f"row {row} ({s}): {col} {v!r} is not one of {sorted(allowed)}")
    df["date"] = parse_dates(df["date"], sid, df["row"], problems)
    if problems:
        raise InputError(what, problems)
    df["idle"] = df["occupancy"].isin(settings.SURVEY_IDLE_OCCUPANCY)
    geom = gpd.points_from_xy(df["longitude"], df["latitude"], crs=settings.WGS84)
    return gpd.GeoDataFrame(df.drop(columns=["geolocation"]), geometry=geom, crs=settings.WGS84)
