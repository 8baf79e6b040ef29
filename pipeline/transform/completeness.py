"""How completely OpenStreetMap maps the buildings of a place, so a run can
say how far it trusts OSM's silence (issue 31, item 3).

Two figures, from the OSM layers the run read (project CRS, within the
boundary): the share of built-up land (``landuse`` = residential, commercial,
retail or industrial) lying in land-use areas that hold at least one mapped
building, and the number of mapped buildings per km² of residential land.
Where OSM maps few buildings, an empty map is not evidence that nothing is
idle; :data:`pipeline.common.settings.WELL_MAPPED_SHARE` and
``WELL_MAPPED_DENSITY`` say where "few" begins.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from ..common import settings

#: ``landuse=`` values that are built-up land.
BUILT_UP_LANDUSE = ("residential", "commercial", "retail", "industrial")


@dataclass(frozen=True)
class Completeness:
    """How completely OSM maps the buildings of a place.

    built_share : share (0-1) of built-up land in land-use areas with at least one mapped building
    per_km2 : mapped buildings per km² of residential land (None without residential land)
    built_km2, residential_km2 : the built-up and residential land they are measured on
    """

    built_share: float
    per_km2: float | None
    built_km2: float
    residential_km2: float

    @property
    def well_mapped(self) -> bool:
        """Whether OSM maps the buildings here well enough for an empty map to mean something."""
        return (self.built_share >= settings.WELL_MAPPED_SHARE
                and (self.per_km2 is None or self.per_km2 >= settings.WELL_MAPPED_DENSITY))


def osm_completeness(buildings: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame,
                     roads: gpd.GeoDataFrame | None = None) -> Completeness | None:
    """The completeness of the buildings in ``buildings`` over the land use in
    ``landuse`` (both in a metric CRS, with OSM ``tags``); None where OSM maps
    no built-up land at all (nothing to measure on).

    Land-use areas are measured only within the box of the mapped ``roads``
    when given: an extract cut to a box keeps whole land-use polygons reaching
    past it, over land whose buildings it left out (the roads, mapped more
    fully than buildings, say where the extract reaches; the buildings' own
    box would shrink to where buildings happen to be mapped)."""
    kind = landuse["tags"].map(lambda t: t.get("landuse") if isinstance(t, dict) else None)
    built = landuse[kind.isin(BUILT_UP_LANDUSE).to_numpy()]
    if built.empty:
        return None
    shapes_built = built.geometry.to_numpy()
    if roads is not None and len(roads):
        shapes_built = shapely.intersection(shapes_built, shapely.box(*roads.total_bounds))
    areas = shapely.area(shapes_built)
    if areas.sum() <= 0:
        return None
    built = built.set_geometry(shapes_built)
    shapes = buildings.geometry.to_numpy()
    holds = np.zeros(len(built), dtype=bool)
    if len(shapes):
        pairs = shapely.STRtree(shapes).query(built.geometry.to_numpy(), predicate="intersects")
        holds[np.unique(pairs[0])] = True
    residential = kind[kind.isin(BUILT_UP_LANDUSE)].isin(settings.RESIDENTIAL_LANDUSE).to_numpy()
    residential_m2 = float(areas[residential].sum())
    per_km2 = None
    if residential_m2 > 0:
        inside = (shapely.STRtree(built.geometry.to_numpy()[residential])
                  .query(shapely.point_on_surface(shapes), predicate="within") if len(shapes) else np.zeros((2, 0), int))
        per_km2 = len(np.unique(inside[0])) / (residential_m2 / 1e6)
    return Completeness(built_share=float(areas[holds].sum() / areas.sum()), per_km2=per_km2,
                        built_km2=float(areas.sum() / 1e6), residential_km2=residential_m2 / 1e6)


def district_completeness(buildings: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None,
                          districts: gpd.GeoDataFrame) -> list[tuple[str, Completeness | None]]:
    """Per district (``district`` name and polygon, in the layers' CRS), the
    completeness of the buildings within it: land use cut to the district,
    buildings by the point on their surface."""
    shapes = buildings.geometry.to_numpy()
    points = shapely.point_on_surface(shapes)
    out = []
    for name, area in zip(districts["district"], districts.geometry.to_numpy()):
        near = landuse[shapely.intersects(landuse.geometry.to_numpy(), area)]
        near = near.set_geometry(shapely.intersection(near.geometry.to_numpy(), area))
        out.append((str(name), osm_completeness(buildings[shapely.within(points, area)], near, roads)))
    return out


def completeness_of(context) -> tuple[Completeness | None, list[tuple[str, Completeness | None]]]:
    """The completeness of a run's context layers, and per district when the
    project gives its districts (``sources.districts``)."""
    whole = osm_completeness(context.buildings, context.landuse, context.roads)
    districts = context.layers.get("districts")
    if districts is None or len(districts) == 0:
        return whole, []
    return whole, district_completeness(context.buildings, context.landuse, context.roads, districts)
