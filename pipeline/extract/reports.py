"""Citizens' reports of idle sites, as moderation left them.

The source is the moderation workbook ``idle-assets reports-moderation``
writes from the report form's export: one row per report with its kind
(``idle`` or ``not_idle``), the asset it names or its location, the
reporter's certainty (hearsay, seen, confirmed), when the site was last in
use, and the moderator's decision (accept or reject, with a reason). Only
accepted reports are read; rejected and undecided ones are counted in the
inputs report and go no further. The workbook holds no reporter's contact:
the moderation step leaves them out, so they reach nothing.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import Field

from ..common import settings
from ..common._text import fold
from ..common.errors import InputError
from ..common.io import read_table
from ..common.schema import Encoding, FilePath, Strict
from ._tables import blank, parse_numbers
from .registry import Source, register_source

#: The moderation workbook's sheet of reports.
SHEET = "reports"
KINDS = ("idle", "not_idle")
CERTAINTY = ("hearsay", "seen", "confirmed")
#: The moderator's decision as the workbook's drop-down offers it, and as typed.
DECISIONS = {"accept": ("δεκτή", "accept", "accepted", "ναι", "yes"), "reject": ("απορρίπτεται", "reject", "rejected", "όχι", "no")}
COLUMNS = ("report_id", "report", "asset_id", "latitude", "longitude", "certainty", "empty_since", "decision", "reason")


class ReportsSource(Strict):
    """Citizens' reports after moderation: the workbook of
    ``idle-assets reports-moderation``, its decision column filled."""

    path: FilePath
    sheet: str | int | None = Field(SHEET, description="the workbook's sheet")
    encoding: Encoding = Field(None, description="CSV text encoding, if saved as CSV")
    attach_distance_m: float = Field(settings.SURVEY_ATTACH_DISTANCE_M, gt=0,
                                     description="a report within this distance of an asset is about it")
    attribution: str | None = None


def decision(value) -> str | None:
    """``accept``, ``reject`` or None for a decision cell (the drop-down's ``Greek / English`` or either word)."""
    if blank(value):
        return None
    words = {fold(w) for w in str(value).split("/")}
    for key, names in DECISIONS.items():
        if words & {fold(n) for n in names}:
            return key
    return "?"


def read_reports(src: ReportsSource, notes: list[dict] | None = None) -> gpd.GeoDataFrame:
    """The accepted reports: ``report_id``, ``report``, ``asset_id``,
    ``certainty``, ``empty_since`` and their point (lon/lat; none when only
    an asset is named).

    Raises
    ------
    InputError
        Naming every row whose decision, kind, certainty or place is wrong.
    """
    what = f"reports {src.path}"
    table = read_table(src.path, what, src.sheet, src.encoding)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise InputError(what, [f"columns {missing} not found: write the workbook with 'idle-assets reports-moderation'"])
    rows = pd.Series(table.index + 2, index=table.index)
    ids = table["report_id"].fillna("").astype(str)
    problems: list[str] = []
    decided = table["decision"].map(decision)
    for row, rid, d, given in zip(rows, ids, decided, table["decision"]):
        if d == "?":
            problems.append(f"row {row} ({rid}): decision {given!r} is neither accept nor reject")
    rejected = decided == "reject"
    for row, rid in zip(rows[rejected & table["reason"].map(blank)], ids[rejected & table["reason"].map(blank)]):
        problems.append(f"row {row} ({rid}): a rejected report needs its reason (kept, never published)")
    accepted = table[decided == "accept"].copy()
    acc_rows, acc_ids = rows[accepted.index], ids[accepted.index]
    for col in ("latitude", "longitude"):
        accepted[col] = parse_numbers(accepted[col], col, acc_ids, acc_rows, problems, ".")  # GPS degrees: a point
    for row, rid, kind, sure, asset, lat in zip(acc_rows, acc_ids, accepted["report"], accepted["certainty"],
                                                 accepted["asset_id"], accepted["latitude"]):
        if kind not in KINDS:
            problems.append(f"row {row} ({rid}): report {kind!r} is not one of {', '.join(KINDS)}")
        if sure not in CERTAINTY:
            problems.append(f"row {row} ({rid}): certainty {sure!r} is not one of {', '.join(CERTAINTY)}")
        if blank(asset) and pd.isna(lat):
            problems.append(f"row {row} ({rid}): neither an asset nor a location: nothing says where")
    if problems:
        raise InputError(what, problems)
    if notes is not None:
        for label, mask in (("not used: rejected by moderation (kept in the workbook, never published)", rejected),
                            ("not used: not moderated yet", decided.isna())):
            if mask.any():
                notes.append({"source": "reports", "action": label, "count": int(mask.sum()), "detail": ""})
    located = (accepted["latitude"].notna() & accepted["longitude"].notna()).to_numpy()
    points = gpd.points_from_xy(accepted["longitude"].where(located), accepted["latitude"].where(located), crs=4326)
    out = pd.DataFrame({"report_id": acc_ids.to_numpy(), "report": accepted["report"].to_numpy(),
                        "asset_id": accepted["asset_id"].where(~accepted["asset_id"].map(blank), None).to_numpy(),
                        "certainty": accepted["certainty"].to_numpy(),
                        "empty_since": accepted["empty_since"].where(~accepted["empty_since"].map(blank), None).to_numpy()})
    return gpd.GeoDataFrame(out, geometry=list(np.where(located, points, None)), crs=settings.WGS84)


register_source(Source("reports", "sources.reports", "citizens' reports",
                       lambda spec, reading: read_reports(spec, reading.notes), model=ReportsSource, needs_area=False))
