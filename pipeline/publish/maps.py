"""The council's interactive maps (Folium): an index map with every use and
one map per use, each with the boundary, context layers, all idle assets, a
layer per use coloured by score class with its excluded assets on a grey
toggle, the plan, a legend, search, fullscreen, measure and mini-map.

Folium scaffolds the page (map, tiles, legend, plugins); the data layers are
made in the browser by ``static/map.js`` from one compact block of JSON
(:mod:`.mapdata`), which keeps a map of 10,000 assets under 5 MB. Folium's
GeoJsonPopup/GeoJsonTooltip would insert input text as raw HTML; here every
input text reaches the page through ``textContent``, the JSON block escapes
``<``, ``>`` and ``&``, and the few HTML strings Python writes (title,
credits) are escaped with :func:`esc`.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import folium
import numpy as np
from branca.element import Element, Figure, MacroElement
from folium import plugins
from folium.elements import JSCSSMixin
from folium.template import Template

from ..common import settings
from ..common.i18n import t
from ..common.io import write_text
from ..score.profiles import Profile
from .view import Published
from .mapdata import map_data, page_json
from .selfcontained import inline

#: "Locate me" and "print" drawn in SVG (24 px): a target, and a printer with its sheet.
LOCATE_ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#333" stroke-width="2">'
               '<circle cx="12" cy="12" r="7"/><circle cx="12" cy="12" r="2" fill="#333"/>'
               '<path d="M12 1v4M12 19v4M1 12h4M19 12h4"/></svg>')
PRINT_ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#333" stroke-width="2">'
              '<path d="M6 9V3h12v6M6 18H4a1 1 0 0 1-1-1v-6a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v6a1 1 0 0 1-1 1h-2"/>'
              '<path d="M6 14h12v7H6z"/></svg>')


def _svg(drawing: str) -> str:
    """A CSS ``url()`` value of an SVG drawing."""
    return "\"data:image/svg+xml;base64," + base64.b64encode(drawing.encode()).decode() + "\""


#: The page's script, in parts run as one function of the map and the page's data (layers, then controls).
MAP_SCRIPTS = [Path(__file__).parent / "static" / name for name in ("map.js", "controls.js")]
MAP_CSS = (
    ".leaflet-control-layers-expanded{max-width:300px;max-height:55vh;overflow-y:auto;font:12px/1.3 sans-serif}"
    ".leaflet-control-layers-overlays label{margin-bottom:3px}"
    ".leaflet-control-attribution{max-width:60%;font-size:10px;max-height:4.4em;overflow-y:auto}"
    ".ia-legend{background:rgba(255,255,255,.93);padding:5px 8px;font:11px/1.35 sans-serif;border-radius:4px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:260px;max-height:45vh;overflow-y:auto}"
    ".ia-legend summary{cursor:pointer;font-size:12px}"
    ".ia-views a{font-size:16px;line-height:30px}"
    ".ia-views{position:relative}.ia-menu{position:absolute;left:32px;top:90px;background:#fff;border-radius:4px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.3);white-space:nowrap}.ia-menu a{display:inline-block;width:auto;padding:0 8px;font-size:12px}"
    ".ia-lang{margin-bottom:4px}.ia-lang button{font:11px sans-serif;margin-left:3px;padding:1px 4px;border:1px solid #999;"
    "border-radius:3px;background:#fff;cursor:pointer}.ia-lang button[aria-pressed=true]{background:#333;color:#fff}"
    ".ia-lang a{float:right;font-size:16px;text-decoration:none;color:#333}"
    ".ia-layers details{margin-top:3px}.ia-layers summary{cursor:pointer;font-weight:bold}"
    ".ia-layers label{display:block;margin:2px 0}.ia-layers label.ia-sub{margin-left:18px;font-size:11px;color:#555}"
    ".ia-ranked{background:rgba(255,255,255,.95);padding:5px 8px;font:12px/1.35 sans-serif;border-radius:4px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.3);width:260px;max-width:calc(100vw - 80px);max-height:45vh;overflow-y:auto}"
    ".ia-ranked a{color:#0645ad;text-decoration:none}.ia-ranked b + a{font-size:16px;color:#333}"
    # icons as drawings (not font glyphs, which many phones and Debian's fonts lack)
    ".leaflet-control-locate a .ia-locate,.ia-views a.ia-print{display:inline-block;width:18px;height:18px;"
    "vertical-align:middle;background:no-repeat center/18px}"
    f".leaflet-control-locate a .ia-locate{{background-image:url({_svg(LOCATE_ICON)})}}"
    f".ia-views a.ia-print{{background-image:url({_svg(PRINT_ICON)});width:30px;height:30px}}"
    # the print view: the map, its legend open, scale and credits; no buttons
    "@media print{.leaflet-control-zoom,.leaflet-bar,.leaflet-control-search,.ia-layers,.ia-ranked,"
    ".leaflet-control-minimap,.leaflet-control-measure{display:none!important}.ia-legend{max-height:none;max-width:45%}}"
    # phones: no mini-map (it would cover the legend), a narrower legend and credits
    "@media (max-width:699px){.leaflet-control-minimap{display:none}.ia-legend{max-width:min(230px,60vw)}"
    ".leaflet-control-attribution{max-width:calc(100vw - 110px);font-size:9px;max-height:3.3em}"
    ".leaflet-control-search .search-input{width:150px}}"
)


class RawHtml(Element):
    """A piece of HTML that Python wrote, placed in the page as it is.

    branca's ``Element(text)`` compiles ``text`` as a Jinja2 template, so input
    text inside it (``{{ … }}``, ``{%``, ``{#``) would be evaluated or crash the
    page; here the text is a value the template prints, never a template.
    """

    _template = Template("{{ this.html }}")

    def __init__(self, html_text: str):
        super().__init__()
        self._name = "RawHtml"
        self.html = html_text


def esc(value) -> str:
    """HTML-escaped text of any value ('' for missing)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


class AssetLayers(JSCSSMixin, MacroElement):
    """The map's data layers, layer control and search box, made in the
    browser by ``static/map.js`` from the page's compact data."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.code }}
        {% endmacro %}
    """)
    default_js = [("Leaflet.Search.js", "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.js")]
    default_css = [("Leaflet.Search.css", "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.css")]

    def __init__(self, map_name: str):
        super().__init__()
        self._name = "AssetLayers"
        parts = "\n".join(path.read_text(encoding="utf-8") for path in MAP_SCRIPTS)
        self.code = (f'(function (map, D) {{\n  "use strict";\n{parts}}})({map_name}, '
                     'JSON.parse(document.getElementById("idle-assets-data").textContent));')


def build_map(view: Published, profiles: list[Profile], title: str, use_page: bool = False) -> folium.Map:
    """The Folium map titled ``title`` (not yet saved): a layer per use in
    ``profiles`` coloured by score class, their excluded assets on a grey
    toggle, the plan, all idle assets, context layers, legend, search,
    fullscreen, measure, locate and mini-map; the view's coverage goes under the
    title (the page writes it in the reader's language: the project's title, and
    the use's name on a ``use_page``). The layers are made in the browser from
    :func:`mapdata.map_data`."""
    boundary, credits = view.boundary, view.credits
    # map.js opens the view on the assets (or the boundary); this centre is only where it starts
    w, s_, e, n = boundary.to_crs(settings.WGS84).total_bounds
    m = folium.Map(location=[(s_ + n) / 2, (w + e) / 2], zoom_start=12, tiles=None, control_scale=True)
    # the credits live in Leaflet's attribution control, shown even when tiles fail to load
    credit_html = " | ".join(esc(c) for c in credits)
    folium.TileLayer(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png", name="OpenStreetMap", control=False,
        attr=f'Map tiles © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> | {credit_html}',
        max_zoom=19,
    ).add_to(m)
    data = map_data(view, profiles, view.title or title)
    data["note"], data["note_el"] = view.coverage_text, view.coverage_text_el
    data["use_page"] = use_page
    root = m.get_root()
    assert isinstance(root, Figure)  # a folium Map's root is its page
    root.html.add_child(RawHtml(
        f'<script type="application/json" id="idle-assets-data">{page_json(data)}</script>'))
    AssetLayers(m.get_name()).add_to(m)
    # the plugins' texts in the page's first language (the page retitles them when the reader switches)
    lang = "en" if data["language"] == "en" else "el"
    plugins.Fullscreen(position="topleft", title=t(lang, "fullscreen"), title_cancel=t(lang, "fullscreen_exit")).add_to(m)
    plugins.MeasureControl(position="topleft", primary_length_unit="meters", primary_area_unit="sqmeters",
                           secondary_length_unit="kilometers", secondary_area_unit="hectares").add_to(m)
    plugins.LocateControl(position="topleft", icon="ia-locate", iconLoading="ia-locate", flyTo=False, showPopup=True,
                          strings={"title": t(lang, "locate"), "metersUnit": t(lang, "metres"),
                                   "popup": t(lang, "locate_popup"), "outsideMapBoundsMsg": t(lang, "locate_error")},
                          locateOptions={"enableHighAccuracy": True, "maxZoom": 18}).add_to(m)
    plugins.MiniMap(tile_layer=folium.TileLayer("OpenStreetMap"), toggle_display=True, position="bottomright",
                    strings={"hideText": t(lang, "minimap_hide"), "showText": t(lang, "minimap_show")}).add_to(m)
    root.header.add_child(RawHtml(f"<title>{esc(title)}</title><style>{MAP_CSS}</style>"))
    return m


_RANDOM_ID = re.compile(r"(?<=_)[0-9a-f]{32}\b")
_DATA_BLOCK = re.compile(r'(<script type="application/json" id="idle-assets-data">.*?</script>)', re.S)


def stable_ids(page: str) -> str:
    """``page`` with branca's random element ids (32 hex digits) replaced by
    numbers in order of appearance, so the same inputs give the same bytes.
    The data block (input text) is left as it is."""
    parts = _DATA_BLOCK.split(page)
    numbers: dict[str, str] = {}

    def number(match: re.Match) -> str:
        return numbers.setdefault(match.group(0), f"{len(numbers) + 1:04d}")

    return "".join(part if i % 2 else _RANDOM_ID.sub(number, part) for i, part in enumerate(parts))


def render(m: folium.Map, self_contained: bool) -> str:
    page = stable_ids(m.get_root().render())
    return inline(page) if self_contained else page


EMBED = """<!-- {title}: paste into a web page or report. The map files must be published beside it. -->
<iframe src="{file}" title="{title}" width="100%" height="640" style="border:0" loading="lazy"
        referrerpolicy="no-referrer" allowfullscreen></iframe>
"""


def write_maps(view: Published, folder: Path) -> list[Path]:
    """The index map (every use), one map per use, and ``embed.html`` with an
    iframe snippet for each, into ``folder``; every file written atomically."""
    title, profiles = view.title, list(view.profiles)
    folder = Path(folder)
    pages = [("index.html", title, profiles)] + [
        (f"{p.name}.html", f"{title}: {p.label.el} / {p.label.en}", [p]) for p in profiles]
    written = []
    for name, page_title, uses in pages:
        m = build_map(view, uses, page_title, use_page=name != "index.html")
        written.append(write_text(render(m, view.options.self_contained), folder / name))
    snippets = "\n".join(EMBED.format(file=esc(name), title=esc(page_title)) for name, page_title, _ in pages)
    written.append(write_text(snippets, folder / "embed.html"))
    return written
