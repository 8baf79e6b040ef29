"""All file reading and writing of the pipeline.

Writers are atomic: each writes to a temporary file beside the target and
renames it into place only when complete, so a failed or interrupted run
leaves the previous good output intact and never a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

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


PART_PATTERN = ".*.part.*"


def clean_partial_files(*folders: Path) -> list[Path]:
    """Delete temporary files left by an interrupted run (``.<name>.<random>.part.<ext>``)."""
    removed = []
    for folder in folders:
        if Path(folder).is_dir():
            for path in Path(folder).glob(PART_PATTERN):
                path.unlink()
                removed.append(path)
    return removed


def write_text(text: str, target: Path) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_csv(df: pd.DataFrame, target: Path) -> Path:
    """CSV in UTF-8 with a byte-order mark, so Excel shows Greek text correctly."""
    with atomic_path(target) as tmp:
        df.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
    return Path(target)


def write_geopackage(layers: dict[str, gpd.GeoDataFrame], target: Path) -> Path:
    """Write several layers into one GeoPackage, atomically as a whole."""
    with atomic_path(target) as tmp:
        for name, gdf in layers.items():
            gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
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


def read_vector(path: Path, what: str, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector file (GeoPackage, GeoJSON, Shapefile, ...) with pyogrio."""
    problems = check_readable(path, what)
    if problems:
        raise InputError(what, problems)
    # WRITE_GFS=NO: GDAL would otherwise write a .gfs file beside a user's GML
    options = {"WRITE_GFS": "NO"} if Path(path).suffix.lower() == ".gml" else {}
    if options:
        check_xml(path, what)
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio", **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise InputError(what, [f"{path}: cannot be read as a vector file ({exc})"]) from None


def read_table(path: Path, what: str, sheet: str | int | None = None, encoding: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX table as text columns (numbers are parsed later, per column)."""
    path = Path(path)
    problems = check_readable(path, what)
    if problems:
        raise InputError(what, problems)
    suffix = path.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            df = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str)
        elif suffix in {".csv", ".txt", ".tsv"}:
            df = pd.read_csv(
                path, dtype=str, sep=None, engine="python", encoding=encoding or "utf-8-sig",
                keep_default_na=False, na_values=[""],
            )
        else:
            raise InputError(what, [f"{path}: unsupported table format '{suffix}' (use .csv or .xlsx)"])
    except UnicodeDecodeError as exc:
        raise InputError(
            what, [f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                   "set 'encoding' in the config, e.g. encoding: cp1253 for Greek Windows files"]
        ) from None
    except (ValueError, pd.errors.ParserError, KeyError) as exc:
        raise InputError(what, [f"{path}: cannot be read as a table ({exc})"]) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df
