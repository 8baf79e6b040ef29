"""A small map of a site and its surroundings drawn straight to SVG from the
geometries (no plotting library): land use, buildings, roads, the other idle
sites and the site itself, with a scale bar and a north arrow. A few
milliseconds a map, so every asset can have its fact sheet; nothing from the
inputs' text enters the drawing, only coordinates."""

from __future__ import annotations

import base64

import numpy as np
import shapely

#: Width and height of the drawing (px; the page scales it), and its margins' share.
WIDTH, HEIGHT = 660, 470
#: Scale bar lengths tried (m): the longest under a fifth of the map's width.
SCALE_STEPS = (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000)

#: Fill, outline and outline width per layer, as the atlas has always drawn them.
STYLES = {
    "landuse": ("#e8efdc", "#c9d6b5", 0.6),
    "buildings": ("#d6d0c8", "#a89f94", 0.6),
    "roads": ("none", "#8f8f8f", 1.6),
    "others": ("none", "#d4a017", 2.0),
    "site": ("rgba(26,150,65,0.35)", "#0b5d1e", 4.0),
}


#: Drawing units (px) beyond the frame that shapes are kept to (cut there, so
#: the edges the cut makes lie outside the picture), and the tolerance (px)
#: shapes are simplified to: a fifth of a pixel, under what print shows.
CLIP_MARGIN_PX, SIMPLIFY_PX = 8.0, 0.2


def _paths(geoms: np.ndarray, frame: tuple[float, float, float, float]) -> str:
    """SVG path data of the polygons' rings and the lines in ``geoms``,
    projected from ``frame`` (metres) onto the drawing (y pointing down).
    Only what the picture shows is written: shapes cut just outside the
    frame and simplified below a pixel (a land-use area or a road can run for
    kilometres beyond the map; every point costs the PDF's drawing)."""
    if len(geoms) == 0:
        return ""
    x0, y0, x1, y1 = frame
    k = WIDTH / (x1 - x0)
    margin = CLIP_MARGIN_PX / k
    geoms = shapely.simplify(shapely.clip_by_rect(geoms, x0 - margin, y0 - margin, x1 + margin, y1 + margin),
                             SIMPLIFY_PX / k, preserve_topology=False)
    geoms = geoms[~shapely.is_empty(geoms)]
    parts = shapely.get_parts(geoms)
    polygons = parts[shapely.get_type_id(parts) == 3]
    lines = parts[np.isin(shapely.get_type_id(parts), (1, 2))]
    pieces = np.concatenate([shapely.get_rings(polygons), lines]) if len(polygons) else lines
    if len(pieces) == 0:
        return ""
    coords, index = shapely.get_coordinates(pieces, return_index=True)
    px = np.round((coords[:, 0] - x0) * k, 1)
    py = np.round((y1 - coords[:, 1]) * k, 1)
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    closed = np.zeros(len(pieces), bool)
    closed[: len(pieces) - len(lines)] = True  # rings first, then lines
    text = [f"{x:g} {y:g}" for x, y in zip(px.tolist(), py.tolist())]
    out = []
    for s, e, piece in zip(starts, np.r_[starts[1:], len(text)], index[starts]):
        out.append("M" + " L".join(text[s:e]) + ("Z" if closed[piece] else ""))
    return "".join(out)


def _layer(d: str, name: str) -> str:
    fill, stroke, width = STYLES[name]
    return (f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="{width}" stroke-linejoin="round" '
            f'fill-rule="evenodd"/>' if d else "")


def _scale_bar(metres_wide: float) -> str:
    k = WIDTH / metres_wide
    length = max((s for s in SCALE_STEPS if s * k <= WIDTH / 5), default=SCALE_STEPS[0])
    w = length * k
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    y = HEIGHT - 16
    return (f'<g font-family="sans-serif" font-size="13"><rect x="8" y="{y - 20}" width="{w + 16:.1f}" height="30" '
            f'fill="white" fill-opacity="0.8"/><path d="M16 {y - 4}V{y}H{16 + w:.1f}V{y - 4}" fill="none" stroke="black" '
            f'stroke-width="2"/><text x="{16 + w / 2:.1f}" y="{y - 7}" text-anchor="middle">{label}</text></g>')


def _north_arrow() -> str:
    x, y = WIDTH - 30, 20
    return (f'<g><path d="M{x} {y}L{x - 9} {y + 26}L{x} {y + 19}L{x + 9} {y + 26}Z" fill="black"/>'
            f'<text x="{x}" y="{y + 44}" font-family="sans-serif" font-size="15" font-weight="bold" '
            f'text-anchor="middle">N</text></g>')


def site_map_svg(geom, context, others: np.ndarray, surroundings: float) -> str:
    """The SVG of ``geom`` (project CRS, metres) and what lies within
    ``surroundings`` of it: ``context``'s land use, buildings and roads, and
    ``others`` (the other idle sites)."""
    bx0, by0, bx1, by1 = shapely.bounds(geom)
    pad = max(surroundings, 0.25 * max(bx1 - bx0, by1 - by0))
    cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
    half_h = max(bx1 - bx0, by1 - by0) / 2 + pad
    half_w = half_h * WIDTH / HEIGHT
    frame = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    box = shapely.box(*frame)
    body = []
    for name in ("landuse", "buildings", "roads"):
        layer = getattr(context, name, None) if context is not None else None
        if layer is not None and len(layer):
            near = layer.geometry.to_numpy()[layer.sindex.query(box, predicate="intersects")]
            body.append(_layer(_paths(near, frame), name))
    body.append(_layer(_paths(np.asarray(others, dtype=object), frame), "others"))
    body.append(_layer(_paths(np.array([geom], dtype=object), frame), "site"))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">'
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/><g>{"".join(body)}</g>'
            f"{_scale_bar(frame[2] - frame[0])}{_north_arrow()}</svg>")


def svg_image(svg: str, alt: str) -> str:
    """``svg`` as an ``<img>`` (a data URI: the page's CSS sizes it like any picture)."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f"<img alt='{alt}' src='data:image/svg+xml;base64,{data}'>"
