"""The support mechanism's dashboard (``maps/implementation.html``), the
ledger's table (``ledger_status.csv``), its figures (a status timeline,
targets against what operates) and the annex's "Υλοποίηση / Implementation"
section; written only for a project with a ledger.

Every text from the ledger (names, notes, evidence) is escaped into the
page and kept out of matplotlib's mathtext (:func:`plain_mpl`).
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from ..common._text import plain_mpl
from ..common.io import write_csv, write_text
from ..common.settings import STUCK_YEARS
from ._bilingual import Bi
from ..ledger.model import EXIT_REASONS, STATUSES, TENURES
from ..ledger.progress import Progress
from ._canvas import offscreen_figure
from .figures import DPI, save_figure
from .view import Folders, Published

#: A colour-blind-safe qualitative palette (Okabe and Ito), one colour per status.
PALETTE = ("#999999", "#56B4E9", "#0072B2", "#009E73", "#F0E442", "#E69F00", "#D55E00", "#CC79A7", "#117733",
           "#000000", "#882255")
COLOURS = dict(zip(STATUSES, PALETTE))


def status_label(status: str) -> str:
    el, en = STATUSES.get(status, (status, status))
    return f"{el} / {en}"


def ledger_table(progress: Progress, use_names: dict[str, str] | None = None) -> pd.DataFrame:
    """Each asset's place on its path, for ``ledger_status.csv`` and the dashboard
    (``use_names``: a use's name for its code)."""
    current = progress.current
    return pd.DataFrame({
        "asset_id": current["ledger_id"], "name": current["name"].fillna(""),
        "status": current["status"], "status_el": current["status"].map(lambda s: STATUSES[s][0]),
        "status_en": current["status"].map(lambda s: STATUSES[s][1]), "since": current["since"],
        "days_in_status": current["days"], "first_added": current["first_added"],
        "years_listed": current["years_listed"], "stuck": current["stuck"].map({True: "yes", False: ""}),
        "planned_use": current["use"].map(lambda u: (use_names or {}).get(u, u)).fillna(""),
        "previously_part_of": current["previously_part_of"].fillna(""),
    })


def history_rows(progress: Progress, asset_id: str, events: pd.DataFrame | None = None) -> list[tuple[str, str, str]]:
    """An asset's events as (date, step, detail) texts, oldest first
    (``events``: its rows of ``progress.history``, when the caller has them)."""
    events = progress.history[progress.history["ledger_id"] == asset_id] if events is None else events
    rows = []
    for e in events.itertuples():
        detail = [str(v) for v in (getattr(e, "evidence", None), getattr(e, "note", None)) if isinstance(v, str) and v]
        tenure = getattr(e, "tenure", None)
        if isinstance(tenure, str) and tenure in TENURES:
            term = getattr(e, "term_years", None)
            detail.insert(0, f"{TENURES[tenure][0]} / {TENURES[tenure][1]}" + (f", {term:g} έτη / years" if pd.notna(term) else ""))
        reason = getattr(e, "reason", None)
        if isinstance(reason, str) and reason in EXIT_REASONS:
            detail.insert(0, " / ".join(EXIT_REASONS[reason]))
        rows.append((str(e.date), status_label(str(e.status)), "; ".join(detail)))
    return rows


def timeline_figure(progress: Progress, credits: list[str], stem: Path) -> list[Path]:
    """Assets per status month by month, stacked."""
    fig = offscreen_figure((8, 4.6), DPI)
    ax = fig.add_axes((0.08, 0.36, 0.9, 0.56))
    data = progress.timeline
    if len(data):
        ax.stackplot(data.index, *[data[s] for s in data.columns], colors=[COLOURS[s] for s in data.columns],
                     labels=[plain_mpl(status_label(s)) for s in data.columns], step="post")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), fontsize=6, frameon=False, ncol=3)
    ax.set_ylabel("ακίνητα / assets")
    ax.set_title("Πορεία των ακινήτων / The assets' path", fontsize=10)
    fig.text(0.01, 0.01, plain_mpl("Data: " + "; ".join(credits)), fontsize=5, color="#444444", wrap=True)
    return save_figure(fig, stem)


