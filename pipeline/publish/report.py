"""The inputs report: every source, what was read, repaired, dropped and why."""

from __future__ import annotations

import pandas as pd

from ..common._text import markdown_text as _md_cell


def inputs_report(report: pd.DataFrame, sources: dict[str, str], credits: list[str], title: str) -> str:
    """Markdown text of the inputs report.

    Parameters
    ----------
    report : DataFrame
        Rows of ``source, action, count, detail`` from the transform stage.
    sources : dict
        Source name -> file it was read from.
    """
    lines = [f"# Inputs report: {_md_cell(title)}", "", "## Sources", ""]
    lines += [f"- **{_md_cell(k)}**: {_md_cell(v)}" for k, v in sources.items()]
    corridors = report[report["source"] == "osm corridors"]
    report = report[report["source"] != "osm corridors"]
    lines += ["", "## What happened to the inputs", "", "| source | action | count | detail |", "|---|---|---:|---|"]
    lines += [f"| {_md_cell(r.source)} | {_md_cell(r.action)} | {r.count} | {_md_cell(r.detail)} |" for r in report.itertuples()]
    lines += ["", "## Corridor candidates", "",
              "Abandoned or disused railway lines and yards: not sites, but corridors a plan may reuse "
              "(greenways, cycle paths).", ""]
    lines += [f"- {_md_cell(r.action.removeprefix('corridor candidate: '))}: {_md_cell(r.detail)}"
              for r in corridors.itertuples()] or ["- none in the extract"]
    lines += ["", "## Credits and licences", ""] + [f"- {_md_cell(c)}" for c in credits] + [""]
    return "\n".join(lines)
