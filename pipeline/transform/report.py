"""The run's record of what happened to the inputs."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Report:
    """One row per source and action: read, repaired, skipped, dropped, attached."""

    rows: list[dict] = field(default_factory=list)

    def add(self, source: str, action: str, count: int, detail: str = "") -> None:
        self.rows.append({"source": source, "action": action, "count": int(count), "detail": detail})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["source", "action", "count", "detail"])


def rows_detail(frame: pd.DataFrame, id_col: str, extra: str | None = None, limit: int = 30) -> str:
    """``"row 3 (R1), row 7 (R9: way/5)"`` for the report, at most ``limit`` entries."""
    parts = []
    for rec in frame.head(limit).itertuples(index=False):
        rec = rec._asdict()
        more = f": {rec[extra]}" if extra else ""
        parts.append(f"row {rec['row']} ({rec[id_col]}{more})")
    return ", ".join(parts) + (f" … and {len(frame) - limit} more" if len(frame) > limit else "")
