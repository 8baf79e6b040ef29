"""The council's interactive map (Folium): one layer per use coloured by
score, all idle assets, the boundary, a legend and popups with the reasons.

Folium's GeoJsonPopup and GeoJsonTooltip insert property values into the page
as raw HTML, so every text that comes from the inputs is escaped here, and only
``http(s)`` links are turned into anchors. Geometries are simplified and
rounded for display only; analysis keeps full precision.
"""

from __future__ import annotations

import html
from pathlib import Path

import branca.colormap as cm
import folium
import mapclassify
from folium import plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from .. import settings
from ..i18n import fmt_value, t
from ..io import write_text
from ..profiles import Profile
from .selfcontained import inline

SCORE_COLOURS = ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"]
SCORE_BINS = [0, 20, 40, 60, 80, 100]
DISPLAY_TOLERANCE_M = 0.5
KIND_COLOURS = {"land": "#8c6d31", "building": "#5254a3"}
USE_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
MAP_CSS = (
    ".leaflet-control-layers-expanded{max-width:300px;max-height:62vh;overflow-y:auto;font:12px/1.3 sans-serif}"
    ".leaflet-control-layers-overlays label{margin-bottom:3px}"
    ".leaflet-control-attribution{max-width:70%;font-size:11px}"
    "#idle-assets-title{position:absolute;bottom:64px;left:10px;max-width:45%;z-index:1000;"
    "background:rgba(255,255,255,.9);"
    "padding:4px 8px;font:bold 14px sans-serif;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)}"
)


def esc(value) -> str:
    """HTML-escaped text of any value ('' for missing)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def links(value) -> str:
    """Semicolon-separated URLs as escaped anchors; anything not http(s) stays text."""
    out = []
    for i, url in enumerate(u.strip() for u in str(value or "").split(";") if u.strip()):
        if url.lower().startswith(("http://", "https://")):
            out.append(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">photo {i + 1}</a>')
        else:
            out.append(esc(url))
    return " ".join(out)


def display_geometry(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Geometry for display: simplified in metres, in EPSG:4326, 6 decimals (~0.1 m)."""
    simple = gdf.geometry.simplify(DISPLAY_TOLERANCE_M, preserve_topology=True).to_crs(settings.WGS84)
    return gpd.GeoSeries(shapely.set_precision(simple.to_numpy(), 1e-6), index=gdf.index, crs=settings.WGS84)


def _row(label: str, value_html: str) -> str:
    return f"<tr><th style='text-align:left;padding-right:6px'>{esc(label)}</th><td>{value_html}</td></tr>" if value_html else ""


def asset_popup(asset: pd.Series, use_line: str = "") -> str:
    """Popup HTML for one asset; every input value escaped."""
    title = esc(asset.get("name")) or esc(asset["asset_id"])
    rows = "".join([
        _row("id", esc(asset["asset_id"])),
        _row(f"{t('en', 'kind')} / {t('el', 'kind')}", esc(asset["kind"])),
        _row(f"{t('en', 'area')} / {t('el', 'area')}", esc(fmt_value(asset["area_m2"], "m²"))),
        _row(f"{t('en', 'sources')} / {t('el', 'sources')}", esc(asset["sources"])),
        _row(f"{t('en', 'evidence')} / {t('el', 'evidence')}", esc(asset["idle_evidence"])),
        _row("condition / occupancy", esc(" / ".join(str(v) for v in (asset.get("condition"), asset.get("occupancy")) if v))),
        _row("survey notes", esc(asset.get("survey_notes"))),
        _row(f"{t('en', 'photos')} / {t('el', 'photos')}", links(asset.get("photos"))),
    ])
    return f"<div style='max-width:360px'><b>{title}</b>{use_line}<table>{rows}</table></div>"