def targets_figure(progress: Progress, credits: list[str], stem: Path) -> list[Path]:
    """Each target (sites or kWp) as a share of itself: what the plan assigns, what operates."""
    targets = progress.targets
    fig = offscreen_figure((8, 1.2 + 0.5 * max(len(targets), 1)), DPI)
    ax = fig.add_subplot()
    if len(targets):
        y = range(len(targets))
        goal = targets["target_value"].astype(float).where(lambda v: v > 0)
        for offset, column, colour, label in ((-0.17, "planned", "#56B4E9", "στο σχέδιο / planned"),
                                              (0.17, "operating", "#009E73", "σε λειτουργία / operating")):
            share = (100 * targets[column].astype(float) / goal).fillna(0)
            ax.barh([i + offset for i in y], share, height=0.32, color=colour, label=label)
        ax.axvline(100, color="#444444", linewidth=1, linestyle="--", label="στόχος / target")
        ax.set_yticks(list(y), [plain_mpl(f"{t} ({u})") for t, u in
                                zip(targets["target"], targets["unit"])], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("% του στόχου / % of the target", fontsize=7)
        ax.legend(fontsize=6, frameon=False, loc="lower right")
    ax.set_title("Στόχοι και λειτουργία / Targets and what operates", fontsize=10)
    fig.text(0.01, 0.01, plain_mpl("Data: " + "; ".join(credits)), fontsize=5, color="#444444", wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return save_figure(fig, stem)


def _table(frame: pd.DataFrame, headers: dict[str, str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers.values())
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in row) + "</tr>"
                   for row in frame[list(headers)].itertuples(index=False))
    return f"<div class='scroll'><table><tr>{head}</tr>{body}</table></div>"


def _summary(progress: Progress) -> str:
    counts = progress.counts[progress.counts["assets"] > 0]
    tiles = "".join(f"<div class='tile' style='border-color:{COLOURS[r.status]}'><b>{r.assets}</b>"
                    f"<span>{html.escape(r.label_el)}<br><i>{html.escape(r.label_en)}</i></span></div>"
                    for r in counts.itertuples())
    return f"<div class='tiles'>{tiles}</div>"


CSS = ("body{font:14px/1.45 sans-serif;margin:0 auto;max-width:1100px;padding:0 12px}"
       "h1{font-size:1.3em}h2{font-size:1.1em;border-bottom:2px solid #0072B2;margin-top:1.6em}"
       ".tiles{display:flex;flex-wrap:wrap;gap:8px}.tile{border-left:6px solid;padding:6px 10px;background:#f4f6f8;"
       "min-width:120px}.tile b{font-size:1.6em;display:block}.scroll{overflow-x:auto}"
       "table{border-collapse:collapse;font-size:12px;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;"
       "text-align:left;vertical-align:top}th{background:#dde7f0}.figure svg{max-width:100%;height:auto}"
       ".stuck td{background:#fde7dd}.credits{font-size:11px;color:#555}")


def dashboard_html(view: Published, figures: dict[str, str]) -> str:
    """The dashboard page: tiles per status, stuck sites, targets, time per step, exits, every asset."""
    progress = view.progress
    assert progress is not None
    table = ledger_table(progress, {p.name: f"{p.label.el} / {p.label.en}" for p in view.profiles})
    stuck = table[table["stuck"] == "yes"].sort_values("years_listed", ascending=False)
    durations = progress.durations.assign(step=progress.durations["status"].map(status_label))
    title = html.escape(view.title)
    parts = [
        f"<h1>{title}: υλοποίηση του σχεδίου / the plan's implementation</h1>",
        f"<p>Κατάσταση στις {html.escape(progress.as_of)}: {len(table)} ακίνητα στο μητρώο. / As of "
        f"{html.escape(progress.as_of)}: {len(table)} assets in the register.</p>", _summary(progress),
        f"<h2>Στάσιμα (πάνω από {STUCK_YEARS:g} έτη) / Stuck (more than {STUCK_YEARS:g} years)</h2>",
        _table(stuck, {"asset_id": "ακίνητο / asset", "name": "όνομα / name", "status_el": "κατάσταση / status",
                       "years_listed": "έτη / years", "since": "από / since"}) if len(stuck) else
        "<p>Κανένα. / None.</p>",
        "<h2>Στόχοι και λειτουργία / Targets and what operates</h2>",
        _table(progress.targets, {"target": "στόχος / target", "unit": "μονάδα / unit", "target_value": "τιμή / value",
                                  "planned": "στο σχέδιο / planned", "operating": "σε λειτουργία / operating",
                                  "jobs_operating": "θέσεις εργασίας / jobs"}) if len(progress.targets) else
        "<p>Το σχέδιο δεν ορίζει στόχους. / The plan sets no targets.</p>",
        figures.get("targets", ""),
        "<h2>Πορεία / The path over time</h2>", figures.get("timeline", ""),
        "<h2>Χρόνος ανά βήμα / Time in each step</h2>",
        _table(durations, {"step": "βήμα / step", "spells": "φορές / times", "median_days": "διάμεση (ημέρες) / median (days)",
                           "now": "τώρα / now"}),
        "<h2>Έξοδοι από το μητρώο / Exits</h2>",
        _table(progress.exits, {"reason": "λόγος / reason", "sites": "ακίνητα / sites", "area_m2": "m²"})
        if len(progress.exits) else "<p>Καμία. / None.</p>",
        "<h2>Όλα τα ακίνητα / Every asset</h2>",
        _table(table, {"asset_id": "ακίνητο / asset", "name": "όνομα / name", "status_el": "κατάσταση",
                       "status_en": "status", "since": "από / since", "days_in_status": "ημέρες / days",
                       "planned_use": "χρήση στο σχέδιο / planned use", "previously_part_of": "προέρχεται από / from"}),
        f"<p class='credits'>{html.escape('Δεδομένα / Data: ' + '; '.join(view.credits))}</p>",
    ]
    return ("<!DOCTYPE html><html lang='el'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title}: υλοποίηση / implementation</title><style>{CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


def implementation_output(view: Published, folders: Folders) -> list[Path]:
    """The dashboard, its figures and ``ledger_status.csv`` (nothing without a ledger)."""
    if view.progress is None:
        return []
    credits = list(view.credits)
    figures_dir = folders.tables / "figures"
    written = timeline_figure(view.progress, credits, figures_dir / "status_timeline")
    written += targets_figure(view.progress, credits, figures_dir / "targets_operating")
    # the figures go into the page itself: it opens alone, on a phone, wherever the folders end up
    pictures = {key: _inline_svg(figures_dir / f"{stem}.svg") for key, stem in
                (("timeline", "status_timeline"), ("targets", "targets_operating"))}
    written.append(write_text(dashboard_html(view, pictures), folders.maps / "implementation.html"))
    written.append(write_csv(ledger_table(view.progress).assign(attribution="; ".join(credits)),
                             folders.tables / "ledger_status.csv"))
    return written


def _inline_svg(path: Path) -> str:
    """An SVG file matplotlib wrote, as an element of an HTML page (its XML prologue left out)."""
    text = path.read_text(encoding="utf-8")
    return "<div class='figure'>" + text[text.index("<svg"):] + "</div>"


def implementation_section(progress: Progress) -> tuple[Bi, Bi, pd.DataFrame]:
    """The annex's section: counts per step, then the targets against what operates."""
    counts = progress.counts[progress.counts["assets"] > 0]
    stuck = int(progress.current["stuck"].sum())
    years = f"{STUCK_YEARS:g}"
    text = Bi(f"Ο φάκελος υλοποίησης στις {progress.as_of}: {len(progress.current)} ακίνητα, {stuck} στάσιμα πάνω από "
              f"{years.replace('.', ',')} έτη. "
              + "· ".join(f"{t.target}: {t.operating:g} {t.unit} σε λειτουργία (στόχος {t.target_value:g})"
                          for t in progress.targets.itertuples()),
              f"The implementation ledger as of {progress.as_of}: {len(progress.current)} assets, {stuck} stuck for "
              f"more than {years} years. "
              + "; ".join(f"{t.target}: {t.operating:g} {t.unit} operating ({t.target_value:g} target)"
                          for t in progress.targets.itertuples()))
    table = pd.DataFrame({Bi("βήμα", "step"): [Bi(r.label_el, r.label_en) for r in counts.itertuples()],
                          Bi("ακίνητα", "assets"): counts["assets"].astype(str).to_numpy()})
    return Bi("Υλοποίηση", "Implementation"), text, table
