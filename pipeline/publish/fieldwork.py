"""Writing the survey's field pack: what to survey first, the route (CSV, GPX,
GeoJSON) and the printable field sheet (HTML and PDF: an overview map, then
one block per stop with a small map, the facts and the form's questions with
blanks to fill by hand).

Every text from the inputs is escaped in HTML; in GPX, gpxpy escapes it as XML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import gpxpy.gpx
import numpy as np
import pandas as pd
import shapely

from ..common import settings
from ..common.i18n import fmt_value, number, t
from ..common.io import write_csv, write_text
from ..survey.form import EL, EN, KIND_QUESTIONS, SurveyForm
from ..survey.route import Route
from ._canvas import offscreen_figure
from ..common.pdf import write_pdf
from .factsheets import asset_map, map_image

CSS = ("body{font:11px/1.35 sans-serif;margin:0}.stop{max-width:180mm;margin:0 auto;padding:6mm 0;"
       "break-inside:avoid;border-bottom:1px dashed #999}h1{font-size:16px;margin:0 0 2px}h2{font-size:13px;margin:0 0 3px}"
       ".sub{color:#444;margin:0 0 6px}.pic img{width:100%;height:auto;max-height:60mm;object-fit:contain}"
       ".ovmap img{width:100%;height:auto;max-height:170mm;object-fit:contain}"
       "table{border-collapse:collapse;width:100%;font-size:10px;table-layout:fixed;margin:3px 0}"
       "td,th{border:1px solid #ccc;padding:2px 4px;vertical-align:top;text-align:left;overflow-wrap:anywhere}"
       "th{background:#eef3f7;width:28%}.q td{height:16px}.box{font-size:12px}.blank{border-bottom:1px solid #555;"
       "display:inline-block;min-width:60mm;height:12px}.lines{height:34px}")
PRINT_CSS = ("@page{size:A4;margin:10mm;@bottom-right{content:counter(page) ' / ' counter(pages);font:8px sans-serif}}"
             "body{font-size:9px}.stop{padding:3mm 0;max-width:none}.pic img{max-height:48mm}table{font-size:8px}"
             ".overview{break-after:page}")


def write_priority(folder: Path, priority: pd.DataFrame, credits: list[str]) -> Path:
    """``survey_priority.csv``: every asset, the most worth a visit first, with the credits."""
    return write_csv(priority.assign(attribution="Data: " + "; ".join(credits)), Path(folder) / "survey_priority.csv")


def route_table(route: Route, stops_info: pd.DataFrame) -> pd.DataFrame:
    """The route as a table: one row per stop in order, then the way back to
    the start; positions in degrees, lengths in metres."""
    pts = route.stops.geometry.to_crs(settings.WGS84)
    table = pd.DataFrame({"order": route.stops["order"], "stop_id": route.stops["stop_id"],
                          "lat": pts.y.round(7).to_numpy(), "lon": pts.x.round(7).to_numpy(),
                          "leg_m": route.stops["leg_m"], "cumulative_m": route.stops["cumulative_m"],
                          "access_m": route.stops["access_m"], "off_road": route.stops["off_road"]})
    table = table.merge(stops_info, on="stop_id", how="left")
    back = route.legs.iloc[-1]
    last = table.iloc[[0]].assign(order=len(table) + 1, leg_m=back["length_m"], cumulative_m=route.total_m,
                                  name=f"{t('el', 'route_back')} / {t('en', 'route_back')}")
    return pd.concat([table, last], ignore_index=True)


def route_gpx(route: Route, table: pd.DataFrame, title: str) -> str:
    """GPX 1.1: a waypoint per stop, the route through them and the track
    along the roads (one segment per leg)."""
    gpx = gpxpy.gpx.GPX()
    gpx.name, gpx.creator = title, "idle-assets"
    rte = gpxpy.gpx.GPXRoute(name=title)
    stops = table.iloc[:-1]
    for r in stops.itertuples(index=False):
        label = f"{r.order}. {r.name}" if isinstance(r.name, str) and r.name else f"{r.order}. {r.stop_id}"
        desc = str(r.reason_el) if isinstance(getattr(r, "reason_el", None), str) else None
        gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(r.lat, r.lon, name=label, description=desc))
        rte.points.append(gpxpy.gpx.GPXRoutePoint(r.lat, r.lon, name=label))
    rte.points.append(gpxpy.gpx.GPXRoutePoint(stops["lat"].iloc[0], stops["lon"].iloc[0], name=table["name"].iloc[-1]))
    gpx.routes.append(rte)
    track = gpxpy.gpx.GPXTrack(name=f"{title}: {number(route.total_m / 1000, 1)} km")
    for line in route.legs.geometry.to_crs(settings.WGS84):
        seg = gpxpy.gpx.GPXTrackSegment([gpxpy.gpx.GPXTrackPoint(round(y, 7), round(x, 7)) for x, y in line.coords])
        track.segments.append(seg)
    gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")


def route_geojson(route: Route, table: pd.DataFrame) -> str:
    """GeoJSON (EPSG:4326): the stops as points and the legs as lines."""
    stops = gpd.GeoDataFrame(table.iloc[:-1].assign(feature="stop"), geometry=route.stops.geometry.to_numpy(),
                             crs=route.stops.crs)
    legs = route.legs.assign(feature="leg")
    both = pd.concat([stops.to_crs(settings.WGS84), legs.to_crs(settings.WGS84)], ignore_index=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs=settings.WGS84).to_json(drop_id=True, ensure_ascii=False)


def overview_map(route: Route, context) -> str:
    """The whole route on the roads, stops numbered, as an ``<img>`` (PNG)."""
    x0, y0, x1, y1 = route.legs.total_bounds
    pad = max(150.0, 0.08 * max(x1 - x0, y1 - y0))
    fig = offscreen_figure((7.0, 7.0), 150)
    ax = fig.add_axes((0, 0, 1, 1))
    frame = shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    roads = getattr(context, "roads", None)
    if roads is not None and len(roads):
        near = roads.geometry.to_numpy()[roads.sindex.query(frame, predicate="intersects")]
        gpd.GeoSeries(near).plot(ax=ax, color="#b5b5b5", linewidth=0.6, zorder=1)
    route.legs.plot(ax=ax, color="#c0392b", linewidth=2, zorder=2)
    for r in route.stops.itertuples():
        ax.annotate(str(r.order), (r.geometry.x, r.geometry.y), fontsize=9, fontweight="bold", ha="center",
                    va="center", zorder=3, bbox={"boxstyle": "circle,pad=0.25", "fc": "white", "ec": "#c0392b"})
    return map_image(fig, ax, frame.bounds, "route / διαδρομή")


def _blank(q, choices: pd.DataFrame) -> str:
    """A question of the form as a line of the paper sheet."""
    kind = str(q["type"])
    if kind.startswith("select_one ") and not kind.startswith("select_one_from_file"):
        listed = choices[choices["list_name"] == kind.split(" ", 1)[1]]
        return " &nbsp; ".join(f"<span class='box'>☐</span> {html.escape(str(c[EL]))} / {html.escape(str(c[EN]))}"
                               for _, c in listed.iterrows())
    if kind == "geopoint":
        return "lat <span class='blank' style='min-width:30mm'></span> lon <span class='blank' style='min-width:30mm'></span>"
    if kind == "image":
        return f"{t('el', 'photo_numbers')} / {t('en', 'photo_numbers')}: <span class='blank'></span>"
    return "<div class='lines'></div>"


def _questions(form: SurveyForm, kind: str) -> str:
    """The form's questions for an asset of this kind, with blanks."""
    types = form.survey["type"]
    asked = form.survey[(types.isin(["geopoint", "image", "text"])
                         | (types.str.startswith("select_one ") & ~types.str.startswith("select_one_from_file")))
                        & form.survey["name"].map(lambda n: KIND_QUESTIONS.get(n, kind) == kind)]
    rows = "".join(f"<tr><th>{html.escape(str(q[EL]))}<br><i>{html.escape(str(q[EN]))}</i></th><td>{_blank(q, form.choices)}</td></tr>"
                   for _, q in asked.iterrows())
    return f"<table class='q'>{rows}</table>"


