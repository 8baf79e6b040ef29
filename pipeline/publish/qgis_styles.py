"""QGIS styles stored in the GeoPackage (the ``layer_styles`` table QGIS
reads, a style per layer marked as its default), so the layers open in QGIS
coloured as on the map: the plan by use, the inventory by confidence, the
boundary as an outline. Each style is a QML document built with ElementTree
(every label from the data escaped as XML)."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

from matplotlib.colors import to_rgb

from ..common.io import FIXED_DATE
from .mapdata import CONFIDENCE_COLOURS, USE_COLOURS

QGIS_VERSION = "3.28.0-Firenze"
TABLE = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
  useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT, update_time DATETIME)"""


def _rgba(colour: str, alpha: float = 1.0) -> str:
    r, g, b = (round(255 * c) for c in to_rgb(colour))
    return f"{r},{g},{b},{round(255 * alpha)}"


def _fill(parent: ET.Element, name: str, colour: str | None, outline: str, width: float, alpha: float) -> None:
    symbol = ET.SubElement(parent, "symbol", type="fill", name=name, alpha=f"{alpha:g}", clip_to_extent="1",
                           force_rhr="0")
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in (("color", _rgba(colour) if colour else "0,0,0,0"), ("outline_color", _rgba(outline)),
                       ("outline_style", "solid"), ("outline_width", f"{width:g}"), ("outline_width_unit", "MM"),
                       ("style", "solid" if colour else "no")):
        ET.SubElement(options, "Option", name=key, type="QString", value=value)


def _document(renderer: ET.Element) -> str:
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    root.append(renderer)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def categorized_qml(field: str, categories: list[tuple[str, str, str]], outline: str = "#222222",
                    alpha: float = 0.8) -> str:
    """A QML categorized renderer on ``field``: ``(value, label, colour)`` per category."""
    renderer = ET.Element("renderer-v2", type="categorizedSymbol", attr=field, enableorderby="0", forceraster="0",
                          symbollevels="0")
    cats, symbols = ET.SubElement(renderer, "categories"), ET.SubElement(renderer, "symbols")
    for i, (value, label, colour) in enumerate(categories):
        ET.SubElement(cats, "category", symbol=str(i), value=value, label=label, render="true")
        _fill(symbols, str(i), colour, outline, 0.3, alpha)
    return _document(renderer)


def outline_qml(colour: str = "#555555", width: float = 0.6) -> str:
    """A QML single-symbol renderer: an outline, no fill."""
    renderer = ET.Element("renderer-v2", type="singleSymbol", enableorderby="0", forceraster="0", symbollevels="0")
    _fill(ET.SubElement(renderer, "symbols"), "0", None, colour, width, 1.0)
    return _document(renderer)


def project_styles(uses: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Each layer's ``(style name, QML)``: ``uses`` are each use's code and label, in the profiles' order."""
    return {
        "plan": ("plan by use", categorized_qml("use", [(code, label, USE_COLOURS[i % len(USE_COLOURS)])
                                                        for i, (code, label) in enumerate(uses)])),
        "idle_assets": ("confidence", categorized_qml("confidence", [(c, c, colour) for c, colour
                                                                     in CONFIDENCE_COLOURS.items()], alpha=0.5)),
        "boundary": ("outline", outline_qml()),
    }


def add_styles(gpkg: Path, styles: dict[str, tuple[str, str]]) -> None:
    """Store ``styles`` (layer: name and QML) in ``gpkg``'s ``layer_styles``, each its layer's default;
    layers the file does not hold are left out. The time is fixed, so the same styles give the same bytes."""
    stamp = "{:04d}-{:02d}-{:02d}T00:00:00Z".format(*FIXED_DATE[:3])
    with sqlite3.connect(gpkg) as db:
        layers = dict(db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        db.execute(TABLE)
        for layer, (name, qml) in styles.items():
            if layer in layers:
                db.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                           "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, "
                           "update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, ?)",
                           (layer, layers[layer], name, qml, f"idle-assets: {name}", stamp))
    db.close()
