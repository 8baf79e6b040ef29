"""Study-area boundary: one feature of a polygon file (by code or name), a whole
polygon file, or a lon/lat box."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import box

from ..common import settings
from ..common._text import fold
from ..common.config import BoundarySpec
from ..common.errors import InputError
from ..common.io import read_vector
from .registry import Source, register_source


def select_feature(gdf: gpd.GeoDataFrame, code: str | None, name: str | None,
                   code_field: str, name_field: str, what: str) -> gpd.GeoDataFrame:
    """The features of ``gdf`` matching ``code`` (exact) or ``name`` (folded).

    A name may match the whole name or a word sequence within it, so
    ``"Βόλου"`` finds ``"ΔΗΜΟΣ ΒΟΛΟΥ"``; an ambiguous name is an error listing
    the candidates.
    """
    if code is None and name is None:
        return gdf
    field = code_field if code is not None else name_field
    if field not in gdf.columns:
        raise InputError(what, [f"no column '{field}' (columns: {', '.join(map(str, gdf.columns))})"])
    if code is not None:
        hit = gdf[gdf[field].astype(str).str.strip() == str(code).strip()]
    else:
        folded = gdf[field].astype(str).map(fold)
        wanted = fold(name or "")
        hit = gdf[folded == wanted]
        if hit.empty:
            hit = gdf[folded.str.contains(wanted, regex=False)]
    if hit.empty:
        raise InputError(what, [f"no feature with {field} = {code if code is not None else name!r}"])
    if code is None and len(hit) > 1:
        names = ", ".join(f"{r[name_field]} ({r.get(code_field, '?')})" for _, r in hit.head(10).iterrows())
        raise InputError(what, [f"name {name!r} matches {len(hit)} features: {names}; give 'code' instead"])
    return hit


def read_boundary(spec: BoundarySpec) -> gpd.GeoDataFrame:
    """The boundary as a one-row GeoDataFrame (dissolved), in its source CRS."""
    what = f"boundary {spec.path}" if spec.path else "boundary"
    if spec.bbox is not None:
        return gpd.GeoDataFrame({"name": ["bbox"]}, geometry=[box(*spec.bbox)], crs=settings.WGS84)
    assert spec.path is not None  # one of path and bbox is given (BoundarySpec)
    gdf = read_vector(spec.path, what, layer=spec.layer)
    if gdf.crs is None:
        if spec.crs is None:
            raise InputError(what, ["the file has no CRS; set boundary.crs in the config (e.g. EPSG:2100)"])
        gdf = gdf.set_crs(spec.crs)
    gdf = select_feature(gdf, spec.code, spec.name, spec.code_field, spec.name_field, what)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if gdf.empty or not set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}:
        raise InputError(what, [f"expected polygons, found {sorted(set(gdf.geom_type)) or 'no geometry'}"])
    label = gdf[spec.name_field].iloc[0] if spec.name_field in gdf.columns and len(gdf) == 1 else str(spec.path.name)
    geom = gdf.geometry.make_valid().union_all()
    return gpd.GeoDataFrame({"name": [str(label)]}, geometry=[geom], crs=gdf.crs)


# the study area's settings are the project's own (config.BoundarySpec), not a 'sources:' section
register_source(Source("boundary", "boundary", "boundary", lambda spec, _reading: read_boundary(spec), needs_area=False,
                       where=lambda s: str(s.path) if s.path else f"bbox {s.bbox}"))
