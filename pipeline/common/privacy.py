"""What may be published: the one place that decides, used by every output
(the run's tables, maps, annex, atlas and fact sheets, and the survey pack).

A column is private when it is always so (:data:`ALWAYS_PRIVATE`, the
surveyors' names) or when the config marks it (``private:`` of a source, see
:func:`pipeline.extract.registry.private_fields`). A private column is
blanked, and its values are taken out of every other text the pipeline
derived from it (ownership evidence, conflicts, reasons, notes, idle
evidence): for each asset, any occurrence of one of its private values, as a
whole word and in any case, becomes :data:`REDACTED`. Identifier columns are
left as they are, since they key the tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeVar

import pandas as pd

#: Columns never published, whatever the config says (personal data of surveyors).
ALWAYS_PRIVATE = ("surveyor",)

#: What a private value becomes inside a derived text.
REDACTED = "(ιδιωτικό / private)"

#: Columns that key tables: never rewritten.
ID_COLUMNS = frozenset({"asset_id", "stop_id", "register_id", "osm_ref", "survey_ids", "parcel_code", "geometry"})

#: How the inventory joins several answers or records in one cell.
_JOINERS = re.compile(r"\s*(?:;|\|)\s*")

Frame = TypeVar("Frame", bound=pd.DataFrame)


@dataclass(frozen=True)
class Privacy:
    """The private columns of a project and, per asset, the private texts
    that must not appear in anything published about it.

    Build it with :meth:`of` from the full inventory (before anything is blanked)."""

    columns: frozenset[str]
    values: dict[str, re.Pattern] = field(default_factory=dict)

    @classmethod
    def of(cls, inventory: pd.DataFrame, private: set[str] | frozenset[str]) -> "Privacy":
        """The privacy of ``inventory`` when the columns ``private`` are kept private."""
        columns = frozenset(private) | frozenset(ALWAYS_PRIVATE)
        present = [c for c in sorted(columns) if c in inventory.columns]
        texts: dict[str, set[str]] = {}
        if present and "asset_id" in inventory.columns:
            ids = inventory["asset_id"].astype(str).to_numpy()
            for col in present:
                for asset, value in zip(ids, inventory[col].to_numpy()):
                    if isinstance(value, str) and value.strip():
                        parts = {value.strip(), *(p for p in _JOINERS.split(value) if p)}
                        texts.setdefault(asset, set()).update(parts)
        values = {asset: _pattern(parts) for asset, parts in texts.items()}
        return cls(columns, values)

    def redact_text(self, asset_id: str, text: object) -> object:
        """``text`` without the private values of ``asset_id`` (other values unchanged)."""
        pattern = self.values.get(str(asset_id))
        if pattern is None or not isinstance(text, str):
            return text
        return pattern.sub(REDACTED, text)

    def frame(self, df: Frame, key: str = "asset_id") -> Frame:
        """A copy of ``df`` fit to publish: private columns blanked (those always
        private dropped), and the private values of each row's asset (by
        ``key``) taken out of its other text columns."""
        out = df.drop(columns=[c for c in ALWAYS_PRIVATE if c in df.columns])
        for col in self.columns & set(out.columns):
            out[col] = None
        if key not in out.columns or not self.values:
            return out
        keys = out[key].astype(str).to_numpy()
        rows = [i for i, k in enumerate(keys) if k in self.values]
        if not rows:
            return out
        for col in out.columns:
            if col in ID_COLUMNS or col == key or not (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
                continue
            values = out[col].to_numpy(dtype=object, copy=True)
            for i in rows:
                values[i] = self.redact_text(keys[i], values[i])
            out[col] = pd.Series(values, index=out.index, dtype=object)
        return out

    def series(self, values: pd.Series, asset_ids: list[str] | pd.Series) -> pd.Series:
        """``values`` (aligned by position with ``asset_ids``) without private values, if they are text."""
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            return values
        out = values.to_numpy(dtype=object, copy=True)
        for i, asset in enumerate(list(asset_ids)):
            out[i] = self.redact_text(asset, out[i])
        return pd.Series(out, index=values.index, dtype=object)


def _pattern(parts: set[str]) -> re.Pattern:
    # longest first, so that a value containing another is taken out whole
    alternatives = "|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


__all__ = ["ALWAYS_PRIVATE", "ID_COLUMNS", "Privacy", "REDACTED"]