def _score_line(s: pd.Series, label: str, top_k: int = 3) -> str:
    """The use, its reason (which starts with rank and score) in English and
    Greek, and how stable the rank is when the weights vary."""
    stable = ""
    if pd.notna(s.get("p_top_k")):
        stable = (f"<br><small>top {top_k} in {100 * s['p_top_k']:.0f}% of weight draws; "
                  f"rank {int(s['rank_p05'])}-{int(s['rank_p95'])} (90% interval); TOPSIS rank {int(s['rank_topsis'])}</small>")
    return (f"<p style='margin:4px 0'><b>{esc(label)}</b><br>{esc(s['reason_en'])}"
            f"<br><i>{esc(s['reason_el'])}</i>{stable}</p>")


def _plan_line(p: pd.Series, label: str) -> str:
    figures = [f"{fmt_value(p['usable_area_m2'], 'm²')} usable"]
    if p["kwp"] > 0:
        figures.append(f"{p['kwp']:,.0f} kWp, {p['mwh_per_year']:,.0f} MWh/year")
    if p["cultivable_m2"] > 0:
        figures.append(f"{fmt_value(p['cultivable_m2'], 'm²')} cultivable")
    if pd.notna(p["jobs"]):
        figures.append(f"about {p['jobs']:.1f} jobs")
    orgs = esc(p["candidate_organisations"]) or "no organisation from the open call yet"
    return (f"<p style='margin:4px 0'><b>Plan: {esc(label)}</b> ({p['score']:.0f}/100)<br>{esc('; '.join(figures))}"
            f"<br>Candidates / Φορείς: {orgs}</p>")


def _layer(gdf: gpd.GeoDataFrame, props: pd.DataFrame, name: str, style, show: bool) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name, show=show)
    data = gpd.GeoDataFrame(props.reset_index(drop=True), geometry=display_geometry(gdf).to_numpy(), crs=settings.WGS84)
    folium.GeoJson(
        data.to_json(drop_id=True),
        style_function=style,
        highlight_function=lambda f: {"weight": 4, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, localize=False, max_width=400),
        name=name,
    ).add_to(group)
    return group


def _classes(score: pd.Series) -> np.ndarray:
    """Score class 0-4 of each score (fixed 20-point classes, mapclassify), so
    a colour means the same on every map."""
    return mapclassify.UserDefined(score.to_numpy(dtype=float), bins=SCORE_BINS[1:]).yb


def _context_layers(m: folium.Map, context) -> None:
    """Roads and land use for orientation, off by default."""
    if context is None:
        return
    roads, landuse = context.roads, context.landuse
    if len(roads):
        folium.GeoJson(gpd.GeoDataFrame(geometry=display_geometry(roads).to_numpy(), crs=settings.WGS84).to_json(drop_id=True),
                       name=f"{t('en', 'roads')} / {t('el', 'roads')}", show=False,
                       style_function=lambda f: {"color": "#777777", "weight": 1}).add_to(m)
    if len(landuse):
        kinds = [esc(tg.get("landuse")) for tg in landuse["tags"]]
        layer = gpd.GeoDataFrame({"landuse": kinds}, geometry=display_geometry(landuse).to_numpy(), crs=settings.WGS84)
        folium.GeoJson(layer.to_json(drop_id=True), name=f"{t('en', 'landuse')} / {t('el', 'landuse')}", show=False,
                       style_function=lambda f: {"color": "#9ab973", "weight": 0.5, "fillOpacity": 0.15},
                       tooltip=folium.GeoJsonTooltip(fields=["landuse"], labels=False)).add_to(m)


