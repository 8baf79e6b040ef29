"""Cadastral parcels from a file (GeoPackage, Shapefile, GeoJSON, INSPIRE GML)
or an OGC WFS (GetFeature by bounding box, paged, cached).

Parcel codes are text: a KAEK (Hellenic Cadastre code) is 12 digits and its
leading zeros matter. GML fields are read as text so GDAL cannot guess them
into numbers; a file that stored codes as numbers gets its zeros back.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pydantic import Field, model_validator
from pyproj import CRS
from pyproj.exceptions import CRSError

from ..common import settings
from ..common.errors import InputError
from ..common.io import atomic_path, check_readable, check_xml, read_options
from ..common.schema import CrsName, Encoding, FilePath, OptionalCrs, Strict
from ._tables import clean_layer
from .registry import Reading, Source, register_source


class WfsSpec(Strict):
    """An OGC WFS 2.0 endpoint serving cadastral parcels (e.g. INSPIRE CP)."""

    url: str
    typename: str = "cp:CadastralParcel"
    version: str = "2.0.0"
    srs: CrsName = Field(settings.DEFAULT_CRS_GREECE, description="CRS of the request and response")
    page_size: int = Field(1000, ge=1, le=100000)


class ParcelSource(Strict):
    """Cadastral parcels: a GeoPackage, Shapefile, GeoJSON or INSPIRE
    CadastralParcels GML file, or a WFS. Parcel codes are kept as text; with
    ``code_format: kaek`` each must be a 12-digit Hellenic Cadastre code (ΚΑΕΚ)."""

    path: FilePath | None = None
    wfs: WfsSpec | None = None
    layer: str | None = None
    encoding: Encoding = Field(None, description="text encoding of a Shapefile's .dbf, e.g. cp1253 or iso-8859-7")
    crs: OptionalCrs = Field(None, description="CRS to assume when the file has none")
    code_field: str | None = Field(None, description="default: KAEK, nationalCadastralReference or localId")
    code_format: Literal["kaek", "any"] = "kaek"
    owner_field: str | None = Field(None, description="a field naming the parcel's owner or owner type "
                                                      "(e.g. Δήμος, Δημόσιο, Ιδιώτης): gives assets their ownership")
    cache_dir: FilePath | None = None
    attribution: str | None = None

    @model_validator(mode="after")
    def _one_door(self) -> "ParcelSource":
        if (self.path is None) == (self.wfs is None):
            raise ValueError("give either 'path' or 'wfs'")
        return self

    def cache(self) -> Path:
        return self.cache_dir or Path(settings.DEFAULT_CACHE_DIR)


KAEK = re.compile(r"^\d{12}$")
CODE_FIELDS = ("KAEK", "kaek", "ΚΑΕΚ", "parcel_code", "nationalCadastralReference", "localId")
_MOJIBAKE = re.compile(r"[\u00c0-\u00ff]{2,}")  # cp1253 Greek read as Latin-1 looks like 'Ðáëéü'
_GREEK = re.compile(r"[\u0370-\u03ff]")


@contextlib.contextmanager
def _gml_as_text():
    """Let GDAL's GML driver read every field as text (no guessing codes into numbers)."""
    old = pyogrio.get_gdal_config_option("GML_FIELDTYPES")
    pyogrio.set_gdal_config_options({"GML_FIELDTYPES": "ALWAYS_STRING"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"GML_FIELDTYPES": old})


def _file_crs(path: Path, layer: str | None, **options) -> CRS | None:
    info = pyogrio.read_info(path, layer=layer, **options)
    return CRS.from_user_input(info["crs"]) if info.get("crs") else None


