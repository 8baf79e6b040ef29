"""The printed workshop pack: numbered map sheets (A3 landscape), one card per
asset (four A6 cards to an A4 page) and a dot-voting sheet (A3 landscape),
as HTML and, with WeasyPrint, one PDF; and ``numbers.csv``, each number's
asset, for whoever transcribes the dots.

The map sheets are a series at one scale (:data:`SCALE`): the cells of a grid
over the assets, each the ground an A3 sheet shows at that scale, those
holding no asset left out; an overview shows the whole area, every number and
the sheets. Assets are numbered sheet by sheet, north to south, then west to
east, so numbers near each other on a sheet are near each other on the ground.
Every text from the inputs is escaped in HTML; maps carry numbers only.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..common._progress import steps
from ..common.i18n import fmt_value, t
from ..common.io import write_csv, write_text
from ._canvas import offscreen_figure
from ..common.pdf import write_pdf
from .factsheets import asset_map, map_image

log = logging.getLogger(__name__)

#: The map sheets' scale (1:SCALE) and the ground one A3 landscape sheet's map shows at it (metres).
SCALE = 10_000
MAP_MM = (390.0, 250.0)
#: The share of a sheet's width and height shown beyond its cell on each side (neighbouring sheets overlap).
OVERLAP = 0.05
#: Uses the dot-voting sheet and each card name: the best few an asset is eligible for.
CARD_USES = 3

CSS = ("body{font:11px/1.35 sans-serif;margin:0}h1{font-size:18px;margin:0 0 3px}h2{font-size:14px;margin:0 0 3px}"
       ".sub{color:#444;margin:0 0 6px}.sheet img,.overview img{width:100%;height:auto}"
       ".cards{display:flex;flex-wrap:wrap}.card{box-sizing:border-box;width:50%;border:1px dashed #999;padding:3mm}"
       ".card img{width:100%;height:auto;max-height:45mm;object-fit:contain}.no{font-size:26px;font-weight:bold;"
       "float:right;border:2px solid #333;border-radius:50%;min-width:12mm;text-align:center}"
       "table{border-collapse:collapse;width:100%;font-size:10px}td,th{border:1px solid #999;padding:2px 4px;"
       "text-align:left;vertical-align:top}.votes td.box{height:11mm}thead{display:table-header-group}")
PRINT_CSS = (".sheet img,.overview img{width:390mm;height:250mm}@page{size:A3 landscape;margin:10mm;@bottom-right{content:counter(page) ' / ' counter(pages);"
             "font:8px sans-serif}}@page cards{size:A4;margin:8mm}.overview,.sheet{page-break-after:always}"
             ".cards{page:cards}.card{height:136mm;overflow:hidden;break-inside:avoid}.votes{page-break-before:always}")


def map_sheets(points: np.ndarray, scale: int = SCALE, paper_mm: tuple[float, float] = MAP_MM) -> gpd.GeoSeries:
    """The ground of each sheet (metres) that holds at least one of ``points``,
    numbered from 1, north to south, then west to east. The grid is centred
    on the points, and each sheet shows a margin of :data:`OVERLAP` of its
    cell's size around it, so a point near a cell's edge is not at the paper's."""
    w, h = paper_mm[0] * scale / 1000, paper_mm[1] * scale / 1000
    cw, ch = w * (1 - 2 * OVERLAP), h * (1 - 2 * OVERLAP)
    x, y = shapely.get_x(points), shapely.get_y(points)
    ncols, nrows = max(1, int(np.ceil((x.max() - x.min()) / cw))), max(1, int(np.ceil((y.max() - y.min()) / ch)))
    x0 = (x.min() + x.max()) / 2 - ncols * cw / 2
    y1 = (y.min() + y.max()) / 2 + nrows * ch / 2
    cols = np.clip(np.floor((x - x0) / cw).astype(int), 0, ncols - 1)
    rows = np.clip(np.floor((y1 - y) / ch).astype(int), 0, nrows - 1)
    cells = sorted(set(zip(rows.tolist(), cols.tolist())))
    mx, my = (w - cw) / 2, (h - ch) / 2
    return gpd.GeoSeries([shapely.box(x0 + c * cw - mx, y1 - (r + 1) * ch - my, x0 + (c + 1) * cw + mx, y1 - r * ch + my)
                          for r, c in cells], index=pd.RangeIndex(1, len(cells) + 1, name="sheet"))


def number_assets(inventory: gpd.GeoDataFrame, sheets: gpd.GeoSeries) -> pd.DataFrame:
    """``asset_id``, ``number`` (from 1), ``sheet``: each asset on the sheet
    whose centre is nearest its point on surface, then north to south, then
    west to east."""
    points = shapely.point_on_surface(inventory.geometry.to_numpy())
    _, cell = shapely.STRtree(shapely.centroid(sheets.to_numpy())).query_nearest(points, all_matches=False)
    table = pd.DataFrame({"asset_id": inventory["asset_id"].to_numpy(), "sheet": sheets.index.to_numpy()[cell],
                          "_y": -shapely.get_y(points), "_x": shapely.get_x(points)})
    table = table.sort_values(["sheet", "_y", "_x", "asset_id"], kind="stable")
    return table.assign(number=np.arange(1, len(table) + 1))[["asset_id", "number", "sheet"]].reset_index(drop=True)


