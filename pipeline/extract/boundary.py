"""Study-area boundary: one feature of a polygon file (by code or name), a whole
polygon file, or a lon/lat box."""

from __future__ import annotations

import difflib
import re

import geopandas as gpd
from anyascii import anyascii
from shapely.geometry import box

from ..common import settings
from ..common._text import fold
from ..common.config import BoundarySpec
from ..common.errors import InputError
from ..common.io import read_vector
from .registry import Source, register_source


_OU = re.compile(r"ου")
#: Words a municipality's name may carry that are not its name (ΔΗΜΟΣ ΒΟΛΟΥ, Municipality of Volos).
_TITLE_WORDS = {"dimos", "dimou", "dimoi", "municipality", "of", "the"}
#: How alike (difflib's ratio, 0-1) a spelling must be to a name to be taken for it, and ahead of the next.
SPELLING_MATCH, SPELLING_LEAD = 0.65, 0.1


def spelling_key(text: str) -> str:
    """A name as Latin letters without accents, case, doubled letters or title
    words: ``'Δήμος Βόλου' -> 'volou'``, ``'Volos' -> 'volos'``, ``'Larissa' -> 'larisa'``."""
    latin = anyascii(_OU.sub("ου", fold(text)).replace("ου", "ou")).lower()
    words = [w for w in re.split(r"[^a-z0-9]+", latin) if w and w not in _TITLE_WORDS]
    return re.sub(r"(.)\1", r"\1", " ".join(words))


#: Endings of Greek place names in the nominative and the genitive (in Latin letters), longest first.
_ENDINGS = ("aion", "eon", "ion", "on", "ou", "os", "as", "is", "es", "a", "i", "o", "s")


def _stem(key: str) -> str:
    """``key`` without its last word's case ending: ``volos`` and ``volou`` are both ``vol``."""
    ending = next((e for e in _ENDINGS if key.endswith(e) and len(key) - len(e) >= 3), "")
    return key[: len(key) - len(ending)]


def closest_names(name: str, names: list[str]) -> list[tuple[float, str]]:
    """``names`` by how alike their spelling is to ``name`` (nominative or genitive,
    Greek or Latin letters: ``Βόλος``, ``Volos`` and ``Βόλου`` are alike), best first:
    the better of the spellings' and their stems' likeness (difflib's ratio)."""
    wanted = spelling_key(name)

    def alike(other: str) -> float:
        key = spelling_key(other)
        return max(difflib.SequenceMatcher(None, wanted, key).ratio(),
                   difflib.SequenceMatcher(None, _stem(wanted), _stem(key)).ratio())
    return sorted(((alike(n), n) for n in dict.fromkeys(names)), key=lambda x: -x[0])


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
        if hit.empty:  # another case or alphabet: Βόλος or Volos for Βόλου
            ranked = closest_names(name or "", gdf[field].astype(str).tolist())
            best = ranked[0] if ranked else (0.0, "")
            runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
            if best[0] >= SPELLING_MATCH and best[0] - runner_up >= SPELLING_LEAD:
                hit = gdf[gdf[field].astype(str) == best[1]]
            else:
                close = [n for score, n in ranked[:3] if score >= 0.5]
                hint = f"; did you mean {' or '.join(repr(n) for n in close)}?" if close else ""
                raise InputError(what, [f"no feature with {field} = {name!r}{hint}"])
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
