"""What must not appear on the Greek side of an output (issue 30, item 7): an
English word, or an ASCII ";" (in Greek the question mark).

A word is English when it is Latin letters and not one of the names every
language keeps (OSM, TOPSIS, AHP, units, file formats), not part of an asset id
(``osm-way-48087193``, ``reg-ΒΟΛ-006``) or an address, and not in ``data``: the
texts of the inputs themselves (site and organisation names), which are printed
as they were written.
"""

from __future__ import annotations

import re

#: Names and symbols Greek text keeps in Latin letters.
KEPT = {"OSM", "OpenStreetMap", "TOPSIS", "AHP", "Kendall", "Saaty", "CSV", "GeoJSON", "XLSX", "PDF", "QR", "GPX",
        "EN", "CR", "W", "ha", "m", "km", "kWp", "kWh", "MWh", "m²", "CC", "BY", "ODbL", "SA", "Leaflet", "Copernicus",
        "INSPIRE", "Urban", "Atlas", "MW", "Wp", "idle-assets", "pvlib", "Solis", "PVGIS", "WFS", "ESA", "EU", "DEM", "SRTM", "GHS", "JRC", "Kobo", "ODK", "Enketo", "GeoPackage", "QGIS"}
_ID = re.compile(r"(?:[\w.-]+\.(?:csv|xlsx|pdf|gpx|html|gpkg|geojson)\b|\b[a-z]+(?:_[a-z0-9]+)+\b|[a-z_]+\.[a-z_]+: [a-z_]+|osm-(?:way|node|relation|block)-[\d-]+|reg-[\w-]+|cad-\d+|ua-\d{4}-[\w.-]+|srv-[\w-]+|rpt-[\w-]+|survey-[\w-]+|report-[\w-]+|https?://\S+|[\w.-]+\.(?:csv|xlsx|pdf|gpx|html|gpkg|geojson))")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def english_words(text: str, data: set[str] = frozenset()) -> list[str]:
    """The English words of ``text`` (see the module's docstring), ``data`` being
    the input texts it may quote."""
    for value in sorted(data, key=len, reverse=True):
        if value:
            text = text.replace(value, " ")
    text = _ID.sub(" ", text)
    return [w for w in _WORD.findall(text) if w.strip("'’-") not in KEPT]


def ascii_semicolons(text: str, data: set[str] = frozenset()) -> int:
    """How many ASCII ";" ``text`` has outside the input texts it quotes."""
    for value in sorted(data, key=len, reverse=True):
        if value:
            text = text.replace(value, " ")
    return _ID.sub(" ", text).count(";")


def greek_side_of_html(page: str) -> str:
    """The text of an HTML page without its head and without what is marked as English (``lang="en"``)."""
    import html as _html

    body = page.split("<body", 1)[-1]
    body = re.sub(r"<(span|div|p|i|td|th|small)\s[^>]*lang=['\"]en['\"][^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<style.*?</style>|<script.*?</script>", " ", body, flags=re.S)
    return _html.unescape(re.sub(r"<[^>]+>", " ", body))
