"""The previous run's outputs, read back to say what changed, and the
``changes.csv`` written beside the new ones."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from ..common.changes import ATTRIBUTES, RunTables
from ..common.errors import InputError
from ..common.io import write_csv

log = logging.getLogger(__name__)

#: The files of a run that :func:`read_previous` reads.
FILES = ("idle_assets.parquet", "scores.csv", "plan.csv")


def read_previous(folder: Path, required: bool = False) -> RunTables | None:
    """The inventory, scores and plan a run wrote into ``folder``; ``None``
    when it holds no complete run (an :class:`InputError` naming what is
    missing or unreadable when ``required``, i.e. the user named the folder)."""
    folder = Path(folder)
    missing = [f for f in FILES if not (folder / f).is_file()]
    if missing:
        if required:
            raise InputError(f"--compare {folder}", [f"{f}: not found (the folder of an earlier run's tables is "
                                                     "needed)" for f in missing])
        return None
    try:
        available = set(pq.read_schema(folder / "idle_assets.parquet").names)
        wanted = [c for c in ("asset_id", "name", *ATTRIBUTES) if c in available]
        inventory = pd.read_parquet(folder / "idle_assets.parquet", columns=wanted)
        scores = pd.read_csv(folder / "scores.csv", encoding="utf-8-sig",
                             usecols=["asset_id", "use", "eligible", "score", "rank"], dtype={"asset_id": str})
        plan = pd.read_csv(folder / "plan.csv", encoding="utf-8-sig", usecols=["asset_id", "use"], dtype={"asset_id": str})
    except (OSError, ValueError, KeyError) as exc:
        if required:
            raise InputError(f"--compare {folder}", [f"cannot read the earlier run: {exc}"]) from None
        log.warning("the earlier run in %s cannot be read (%s): no changes report", folder, exc)
        return None
    if "asset_id" not in inventory:
        return None
    scores["eligible"] = scores["eligible"].astype(str).str.lower().eq("true")
    return RunTables(inventory, scores, plan)


def write_changes(folder: Path, changes: pd.DataFrame, credits: list[str]) -> Path:
    """``changes.csv`` (empty but for its header when nothing changed or there
    was nothing to compare with), with the credits in an ``attribution`` column."""
    return write_csv(changes.assign(attribution="Data: " + "; ".join(credits)), Path(folder) / "changes.csv")
