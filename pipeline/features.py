"""Stage 3, features: the criteria library.

Each criterion is a pure, vectorised function ``f(assets, context) -> Series``
on the assets' index, registered by name with its unit and labels so that use
profiles refer to it. No I/O happens here. Distances use shapely's STRtree;
no criterion loops over geometries in Python.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _proximity, _raster, coefficients, contracts, settings
from .transform import Context

log = logging.getLogger(__name__)

CriterionFn = Callable[[gpd.GeoDataFrame, Context], pd.Series]


#: The context layers a criterion can read (see :class:`~pipeline.transform.Context`).
CONTEXT_LAYERS = ("buildings", "landuse", "roads", "pois")
#: Those that can hold the assets themselves (OSM buildings, areas and nodes),
#: which criteria leave out of the context (:func:`_not_self`).
SELF_LAYERS = ("buildings", "landuse", "pois")


@dataclass(frozen=True)
class Criterion:
    """A registered criterion: what it measures, what it needs and how far it reads.

    Attributes
    ----------
    name, unit, label_en, label_el : str
        Its name in profiles and column ``c_<name>``, unit and labels.
    kind : str
        ``number`` or ``category``.
    func : callable
        ``func(assets, context) -> Series`` on the assets' index.
    needs : str, optional
        The optional source it reads (a raster kind, ``zone:<kind>``,
        ``solar`` or a registered source's name); without it the criterion
        is left out of a project.
    direction : str
        Its usual sense: ``benefit``, ``cost``, ``depends on the use`` or ``class``.
    reads : mapping or None
        For each context layer it reads, how far beyond an asset (m); a
        layer not named is not read. ``None``: not declared, so a partitioned
        run gives it every layer within the widest reach (exact, slower).
    tags : mapping
        The OSM tags (key -> values, ``None`` for any value) it selects in
        those layers, for the documentation.
    """

    name: str
    unit: str
    label_en: str
    label_el: str
    kind: str
    func: CriterionFn
    needs: str | None = None
    direction: str = "benefit"
    reads: Mapping[str, float] | None = None
    tags: Mapping[str, frozenset[str] | None] = field(default_factory=dict)


REGISTRY: dict[str, Criterion] = {}


def criterion(name: str, unit: str, en: str, el: str, *, needs: str | None = None, direction: str = "benefit",
              reads: Mapping[str, float] | None = None, tags: Mapping[str, Iterable[str] | None] | None = None):
    """Register a criterion function under ``name`` (see :class:`Criterion`).

    ``needs`` names the optional source it reads; ``direction`` is its usual
    sense (a profile's value function sets the sense for each use; ``class``
    makes it a category, else a number);
    ``reads`` says how far beyond an asset it reads each context layer
    (``{}``: none, only the asset itself); ``tags`` the OSM tags it selects.
    """
    unknown = set(reads or {}) - set(CONTEXT_LAYERS)
    if unknown:
        raise ValueError(f"criterion {name}: unknown context layers {sorted(unknown)}; known: {CONTEXT_LAYERS}")

    def register(func: CriterionFn) -> CriterionFn:
        REGISTRY[name] = Criterion(name, unit, en, el, "category" if direction == "class" else "number", func, needs,
                                   direction, None if reads is None else dict(reads),
                                   {k: None if v is None else frozenset(v) for k, v in (tags or {}).items()})
        return func
    return register


def widest_reach() -> float:
    """The farthest any registered criterion reads a layer (the halo of a
    partition that must give every criterion its real neighbours)."""
    return max([settings.NEAREST_SEARCH_M, *(d for c in REGISTRY.values() for d in (c.reads or {}).values())])


def layer_halos(names: Iterable[str]) -> dict[str, float | None]:
    """For each context layer, how far beyond a tile the criteria ``names``
    read it (``None``: not read at all); a criterion that does not declare
    what it reads (or is unknown) gets every layer within :func:`widest_reach`."""
    halo: dict[str, float | None] = dict.fromkeys(CONTEXT_LAYERS)
    for name in names:
        crit = REGISTRY.get(name)
        reads = crit.reads if crit is not None and crit.reads is not None else dict.fromkeys(CONTEXT_LAYERS, widest_reach())
        for layer, reach in reads.items():
            halo[layer] = max(halo[layer] or 0.0, reach)
    return halo


def registry_fingerprint() -> str:
    """A digest of every registered criterion (name, unit, needs, reach, tags
    and the code of its function), for the stage-cache key: a criterion
    added, removed or edited makes cached features stale."""
    import hashlib
    import inspect

    def code(func) -> str:
        try:
            return inspect.getsource(func)
        except (OSError, TypeError):  # defined where the source is not kept (a REPL)
            return f"{func.__module__}.{func.__qualname__}"

    facts = [[c.name, c.unit, c.kind, c.needs, c.direction, sorted((c.reads or {}).items()) if c.reads is not None else None,
              sorted((k, sorted(v) if v is not None else None) for k, v in c.tags.items()), code(c.func)]
             for c in REGISTRY.values()]
    return hashlib.sha256(repr(sorted(facts, key=lambda f: str(f[0]))).encode()).hexdigest()[:16]


def criteria_markdown() -> str:
    """The criteria library as a Markdown table (the README's, which a test keeps equal to it)."""
    def layers(c: Criterion) -> str:
        needs = [f"`{c.needs}`"] if c.needs else []
        if c.reads is None:
            return ", ".join([*needs, "any layer"])
        if not c.reads:
            return ", ".join(needs or ["the asset only"])
        return ", ".join([*needs, *(f"{k} within {v:g} m" if v else f"{k} on the asset" for k, v in c.reads.items())])

    def tags(c: Criterion) -> str:
        return "; ".join(f"`{k}`" if v is None else f"`{k}`=" + "/".join(sorted(v)) for k, v in c.tags.items())

    rows = ["| criterion | unit | what it measures | στα ελληνικά | reads | OSM tags | sense |",
            "|---|---|---|---|---|---|---|"]
    rows += [f"| `{c.name}` | {c.unit} | {c.label_en} | {c.label_el} | {layers(c)} | {tags(c)} | {c.direction} |"
             for c in REGISTRY.values()]
    return "\n".join(rows) + "\n"


# ---------------------------------------------------------------- helpers

def _tag_mask(tags: pd.Series, wanted: dict[str, set[str]]) -> np.ndarray:
    return np.fromiter((any(t.get(k) in v for k, v in wanted.items()) for t in tags), bool, len(tags))


def _grown_boxes(geoms: np.ndarray, by: float) -> np.ndarray:
    b = shapely.bounds(geoms)
    return shapely.box(b[:, 0] - by, b[:, 1] - by, b[:, 2] + by, b[:, 3] + by)


def nearest_distance(assets: gpd.GeoDataFrame, targets: np.ndarray, label: str) -> pd.Series:
    """Distance (m) from each asset to the nearest target geometry.

    Capped at ``NEAREST_SEARCH_M``. With no targets at all the distance is
    unknown (NaN) and a warning says so.

    Exact, in passes: the candidates whose boxes meet the asset's box grown by
    about the targets' typical spacing (any target within that distance is
    among them, so a minimum under it is the nearest), of which only those
    whose box could still be nearer are measured (:func:`_nearest_among`);
    then the same with a 3x wider box for the assets that found none. The
    few left after ``NEAREST_PASSES`` get GEOS's nearest-neighbour search
    (26 us an asset on the dense benchmark, twice a box pass), except those
    farther than ``NEAREST_SEARCH_M``, whose answer is the cap.
    """
    if len(targets) == 0:
        if len(assets):
            log.warning("no %s in the data: that distance is unknown for every asset", label)
        return pd.Series(np.nan, index=assets.index)
    geoms = assets.geometry.to_numpy()
    tree = shapely.STRtree(targets)
    x0, y0, x1, y1 = shapely.total_bounds(targets)
    spacing = np.sqrt(max((x1 - x0) * (y1 - y0), 1.0) / len(targets))
    radius = float(np.clip(0.7 * spacing, 25.0, settings.NEAREST_SEARCH_M))
    out = np.full(len(geoms), np.inf)
    b, target_box = shapely.bounds(geoms), shapely.bounds(targets)
    pending = np.arange(len(geoms))
    for k in range(NEAREST_PASSES):
        if k:
            radius = min(3 * radius, settings.NEAREST_SEARCH_M)
        part = np.full(len(pending), np.inf)

        def work(start: int, stop: int, by: float = radius, mine: np.ndarray = pending, part: np.ndarray = part) -> None:
            a_idx, t_idx = tree.query(_grown_boxes(geoms[mine[start:stop]], by))
            part[start:stop] = _nearest_among(geoms[mine[start:stop]], targets, a_idx, t_idx,
                                              _proximity.box_gap(b[mine[start:stop]][a_idx], target_box[t_idx]))

        # chunks sized by the candidates expected in each grown box, so that their pairs fit the budget
        density = len(targets) / max((x1 - x0 + 2 * radius) * (y1 - y0 + 2 * radius), 1.0)
        bp = b[pending]
        expected = density * (bp[:, 2] - bp[:, 0] + 2 * radius) * (bp[:, 3] - bp[:, 1] + 2 * radius)
        _proximity.run_chunks(work, _proximity.chunks(np.nan_to_num(expected) + _proximity.ASSET_PAIRS, _proximity.PAIR_BYTES * 2))
        out[pending] = part
        pending = pending[part > radius]
        if not len(pending) or radius >= settings.NEAREST_SEARCH_M:
            break
    if len(pending) and radius < settings.NEAREST_SEARCH_M:  # beyond it the cap is the answer
        (l_idx, _), dist = tree.query_nearest(geoms[pending], return_distance=True, all_matches=False)
        out[pending[l_idx]] = dist
    return pd.Series(np.minimum(out, settings.NEAREST_SEARCH_M), index=assets.index)


#: box passes (each 3x wider) before GEOS's nearest-neighbour search takes the assets left
NEAREST_PASSES = 2


#: candidates each asset measures in order of box distance before the rest
#: are measured at once (each round is one call into GEOS for every asset)
NEAREST_ROUNDS = 2


def _nearest_among(geoms: np.ndarray, targets: np.ndarray, a_idx: np.ndarray, t_idx: np.ndarray,
                   gap: np.ndarray) -> np.ndarray:
    """For each of ``geoms``, the least distance to its candidate targets
    (pairs ``a_idx``, ``t_idx`` with box distances ``gap``; inf without any).

    Each asset measures its candidates nearest box first; a candidate whose
    box is no nearer than the least distance found cannot be nearer, so it is
    never measured (on the dense benchmark an asset measures 3.6 of its 11.7
    candidates). The result is the same minimum of the same GEOS distances
    as measuring every pair.
    """
    best = np.full(len(geoms), np.inf)
    order = np.lexsort((gap, a_idx))
    a_idx, t_idx, gap = a_idx[order], t_idx[order], gap[order]
    starts = np.flatnonzero(np.r_[True, a_idx[1:] != a_idx[:-1]]) if len(a_idx) else np.zeros(0, int)
    place = np.arange(len(a_idx)) - np.repeat(starts, np.diff(np.r_[starts, len(a_idx)]))

    def measure(pairs: np.ndarray) -> None:
        np.minimum.at(best, a_idx[pairs], shapely.distance(geoms[a_idx[pairs]], targets[t_idx[pairs]]))

    for k in range(NEAREST_ROUNDS):
        pairs = starts + k
        pairs = pairs[pairs < len(a_idx)]
        measure(pairs[(place[pairs] == k) & (gap[pairs] < best[a_idx[pairs]])])
    measure(np.flatnonzero((place >= NEAREST_ROUNDS) & (gap < best[a_idx])))
    return best


def covered_area(areas: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """Area of each polygon in ``areas`` covered by the polygons in ``cover``
    (overlaps between cover polygons are counted once per pair).

    A cover polygon wholly inside its area (``contains_properly``) adds its
    own area; only those crossing the edge are intersected, the costly part.
    The test runs on the pairs whose box lies inside the area's box, on
    prepared areas where they are many (in a 250 m neighbourhood of a town
    most buildings are wholly inside); either way each pair's value is the
    same, so partitioned runs give identical results.
    """
    out = np.zeros(len(areas))
    if len(cover) == 0 or len(areas) == 0:
        return out
    tree = shapely.STRtree(cover)
    cover_area, cover_box = shapely.area(cover), shapely.bounds(cover)
    b = shapely.bounds(areas)
    span = np.ptp(cover_box[:, [0, 1]], axis=0) + 1.0
    expected = len(cover) / float(np.prod(span)) * (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])

    def work(start: int, stop: int) -> None:
        part, box = areas[start:stop], b[start:stop]
        a_idx, c_idx = tree.query(part, predicate="intersects")
        cb = cover_box[c_idx]
        maybe = np.flatnonzero((cb[:, 0] > box[a_idx, 0]) & (cb[:, 1] > box[a_idx, 1])
                               & (cb[:, 2] < box[a_idx, 2]) & (cb[:, 3] < box[a_idx, 3]))
        hosts = np.unique(a_idx[maybe])
        many = len(maybe) > 4 * len(hosts)  # preparing pays for itself over a few tests
        if many:
            shapely.prepare(part[hosts])
        inside = np.zeros(len(a_idx), bool)
        inside[maybe] = shapely.contains_properly(part[a_idx[maybe]], cover[c_idx[maybe]])
        if many:
            shapely.destroy_prepared(part[hosts])
        piece = cover_area[c_idx].copy()
        edge = ~inside
        piece[edge] = shapely.area(shapely.intersection(part[a_idx[edge]], cover[c_idx[edge]]))
        # added in a fixed order (by asset, then piece size) so that the sum does not
        # depend on the cover's row order: partitioned runs give identical results
        order = np.lexsort((piece, a_idx))
        local = np.zeros(stop - start)
        np.add.at(local, a_idx[order], piece[order])
        out[start:stop] = local

    _proximity.run_chunks(work, _proximity.chunks(np.nan_to_num(expected) + _proximity.ASSET_PAIRS, _proximity.PAIR_BYTES * 2))
    return out


def _not_self(context: Context, layer: str, assets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The context ``layer``'s features other than the assets themselves (all
    the project's assets, when ``context.asset_refs`` names them); ``layer``
    is one of ``SELF_LAYERS``."""
    if layer not in SELF_LAYERS:
        raise ValueError(f"{layer} is not among the layers that hold assets {SELF_LAYERS}")
    frame = getattr(context, layer)
    refs = context.asset_refs if context.asset_refs is not None else assets["osm_ref"]
    own = pd.Series(refs, dtype=object).dropna()
    if own.empty or frame.empty:
        return frame
    import pyarrow as pa
    import pyarrow.compute as pc

    # Arrow's hash set is ~10x faster than pandas' isin on a million object strings
    mine = pc.is_in(pa.array(frame["osm_ref"].astype(object), type=pa.string()),
                    value_set=pa.array(own.astype(object), type=pa.string()))
    return frame[~mine.fill_null(False).to_numpy(zero_copy_only=False)]


# ---------------------------------------------------------------- criteria

@criterion("area_m2", "m²", "area", "εμβαδόν", reads={})
def area(assets: gpd.GeoDataFrame, _context: Context) -> pd.Series:
    return pd.Series(shapely.area(assets.geometry.to_numpy()), index=assets.index)


@criterion("compactness", "0-1", "compactness", "συμπαγές σχήμα", reads={})
def compactness(assets: gpd.GeoDataFrame, _context: Context) -> pd.Series:
    """Polsby-Popper ratio 4πA/P²: 1 for a circle, near 0 for a thin strip."""
    g = assets.geometry.to_numpy()
    perimeter = shapely.length(g)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(perimeter > 0, 4 * np.pi * shapely.area(g) / perimeter**2, np.nan)
    return pd.Series(np.clip(value, 0, 1), index=assets.index)


@criterion("road_distance_m", "m", "distance to a road", "απόσταση από δρόμο", direction="cost",
           reads={"roads": settings.NEAREST_SEARCH_M}, tags={"highway": settings.DRIVING_HIGHWAYS})
def road_distance(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    return nearest_distance(assets, context.roads.geometry.to_numpy(), "roads")


TRANSIT_TAGS: dict[str, set[str]] = {
    "highway": {"bus_stop"},
    "public_transport": {"platform", "stop_position", "station"},
    "railway": {"station", "halt", "tram_stop"},
    "amenity": {"bus_station", "ferry_terminal"},
}


@criterion("transit_distance_m", "m", "distance to public transport", "απόσταση από συγκοινωνία", direction="cost",
           reads={"pois": settings.NEAREST_SEARCH_M}, tags=TRANSIT_TAGS)
def transit_distance(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    pois = context.pois
    stops = pois.geometry.to_numpy()[_tag_mask(pois["tags"], TRANSIT_TAGS)] if len(pois) else np.array([])
    return nearest_distance(assets, stops, "public transport stops")


SCHOOL_TAGS: dict[str, set[str]] = {
    "amenity": {"school", "kindergarten", "college", "university"},
    "building": {"school", "kindergarten"},
}


@criterion("school_distance_m", "m", "distance to a school", "απόσταση από σχολείο", direction="cost",
           reads={"pois": settings.NEAREST_SEARCH_M, "buildings": settings.NEAREST_SEARCH_M}, tags=SCHOOL_TAGS)
def school_distance(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    layers = [_not_self(context, "pois", assets), _not_self(context, "buildings", assets)]
    geoms = [l.geometry.to_numpy()[_tag_mask(l["tags"], SCHOOL_TAGS)] for l in layers if len(l)]
    return nearest_distance(assets, np.concatenate(geoms) if geoms else np.array([]), "schools")


@criterion("services_nearby", "count", f"amenities and stops within {settings.SERVICES_RADIUS_M:g} m",
           f"υπηρεσίες και στάσεις σε ακτίνα {settings.SERVICES_RADIUS_M:g} m",
           reads={"pois": settings.SERVICES_RADIUS_M}, tags=settings.POI_TAGS)
def services_nearby(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """How many points of interest (amenities, shops, stops) lie within
    ``SERVICES_RADIUS_M`` of the asset's edge."""
    count = _proximity.count_within(assets.geometry.to_numpy(), context.pois.geometry.to_numpy(),
                                    settings.SERVICES_RADIUS_M)
    return pd.Series(count, index=assets.index)


RESIDENTIAL_BUILDINGS = {
    "residential", "house", "apartments", "detached", "terrace", "semidetached_house", "dormitory",
}


@criterion("residential_distance_m", "m", "distance to housing", "απόσταση από κατοικίες", direction="depends on the use",
           reads={"landuse": settings.NEAREST_SEARCH_M, "buildings": settings.NEAREST_SEARCH_M},
           tags={"landuse": settings.RESIDENTIAL_LANDUSE, "building": RESIDENTIAL_BUILDINGS})
def residential_distance(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Distance to residential landuse or residential buildings (0 inside them)."""
    lu, bl = _not_self(context, "landuse", assets), _not_self(context, "buildings", assets)
    lu_mask = np.fromiter((t.get("landuse") in settings.RESIDENTIAL_LANDUSE for t in lu["tags"]), bool, len(lu))
    bl_mask = np.fromiter((t.get("building") in RESIDENTIAL_BUILDINGS for t in bl["tags"]), bool, len(bl))
    geoms = np.concatenate([lu.geometry.to_numpy()[lu_mask], bl.geometry.to_numpy()[bl_mask]])
    return nearest_distance(assets, geoms, "residential areas")


@criterion("built_share", "0-1", f"built-up share within {settings.DENSITY_RADIUS_M:g} m",
           f"δόμηση σε ακτίνα {settings.DENSITY_RADIUS_M:g} m", direction="depends on the use",
           reads={"buildings": settings.DENSITY_RADIUS_M}, tags={"building": None})
def built_share(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Share of the neighbourhood (asset grown by ``DENSITY_RADIUS_M``) covered by buildings."""
    hood = shapely.buffer(assets.geometry.to_numpy(), settings.DENSITY_RADIUS_M)
    covered = covered_area(hood, context.buildings.geometry.to_numpy())
    return pd.Series(np.clip(covered / shapely.area(hood), 0, 1), index=assets.index)


def _built_area(assets: gpd.GeoDataFrame, context: Context) -> np.ndarray:
    """Building assets: their footprint; land assets: the footprint of buildings on them."""
    g = assets.geometry.to_numpy()
    is_building = (assets["kind"] == "building").to_numpy()
    others = _not_self(context, "buildings", assets).geometry.to_numpy()
    return np.where(is_building, shapely.area(g), covered_area(g, others))


@criterion("footprint_share", "0-1", "share covered by buildings", "κάλυψη από κτίρια", direction="depends on the use",
           reads={"buildings": 0.0}, tags={"building": None})
def footprint_share(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Share of the asset covered by buildings (ruins included); 1 for a building asset."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = _built_area(assets, context) / shapely.area(assets.geometry.to_numpy())
    return pd.Series(np.clip(np.nan_to_num(share), 0, 1), index=assets.index)


@criterion("roof_area_m2", "m²", "roof area", "εμβαδόν στέγης", reads={"buildings": 0.0}, tags={"building": None})
def roof_area(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Building assets: their footprint, 0 for a ruin (no usable roof until a
    survey records another condition); land assets: the footprint of buildings on them."""
    condition = assets["condition"] if "condition" in assets else pd.Series(None, index=assets.index, dtype=object)
    ruin = (assets["kind"] == "building").to_numpy() & (condition == "ruin").to_numpy()
    return pd.Series(np.where(ruin, 0.0, _built_area(assets, context)), index=assets.index)


@criterion("floor_area_m2", "m²", "floor area", "επιφάνεια ορόφων", reads={"buildings": 0.0},
           tags={"building": None, "building:levels": None})
def floor_area(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Roof area times ``building:levels`` (1 when not mapped); 0 for land without buildings."""
    levels = pd.Series(np.nan, index=assets.index)
    if len(context.buildings):
        by_ref = context.buildings.set_index("osm_ref")["tags"].map(lambda t: t.get("building:levels"))
        levels = pd.to_numeric(assets["osm_ref"].map(by_ref), errors="coerce")
    return roof_area(assets, context) * levels.where(levels >= 1, 1.0)


@criterion("landuse", "class", "land use", "χρήση γης", direction="class", reads={"landuse": 0.0},
           tags={"landuse": None})
def landuse_class(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """The asset's own ``landuse`` tag, else that of the landuse polygon its
    centre falls in, else ``"unknown"``."""
    own = assets["landuse"].astype(object)
    lu = context.landuse
    out = own.copy()
    need = own.isna().to_numpy()
    if need.any() and len(lu):
        tree = shapely.STRtree(lu.geometry.to_numpy())
        pts = shapely.point_on_surface(assets.geometry.to_numpy()[need])
        p_idx, l_idx = tree.query(pts, predicate="within")
        values = np.array([t.get("landuse") for t in lu["tags"]], dtype=object)
        found = np.full(need.sum(), None, dtype=object)
        found[p_idx] = values[l_idx]
        out.iloc[np.flatnonzero(need)] = found
    return out.where(out.notna(), "unknown").astype(object)


@criterion("condition", "class", "condition", "κατάσταση", direction="class", reads={})
def condition(assets: gpd.GeoDataFrame, _context: Context) -> pd.Series:
    return assets["condition"].astype(object).where(assets["condition"].notna(), "unknown")


@criterion("occupancy", "class", "occupancy (survey)", "χρήση (αυτοψία)", direction="class", reads={})
def occupancy(assets: gpd.GeoDataFrame, _context: Context) -> pd.Series:
    return assets["occupancy"].astype(object).where(assets["occupancy"].notna(), "unknown")


@criterion("solar_mwh_per_year", "MWh/year", "solar yield estimate", "εκτίμηση ηλιακής παραγωγής", needs="solar",
           reads={"buildings": 0.0}, tags={"building": None})
def solar_yield(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Yearly PV energy if the asset carried panels: on the roof of a building,
    on the open ground of land, with the project's impact coefficients."""
    if context.solar is None:
        raise KeyError("no solar coefficients in the context (the runner sets them)")
    solar, kwh_per_kwp = context.solar
    g = assets.geometry.to_numpy()
    inset = shapely.area(shapely.buffer(g, -solar.setback_m.value)) if solar.setback_m.value > 0 else shapely.area(g)
    is_building = (assets["kind"] == "building").to_numpy()
    open_share = 1 - footprint_share(assets, context).to_numpy()
    kwp = coefficients.peak_kwp(inset, open_share, is_building, solar)
    return pd.Series(kwp * kwh_per_kwp / 1000, index=assets.index)


def _raster_stat(assets: gpd.GeoDataFrame, context: Context, kind: str, op: str) -> pd.Series:
    layer = context.rasters.get(kind)
    if layer is None:
        raise KeyError(f"no {kind} raster in this project: configure one under sources.rasters")
    return _raster.zonal(assets, layer, op)


@criterion("elevation_m", "m", "elevation", "υψόμετρο", needs="dem", direction="depends on the use", reads={})
def elevation(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Mean elevation over the asset (DEM), cells weighted by the share covered."""
    return _raster_stat(assets, context, "dem", "mean")


@criterion("slope_deg", "°", "slope", "κλίση", needs="dem", direction="cost", reads={})
def slope(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Mean slope in degrees over the asset, from the DEM on the project grid."""
    return _raster_stat(assets, context, "slope", "mean")


@criterion("irradiance", "kWh/m²", "solar irradiance", "ηλιακή ακτινοβολία", needs="irradiance", reads={})
def irradiance(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Mean of the irradiance raster over the asset, in the raster's unit."""
    return _raster_stat(assets, context, "irradiance", "mean")


@criterion("landcover", "class", "land cover", "κάλυψη γης", needs="landcover", direction="class", reads={})
def landcover(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """The land-cover class covering most of the asset, as text (``"211"``)."""
    values = _raster_stat(assets, context, "landcover", "majority")
    text = values.map(lambda v: "unknown" if pd.isna(v) else f"{v:g}")
    return text.astype(object)


def _zone_share(assets: gpd.GeoDataFrame, context: Context, kind: str) -> pd.Series:
    zones = context.zones.get(kind)
    if zones is None:
        raise KeyError(f"no {kind} zones in this project: configure them under sources.zones")
    g = assets.geometry.to_numpy()
    merged = np.array([shapely.union_all(zones.geometry.to_numpy())]) if len(zones) else np.array([])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = covered_area(g, merged) / shapely.area(g)
    return pd.Series(np.clip(np.nan_to_num(share), 0, 1), index=assets.index)


@criterion("flood_share", "0-1", "share in a flood-prone zone", "ποσοστό σε πλημμυρική ζώνη", needs="zone:flood", direction="cost",
           reads={})
def flood_share(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Share of the asset's area inside the flood zones (overlaps counted once)."""
    return _zone_share(assets, context, "flood")


@criterion("protected_share", "0-1", "share in a protected area", "ποσοστό σε προστατευόμενη περιοχή",
           needs="zone:protected", direction="cost", reads={})
def protected_share(assets: gpd.GeoDataFrame, context: Context) -> pd.Series:
    """Share of the asset's area inside protected areas (Natura 2000, parks, ...)."""
    return _zone_share(assets, context, "protected")


# ---------------------------------------------------------------- stage

def compute_features(inventory: gpd.GeoDataFrame, context: Context,
                     names: Iterable[str] | None = None, timings: dict | None = None) -> gpd.GeoDataFrame:
    """Add one column per criterion to the inventory.

    Parameters
    ----------
    inventory : GeoDataFrame
        Output of the transform stage (project CRS).
    context : Context
        Context layers in the same CRS.
    names : iterable of str, optional
        Criteria to compute; default every registered criterion whose raster
        (if it needs one) the project has.
    timings : dict, optional
        Filled with each criterion's wall and CPU seconds (``{name: (wall, cpu)}``;
        CPU is the process's, every thread of the pool included).
    """
    names = list(dict.fromkeys(names)) if names is not None else available_criteria(context.sources())
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise KeyError(f"unknown criteria {unknown}; known: {sorted(REGISTRY)}")
    values = {}
    for name in names:
        wall, cpu = time.perf_counter(), time.process_time()
        values[f"c_{name}"] = REGISTRY[name].func(inventory, context).reindex(inventory.index)
        if timings is not None:
            timings[name] = (time.perf_counter() - wall, time.process_time() - cpu)
    added = pd.DataFrame(values, index=inventory.index)
    return gpd.GeoDataFrame(pd.concat([inventory, added], axis=1), geometry=inventory.geometry.name, crs=inventory.crs)


def available_criteria(sources) -> list[str]:
    """Registered criteria computable with these optional sources (raster
    kinds, ``dem`` giving slope too, and ``zone:<kind>``)."""
    return [n for n, c in REGISTRY.items() if c.needs is None or c.needs in sources]


def features_contract(names: Iterable[str]) -> contracts.Contract:
    """The inventory contract plus one ``c_<criterion>`` column per criterion."""
    cols = tuple(
        contracts.Column(f"c_{n}", "str" if REGISTRY[n].kind == "category" else "float", nullable=True)
        for n in names
    )
    base = contracts.INVENTORY
    return contracts.Contract("features", base.columns + cols, base.unique, base.geometry_types, base.metric_crs)
