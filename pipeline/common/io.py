"""All file reading and writing of the pipeline.

Writers are atomic: each writes to a temporary file beside the target and
renames it into place only when complete, so a failed or interrupted write
never leaves a half-written file (a run as a whole is staged too, see
:mod:`pipeline.common.outputs`). Published tables are written for spreadsheets:
text cells that would start a formula are defused, and the same inputs give
the same bytes (fixed dates inside XLSX and GeoPackage files).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ._text import defuse_frame
from .errors import InputError


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path in ``target``'s folder; rename it onto ``target``
    when the block succeeds, delete it when it fails."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".part{target.suffix}", dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


#: The date written inside XLSX and GeoPackage files, which would otherwise
#: hold the time of writing and differ between two runs on the same inputs.
FIXED_DATE = (2000, 1, 1, 0, 0, 0)
_FIXED_ISO = "2000-01-01T00:00:00Z"


def shown_paths(value, base: Path, known: Iterable[Path] = ()):
    """``value`` (text, or dicts and lists of it) as published: an absolute
    path becomes relative to ``base`` (the config's folder), or its file name
    alone when the two share nothing but the root; the paths in ``known`` (the
    inputs) are replaced inside longer texts too. No output shows where on the
    machine a user keeps their files (the manifest's hashes name the inputs)."""
    root = os.path.abspath(base)

    def relative(path) -> str:
        path = os.path.abspath(path)
        try:
            shared = os.path.commonpath([path, root])
        except ValueError:  # another drive
            shared = ""
        if shared in ("", os.path.dirname(shared)):  # nothing in common but the root: the name says enough
            return os.path.basename(path)
        return os.path.relpath(path, root)

    swaps = sorted(((os.path.abspath(k), relative(k)) for k in known), key=lambda kv: -len(kv[0]))

    def show(v):
        if isinstance(v, dict):
            return {k: show(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(show(x) for x in v)
        if isinstance(v, Path) or (isinstance(v, str) and os.path.isabs(v) and "\n" not in v):
            return relative(v)
        if isinstance(v, str):
            for whole, shown in swaps:
                v = v.replace(whole, shown)
        return v

    return show(value)


def write_text(text: str, target: Path) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_csv(df: pd.DataFrame, target: Path) -> Path:
    """CSV in UTF-8 with a byte-order mark, so Excel shows Greek text correctly;
    text cells that a spreadsheet would run as formulas are defused."""
    with atomic_path(target) as tmp:
        defuse_frame(df).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
    return Path(target)


@contextlib.contextmanager
def xlsx_writer(target: Path) -> Iterator[pd.ExcelWriter]:
    """An openpyxl ``ExcelWriter`` writing ``target`` atomically; the workbook's
    dates and the zip entries' times are fixed so the same sheets give the same
    bytes. Cells are the caller's to defuse (see :func:`_text.defuse_frame`)."""
    with atomic_path(target) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            yield writer
        _fix_zip_dates(tmp)


def _fix_zip_dates(path: Path) -> None:
    """Rewrite an XLSX (a zip) with fixed entry times and document dates."""
    with zipfile.ZipFile(path) as z:
        entries = [(info, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + _FIXED_ISO.encode(), data)
            z.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_DATE), data, compress_type=zipfile.ZIP_DEFLATED)


def write_geopackage(layers: dict[str, gpd.GeoDataFrame], target: Path,
                     finish: Callable[[Path], None] | None = None) -> Path:
    """Write several layers into one GeoPackage, atomically as a whole, with a
    fixed ``last_change`` date so the same layers give the same bytes;
    ``finish(path)`` adds to the file before it takes its place (styles)."""
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _FIXED_ISO})  # else GDAL stamps the time of writing
    try:
        with atomic_path(target) as tmp:
            for name, gdf in layers.items():
                gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
            if finish is not None:
                finish(Path(tmp))
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    return Path(target)


def write_geoparquet(gdf: gpd.GeoDataFrame, target: Path) -> Path:
    """GeoParquet (for analysts and big data tools), atomically."""
    with atomic_path(target) as tmp:
        gdf.to_parquet(tmp, index=False)
    return Path(target)


def check_readable(path: Path, what: str) -> list[str]:
    """Problems that stop ``path`` from being read (empty list if none)."""
    path = Path(path)
    if not path.exists():
        return [f"{what} {path}: file not found"]
    if path.is_dir():
        return [f"{what} {path}: is a folder, expected a file"]
    if not path.is_file():
        return [f"{what} {path}: not a regular file (a FIFO or device?); give a file"]
    if not os.access(path, os.R_OK):
        return [f"{what} {path}: not readable (check its permissions)"]
    if path.stat().st_size == 0:
        return [f"{what} {path}: file is empty"]
    return []


def check_xml(source, what: str) -> None:
    """Raise InputError if an XML file (or bytes) is truncated or malformed.

    GDAL's GML reader returns no features, without an error, for a file cut
    short; this streaming parse catches that, and names the line.
    """
    import io
    import xml.etree.ElementTree as ET

    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    try:
        for _ in ET.iterparse(stream, events=("end",)):
            pass
    except ET.ParseError as exc:
        line, column = exc.position
        raise InputError(what, [f"{source if not isinstance(source, (bytes, bytearray)) else 'response'}: "
                                f"not well-formed XML at line {line}, column {column} (truncated or damaged?)"]) from None


#: suffixes GDAL reads with its GML driver
GML_SUFFIXES = frozenset({".gml", ".xml"})


def read_options(path: Path) -> dict[str, str]:
    """GDAL open options that keep reading ``path`` from writing beside it.

    - A GML file: ``WRITE_GFS=NO``; GDAL would otherwise write a ``.gfs``
      file next to it.
    - A GeoPackage in SQLite's WAL mode: ``IMMUTABLE=YES``; SQLite would
      otherwise create ``-wal`` and ``-shm`` files next to it while it is
      open (and leave them behind if the run is killed). Not when a ``-wal``
      file is already there: another program has the GeoPackage open or
      stopped before checkpointing it, and the newest rows are in that file,
      which an immutable read would not see.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in GML_SUFFIXES:
        return {"WRITE_GFS": "NO"}
    if suffix == ".gpkg" and _sqlite_wal_mode(path) and not Path(f"{path}-wal").exists():
        return {"IMMUTABLE": "YES"}
    return {}


def _sqlite_wal_mode(path: Path) -> bool:
    """Whether the SQLite file's header says WAL mode (file format versions 2 at bytes 18-19)."""
    try:
        with open(path, "rb") as f:
            header = f.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[:16] == b"SQLite format 3\x00" and header[18] == header[19] == 2


def read_vector(path: Path, what: str, layer: str | None = None, crs=None,
                setting: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector file (GeoPackage, GeoJSON, Shapefile, ...) with pyogrio,
    writing nothing beside it (:func:`read_options`). With ``setting`` (the
    config key of the CRS to assume, e.g. ``sources.districts.crs``), a file
    without a CRS takes ``crs``, or is an error naming that key."""
    problems = check_readable(path, what)
    if problems:
        raise InputError(what, problems)
    options = read_options(path)
    if "WRITE_GFS" in options:
        check_xml(path, what)
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio", **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise InputError(what, [f"{path}: cannot be read as a vector file ({exc})"]) from None
    if setting is not None and gdf.crs is None:
        if crs is None:
            raise InputError(what, [f"the file has no CRS; set {setting} in the config"])
        gdf = gdf.set_crs(crs)
    return gdf


def read_table(path: Path, what: str, sheet: str | int | None = None, encoding: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX table as text columns (numbers are parsed later, per column)."""
    path = Path(path)
    problems = check_readable(path, what)
    if problems:
        raise InputError(what, problems)
    suffix = path.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm", ".xls", ".ods"}:
            # calamine reads the cells that hold values; openpyxl walks every formatted cell, and a sheet
            # formatted out to column XFD took it minutes and gigabytes
            df = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str, engine="calamine")
        elif suffix in {".csv", ".txt", ".tsv"}:
            df = pd.read_csv(
                path, dtype=str, sep=None, engine="python", encoding=encoding or "utf-8-sig",
                keep_default_na=False, na_values=[""],
            )
        else:
            raise InputError(what, [f"{path}: unsupported table format '{suffix}' (use .csv, .xlsx or .ods)"])
    except UnicodeDecodeError as exc:
        raise InputError(
            what, [f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                   "set 'encoding' in the config, e.g. encoding: cp1253 for Greek Windows files"]
        ) from None
    except (ValueError, pd.errors.ParserError, KeyError) as exc:
        raise InputError(what, [f"{path}: cannot be read as a table ({exc})"]) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df