def _draw_context(ax, context, frame) -> None:
    for name, style in (("landuse", {"color": "#e8efdc", "edgecolor": "#c9d6b5", "linewidth": 0.3}),
                        ("buildings", {"color": "#d6d0c8", "edgecolor": "#a89f94", "linewidth": 0.2}),
                        ("roads", {"color": "#9a9a9a", "linewidth": 0.6})):
        layer = getattr(context, name, None) if context is not None else None
        if layer is not None and len(layer):
            near = layer.geometry.to_numpy()[layer.sindex.query(frame, predicate="intersects")]
            if len(near):
                gpd.GeoSeries(near).plot(ax=ax, zorder=1, **style)


def _numbers(ax, points: np.ndarray, numbers, size: float) -> None:
    for p, n in zip(points, numbers):
        ax.annotate(str(int(n)), (p.x, p.y), fontsize=size, fontweight="bold", ha="center", va="center", zorder=4,
                    bbox={"boxstyle": "circle,pad=0.25", "fc": "white", "ec": "#b2182b", "lw": 1.2})


def sheet_map(cell, geoms: np.ndarray, numbers, context, dpi: int = 150) -> str:
    """One sheet of the series: its ground, the assets outlined and numbered, a scale bar."""
    fig = offscreen_figure((MAP_MM[0] / 25.4, MAP_MM[1] / 25.4), dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    _draw_context(ax, context, cell)
    if len(geoms):
        gpd.GeoSeries(geoms).plot(ax=ax, color="#1a9641", alpha=0.3, edgecolor="#0b5d1e", linewidth=1.2, zorder=2)
        _numbers(ax, shapely.point_on_surface(geoms), numbers, 11)
    ax.annotate("N", xy=(0.97, 0.96), xytext=(0.97, 0.88), xycoords="axes fraction", ha="center", va="center",
                fontsize=12, fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5})
    return map_image(fig, ax, cell.bounds, "sheet / φύλλο")


def overview(boundary: gpd.GeoDataFrame, sheets: gpd.GeoSeries, points: np.ndarray, numbers, context,
             dpi: int = 150) -> str:
    """The whole area: the roads, the boundary, the sheets (numbered) and every asset's number."""
    fig = offscreen_figure((MAP_MM[0] / 25.4, MAP_MM[1] / 25.4), dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    roads = getattr(context, "roads", None) if context is not None else None
    if roads is not None and len(roads):
        roads.plot(ax=ax, color="#c8c8c8", linewidth=0.4, zorder=0)
    if boundary is not None and len(boundary):
        boundary.boundary.plot(ax=ax, color="#555", linewidth=1, zorder=1)
    sheets.boundary.plot(ax=ax, color="#2166ac", linewidth=1, linestyle="--", zorder=2)
    for n, cell in sheets.items():
        x0, _, _, y1 = cell.bounds
        ax.annotate(f"{n}", (x0, y1), xytext=(4, -4), textcoords="offset points", fontsize=12, color="#2166ac",
                    ha="left", va="top", fontweight="bold", zorder=3)
    _numbers(ax, points, numbers, 7)
    extent = shapely.union_all([*sheets.to_numpy(), *(boundary.geometry.to_numpy() if boundary is not None else [])])
    x0, y0, x1, y1 = extent.bounds
    pad = 0.03 * max(x1 - x0, y1 - y0)
    ratio = MAP_MM[0] / MAP_MM[1]
    cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    w, h = max(w, h * ratio), max(h, w / ratio)
    return map_image(fig, ax, (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), "overview / επισκόπηση")


def best_uses(scores: pd.DataFrame, names: dict[str, str], limit: int = CARD_USES) -> pd.Series:
    """Per asset, its best eligible uses as ``name (score)``, best first."""
    eligible = scores[scores["eligible"]].sort_values(["asset_id", "score", "use"], ascending=[True, False, True])
    top = eligible.groupby("asset_id").head(limit)
    return top.groupby("asset_id").apply(
        lambda g: "; ".join(f"{names.get(u, u)} ({s:.0f})" for u, s in zip(g["use"], g["score"])), include_groups=False)


def _card(a, number: int, uses: str, picture: str) -> str:
    name = next((x for x in (getattr(a, 'label', None), a.name) if isinstance(x, str) and x), a.asset_id)
    facts = [(f"{t('el', 'kind')} / kind", f"{t('el', a.kind)} / {a.kind}"),
             ("εμβαδόν / area", f"{fmt_value(a.area_m2, 'm²', 'el')} / {fmt_value(a.area_m2, 'm²')}"),
             ("ιδιοκτησία / ownership", f"{t('el', a.ownership)} / {a.ownership}"),
             ("βεβαιότητα / confidence", f"{t('el', 'short_' + a.confidence)} / {a.confidence}"),
             ("καλύτερες χρήσεις / best uses", uses or "—")]
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts)
    return (f"<div class='card'><span class='no'>{number}</span><h2>{html.escape(str(name))}</h2>"
            f"<p class='sub'>{html.escape(str(a.asset_id))}</p>{picture}<table>{rows}</table></div>")