def _read_file(src: ParcelSource, bbox_wgs84) -> gpd.GeoDataFrame:
    assert src.path is not None  # the file door
    what = f"parcels {src.path}"
    problems = check_readable(src.path, what)
    if problems:
        raise InputError(what, problems)
    path = Path(src.path)
    opening = read_options(path)  # nothing written beside the user's file
    if "WRITE_GFS" in opening:
        check_xml(path, what)
    options = dict(opening, encoding=src.encoding) if src.encoding else dict(opening)
    try:
        crs = _file_crs(path, src.layer, **opening) or (CRS.from_user_input(src.crs) if src.crs else None)
        if crs is None:
            raise InputError(what, ["the file has no CRS (no .prj?); set parcels.crs in the config, e.g. EPSG:2100"])
        bbox = None
        if bbox_wgs84 is not None:
            bbox = tuple(gpd.GeoSeries(gpd.points_from_xy(bbox_wgs84[::2], bbox_wgs84[1::2]), crs=4326)
                         .to_crs(crs).total_bounds)
        with _gml_as_text():
            gdf = gpd.read_file(path, layer=src.layer, bbox=bbox, engine="pyogrio", **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, CRSError, ValueError) as exc:
        raise InputError(what, [f"cannot be read as a vector file ({exc})"]) from None
    if gdf.crs is None:
        gdf = gdf.set_crs(crs)
    if path.suffix.lower() == ".shp" and not src.encoding and not path.with_suffix(".cpg").exists():
        _check_encoding(gdf, what)
    return gdf


def _check_encoding(gdf: pd.DataFrame, what: str) -> None:
    """A Shapefile without .cpg whose text looks like Greek read as Latin-1."""
    for col in gdf.columns.drop("geometry"):
        s = gdf[col]
        if not (pd.api.types.is_string_dtype(s) or s.dtype == object):
            continue
        text = s.dropna().astype(str)
        bad = text[text.str.contains(_MOJIBAKE) & ~text.str.contains(_GREEK)]
        if len(bad):
            raise InputError(what, [
                f"column '{col}' looks like Greek text decoded with the wrong encoding (e.g. {bad.iloc[0]!r}) "
                "and the Shapefile has no .cpg; set parcels.encoding: cp1253 (Windows Greek) or iso-8859-7"])


def wfs_pages(spec: WfsSpec, bbox: tuple[float, float, float, float], cache_dir: Path):
    """Yield the GML bytes of each GetFeature page covering ``bbox`` (in
    ``spec.srs``), from the cache when present, else from the server."""
    import requests

    start = 0
    for _ in range(100000):
        params = {
            "SERVICE": "WFS", "VERSION": spec.version, "REQUEST": "GetFeature", "TYPENAMES": spec.typename,
            "SRSNAME": spec.srs, "BBOX": ",".join(f"{v:.3f}" for v in bbox) + f",{spec.srs}",
            "COUNT": str(spec.page_size), "STARTINDEX": str(start),
        }
        key = hashlib.sha256((spec.url + "?" + "&".join(f"{k}={v}" for k, v in sorted(params.items()))).encode()).hexdigest()
        cached = Path(cache_dir) / "wfs" / f"{key[:24]}.gml"
        if cached.exists():
            body = cached.read_bytes()
        else:
            try:
                response = requests.get(spec.url, params=params, timeout=120)
            except requests.RequestException as exc:
                raise InputError(f"parcels WFS {spec.url}", [f"request failed ({type(exc).__name__}: {exc})"]) from None
            body = response.content
            if response.status_code != 200 or b"ExceptionReport" in body[:2000]:
                text = re.sub(rb"\s+", b" ", body[:600]).decode("utf-8", "replace")
                raise InputError(f"parcels WFS {spec.url}", [f"page starting at {start}: HTTP {response.status_code}: {text}"])
            with atomic_path(cached) as tmp:
                tmp.write_bytes(body)
        yield body
        returned = re.search(rb'numberReturned="(\d+)"', body[:4000])
        n = int(returned.group(1)) if returned else body.count(b"<wfs:member")
        if n < spec.page_size:
            return
        start += spec.page_size


