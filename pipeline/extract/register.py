"""The municipality's asset register (CSV/XLSX).

Canonical columns (map others under ``columns:`` in the config):
``register_id`` (required), ``name``, ``owner``, ``status`` (required),
``kind`` (land/building), ``osm_ref`` (``way/123``), ``parcel_code`` (KAEK,
joined to the cadastral parcels), ``x`` and ``y`` (in the register's ``crs``),
``area_m2``, ``notes``. Each row needs a location: ``osm_ref``,
``parcel_code``, or ``x`` and ``y``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from typing import ClassVar

from ..common import columns, settings
from ..common.errors import InputError
from ..common.io import read_table
from ..common.schema import CrsName
from ._tables import blank, map_text, parse_numbers, read_records, TableSource, TableSpec
from .registry import Source, register_source

ALIASES = columns.REGISTER
KIND_VALUES = {
    "land": "land", "plot": "land", "parcel": "land", "γη": "land", "οικόπεδο": "land",
    "αγροτεμάχιο": "land", "έκταση": "land",
    "building": "building", "κτίριο": "building", "κτήριο": "building", "ακίνητο": "building",
}
_OSM_REF = r"^(node|way|relation)/\d+$"


class RegisterSource(TableSource):
    """The municipality's asset register. Rows are located by ``osm_ref``
    (``way/123``) or by coordinates ``x``/``y`` in ``crs``."""

    _source: ClassVar[str] = "register"

    crs: CrsName = settings.WGS84


#: The register's rows.
TABLE = TableSpec("register", ALIASES, ("register_id", "status"), "register_id",
                  ("register_id", "name", "owner", "status", "kind", "osm_ref", "parcel_code", "notes"))


def read_register(src: RegisterSource, notes: list[dict] | None = None) -> gpd.GeoDataFrame:
    """Read and check the register; point geometry where coordinates are given.
    Repairs (control characters removed) are appended to ``notes``.

    Raises
    ------
    InputError
        One error naming every bad row, field and what is wrong.
    """
    what = f"register {src.path}"
    df, problems, rid = read_records(read_table(src.path, what, src.sheet, src.encoding), src, what, TABLE, notes)
    for col in ("x", "y", "area_m2"):
        df[col] = parse_numbers(df[col], col, rid, df["row"], problems, src.decimal)
    bad_area = df["area_m2"].notna() & ~(df["area_m2"] > 0)
    for row, r, v in zip(df.loc[bad_area, "row"], rid[bad_area], df.loc[bad_area, "area_m2"]):
        problems.append(f"row {row} ({r}): invalid area_m2 {v:g}; an area is more than 0 m² (leave it empty if unknown)")
    kinds = map_text(df["kind"], lambda v: KIND_VALUES.get(v.casefold()))
    for row, r, k in zip(df["row"], rid, df["kind"]):
        if not blank(k) and k.casefold() not in KIND_VALUES:
            problems.append(f"row {row} ({r}): kind {k!r} is not land or building")
    df["kind"] = kinds.astype(object)
    refs = map_text(df["osm_ref"], str.lower)
    bad_ref = refs.notna() & ~refs.fillna("").str.match(_OSM_REF).astype(bool)
    for row, r, v in zip(df.loc[bad_ref, "row"], rid[bad_ref], df.loc[bad_ref, "osm_ref"]):
        problems.append(f"row {row} ({r}): osm_ref {v!r} is not like 'way/123'")
    df["osm_ref"] = refs.where(~bad_ref, None).astype(object)
    has_xy = df["x"].notna() & df["y"].notna()
    half_xy = df["x"].notna() ^ df["y"].notna()
    for row, r in zip(df.loc[half_xy, "row"], rid[half_xy]):
        problems.append(f"row {row} ({r}): give both x and y, or neither")
    no_loc = df["osm_ref"].isna() & df["parcel_code"].isna() & ~has_xy & ~half_xy
    for row, r in zip(df.loc[no_loc, "row"], rid[no_loc]):
        problems.append(f"row {row} ({r}): no location; give osm_ref (way/123), parcel_code (KAEK) or x and y")
    if problems:
        raise InputError(what, problems)
    geometry = gpd.points_from_xy(df["x"].where(has_xy), df["y"].where(has_xy), crs=src.crs)
    geometry = np.where(has_xy, geometry, None)
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=list(geometry), crs=src.crs)


register_source(Source("register", "sources.register", "asset register",
                       lambda spec, reading: read_register(spec, reading.notes), model=RegisterSource,
                       needs_area=False, private=columns.PRIVATE_CAPABLE["register"], aliases=ALIASES))
