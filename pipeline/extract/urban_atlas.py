"""Copernicus Urban Atlas: land use and land cover of a Functional Urban Area
(a GeoPackage, FlatGeobuf, Shapefile or file geodatabase per FUA, from the
Copernicus Land Monitoring Service).

The products name their fields after their reference year: ``CODE2006`` /
``ITEM2006`` and ``CODE2012`` / ``ITEM2012`` (2006 and the first 2012
release), ``code_2012`` / ``class_2012`` (the revised 2012), ``code_2018`` /
``class_2018``, ``code_2021`` / ``class_2021`` and so on. The reader finds
the code and class fields whatever the year and case, takes the product's
year from them (or from ``year`` in the config), and keeps the polygons near
the study area. Judging what a class says (land without current use, green
urban areas) is the transform stage's, by ``evidence.yaml``.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pydantic import Field, model_validator
from pyproj import CRS
from pyproj.exceptions import CRSError

from ..common.errors import InputError
from ..common.io import check_readable, read_options
from ..common.schema import FilePath, OptionalCrs, Strict
from .registry import Reading, Source, register_source

#: Field names of the class code and name, with the year as a group.
CODE_FIELD = re.compile(r"^code_?(\d{4})$", re.IGNORECASE)
CLASS_FIELD = re.compile(r"^(?:class|item)_?(\d{4})$", re.IGNORECASE)
ID_FIELDS = ("identifier", "IDENT", "ident", "ID")
#: A class code: five digits (11100 continuous urban fabric ... 50000 water).
CODE = re.compile(r"^\d{5}$")


def credit(year: int | None) -> str:
    """The credit the Copernicus data policy asks of a product adapted (clipped and reclassified) here."""
    edition = f" {year}" if year else ""
    return (f"Urban Atlas{edition}: © European Union, Copernicus Land Monitoring Service{edition}, "
            "European Environment Agency (EEA); clipped to the boundary and read by class")


class UrbanAtlasSource(Strict):
    """A Copernicus Urban Atlas product for the Functional Urban Area holding
    the municipality (e.g. ``EL007L1_VOLOS`` for Volos). Its class 13400 "land
    without current use" and 13300 "construction sites" are idle signals,
    14100 "green urban areas" and 14200 "sports and leisure facilities" land
    in active use, and its urban fabric (11xxx) built-up land, each as
    ``evidence.yaml`` rates it."""

    path: FilePath
    layer: str | None = Field(None, description="the layer of a GeoPackage holding several; default the first")
    year: int | None = Field(None, ge=2000, le=2100,
                             description="the product's reference year; default: from its field names (code_2018: 2018)")
    crs: OptionalCrs = Field(None, description="CRS to assume when the file has none")
    attribution: str | None = Field(None, description="default: the credit the Copernicus data policy asks, with the year")

    @model_validator(mode="after")
    def _credit(self) -> "UrbanAtlasSource":
        if self.attribution is None:
            year = self.year
            if year is None:
                try:
                    fields = pyogrio.read_info(self.path, layer=self.layer)["fields"]
                    year = _fields(list(fields))[2]
                except Exception:  # an unreadable file is the reader's to report, with its reason
                    year = None
            object.__setattr__(self, "attribution", credit(year))
        return self


def _fields(columns: list[str]) -> tuple[str | None, str | None, int | None]:
    """The code field, the class field and the year their names give."""
    code = next((c for c in columns if CODE_FIELD.match(c)), None)
    klass = next((c for c in columns if CLASS_FIELD.match(c)), None)
    year = int(CODE_FIELD.match(code).group(1)) if code else None  # type: ignore[union-attr]
    return code, klass, year


def read_urban_atlas(src: UrbanAtlasSource, bbox_wgs84: tuple[float, float, float, float] | None
                     ) -> gpd.GeoDataFrame:
    """The product's polygons near the study area: ``ua_id`` (the product's
    identifier, or the row number), ``ua_code`` (five digits, as text),
    ``ua_class`` (the product's class name), ``year`` and geometry, in the
    file's CRS.

    Raises
    ------
    InputError
        The file cannot be read, has no CRS, no class code field, no year,
        or codes that are not five digits (every bad feature named).
    """
    what = f"urban atlas {src.path}"
    problems = check_readable(src.path, what)
    if problems:
        raise InputError(what, problems)
    path = Path(src.path)
    options = read_options(path)
    try:
        info = pyogrio.read_info(path, layer=src.layer, **options)
        crs = CRS.from_user_input(info["crs"]) if info.get("crs") else (CRS.from_user_input(src.crs) if src.crs else None)
        if crs is None:
            raise InputError(what, ["the file has no CRS; set sources.urban_atlas.crs (the products are in EPSG:3035)"])
        code, klass, year = _fields(list(info["fields"]))
        if code is None:
            raise InputError(what, [f"no class code field (code_2018, CODE2012, ...) among {', '.join(info['fields'])}"])
        bbox = None
        if bbox_wgs84 is not None:
            corners = gpd.points_from_xy(bbox_wgs84[::2], bbox_wgs84[1::2])
            bbox = tuple(gpd.GeoSeries(corners, crs=4326).to_crs(crs).total_bounds)
        gdf = gpd.read_file(path, layer=src.layer, bbox=bbox, engine="pyogrio", **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, CRSError, ValueError) as exc:
        raise InputError(what, [f"cannot be read as a vector file ({exc})"]) from None
    if gdf.crs is None:
        gdf = gdf.set_crs(crs)
    year = src.year or year
    if not year:
        raise InputError(what, [f"the product's year is not in its field names ({code}); set sources.urban_atlas.year"])
    ident = next((c for c in ID_FIELDS if c in gdf.columns), None)
    ids = (gdf[ident].astype(str) if ident else pd.Series(np.arange(1, len(gdf) + 1), index=gdf.index).astype(str))
    raw = gdf[code]
    if pd.api.types.is_numeric_dtype(raw):
        codes = raw.map(lambda v: None if pd.isna(v) else str(int(v)))
    else:
        codes = raw.map(lambda v: None if pd.isna(v) else str(v).strip())
    bad = [f"feature {i}: {code} {c!r} is not a five-digit Urban Atlas class" for i, c in zip(ids, codes)
           if c is None or not CODE.match(c)]
    if bad:
        raise InputError(what, bad[:50] + ([f"… and {len(bad) - 50} more"] if len(bad) > 50 else []))
    names = gdf[klass].astype(object).where(gdf[klass].notna(), None) if klass else pd.Series(None, index=gdf.index)
    return gpd.GeoDataFrame({"ua_id": ids.to_numpy(dtype=object), "ua_code": codes.to_numpy(dtype=object),
                             "ua_class": names.to_numpy(dtype=object), "year": np.full(len(gdf), year)},
                            geometry=gdf.geometry.to_numpy(), crs=gdf.crs)


def _read(spec: UrbanAtlasSource, reading: Reading) -> gpd.GeoDataFrame:
    return read_urban_atlas(spec, reading.box())


register_source(Source("urban_atlas", "sources.urban_atlas", "Copernicus Urban Atlas", _read, model=UrbanAtlasSource))
