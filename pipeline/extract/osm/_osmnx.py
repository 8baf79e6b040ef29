"""The osmnx doors: ``.osm`` XML files (``features_from_xml``) and Overpass
(``features_from_polygon``, with osmnx's response cache in a project folder)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import geopandas as gpd

from ...common.errors import InputError
from ._core import TAG_FILTER, _META, OsmLayers, _clean, _features, empty_features, layers_from_features


def from_osmnx(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """osmnx's features (index ``element, id``; tags as columns) as features."""
    if gdf is None or len(gdf) == 0:
        return empty_features()
    flat = gdf.reset_index()
    tag_cols = [c for c in flat.columns if c not in _META]
    records = flat[tag_cols].astype(object).to_dict("records")
    tags = [{k: s for k, v in r.items() if (s := _clean(v)) is not None} for r in records]
    return _features(flat["element"], flat["id"], tags, flat.geometry.to_numpy(), gdf.crs)


def _read_xml(path: Path) -> gpd.GeoDataFrame:
    import osmnx as ox

    try:
        gdf = ox.features.features_from_xml(path, tags=TAG_FILTER)
    except ox._errors.InsufficientResponseError:
        return empty_features()
    return from_osmnx(gdf)


@contextlib.contextmanager
def _osmnx_settings(**values):
    import osmnx as ox

    old = {k: getattr(ox.settings, k) for k in values}
    try:
        for k, v in values.items():
            setattr(ox.settings, k, v)
        yield ox
    finally:
        for k, v in old.items():
            setattr(ox.settings, k, v)


def _reachable(url: str, timeout: float = 5.0) -> bool:
    """Whether an HTTP server answers at ``url`` at all (any status code)."""
    import requests

    try:
        requests.get(url, timeout=timeout)
    except requests.RequestException:
        return False
    return True


def read_osm_overpass(polygon, cache_dir: Path, url: str | None = None) -> OsmLayers:
    """Features inside ``polygon`` (EPSG:4326) from Overpass through osmnx.

    Responses are cached by osmnx in ``cache_dir``, keyed by the request, so
    the same request later is answered from disk without a network.
    """
    import osmnx as ox

    endpoint = (url or ox.settings.overpass_url).rstrip("/")
    settings_ = {"use_cache": True, "cache_folder": str(cache_dir), "log_console": False,
                 "overpass_url": endpoint,
                 # osmnx waits 60 s when it cannot reach the status endpoint: pointless
                 # for a server that cannot be reached at all (cache hits need no network)
                 "overpass_rate_limit": ox.settings.overpass_rate_limit and _reachable(endpoint + "/status")}
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    with _osmnx_settings(**settings_) as ox:
        try:
            gdf = ox.features_from_polygon(polygon, tags=TAG_FILTER)
        except ox._errors.InsufficientResponseError:
            gdf = None
        except Exception as exc:  # requests' and osmnx's own errors
            raise InputError("osm source (Overpass)", [
                f"the Overpass request failed ({type(exc).__name__}: {exc}); "
                f"check the network or overpass_url, or use a local extract"]) from None
    layers = layers_from_features(from_osmnx(gdf))
    layers.extent, layers.extent_basis = polygon, "requested"  # Overpass answers for the whole area asked
    return layers