def field_sheet(route: Route, table: pd.DataFrame, inventory: gpd.GeoDataFrame, form: SurveyForm, context,
                title: str, credits: list[str]) -> str:
    """The printable field sheet (one HTML page): the route, then a block per stop."""
    by_id = inventory.set_index("asset_id")
    blocks = []
    for r in table.iloc[:-1].itertuples(index=False):
        if r.stop_id not in by_id.index:  # a start that is not an asset
            blocks.append(f"<section class='stop'><h2>{r.order}. {html.escape(str(r.name))}</h2>"
                          f"<p>{r.lat:.6f}, {r.lon:.6f}</p></section>")
            continue
        a = by_id.loc[r.stop_id]
        name = a["name"] if isinstance(a["name"], str) and a["name"] else r.stop_id
        facts = [("Κωδικός / Id", html.escape(str(r.stop_id))),
                 (f"{t('el', 'position')} / {t('en', 'position')}", f"{r.lat:.6f}, {r.lon:.6f}"),
                 (f"{t('el', 'kind')} / {t('en', 'kind')}", f"{html.escape(t('el', a['kind']))} / {html.escape(t('en', a['kind']))}"),
                 (f"{t('el', 'area')} / {t('en', 'area')}", f"{fmt_value(a['area_m2'], 'm²', 'el')}"),
                 (f"{t('el', 'ownership')} / {t('en', 'ownership')}", html.escape(f"{t('el', a['ownership'])} / {t('en', a['ownership'])}")),
                 (f"{t('el', 'confidence')} / {t('en', 'confidence')}",
                  html.escape(f"{t('el', 'short_' + a['confidence'])} / {t('en', 'short_' + a['confidence'])}")),
                 (f"{t('el', 'why_visit')} / {t('en', 'why_visit')}",
                  f"{html.escape(str(r.reason_el))}<br><i>{html.escape(str(r.reason_en))}</i>"),
                 (f"{t('el', 'route_leg')} / {t('en', 'route_leg')}",
                  (f"{fmt_value(r.leg_m, 'm', 'el')} · " if r.order > 1 else f"{t('el', 'route_start')} / {t('en', 'route_start')} · ")
                  + f"{t('el', 'route_from_road')} {fmt_value(r.access_m, 'm', 'el')}")]
        rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts)
        blocks.append(f"<section class='stop'><h2>{r.order}. {html.escape(str(name))}</h2>"
                      f"<div class='pic'>{asset_map(a.geometry, context, np.array([]))}</div>"
                      f"<table>{rows}</table>{_questions(form, a['kind'])}</section>")
    km = route.total_m / 1000
    head = (f"<section class='overview'><h1>{html.escape(title)}</h1><p class='sub'>{t('el', 'field_sheet')} / "
            f"{t('en', 'field_sheet')}: {len(table) - 1} {t('el', 'stops')} / {t('en', 'stops')}, "
            f"{number(km, 1, 'el')} km ({t('el', 'route_note')} / {t('en', 'route_note')})</p>"
            f"<div class='ovmap'>{overview_map(route, context)}</div>"
            f"<p style='font-size:8px'>{html.escape('Δεδομένα / Data: ' + '; '.join(credits))}</p></section>")
    return (f"<!DOCTYPE html><html lang='el'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{head}{''.join(blocks)}</body></html>\n")


