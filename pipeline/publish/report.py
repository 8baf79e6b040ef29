"""The inputs report: every source, what was read, repaired, dropped and why."""

from __future__ import annotations

import pandas as pd


def _md_cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def inputs_report(report: pd.DataFrame, sources: dict[str, str], credits: list[str], title: str) -> str:
    """Markdown text of the inputs report.

    Parameters
    ----------
    report : DataFrame
        Rows of ``source, action, count, detail`` from the transform stage.
    sources : dict
        Source name -> file it was read from.
    """
    lines = [f"# Inputs report: {title}", "", "## Sources", ""]
    lines += [f"- **{k}**: `{v}`" for k, v in sources.items()]
    lines += ["", "## What happened to the inputs", "", "| source | action | count | detail |", "|---|---|---:|---|"]
    lines += [f"| {_md_cell(r.source)} | {_md_cell(r.action)} | {r.count} | {_md_cell(r.detail)} |" for r in report.itertuples()]
    lines += ["", "## Credits and licences", ""] + [f"- {c}" for c in credits] + [""]
    return "\n".join(lines)