def build_map(inventory: gpd.GeoDataFrame, scores: pd.DataFrame, profiles: list[Profile],
              boundary: gpd.GeoDataFrame, credits: list[str], title: str, plan: pd.DataFrame | None = None,
              top_k: int = 3, context=None, all_profiles: list[Profile] | None = None) -> folium.Map:
    """The Folium map (not yet saved): a layer per use in ``profiles`` coloured
    by score class, their excluded assets on a grey toggle, the plan, all idle
    assets, context layers, legend, search, fullscreen, measure and mini-map.
    ``all_profiles`` names every use for the labels of the best use and plan."""
    all_profiles = all_profiles or profiles
    legend = cm.StepColormap(SCORE_COLOURS, index=SCORE_BINS, vmin=0, vmax=100,
                             caption=f"{t('en', 'legend')} / {t('el', 'legend')}")
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    # the credits live in Leaflet's attribution control, shown even when tiles fail to load
    credit_html = " | ".join(esc(c) for c in credits)
    folium.TileLayer(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png", name="OpenStreetMap", control=False,
        attr=f'Map tiles © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> | {credit_html}',
        max_zoom=19,
    ).add_to(m)
    folium.GeoJson(
        boundary.to_crs(settings.WGS84).assign(name=esc(title))[["name", "geometry"]].to_json(drop_id=True),
        name=f"{t('en', 'boundary')} / {t('el', 'boundary')}",
        style_function=lambda f: {"color": "#333333", "weight": 2, "fill": False, "dashArray": "6 4"},
    ).add_to(m)
    _context_layers(m, context)
    inv = inventory.set_index("asset_id", drop=False)
    labels = {p.name: p.label.en for p in all_profiles}
    # all assets first, so the use layers lie above it and take the clicks
    best = scores[scores["eligible"]].sort_values("score", ascending=False).drop_duplicates("asset_id").set_index("asset_id")
    if len(inv):
        props = pd.DataFrame({
            "colour": [KIND_COLOURS[k] for k in inv["kind"]],
            "search": [f"{esc(n)} ({esc(a)})" if n else esc(a) for n, a in zip(inv["name"], inv["asset_id"])],
            "tooltip": [f"{esc(n or a)} ({esc(k)})" for n, a, k in zip(inv["name"], inv["asset_id"], inv["kind"])],
            "popup": [
                asset_popup(row, _score_line(best.loc[a], labels[best.loc[a, "use"]], top_k) if a in best.index
                            else f"<p>{esc(t('en', 'no_use'))}</p>")
                for a, row in inv.iterrows()
            ],
        })
        style = lambda f: {"color": f["properties"]["colour"], "weight": 2, "fillOpacity": 0.2}
        # shown: it outlines every candidate, and the search control needs it on the map
        everything = _layer(inv, props, f"{t('en', 'all_assets')} / {t('el', 'all_assets')}", style, show=True)
        everything.add_to(m)
        plugins.Search(layer=everything._children[next(iter(everything._children))], search_label="search",
                       placeholder="Search name or id / Αναζήτηση", collapsed=False, position="topleft").add_to(m)
    for i, p in enumerate(profiles):
        mine = scores[scores["use"] == p.name]
        s = mine[mine["eligible"]].sort_values("score")
        label = esc(f"{p.label.en} / {p.label.el}")
        if len(s):
            sub = inv.loc[s["asset_id"]]
            props = pd.DataFrame({
                "score": s["score"].round(1).to_numpy(),
                "colour": [SCORE_COLOURS[c] for c in _classes(s["score"])],
                "tooltip": [f"{esc(n or a)}: {v:.0f}/100" for n, a, v in zip(sub["name"], sub["asset_id"], s["score"])],
                "popup": [asset_popup(inv.loc[r["asset_id"]], _score_line(r, p.label.en, top_k)) for _, r in s.iterrows()],
            })
            style = lambda f: {"color": "#222222", "weight": 1, "fillColor": f["properties"]["colour"], "fillOpacity": 0.75}
            _layer(sub, props, label, style, show=(i == 0)).add_to(m)
        out = mine[~mine["eligible"]]
        if len(out):
            sub = inv.loc[out["asset_id"]]
            props = pd.DataFrame({
                "tooltip": [f"{esc(n or a)}: {esc(t('en', 'excluded'))}" for n, a in zip(sub["name"], sub["asset_id"])],
                "popup": [asset_popup(inv.loc[r["asset_id"]], f"<p><b>{esc(p.label.en)}</b><br>{esc(r['reason_en'])}"
                                      f"<br><i>{esc(r['reason_el'])}</i></p>") for _, r in out.iterrows()],
            })
            style = lambda f: {"color": "#888888", "weight": 1, "fillColor": "#bbbbbb", "fillOpacity": 0.5, "dashArray": "3 3"}
            _layer(sub, props, f"{label}: {esc(t('en', 'excluded_layer'))} / {esc(t('el', 'excluded_layer'))}",
                   style, show=False).add_to(m)
    if plan is not None and len(plan):
        colours = dict(zip([p.name for p in all_profiles], USE_COLOURS * 3))
        plan = plan[plan["use"].isin([p.name for p in profiles])] if len(profiles) < len(all_profiles) else plan
        if len(plan):
            sub = inv.loc[plan["asset_id"]]
            props = pd.DataFrame({
                "colour": [colours.get(u, "#333333") for u in plan["use"]],
                "tooltip": [f"{esc(n or a)}: {esc(labels.get(u, u))}" for n, a, u in zip(sub["name"], plan["asset_id"], plan["use"])],
                "popup": [asset_popup(inv.loc[r["asset_id"]], _plan_line(r, labels.get(r["use"], r["use"])))
                          for _, r in plan.iterrows()],
            })
            style = lambda f: {"color": "#000000", "weight": 2, "fillColor": f["properties"]["colour"], "fillOpacity": 0.8}
            _layer(sub, props, f"{t('en', 'plan')} / {t('el', 'plan')}", style, show=False).add_to(m)
    legend.add_to(m)
    plugins.Fullscreen(position="topleft").add_to(m)
    plugins.MeasureControl(position="topleft", primary_length_unit="meters", primary_area_unit="sqmeters").add_to(m)
    plugins.MiniMap(tile_layer=folium.TileLayer("OpenStreetMap"), toggle_display=True, position="bottomright").add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().header.add_child(Element(f"<title>{esc(title)}</title><style>{MAP_CSS}</style>"))
    m.get_root().html.add_child(Element(f"<div id='idle-assets-title'>{esc(title)}</div>"))
    w, s_, e, n = boundary.to_crs(settings.WGS84).total_bounds
    m.fit_bounds([[s_, w], [n, e]])
    return m


