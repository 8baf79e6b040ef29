"""Shared fixtures: real data from ../shared/data, small synthetic layers."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from pipeline.extract.osm import OsmLayers, empty_features
from postgres import postgres_server, postgres_url  # noqa: F401  (fixtures for every test module)

ROOT = Path(__file__).resolve().parents[1]

# runs in module- and session-scoped fixtures use this throw-away cache
# folder; each test then gets an empty one of its own (below)
if "IDLE_ASSETS_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["IDLE_ASSETS_CACHE_DIR"] = tempfile.mkdtemp(prefix="idle-assets-test-cache-")


@pytest.fixture(autouse=True)
def own_stage_cache(tmp_path_factory, monkeypatch):
    """Each test (and its subprocesses) gets an empty stage cache of its own,
    never the user's cache folder."""
    monkeypatch.setenv("IDLE_ASSETS_CACHE_DIR", str(tmp_path_factory.mktemp("stage-cache")))


def shared_data() -> Path | None:
    env = os.environ.get("IDLE_ASSETS_SHARED_DATA")
    path = Path(env) if env else ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_data()
    if path is None:
        pytest.skip("real data folder ../shared/data is absent (set IDLE_ASSETS_SHARED_DATA to use another)")
    return path


def retag_osm(src: Path, dst: Path, node=None, way=None, relation=None) -> None:
    """Copy an OSM file, changing tags: ``node(tags, ref)``, ``way(tags, ref)``
    and ``relation(tags, ref)`` return the new tags of an object, or None to
    keep it as it is."""
    osmium = pytest.importorskip("osmium")

    class Retagger(osmium.SimpleHandler):
        def __init__(self, writer):
            super().__init__()
            self.writer = writer

        def _copy(self, obj, change, kind, add):
            tags = change(dict(obj.tags), f"{kind}/{obj.id}") if change else None
            add(obj if tags is None else obj.replace(tags=tags))

        def node(self, n):
            self._copy(n, node, "node", self.writer.add_node)

        def way(self, w):
            self._copy(w, way, "way", self.writer.add_way)

        def relation(self, r):
            self._copy(r, relation, "relation", self.writer.add_relation)

    writer = osmium.SimpleWriter(str(dst))
    Retagger(writer).apply_file(str(src), locations=False)
    writer.close()


@pytest.fixture(scope="session")
def volos_idle_pbf(shared, tmp_path_factory) -> tuple[Path, dict]:
    """A copy of the real Volos extract with idle tags added (the extract has
    none): a school building marked ``disused:amenity=school``, an amenity node
    turned into ``shop=vacant`` and a building turned into ``building=ruins``.

    Returns the file and the OSM refs that were changed.
    """
    src = shared / "osm" / "volos_center_2020.osm.pbf"
    dst = tmp_path_factory.mktemp("osm") / "volos_idle.osm.pbf"
    changed: dict[str, str] = {}

    def node(tags: dict, ref: str) -> dict | None:
        if "shop=vacant" not in changed.values() and tags.get("amenity") == "cafe":
            tags.pop("amenity")
            tags["shop"] = "vacant"
            changed[ref] = "shop=vacant"
            return tags
        return None

    def way(tags: dict, ref: str) -> dict | None:
        if "disused:amenity=school" not in changed.values() and tags.get("building") == "school":
            tags.update({"building": "yes", "disused:amenity": "school"})
            changed[ref] = "disused:amenity=school"
            return tags
        if "building=ruins" not in changed.values() and tags.get("building") == "house":
            tags["building"] = "ruins"
            changed[ref] = "building=ruins"
            return tags
        return None

    retag_osm(src, dst, node=node, way=way)
    assert len(changed) == 3, changed
    return dst, changed


def layer(rows: list[dict], crs="EPSG:2100") -> gpd.GeoDataFrame:
    """A normalised OSM-like layer from rows of ``ref``, ``tags``, ``geometry``."""
    if not rows:
        return empty_features().to_crs(crs)
    gdf = gpd.GeoDataFrame(
        {"osm_ref": [r["ref"] for r in rows], "osm_type": [r["ref"].split("/")[0] for r in rows],
         "osm_id": [int(r["ref"].split("/")[1]) for r in rows], "name": [r["tags"].get("name") for r in rows],
         "tags": [r["tags"] for r in rows]},
        geometry=[r["geometry"] for r in rows], crs=crs,
    )
    return gdf


@pytest.fixture
def toy_osm() -> OsmLayers:
    """A tiny town in EPSG:2100 metres around (400000, 4300000).

    - way/1: a 100 m x 100 m greenfield (idle) at x 0..100
    - way/2: a disused school building 20 m x 20 m at x 300..320
    - way/3: an ordinary house at x 500..510; node/4: a vacant shop inside it
    - way/5: a residential area at x 1000..1200
    - way/6: a road along y = -50
    """
    x0, y0 = 400000, 4300000
    sq = lambda x, y, s: box(x0 + x, y0 + y, x0 + x + s, y0 + y + s)
    buildings = layer([
        {"ref": "way/2", "tags": {"building": "yes", "disused:amenity": "school", "name": "Old school"}, "geometry": sq(300, 0, 20)},
        {"ref": "way/3", "tags": {"building": "house"}, "geometry": sq(500, 0, 10)},
    ])
    landuse = layer([
        {"ref": "way/1", "tags": {"landuse": "greenfield"}, "geometry": sq(0, 0, 100)},
        {"ref": "way/5", "tags": {"landuse": "residential"}, "geometry": sq(1000, 0, 200)},
    ])
    roads = layer([{"ref": "way/6", "tags": {"highway": "residential"},
                    "geometry": LineString([(x0 - 500, y0 - 50), (x0 + 1500, y0 - 50)])}])
    pois = layer([
        {"ref": "node/4", "tags": {"shop": "vacant"}, "geometry": Point(x0 + 505, y0 + 5)},
        {"ref": "node/7", "tags": {"highway": "bus_stop"}, "geometry": Point(x0 + 310, y0 - 60)},
    ])
    # every feature read, as the extract stage hands them on: the transform stage judges which are idle
    features = gpd.GeoDataFrame(pd.concat([buildings, landuse, roads, pois], ignore_index=True), crs=buildings.crs)
    return OsmLayers(*(g.to_crs("EPSG:4326") for g in (buildings, landuse, roads, pois, features)))


@pytest.fixture
def toy_boundary() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["toy"]}, geometry=[box(399000, 4299000, 402000, 4301000)], crs="EPSG:2100")
