"""Helpers shared by the table sources (register, survey): column mapping,
number parsing and row-level problem collection."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from typing import Any, ClassVar, Literal

import geopandas as gpd
from pydantic import Field, model_validator

from ..common._text import clean_controls
from ..common.columns import resolve_private
from ..common.errors import InputError
from ..common.schema import Encoding, FilePath, Strict

class TableSource(Strict):
    """A CSV or XLSX table (asset register, field survey, organisations).
    ``private`` names columns never to publish, by their canonical name, a
    name the file may use for them, or the name mapped under ``columns``;
    only columns that reach an output can be named (see
    :data:`pipeline.common.columns.PRIVATE_CAPABLE`)."""

    _source: ClassVar[str] = ""

    path: FilePath
    sheet: str | int | None = Field(None, description="XLSX sheet; default the first")
    encoding: Encoding = Field(None, description="CSV text encoding; default UTF-8 (with or without BOM)")
    columns: dict[str, str] = Field(
        default_factory=dict, description="canonical column name -> column name in the file"
    )
    decimal: Literal[",", "."] | None = Field(
        None, description="decimal mark for numbers like 2.000 that a column does not settle by itself")
    private: list[str] = Field(
        default_factory=list, description="columns never to publish (e.g. owner, notes)")
    attribution: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _private_names(cls, data: Any) -> Any:
        if cls._source and isinstance(data, dict) and data.get("private"):
            names, problems = resolve_private(cls._source, [str(n) for n in data["private"]],
                                              dict(data.get("columns") or {}))
            if problems:
                raise ValueError("; ".join(problems))
            data = {**data, "private": names}
        return data


_NUMBER = re.compile(r"^[+-]?(\d{1,3}([.,]\d{3})+|\d+)([.,]\d+)?$")


def canonicalise(df: pd.DataFrame, aliases: dict[str, tuple[str, ...]], mapping: dict[str, str],
                 required: tuple[str, ...], what: str, one_header_each: bool = False) -> pd.DataFrame:
    """Rename the file's columns to canonical names.

    ``mapping`` (from the config) wins; otherwise the first alias present (case
    insensitive) is used. With ``one_header_each``, two headers that both name
    one canonical column not mapped in the config are an error asking which
    (a form's respondent ``Name`` beside its ``Organisation``). Missing
    required columns are one error listing them all.
    """
    lower = {c.lower(): c for c in df.columns}
    # KoboToolbox puts group names in headers by default ("site/occupancy")
    last: dict[str, str] = {}
    for c in df.columns:
        if "/" in c:
            last.setdefault(c.rsplit("/", 1)[-1].lower(), c)
    rename: dict[str, str] = {}
    problems = []
    for canon, file_col in mapping.items():
        if canon not in aliases:
            problems.append(f"columns.{canon}: not a known column (known: {', '.join(aliases)})")
        elif file_col not in df.columns:
            problems.append(f"columns.{canon}: the file has no column '{file_col}'")
        else:
            rename[file_col] = canon
    if one_header_each:
        problems += _ambiguous_headers(df, aliases, mapping)
    for canon, names in aliases.items():
        if canon in rename.values():
            continue
        for found in (lower, last):  # the whole header first, then its last path segment
            col = next((found[n.lower()] for n in (canon, *names)
                        if n.lower() in found and found[n.lower()] not in rename), None)
            if col is not None:
                rename[col] = canon
                break
    out = df.rename(columns=rename)
    missing = [c for c in required if c not in out.columns]
    if missing:
        problems.append(
            f"required column(s) {missing} not found; the file has {list(df.columns)} "
            "(map them under 'columns:' in the config)"
        )
    if problems:
        raise InputError(what, problems)
    for canon in aliases:
        if canon not in out.columns:
            out[canon] = pd.Series([None] * len(out), index=out.index, dtype=object)
    out = out[list(aliases)].copy()
    out.insert(0, "row", np.arange(2, len(out) + 2))  # line number in the file (header is line 1)
    return out


def _ambiguous_headers(df: pd.DataFrame, aliases: dict[str, tuple[str, ...]], mapping: dict[str, str]) -> list[str]:
    """Canonical columns (not mapped in the config) that several headers name."""
    mapped = {str(c).casefold() for c in mapping.values()}
    canonical = {c.casefold() for c in aliases}
    out = []
    for canon, names in aliases.items():
        if canon in mapping:
            continue
        # a header that is another column's own canonical name is that column's
        said = {canon.casefold()} | {n.casefold() for n in names if n.casefold() not in canonical}
        headers = [str(c) for c in df.columns if str(c).casefold() in said and str(c).casefold() not in mapped]
        if len(headers) > 1:
            example = ", ".join(f"{canon}: {h!r}" for h in headers[:1])
            out.append(f"columns {', '.join(repr(h) for h in headers)} could each be {canon!r}; say which under "
                       f"'columns:' in the config (e.g. columns: {{{example}}})")
    return out


#: What KoboToolbox and ODK add to every export of a form (when and by whom it
#: was filled, submission ids): not data a table source is asked to read.
FORM_METADATA = frozenset({"start", "end", "today", "username", "deviceid", "phonenumber", "instanceid",
                           "submissiondate", "submitterid", "submittername", "attachmentsexpected",
                           "attachmentspresent", "status", "reviewstate", "edits", "formversion", "key"})


def unused_columns(table: pd.DataFrame, aliases: dict[str, tuple[str, ...]], mapping: dict[str, str]) -> list[str]:
    """The file's columns that no canonical column takes: neither a canonical
    name, an alias, nor mapped in the config (``columns:``); a form's own
    metadata (``_uuid``, ``start``, ``meta/instanceID``) is not listed."""
    taken = {str(c).casefold() for c in mapping.values()}
    for canon, names in aliases.items():
        taken |= {n.casefold() for n in (canon, *names)}
    def metadata(column: str) -> bool:
        last = column.rsplit("/", 1)[-1]
        return last.startswith("_") or last.casefold() in FORM_METADATA or column.casefold().startswith("meta/")
    return [str(c) for c in table.columns if str(c).casefold() not in taken
            and str(c).rsplit("/", 1)[-1].casefold() not in taken and not metadata(str(c))]


@dataclass(frozen=True)
class TableSpec:
    """What a table source's rows are: its name (for the inputs report), its
    columns and their aliases, the required ones, the id column, the text
    columns cleaned on the way in, and whether two headers may not name one
    column (see :func:`canonicalise`)."""

    source: str
    aliases: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    id_col: str
    text_cols: tuple[str, ...]
    one_header_each: bool = False


def read_records(table: pd.DataFrame, src, what: str, spec: TableSpec,
                 notes: list[dict] | None = None) -> tuple[pd.DataFrame, list[str], pd.Series]:
    """The shared start of every table source: canonical columns, control
    characters removed, text cleaned, ids checked. Returns the frame, the
    problems so far and the ids to name rows by (``"no id"`` where empty).
    What was cleaned is appended to ``notes`` (rows for the inputs report)."""
    table, touched = clean_controls(table)
    df = canonicalise(table, spec.aliases, src.columns, spec.required, what, spec.one_header_each)
    if len(touched) and notes is not None:
        rows, ids = df["row"].to_numpy(), df[spec.id_col].fillna("no id").to_numpy()
        notes.append(control_note(spec.source, [f"row {rows[i]} ({ids[i]})" for i in touched]))
    for col in spec.text_cols:
        df[col] = clean_text(df[col])
    return df, id_problems(df, spec.id_col), df[spec.id_col].fillna("no id")


def control_note(source: str, where: list[str]) -> dict:
    """A row of the inputs report: control characters removed at ``where``."""
    return {"source": source, "action": "repaired: control characters removed from text", "count": len(where),
            "detail": ", ".join(where[:30]) + (f" … and {len(where) - 30} more" if len(where) > 30 else "")}


def id_problems(df: pd.DataFrame, column: str) -> list[str]:
    """Empty and repeated ids in ``column``, one sentence each, naming the rows."""
    problems = [f"row {row}: {column} is empty" for row in df.loc[df[column].isna(), "row"]]
    dup = df[column].notna() & df[column].duplicated(keep=False)
    for value in df.loc[dup, column].unique():
        rows = df.loc[df[column] == value, "row"].tolist()
        problems.append(f"rows {rows}: {column} {value!r} is used more than once")
    return problems


_AMBIGUOUS = re.compile(r"^[+-]?\d{1,3}[.,]\d{3}$")  # "2.000": two thousand (Greek) or two (English)?
_DECIMAL = {",": re.compile(r"^[+-]?\d+,(\d{1,2}|\d{4,})$|\.\d{3},\d+$"),
            ".": re.compile(r"^[+-]?\d+\.(\d{1,2}|\d{4,})$|,\d{3}\.\d+$")}


def column_decimal(values) -> str | None:
    """The decimal mark a column's unambiguous numbers reveal (``","`` for
    ``12,5``, ``"."`` for ``12.5``), or None when none or both appear."""
    texts = [str(v).strip().replace(" ", "") for v in values if not blank(v)]
    found = {mark for mark, pattern in _DECIMAL.items() if any(pattern.search(t) for t in texts)}
    return found.pop() if len(found) == 1 else None


def parse_number(value, decimal: str | None = None) -> float:
    """A number as people type it in Greek or English spreadsheets.

    ``1234.5``, ``1234,5``, ``1.234,5`` and ``1,234.5`` are all 1234.5;
    repeated marks are thousands marks (``1.234.567``). A single mark followed
    by exactly three digits (``2.000``) means two thousand in Greek usage and
    two in English: it is read with ``decimal`` (the column's or the config's
    decimal mark) and is an error without it. Empty gives NaN; text that is
    not a number raises ValueError.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = str(value).strip().replace("\u00a0", " ").replace(" ", "")
    if text == "":
        return np.nan
    if not _NUMBER.match(text):
        raise ValueError(f"{value!r} is not a number")
    if _AMBIGUOUS.match(text):
        if decimal is None:
            raise ValueError(f"{value!r} is ambiguous (decimal or thousands mark?); "
                             "set decimal: ',' (Greek) or '.' for this table in the config")
        mark = text[-4]
        return float(text.replace(mark, "." if mark == decimal else ""))
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        text = text.replace(thousands, "").replace(decimal_mark, ".")
    else:
        for mark in (",", "."):
            if text.count(mark) > 1:
                text = text.replace(mark, "")
        text = text.replace(",", ".")
    return float(text)