def _votes(numbered: pd.DataFrame, uses: list[tuple[str, str]]) -> str:
    head = "".join(f"<th>{html.escape(el)}<br><i>{html.escape(en)}</i></th>" for el, en in uses)
    body = "".join(f"<tr><td><b>{r.number}</b></td><td>{html.escape(str(r.label))}</td>"
                   + "<td class='box'></td>" * (len(uses) + 1) + "</tr>" for r in numbered.itertuples())
    return (f"<table><thead><tr><th>#</th><th>ακίνητο / site</th>{head}<th>προτεραιότητα<br><i>priority</i></th>"
            f"</tr></thead><tbody>{body}</tbody></table>")


def pack_html(inventory: gpd.GeoDataFrame, scores: pd.DataFrame, uses: list[tuple[str, str, str]], context,
              boundary: gpd.GeoDataFrame, title: str, credits: list[str]) -> tuple[str, pd.DataFrame]:
    """The pack's page and the numbers table. ``uses``: each use's name, Greek and English labels."""
    geoms = inventory.geometry.to_numpy()
    sheets = map_sheets(shapely.point_on_surface(geoms))
    numbers = number_assets(inventory, sheets)
    inv = inventory.merge(numbers, on="asset_id").sort_values("number")
    names = {u: f"{el} / {en}" for u, el, en in uses}
    best = best_uses(scores, names)
    credit = html.escape("Δεδομένα / Data: " + "; ".join(credits))
    parts = [f"<section class='overview'><h1>{html.escape(title)}</h1><p class='sub'>Εργαστήριο: χάρτες, κάρτες "
             f"ακινήτων και φύλλο ψηφοφορίας / Workshop: maps, asset cards and dot-voting sheet · "
             f"{len(inv)} ακίνητα / sites · {len(sheets)} φύλλα / sheets · 1:{SCALE:,}</p>"
             f"{overview(boundary, sheets, shapely.point_on_surface(inv.geometry.to_numpy()), inv['number'], context)}"
             f"<p class='sub'>{credit}</p></section>"]
    for n, cell in sheets.items():
        mine = inv[inv["sheet"] == n]
        parts.append(f"<section class='sheet'><h2>Φύλλο / Sheet {n} · 1:{SCALE:,} · "
                     f"{html.escape(', '.join(str(x) for x in mine['number']))}</h2>"
                     f"{sheet_map(cell, mine.geometry.to_numpy(), mine['number'], context)}"
                     f"<p class='sub'>{credit}</p></section>")
    others = inv.geometry.to_numpy()
    rows = steps(enumerate(inv.itertuples()), len(inv), "workshop cards", log, "card")
    cards = "".join(_card(a, int(a.number), best.get(a.asset_id, ""), asset_map(a.geometry, context, np.delete(others, i)))
                    for i, a in rows)
    parts.append(f"<section class='cards'>{cards}</section>")
    given = inv["label"] if "label" in inv else inv["name"]
    labelled = inv.assign(label=[n if isinstance(n, str) and n else a for a, n in zip(inv["asset_id"], given)])
    parts.append("<section class='votes'><h1>Ψηφοφορία με αυτοκόλλητα / Dot voting</h1><p class='sub'>Κολλήστε "
                 "ένα αυτοκόλλητο στη χρήση που θέλετε για κάθε ακίνητο· στην τελευταία στήλη, τα ακίνητα που "
                 "θέλετε πρώτα. / Put a dot on the use you want for each site; in the last column, the sites you "
                 f"want first.</p>{_votes(labelled, [(el, en) for _, el, en in uses])}<p class='sub'>{credit}</p>"
                 "</section>")
    page = (f"<!DOCTYPE html><html lang='el'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>\n")
    table = labelled[["number", "sheet", "asset_id", "label"]].rename(columns={"label": "name"})
    return page, table.assign(best_uses=table["asset_id"].map(best).fillna("")).reset_index(drop=True)


def write_workshop_pack(folder: Path, page: str, numbers: pd.DataFrame, credits: list[str], pdf: bool = True
                        ) -> list[Path]:
    """``workshop_pack.html``, ``workshop_pack.pdf`` (with WeasyPrint) and ``numbers.csv`` in ``folder``."""
    folder = Path(folder)
    written = [write_text(page, folder / "workshop_pack.html"),
               write_csv(numbers.assign(attribution="; ".join(credits)), folder / "numbers.csv")]
    if pdf:
        printed = write_pdf(page, folder / "workshop_pack.pdf", PRINT_CSS)
        if printed is not None:
            written.append(printed)
    return written
