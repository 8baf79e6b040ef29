"""Asset fact sheets for workshops: one A4 page per asset, in Greek and English.

Each sheet has a static map of the asset and its surroundings (buildings,
roads, land use; scale bar and north arrow), the facts and evidence,
ownership and confidence, the score and reason for every use, what the plan
gives it (use, impact, candidate organisations) and the survey's photo
references. ``factsheets/<asset>.html`` is one sheet; ``atlas.html`` and
``atlas.pdf`` hold every sheet after a contents page. Every text from the
inputs is escaped; the map is an SVG drawn from geometry only.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import logging
import re
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure
from matplotlib_scalebar.scalebar import ScaleBar

from ..common.i18n import (active_use_text, conflicts_text, evidence_text, fmt_value, idle_evidence_text, legal_form_name,
                           sources_text, t)
from ..common._progress import steps
from ..common.io import write_text
from ..ledger.progress import Progress
from ..common.settings import PARTNER_WALK_M
from ..participation.links import asset_links, qr_svg
from .implementation import history_rows
from .view import Published
from ..common.pdf import write_pdf_sections
from ._svgmap import site_map_svg, svg_image
from .mapdata import plan_figures
from ._bilingual import Bi, html_text


#: Ground shown around an asset on its map, beyond its own extent (m).
SURROUNDINGS_M = 120.0

log = logging.getLogger(__name__)

CSS = ("body{font:11px/1.4 sans-serif;margin:0}.sheet{max-width:180mm;margin:0 auto;padding:8mm 0;"
       "page-break-after:always}h1{font-size:17px;margin:0 0 2px}h2{font-size:13px;margin:10px 0 3px;"
       "border-bottom:1.5px solid #1a9641}.sub{color:#444;margin:0 0 6px}.map img{width:100%;height:auto;object-fit:contain;"
       "max-height:95mm}table{border-collapse:collapse;width:100%;font-size:10px;table-layout:fixed}td,th{border:1px solid #ccc;"
       "padding:2px 4px;vertical-align:top;text-align:left;overflow-wrap:anywhere}th{background:#eef3f7;width:30%}"
       ".credits{font-size:8px;color:#555;margin-top:6px}.excluded{font-size:9px;color:#555;margin:4px 0}.toc td{border:none;border-bottom:1px dotted #bbb}"
       ".links{display:flex;gap:12mm}.qr{font-size:9px;text-align:center}.qr svg{width:24mm;height:24mm}")
PRINT_CSS = ("@page{size:A4;margin:9mm}body{font-size:9px}.sheet{padding:0;max-width:none}h1{font-size:14px}"
             "h2{font-size:11px;margin:4px 0 1px}.map img{max-height:50mm}table{font-size:7.5px}td,th{padding:1px 3px}th{width:24%}"
             ".excluded{font-size:7px}.credits{font-size:6.5px;margin-top:3px}")


def sheet_order(inventory: pd.DataFrame, plan: pd.DataFrame | None) -> list[str]:
    """Every asset id in atlas order: planned assets by score, then the others
    by their best score, then those eligible for no use."""
    planned = list(dict.fromkeys(plan.sort_values("score", ascending=False)["asset_id"])) if plan is not None and len(plan) else []
    rest = inventory[~inventory["asset_id"].isin(planned)].sort_values(["best_score", "asset_id"],
                                                                       ascending=[False, True], na_position="last")
    return planned + rest["asset_id"].tolist()


#: Characters of an asset's file name before ``.html``: Greek letters take two
#: bytes each, and file systems allow 255 bytes.
MAX_STEM = 80


def file_name(asset_id: str) -> str:
    """A file name for an asset id, unique per id: letters, digits, ``-`` and
    ``_`` kept; where others were replaced or the id was cut to
    :data:`MAX_STEM`, a hash of the whole id follows (``a/b`` and ``a_b``
    get two files)."""
    text = unicodedata.normalize("NFC", str(asset_id))
    stem = re.sub(r"[^\w-]", "_", text)
    if stem != text or len(stem) > MAX_STEM:
        stem = f"{stem[:MAX_STEM - 9]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    return stem + ".html"


def asset_map(geom, context, others: np.ndarray) -> str:
    """A map of ``geom`` and what lies around it (project CRS, metres), as an
    ``<img>`` holding an SVG drawn from the geometries (:mod:`._svgmap`)."""
    return svg_image(site_map_svg(geom, context, others, SURROUNDINGS_M), "map / χάρτης")


def map_image(fig: Figure, ax, bounds, alt: str) -> str:
    """Finish a map drawn in metres on ``ax`` (framed to ``bounds``, with a
    scale bar) and return it as an ``<img>`` holding the PNG."""
    x0, y0, x1, y1 = bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.add_artist(ScaleBar(1, units="m", location="lower left", box_alpha=0.8, font_properties={"size": 8}))
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None}, pil_kwargs={"compress_level": 6})
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{base64.b64encode(out.getvalue()).decode('ascii')}'>"


def _title(a) -> str:
    """What a sheet calls its asset: its label (name, or what it is and its street), else its id."""
    for text in (getattr(a, "label", None), getattr(a, "name", None)):
        if isinstance(text, str) and text:
            return text
    return str(a.asset_id)


def _rows(pairs: list[tuple["Bi | str", str]]) -> str:
    return "".join(f"<tr><th>{html_text(k)}</th><td>{v}</td></tr>" for k, v in pairs if v)


def _both(key: str) -> Bi:
    return Bi(t("el", key), t("en", key))


def _bi(el, en) -> str:
    """Greek and English side by side, each marked with its language (nothing when both are missing)."""
    el, en = (v if isinstance(v, str) else "" for v in (el, en))
    return html_text(Bi(el, en)) if el or en else ""


def _photos(text) -> str:
    refs = [r.strip() for r in str(text or "").split(";") if r.strip()]
    return "<br>".join(f'<a href="{html.escape(r)}">{html.escape(r)}</a>' if re.match(r"https?://", r, re.I)
                       else html.escape(r) for r in refs)


def _facts(a) -> str:
    e = lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else html.escape(str(v))  # noqa: E731
    strength = lambda lang: f" ({t(lang, a.evidence_strength)})" if isinstance(a.evidence_strength, str) else ""  # noqa: E731
    owner = lambda lang: f"{t(lang, a.ownership)}: {evidence_text(a.ownership_evidence, lang)}"  # noqa: E731
    survey = lambda lang: " / ".join(fmt_value(v, "", lang, f) for v, f in ((a.condition, "condition"),  # noqa: E731
                                     (a.occupancy, "occupancy")) if isinstance(v, str))
    return _rows([
        (Bi("Κωδικός", "Id"), e(a.asset_id)),
        (_both("kind"), _bi(t("el", a.kind), t("en", a.kind))),
        (_both("area"), _bi(fmt_value(a.area_m2, "m²", "el"), fmt_value(a.area_m2, "m²"))),
        (_both("sources"), _bi(sources_text(a.sources, "el"), sources_text(a.sources, "en"))),
        (_both("evidence"), _bi(idle_evidence_text(a.idle_evidence, "el") + strength("el"),
                                idle_evidence_text(a.idle_evidence, "en") + strength("en"))),
        (_both("ownership"), _bi(owner("el"), owner("en"))),
        (_both("confidence"), _bi(t("el", a.confidence), t("en", a.confidence))),
        (_both("conflicts"), _bi(conflicts_text(a.conflicts, "el"), conflicts_text(a.conflicts, "en"))),
        (_both("active_use"), _bi(active_use_text(a.active_use, "el"), active_use_text(a.active_use, "en"))),
        (Bi("ΚΑΕΚ", "Parcel"), e(a.parcel_code)),
        (Bi("Αυτοψία", "Survey"), _bi(survey("el"), survey("en"))),
        (Bi("Σημειώσεις αυτοψίας", "Survey notes"), e(a.survey_notes)),
        (_both("photos"), _photos(a.photos)),
    ])


def _name(names: dict[str, Bi], use: str) -> str:
    return html_text(names.get(use, use))


def _uses(scores: pd.DataFrame, names: dict[str, Bi]) -> str:
    """The uses the asset is eligible for, best first, with their reasons;
    then, in one block, the uses it is excluded from and why (``scores``: the asset's rows)."""
    # plain lists: a sheet has a few rows, and pandas' sorting and masks cost more than the rows themselves
    records = list(zip(*(scores[c].tolist() for c in ("use", "score", "eligible", "reason_el", "reason_en"))))
    known = [r for r in records if r[1] == r[1]]  # best first, ties in table order, unknown scores last (as pandas sorts)
    mine = sorted(known, key=lambda r: -r[1]) + [r for r in records if r[1] != r[1]]
    rows = [f"<tr><td>{_name(names, use)}</td><td>{value:.0f}/100</td><td>{_two(str(el), str(en))}</td></tr>"
            for use, value, eligible, el, en in mine if eligible]
    table = ("<table><tr><th>χρήση / <span lang='en'>use</span></th><th style='width:10%'>βαθμός / <span lang='en'>score</span>"
             "</th><th style='width:60%'>αιτιολόγηση / <span lang='en'>reason</span></th></tr>" + "".join(rows) + "</table>"
             ) if rows else ""
    excluded = " · ".join(f"<b>{_name(names, use)}</b>: {html.escape(str(el))} / <i lang='en'>{html.escape(str(en))}</i>"
                          for use, _, eligible, el, en in mine if not eligible)
    return table + (f"<p class='excluded'>{excluded}</p>" if excluded else "")


def _two(el: str, en: str) -> str:
    """Greek, and the English below it in italics (marked as English)."""
    return f"{html.escape(el)}<br><i lang='en'>{html.escape(en)}</i>"


def _route(r, legal) -> "list[tuple[Bi | str, str]]":
    """The plan row's legal route (instrument, body and law, in one row so the
    sheet stays one page) with its sources' addresses, and the conditions the
    interested organisations do not meet; the documents and the sources'
    titles are in the annex and legal_routes.csv."""
    if legal is None or not isinstance(r.get("legal_rule"), str):
        return []
    rule = next(x for x in legal.rules if x.id == r["legal_rule"])
    where = [f"<a href='{html.escape(s.url)}'>{html.escape(key)}</a>" if s.url else html.escape(key)
             for key in rule.sources if (s := legal.sources.get(key)) is not None]
    rows: list[tuple[Bi | str, str]] = [
        (Bi("Νομική οδός", "Legal route"), f"{html.escape(rule.instrument.el)} — {html.escape(rule.body.el)} "
         f"({html.escape(rule.law.el)}· πηγές: {', '.join(where)})<br><i lang='en'>"
         f"{html.escape(rule.instrument.en)} — {html.escape(rule.body.en)}</i>")]
    if isinstance(r.get("legal_warning_el"), str):
        rows.append((Bi("Προσοχή", "Check"), _two(r["legal_warning_el"], r["legal_warning_en"])))
    return rows


def _plan(mine: pd.DataFrame, names: dict[str, Bi], legal=None) -> str:
    """What the plan gives the asset (``mine``: its rows of the plan)."""
    if mine.empty:
        return ("<p>Δεν ανατίθεται σε χρήση από το σχέδιο. / <span lang='en'>Not assigned a use by the plan.</span></p>")
    parts = []
    for _, r in mine.iterrows():
        codes = r["candidate_legal_forms"] if isinstance(r["candidate_legal_forms"], str) else ""
        forms = ", ".join(legal_form_name(c, "el", True) for c in codes.split(";") if c)
        orgs = {lang: r.get(f"candidate_organisations_{lang}") if isinstance(r.get(f"candidate_organisations_{lang}"), str)
                else t(lang, "no_candidates") for lang in ("el", "en")}
        parts.append(_rows([
            (Bi("Χρήση", "Use"), _name(names, r["use"]) + f" ({r['score']:.0f}/100)"),
            (Bi("Αποτύπωμα", "Impact"), _two(plan_figures(r, "el"), plan_figures(r, "en"))),
            (Bi("Υποψήφιοι φορείς", "Candidates"), _bi(orgs["el"], orgs["en"])),
            # the candidates name their forms; the forms' laws are shown here only when no route says the law
            (Bi("Νομικές μορφές", "Legal forms"), "" if legal is not None else html.escape(forms)),
            (Bi("Σημείωση", "Note"), _bi(r.get("note_el"), r.get("note_en"))),
            *_route(r, legal),
        ]))
    return "<table>" + "".join(parts) + "</table>"


def _interest(mine: pd.DataFrame, names: dict[str, Bi]) -> str:
    """Who asked for the asset in the open call, for what uses (nothing when no
    one did; ``mine``: its rows of the interest register)."""
    if mine.empty:
        return ""
    rows = "".join(f"<tr><td>{html.escape(str(r.organisation))}</td>"
                   f"<td>{html.escape(legal_form_name(r.legal_form, 'el') if r.legal_form else '')}</td>"
                   f"<td>{', '.join(_name(names, u) for u in str(r.uses or '').split(';') if u)}</td></tr>"
                   for r in mine.itertuples())
    return (f"<h2>{_bi('Ενδιαφέρον φορέων', 'Interest from organisations')}</h2><table><tr><th>{_bi('φορέας', 'organisation')}</th>"
            f"<th>{_bi('νομική μορφή', 'legal form')}</th><th>{_bi('χρήσεις', 'uses')}</th></tr>{rows}</table>")


def _links(asset_id: str, config) -> str:
    """Links to the deployed forms with the asset pre-filled, each with its QR code (nothing when none is deployed)."""
    links = asset_links(getattr(config, "participation", None), asset_id)
    if not links:
        return ""
    cells = "".join(f"<div class='qr'>{qr_svg(url)}<br><a href='{html.escape(url)}'>{_bi(el, en)}</a></div>"
                    for (el, en), url in links)
    return f"<h2>{_bi('Συμμετοχή', 'Take part')}</h2><div class='links'>{cells}</div>"


def _partners(partners: pd.DataFrame, shown: int = 6) -> str:
    """Facilities and organisations within walking distance, nearest first, in
    one paragraph so the sheet stays one page (all of them are in partners.csv;
    ``partners``: the asset's rows)."""
    if partners.empty:
        return ""
    mine = partners.sort_values("distance_m", kind="stable")
    items = [f"{html.escape(str(partner))} ({html.escape(kind)}, {html.escape(fmt_value(distance, 'm', 'el'))})"
             for partner, kind, distance in zip(*(mine[c].head(shown).tolist() for c in ("partner", "kind_el", "distance_m")))]
    more = f" · +{len(mine) - shown} (partners.csv)" if len(mine) > shown else ""
    return (f"<h2>{_bi(f'Εταίροι κοντά (έως {PARTNER_WALK_M:g} m)', 'Partners within walking distance')}</h2>"
            f"<p class='partners'>{' · '.join(items)}{more}</p>")


def _path(asset_id: str, progress: Progress | None, events: pd.DataFrame | None = None) -> str:
    """The asset's steps in the plan's ledger (nothing without a ledger;
    ``events``: its rows of the ledger's history, when the caller has them)."""
    if progress is None:
        return ""
    rows = history_rows(progress, asset_id, events)
    if not rows:
        return ""
    shown = 6  # the latest steps: the sheet stays one page; all of them are in the ledger
    earlier = (f"<tr><td colspan='3'>… {len(rows) - shown} {_bi('προηγούμενα βήματα', 'earlier steps')} "
               "(idle-assets status)</td></tr>") if len(rows) > shown else ""
    body = earlier + "".join(f"<tr><td>{html.escape(d)}</td><td>{_split(s)}</td><td>{_split(x)}</td></tr>"
                             for d, s, x in rows[-shown:])
    return (f"<h2>{_bi('Πορεία', 'Path')}</h2><table><tr><th>{_bi('ημερομηνία', 'date')}</th><th>{_bi('βήμα', 'step')}</th>"
            f"<th>{_bi('τεκμήριο', 'evidence')}</th></tr>{body}</table>")


def _split(text: str) -> str:
    """A ``Greek / English`` text of the ledger's labels with its English side marked."""
    el, sep, en = text.partition(" / ")
    return _bi(el, en) if sep and not any(c.isalpha() and c.isascii() for c in el) else html.escape(text)


class AssetRows:
    """Each asset's rows of the view's per-asset tables (scores, plan, interest,
    partners, and the ledger's history), grouped once: a sheet per asset
    picking its rows out of the whole tables would cost the square of the inventory."""

    def __init__(self, view: Published):
        self._groups = {name: self._grouped(getattr(view, name), "asset_id")
                        for name in ("scores", "plan", "interest", "partners")}
        self._groups["history"] = self._grouped(view.progress.history if view.progress is not None else None, "ledger_id")

    @staticmethod
    def _grouped(frame: pd.DataFrame | None, key: str) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        if frame is None or key not in frame.columns:
            return pd.DataFrame(columns=[key]), {}
        return frame.iloc[:0], {str(k): g for k, g in frame.groupby(key, sort=False)}

    def of(self, table: str, asset_id) -> pd.DataFrame:
        """``table``'s rows of ``asset_id``, in the table's order (none: an empty frame with its columns)."""
        empty, groups = self._groups[table]
        return groups.get(str(asset_id), empty)


def sheet_html(a, picture: str, view: Published, names: dict[str, Bi], rows: AssetRows | None = None) -> str:
    """One asset's sheet (a ``<section>``): facts, suitability, plan, the open
    call's interest and, with the plan's ledger, its path. ``rows``: the
    view's :class:`AssetRows`, when the caller writes many sheets."""
    rows = rows if rows is not None else AssetRows(view)
    credits, title = list(view.credits), view.title
    name = _title(a)
    return (f"<section class='sheet' id='{html.escape(file_name(a.asset_id)[:-5])}'>"
            f"<h1>{html.escape(str(name))}</h1><p class='sub'>{html.escape(title)} · {html.escape(str(a.asset_id))}</p>"
            f"<div class='map'>{picture}</div>"
            f"<h2>{_bi('Στοιχεία', 'Facts')}</h2><table>{_facts(a)}</table>"
            f"<h2>{_bi('Καταλληλότητα ανά χρήση', 'Suitability per use')}</h2>{_uses(rows.of('scores', a.asset_id), names)}"
            f"<h2>{_bi('Σχέδιο', 'Plan')}</h2>{_plan(rows.of('plan', a.asset_id), names, view.legal)}"
            f"{_interest(rows.of('interest', a.asset_id), names)}"
            f"{_partners(rows.of('partners', a.asset_id))}"
            f"{_path(str(a.asset_id), view.progress, rows.of('history', a.asset_id))}"
            f"{_links(str(a.asset_id), view.config)}"
            f"{_credits(credits)}</section>")


def _credits(credits: list[str]) -> str:
    """The sources as their licences ask, word for word (so marked as English)."""
    return (f"<p class='credits'>{_bi('Δεδομένα', 'Data')}: <span lang='en'>{html.escape('; '.join(credits))}</span></p>")


def _head(title: str) -> str:
    return (f"<!DOCTYPE html><html lang='el'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>")


_TAIL = "</body></html>\n"


def _page(title: str, body: str) -> str:
    return _head(title) + body + _TAIL


def write_factsheets(view: Published, folder: Path) -> list[Path]:
    """``factsheets/<asset>.html`` for each asset of the view in
    :func:`sheet_order`, and ``atlas.html`` (contents page, then every sheet)
    with ``atlas.pdf`` when the view's options ask for PDFs and WeasyPrint is
    available, into ``folder``. Returns the files written."""
    inventory, plan, profiles = view.inventory, view.plan, list(view.profiles)
    context, credits, title, pdf = view.context, list(view.credits), view.title, view.options.pdf
    folder = Path(folder)
    names = {p.name: Bi(p.label.el, p.label.en) for p in profiles}
    order = sheet_order(inventory, plan)
    by_id = inventory.set_index("asset_id", drop=False)
    geoms = inventory.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    written, sheets, contents = [], [], []
    position = {a: i for i, a in enumerate(inventory["asset_id"])}
    rows = AssetRows(view)
    for k, asset_id in enumerate(steps(order, len(order), "fact sheets", log, "sheet"), start=1):
        a = SimpleNamespace(**by_id.loc[asset_id].to_dict())  # attribute access without a Series' own .name
        near = tree.query(shapely.buffer(a.geometry, SURROUNDINGS_M * 2), predicate="intersects")
        others = geoms[near[near != position[asset_id]]]
        sheet = sheet_html(a, asset_map(a.geometry, context, others), view, names, rows)
        sheets.append(sheet)
        written.append(write_text(_page(f"{title}: {asset_id}", sheet), folder / "factsheets" / file_name(asset_id)))
        label = _title(a)
        use = ", ".join(_name(names, u) for u in rows.of("plan", asset_id).get("use", []))
        contents.append(f"<tr><td>{k}</td><td><a href='#{html.escape(file_name(asset_id)[:-5])}'>{html.escape(str(label))}"
                        f"</a></td><td>{html.escape(str(asset_id))}</td><td>{use}</td></tr>")
    toc = (f"<section class='sheet toc'><h1>{html.escape(title)}</h1><p class='sub'>"
           f"{_bi(f'Άτλαντας αδρανών ακινήτων: {len(order)}', f'Atlas of the idle assets: {len(order)}')}</p>"
           f"<table><tr><th style='width:6%'>#</th><th>{_bi('ακίνητο', 'asset')}</th>"
           f"<th>{_bi('κωδικός', 'id')}</th><th>{_bi('σχέδιο', 'plan')}</th></tr>{''.join(contents)}</table>"
           f"{_credits(credits)}</section>")
    head = _head(f"{title}: atlas")
    written.append(write_text(head + toc + "".join(sheets) + _TAIL, folder / "atlas.html"))
    if pdf:  # a sheet per page: printed in parts on every core, joined with its links
        printed = write_pdf_sections(head, [toc, *sheets], _TAIL, folder / "atlas.pdf", PRINT_CSS)
        written += [printed] if printed else []
    return written