def parse_numbers(series: pd.Series, label: str, ids: pd.Series, rows: pd.Series, problems: list[str],
                  decimal: str | None = None) -> pd.Series:
    """Parse a column of numbers, adding one problem per bad cell. Ambiguous
    cells follow the column's own unambiguous numbers, else ``decimal``."""
    mark = column_decimal(series) or decimal
    out = []
    for value, rid, row in zip(series, ids, rows):
        try:
            out.append(parse_number(value, mark))
        except ValueError as exc:
            problems.append(f"row {row} ({rid}): {label}: {exc}")
            out.append(np.nan)
    return pd.Series(out, index=series.index, dtype=float)


def parse_dates(series: pd.Series, ids: pd.Series, rows: pd.Series, problems: list[str]) -> pd.Series:
    """Dates as typed or exported (``2026-03-02T10:15:00``, ``2026-03-02``,
    ``02/03/2026``, ``2/3/2026 10:15``; day before month, as in Greece) to ISO
    text; one problem per cell that is not a date."""
    out: list[str | None] = []
    for value, rid, row in zip(series, ids, rows):
        if blank(value):
            out.append(None)
            continue
        text = str(value).strip()
        iso = re.match(r"^\d{4}-\d{2}-\d{2}", text) is not None
        parsed = pd.to_datetime(text, errors="coerce", dayfirst=not iso, utc=True, format="ISO8601" if iso else None)
        if pd.isna(parsed):
            problems.append(f"row {row} ({rid}): date {text!r} is not a date (use 2026-03-02 or 02/03/2026)")
            out.append(None)
        else:
            out.append(parsed.isoformat())
    return pd.Series(out, index=series.index, dtype=object)


