"""Where to go: a visiting order for the survey along the roads of the OSM extract.

The road graph is the project's ``roads`` layer (the OSM ways a van can use,
already read, clipped and in the project CRS) made into an osmnx graph: a node
at every vertex, so ways meet where OpenStreetMap joins them, and each way
drivable both ways (surveyors walk the last stretch; one-way streets are not
modelled, which the route's notes say). The largest connected part is kept.
Each stop is joined to its nearest node, straight; the distances between stops
are shortest paths on the graph (networkx Dijkstra), and the order is a round
trip from the start: Christofides' tour improved by simulated annealing
(networkx's approximation algorithms, seeded, so a re-run gives the same order).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import shapely

from ..common.errors import InputError

#: A stop farther than this from every mapped road is flagged: its last
#: stretch is a straight line the surveyor must find on the ground.
OFF_ROAD_M = 250.0
#: Seed of the tour's improvement (simulated annealing): the same inputs give the same order.
SEED = 0


@dataclass
class Route:
    """A survey round trip.

    Attributes
    ----------
    stops : GeoDataFrame
        One row per stop in visiting order (``order`` 1 is the start):
        ``stop_id``, ``leg_m`` (from the previous stop), ``cumulative_m``,
        ``access_m`` (straight from the road network), ``off_road``; points in
        the project CRS.
    legs : GeoDataFrame
        One line per leg along the roads (``leg`` 1 ends at stop 2; the last
        one goes back to the start), with ``from_id``, ``to_id``, ``length_m``.
    total_m : float
        The round trip's length.
    """

    stops: gpd.GeoDataFrame
    legs: gpd.GeoDataFrame
    total_m: float


def road_graph(roads: gpd.GeoDataFrame) -> nx.MultiDiGraph:
    """An osmnx graph (project CRS, ``length`` in metres) of the road lines'
    vertices, each segment both ways; its largest connected part."""
    if roads.crs is None or not roads.crs.is_projected:
        raise InputError("roads", ["the road layer must be in the project's metric CRS"])
    lines = shapely.get_parts(roads.geometry.to_numpy())
    lines = lines[shapely.get_type_id(lines) == 1]
    coords, line = shapely.get_coordinates(lines, return_index=True)
    if len(coords) < 2:
        raise InputError("roads", ["the OSM extract has no roads to route along"])
    xy, node = np.unique(np.round(coords, 2), axis=0, return_inverse=True)
    node = node.ravel()
    same = line[1:] == line[:-1]
    u, v = node[:-1][same], node[1:][same]
    keep = u != v
    u, v = u[keep], v[keep]
    u, v = np.concatenate([u, v]), np.concatenate([v, u])
    length = np.hypot(*(xy[u] - xy[v]).T)
    crs = roads.crs
    nodes = gpd.GeoDataFrame({"x": xy[:, 0], "y": xy[:, 1]}, geometry=shapely.points(xy), crs=crs,
                             index=pd.Index(np.arange(len(xy)), name="osmid"))
    edges = pd.DataFrame({"u": u, "v": v, "length": length})
    edges["key"] = edges.groupby(["u", "v"]).cumcount()
    edges = gpd.GeoDataFrame(edges, geometry=shapely.linestrings(np.stack([xy[u], xy[v]], axis=1)), crs=crs)
    graph = ox.convert.graph_from_gdfs(nodes.loc[np.unique(u)], edges.set_index(["u", "v", "key"]),
                                       graph_attrs={"crs": crs})
    return ox.truncate.largest_component(graph, strongly=False)


def _tour(dist: np.ndarray) -> list[int]:
    """A short round trip through every stop of the distance matrix, from stop 0."""
    n = len(dist)
    if n <= 3:
        return list(range(n))
    complete = nx.Graph()
    complete.add_weighted_edges_from((i, j, float(dist[i, j])) for i in range(n) for j in range(i + 1, n))
    cycle = nx.approximation.christofides(complete, weight="weight")
    improved = nx.approximation.simulated_annealing_tsp(complete, cycle, weight="weight", seed=SEED)
    length = lambda c: sum(dist[a, b] for a, b in zip(c, c[1:]))
    best = improved if length(improved) < length(cycle) else cycle
    best = best[:-1]
    start = best.index(0)
    return best[start:] + best[:start]


def visiting_order(graph: nx.MultiDiGraph, points: gpd.GeoDataFrame, id_column: str = "stop_id") -> Route:
    """The round trip through ``points`` (project CRS, the graph's) from the
    first one, along the graph."""
    if len(points) == 0:
        raise InputError("survey route", ["there is nothing to visit"])
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    nearest, access = ox.distance.nearest_nodes(graph, x, y, return_dist=True)
    nearest, access = np.asarray(nearest), np.asarray(access, dtype=float)
    unique = list(dict.fromkeys(nearest.tolist()))
    reach = {n: nx.single_source_dijkstra_path_length(graph, n, weight="length") for n in unique}
    dist = np.array([[0.0 if i == j else reach[a].get(b, np.inf) + access[i] + access[j]
                      for j, b in enumerate(nearest)] for i, a in enumerate(nearest)])
    order = _tour(dist)
    back = order + [order[0]]
    legs, lines = [], []
    for k, (a, b) in enumerate(zip(back, back[1:]), start=1):
        path = nx.shortest_path(graph, nearest[a], nearest[b], weight="length")
        xy = [(x[a], y[a]), *((graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in path), (x[b], y[b])]
        lines.append(shapely.LineString(xy))
        legs.append({"leg": k, "from_id": points[id_column].iloc[a],
                     "to_id": points[id_column].iloc[b], "length_m": round(float(dist[a, b]), 1)})
    leg_m = [0.0] + [legs[k]["length_m"] for k in range(len(order) - 1)]
    stops = points.iloc[order].reset_index(drop=True)
    stops.insert(0, "order", np.arange(1, len(order) + 1))
    stops["leg_m"] = leg_m
    stops["cumulative_m"] = np.round(np.cumsum(leg_m), 1)
    stops["access_m"] = np.round(access[order], 1)
    stops["off_road"] = access[order] > OFF_ROAD_M
    legs_frame = gpd.GeoDataFrame(legs, geometry=lines, crs=points.crs)
    return Route(stops, legs_frame, round(float(legs_frame["length_m"].sum()), 1))