def _read_wfs(src: ParcelSource, bbox_wgs84) -> gpd.GeoDataFrame:
    spec = src.wfs
    assert spec is not None  # the WFS door
    bbox = tuple(gpd.GeoSeries(gpd.points_from_xy(bbox_wgs84[::2], bbox_wgs84[1::2]), crs=4326).to_crs(spec.srs).total_bounds)
    frames = []
    for body in wfs_pages(spec, bbox, src.cache()):
        check_xml(body, f"parcels WFS {spec.url}")
        if b"<wfs:member" not in body:
            continue
        with _gml_as_text():
            page = gpd.read_file(io.BytesIO(body), engine="pyogrio", WRITE_GFS="NO")
        frames.append(page.set_crs(spec.srs, allow_override=True))
    if not frames:
        return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs=spec.srs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=spec.srs)


def parcel_codes(gdf: pd.DataFrame, src: ParcelSource, what: str) -> pd.Series:
    """The parcel code column as text, checked (one error listing every bad code)."""
    field = src.code_field or next((f for f in CODE_FIELDS if f in gdf.columns), None)
    if field is None or field not in gdf.columns:
        raise InputError(what, [f"no parcel code column {src.code_field or CODE_FIELDS}; set parcels.code_field "
                                f"(columns: {', '.join(map(str, gdf.columns.drop('geometry')))})"])
    raw = gdf[field]
    if pd.api.types.is_numeric_dtype(raw):
        width = 12 if src.code_format == "kaek" else 0
        codes = raw.map(lambda v: None if pd.isna(v) else str(int(v)).zfill(width))
    else:
        codes = raw.map(lambda v: None if pd.isna(v) else str(v).strip())
    ids = gdf["gml_id"] if "gml_id" in gdf.columns else pd.Series(np.arange(1, len(gdf) + 1), index=gdf.index)
    problems = [f"feature {i}: {field} is empty" for i, c in zip(ids, codes) if c is None]
    if src.code_format == "kaek":
        problems += [f"feature {i}: {field} {c!r} is not a KAEK (12 digits)" for i, c in zip(ids, codes)
                     if c is not None and not KAEK.match(c)]
    dup = codes.notna() & codes.duplicated(keep=False)
    problems += [f"{field} {c!r} is used by {int((codes == c).sum())} features" for c in codes[dup].unique()]
    if problems:
        shown = problems[:50] + ([f"… and {len(problems) - 50} more"] if len(problems) > 50 else [])
        raise InputError(what, shown)
    return codes.astype(object)


def read_parcels(src: ParcelSource, bbox_wgs84: tuple[float, float, float, float] | None) -> gpd.GeoDataFrame:
    """Parcels near the study area: ``parcel_code`` (text), ``area_official``
    (the register's area when given), ``owner`` (the ``owner_field``'s text,
    when configured) and geometry, in the source's CRS."""
    what = f"parcels {src.path}" if src.path or src.wfs is None else f"parcels WFS {src.wfs.url}"
    gdf = _read_file(src, bbox_wgs84) if src.path else _read_wfs(src, bbox_wgs84)
    codes = parcel_codes(gdf, src, what)
    area = pd.to_numeric(gdf["areaValue"], errors="coerce") if "areaValue" in gdf.columns else np.nan
    columns = {"parcel_code": codes, "area_official": area}
    if src.owner_field:
        if src.owner_field not in gdf.columns:
            raise InputError(what, [f"owner_field: no field {src.owner_field!r} (fields: {', '.join(map(str, gdf.columns))})"])
        owner = gdf[src.owner_field]
        columns["owner"] = owner.astype(object).where(owner.notna(), None).map(lambda v: None if v is None else str(v))
    return gpd.GeoDataFrame(columns, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)


def _read(spec: ParcelSource, reading: Reading) -> gpd.GeoDataFrame:
    return clean_layer(read_parcels(spec, reading.box()), "parcels", "parcel_code", reading.notes)


register_source(Source("parcels", "sources.parcels", "cadastral parcels", _read, model=ParcelSource,
                       where=lambda s: str(s.path) if s.path else f"WFS {s.wfs.url} ({s.wfs.typename})"))