def blank(value) -> bool:
    """True for None, NaN and whitespace-only text."""
    return value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""


def map_text(series: pd.Series, fn=lambda v: v) -> pd.Series:
    """Apply ``fn`` to each non-blank cell (as stripped text); blanks become None.

    The result is always an object column holding str or None (pandas would
    otherwise turn an all-missing result into floats).
    """
    return pd.Series([None if blank(v) else fn(str(v).strip()) for v in series], index=series.index, dtype=object)


def clean_text(series: pd.Series) -> pd.Series:
    """Strip whitespace and compose accents (Unicode NFC: ``ά`` typed as ``α``
    plus an accent is the same id as ``ά``); empty strings become missing (None)."""
    return map_text(series, lambda v: unicodedata.normalize("NFC", v))


def clean_layer(gdf: gpd.GeoDataFrame | None, source: str, label: str, notes: list[dict]) -> gpd.GeoDataFrame | None:
    """``gdf`` without control characters in its text (OSM tags included), noted for the report."""
    if gdf is None or gdf.empty:
        return gdf
    cleaned, touched = clean_controls(gdf)
    if len(touched):
        where = [str(v) for v in cleaned[label].to_numpy()[touched]] if label in cleaned else [f"feature {i + 1}" for i in touched]
        notes.append(control_note(source, where))
    return cleaned