def render(m: folium.Map, self_contained: bool) -> str:
    html = m.get_root().render()
    return inline(html) if self_contained else html


EMBED = """<!-- {title}: paste into a web page or report. The map files must be published beside it. -->
<iframe src="{file}" title="{title}" width="100%" height="640" style="border:0" loading="lazy"
        referrerpolicy="no-referrer" allowfullscreen></iframe>
"""


def write_maps(folder: Path, inventory: gpd.GeoDataFrame, scores: pd.DataFrame, profiles: list[Profile],
               boundary: gpd.GeoDataFrame, credits: list[str], title: str, plan: pd.DataFrame | None = None,
               top_k: int = 3, context=None, self_contained: bool = True) -> list[Path]:
    """The index map (every use), one map per use, and ``embed.html`` with an
    iframe snippet for each; every file written atomically."""
    folder = Path(folder)
    pages = [("index.html", title, profiles)] + [
        (f"{p.name}.html", f"{title}: {p.label.en} / {p.label.el}", [p]) for p in profiles]
    written = []
    for name, page_title, uses in pages:
        m = build_map(inventory, scores, uses, boundary, credits, page_title, plan, top_k, context, profiles)
        written.append(write_text(render(m, self_contained), folder / name))
    snippets = "\n".join(EMBED.format(file=esc(name), title=esc(page_title)) for name, page_title, _ in pages)
    written.append(write_text(snippets, folder / "embed.html"))
    return written


def write_map(target: Path, inventory: gpd.GeoDataFrame, scores: pd.DataFrame, profiles: list[Profile],
              boundary: gpd.GeoDataFrame, credits: list[str], title: str, plan: pd.DataFrame | None = None,
              top_k: int = 3, context=None, self_contained: bool = True) -> Path:
    """Build one map and save it atomically as one HTML file."""
    m = build_map(inventory, scores, profiles, boundary, credits, title, plan, top_k, context)
    return write_text(render(m, self_contained), Path(target))
