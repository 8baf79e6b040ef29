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
from ..common.io import write_text
from ..score.profiles import Profile
from .view import Published
from .mapdata import map_data, page_json
from .selfcontained import inline

MAP_SCRIPT = Path(__file__).parent / "static" / "map.js"
MAP_CSS = (
    ".leaflet-control-layers-expanded{max-width:300px;max-height:55vh;overflow-y:auto;font:12px/1.3 sans-serif}"
    ".leaflet-control-layers-overlays label{margin-bottom:3px}"
    ".leaflet-control-attribution{max-width:60%;font-size:10px;max-height:4.4em;overflow-y:auto}"
    ".ia-legend{background:rgba(255,255,255,.93);padding:5px 8px;font:11px/1.35 sans-serif;border-radius:4px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:260px;max-height:45vh;overflow-y:auto}"
    ".ia-legend summary{cursor:pointer;font-size:12px}"
    ".ia-views a{font-size:16px;line-height:30px}"
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
        self.code = MAP_SCRIPT.read_text(encoding="utf-8").replace("MAP_VARIABLE", map_name)


def build_map(view: Published, profiles: list[Profile], title: str) -> folium.Map:
    """The Folium map titled ``title`` (not yet saved): a layer per use in
    ``profiles`` coloured by score class, their excluded assets on a grey
    toggle, the plan, all idle assets, context layers, legend, search,
    fullscreen, measure and mini-map; the view's coverage goes under the
    title. The layers are made in the browser from :func:`mapdata.map_data`."""
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
    data = map_data(view, profiles, title)
    data["note"] = view.coverage
    root = m.get_root()
    assert isinstance(root, Figure)  # a folium Map's root is its page
    root.html.add_child(RawHtml(
        f'<script type="application/json" id="idle-assets-data">{page_json(data)}</script>'))
    AssetLayers(m.get_name()).add_to(m)
    plugins.Fullscreen(position="topleft").add_to(m)
    plugins.MeasureControl(position="topleft", primary_length_unit="meters", primary_area_unit="sqmeters").add_to(m)
    plugins.MiniMap(tile_layer=folium.TileLayer("OpenStreetMap"), toggle_display=True, position="bottomright").add_to(m)
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
        (f"{p.name}.html", f"{title}: {p.label.en} / {p.label.el}", [p]) for p in profiles]
    written = []
    for name, page_title, uses in pages:
        m = build_map(view, uses, page_title)
        written.append(write_text(render(m, view.options.self_contained), folder / name))
    snippets = "\n".join(EMBED.format(file=esc(name), title=esc(page_title)) for name, page_title, _ in pages)
    written.append(write_text(snippets, folder / "embed.html"))
    return written