@dataclass(frozen=True)
class Fieldwork:
    """What the field pack is made of: what to survey first, the route and
    its table of stops, the (public) inventory, the form, the context layers,
    the pack's title and the credits it carries."""

    priority: pd.DataFrame
    route: Route
    table: pd.DataFrame
    inventory: gpd.GeoDataFrame
    form: SurveyForm
    context: Any
    title: str
    credits: list[str]


def write_fieldwork(folder: Path, work: Fieldwork, pdf: bool = True) -> list[Path]:
    """Write ``survey_priority.csv``, ``route.csv``, ``route.gpx``,
    ``route.geojson``, ``field_sheet.html`` and (with WeasyPrint) ``field_sheet.pdf``."""
    folder = Path(folder)
    route, table, title, credits = work.route, work.table, work.title, work.credits
    credit = "Data: " + "; ".join(credits)
    written = [write_priority(folder, work.priority, credits),
               write_csv(table.assign(attribution=credit), folder / "route.csv"),
               write_text(route_gpx(route, table, title), folder / "route.gpx"),
               write_text(route_geojson(route, table), folder / "route.geojson")]
    page = field_sheet(route, table, work.inventory, work.form, work.context, title, credits)
    written.append(write_text(page, folder / "field_sheet.html"))
    if pdf:
        printed = write_pdf(page, folder / "field_sheet.pdf", PRINT_CSS)
        written += [printed] if printed else []
    return written
