"""Text helpers shared across stages: matching Greek words, and the rule that
input text is data, never code, which every path from an input to an output
follows.

- :func:`fold` gives the accent- and case-insensitive form of a word.
- :func:`clean_controls` removes control characters (terminal escape
  sequences, vertical tabs, ...) and invisible format characters
  (right-to-left overrides, zero-width spaces) from input text on the way
  in: they crash spreadsheet writers, garble terminals, make two ids that
  look the same differ, and are never meaningful in a name.
- :func:`defuse_formula` neutralises spreadsheet formulas in published cells
  (OWASP's CSV injection guidance: a cell starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return is prefixed with ``'``).
- :func:`markdown_text` escapes text for Markdown so no viewer renders input
  text as HTML, links or images.
- :func:`plain_mpl` escapes ``$`` so matplotlib never parses input text as
  mathtext.
- :func:`terminal_text` shows any remaining control character as ``\\xNN``.
"""

from __future__ import annotations

import re
import unicodedata
import numpy as np
import pandas as pd

# ANSI/VT escape sequences (CSI ... final byte, OSC ... BEL/ST, and two-byte ESC x)
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# C0 controls other than tab, line feed and carriage return; DEL; C1 controls; and the invisible
# format characters that make two equal-looking ids differ or reverse how text reads: zero-width
# space, joiners and marks, bidi embeddings, overrides and isolates, word joiner, byte-order mark
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MD_SPECIAL = re.compile(r"([\\`\[\]|])")


def strip_controls(text: str) -> str:
    """``text`` without escape sequences and control characters (a vertical
    tab or form feed becomes a space; tab, line feed and carriage return stay)."""
    text = _ANSI.sub("", text)
    return _CONTROL.sub(lambda m: " " if m.group(0) in "\x0b\x0c" else "", text)


def _clean_value(value):
    if isinstance(value, str):
        return strip_controls(value) if _CONTROL.search(value) else value
    if isinstance(value, dict):
        return {_clean_value(k): _clean_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_clean_value(v) for v in value)
    return value


def _has_control(value) -> bool:
    if isinstance(value, str):
        return _CONTROL.search(value) is not None
    if isinstance(value, dict):
        return any(_has_control(k) or _has_control(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_control(v) for v in value)
    return False


def clean_controls(df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """``df`` with control characters removed from every text cell (also inside
    dicts and lists such as OSM tags, and from the column names), and the
    positions of the rows that had some."""
    columns = {c: strip_controls(c) for c in df.columns if isinstance(c, str) and _CONTROL.search(c)}
    out = df.rename(columns=columns) if columns else df
    touched = np.zeros(len(out), dtype=bool)
    changed = {}
    for col in out.columns:
        if col == "geometry" or not (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
            continue
        values = out[col].to_numpy(dtype=object)
        hit = np.fromiter((_has_control(v) for v in values), dtype=bool, count=len(values))
        if hit.any():
            values = values.copy()
            values[hit] = [_clean_value(v) for v in values[hit]]
            changed[col] = values
            touched |= hit
    if changed:
        out = out.copy()
        for col, values in changed.items():
            out[col] = pd.Series(values, index=out.index, dtype=object)
    return out, np.flatnonzero(touched)


def defuse_formula(value):
    """A text cell a spreadsheet would run as a formula, prefixed with ``'``;
    any other value unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def defuse_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell that starts a formula defused (numbers are untouched)."""
    out = None
    for col in df.columns:
        series = df[col]
        if col == "geometry" or not (series.dtype == object or pd.api.types.is_string_dtype(series)):
            continue
        text = series.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START)).to_numpy(dtype=bool)
        if text.any():
            out = df.copy() if out is None else out
            out[col] = series.astype(object).map(defuse_formula)
    out = df if out is None else out
    renamed = {c: defuse_formula(c) for c in out.columns if isinstance(c, str) and c.startswith(_FORMULA_START)}
    return out.rename(columns=renamed) if renamed else out


def markdown_text(value) -> str:
    """Text shown literally by any Markdown viewer: HTML-significant characters
    as entities, and the characters of links, images, code and table cells
    backslash-escaped; line breaks become spaces."""
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\r", " ").replace("\n", " ")


def plain_mpl(text: str) -> str:
    """``text`` for a matplotlib label: ``$`` escaped so it is never mathtext."""
    return str(text).replace("$", r"\$")


def terminal_text(text: str) -> str:
    """``text`` safe to print: control characters other than line feed and tab as ``\\xNN``."""
    return _ANY_CONTROL.sub(lambda m: m.group(0) if m.group(0) in "\n\t" else f"\\x{ord(m.group(0)):02x}", text)


def fold(text: str) -> str:
    """Accent- and case-insensitive form of a text, for matching Greek words.

    ``'Βόλου' -> 'βολου'``, ``'ΑΔΡΑΝΈΣ' -> 'αδρανεσ'`` (final sigma folded too,
    so a word matches whatever its position or case).
    """
    decomposed = unicodedata.normalize("NFD", str(text).strip().casefold())
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").replace("ς", "σ")
