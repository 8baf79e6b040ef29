"""The stage cache: what extract, transform and features produced, kept between
runs, so a change to weights, profiles, sensitivity or targets re-runs only
scoring onwards.

It lives in the user's cache folder (``platformdirs``; ``IDLE_ASSETS_CACHE_DIR``
overrides), never in a published output folder, because it holds every private
field (contacts, surveyors) in full. An entry is GeoParquet, NumPy ``.npy``
files read with ``allow_pickle=False`` and JSON, so reading one cannot run
code. There is one entry per project, written into a ``.part`` folder and
renamed into place; leftover ``.part`` folders (a killed run's) are removed by
the next run. A damaged entry is recomputed, never trusted.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS

from .common.coefficients import SolarImpact
from .extract import RasterLayer
from .transform import Context, Prepared, Report

log = logging.getLogger(__name__)

#: Bump when the cached objects change shape, so old entries are not read.
FORMAT = 4
_LAYERS = ("boundary", "buildings", "landuse", "roads", "pois")


def cache_root() -> Path:
    """The folder of the stage cache: ``$IDLE_ASSETS_CACHE_DIR`` or the user's cache folder."""
    env = os.environ.get("IDLE_ASSETS_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("idle-assets", appauthor=False)) / "stages"


def _write_frame(df: pd.DataFrame | None, folder: Path, name: str, meta: dict) -> None:
    if df is None:
        return
    out = df.copy()
    json_columns = []
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, (dict, list))).any():
            out[col] = out[col].map(lambda v: None if v is None else json.dumps(v, ensure_ascii=False))
            json_columns.append(col)
    geo = isinstance(out, gpd.GeoDataFrame)
    if geo:
        out.to_parquet(folder / f"{name}.parquet", index=True)
    else:
        pd.DataFrame(out).to_parquet(folder / f"{name}.parquet", index=True)
    text = [c for c in df.columns if c != "geometry" and df[c].dtype == object and c not in json_columns]
    meta["frames"][name] = {"geo": geo, "json": json_columns, "object": text}


def _read_frame(folder: Path, name: str, meta: dict) -> pd.DataFrame | None:
    spec = meta["frames"].get(name)
    if spec is None:
        return None
    path = folder / f"{name}.parquet"
    df = gpd.read_parquet(path) if spec["geo"] else pd.read_parquet(path)
    for col in spec["json"]:
        df[col] = df[col].map(lambda v: None if v is None or v != v else json.loads(v)).astype(object)
    for col in spec["object"]:  # pandas reads text as its string dtype; the stages made object columns with None
        values = df[col].astype(object)
        df[col] = values.where(values.notna(), None)
    return df


def save(folder: Path, key: str, prepared: Prepared, features: gpd.GeoDataFrame) -> None:
    """Store ``prepared`` and ``features`` as the project's one entry, under ``key``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for old in folder.iterdir():  # one entry per project
        shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
    part = Path(tempfile.mkdtemp(prefix=f"{key}.", suffix=".part", dir=folder))
    try:
        ctx = prepared.context
        meta: dict = {"format": FORMAT, "key": key, "frames": {}, "crs": prepared.crs.to_wkt(),
                      "coverage": prepared.coverage, "coverage_basis": prepared.coverage_basis,
                      "report": prepared.report.rows, "rasters": {}, "zones": sorted(ctx.zones), "layers": {},
                      "solar": None if ctx.solar is None else [ctx.solar[0].model_dump(mode="json", by_alias=True),
                                                               ctx.solar[1]]}
        _write_frame(features, part, "features", meta)
        _write_frame(prepared.inventory, part, "inventory", meta)
        _write_frame(prepared.survey, part, "survey", meta)
        _write_frame(prepared.organisations, part, "organisations", meta)
        _write_frame(prepared.conflicts, part, "conflicts", meta)
        _write_frame(ctx.parcels, part, "parcels", meta)
        for name in _LAYERS:
            _write_frame(getattr(ctx, name), part, f"context_{name}", meta)
        for kind, zone in ctx.zones.items():
            _write_frame(zone, part, f"zone_{kind}", meta)
        for i, (name, layer) in enumerate(ctx.layers.items()):
            if not isinstance(layer, pd.DataFrame):
                raise TypeError(f"source {name} read a {type(layer).__name__}; only tables can be cached")
            _write_frame(layer, part, f"layer_{i}", meta)
            meta["layers"][name] = f"layer_{i}"
        for name, layer in ctx.rasters.items():
            np.save(part / f"raster_{name}.npy", layer.array, allow_pickle=False)
            meta["rasters"][name] = {"kind": layer.kind, "transform": list(layer.transform)[:6],
                                     "crs": layer.crs.to_wkt(), "path": str(layer.path), "unit": layer.unit}
        (part / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(part, folder / key)
    finally:
        if part.exists():
            shutil.rmtree(part, ignore_errors=True)


def load(folder: Path, key: str) -> tuple[Prepared, gpd.GeoDataFrame] | None:
    """The entry stored under ``key``, or None when there is none (or it is
    damaged or of another format: it is then removed)."""
    entry = Path(folder) / key
    if not (entry / "meta.json").is_file():
        return None
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("key") != key:
            raise ValueError(f"format {meta.get('format')}, expected {FORMAT}")
        rasters = {name: RasterLayer(kind=r["kind"], array=np.load(entry / f"raster_{name}.npy", allow_pickle=False),
                                     transform=Affine(*r["transform"]), crs=CRS.from_wkt(r["crs"]), path=Path(r["path"]),
                                     unit=r["unit"])
                   for name, r in meta["rasters"].items()}
        solar = None if meta["solar"] is None else (SolarImpact.model_validate(meta["solar"][0]), meta["solar"][1])
        context = Context(**{name: _read_frame(entry, f"context_{name}", meta) for name in _LAYERS},
                          rasters=rasters, parcels=_read_frame(entry, "parcels", meta),
                          zones={k: _read_frame(entry, f"zone_{k}", meta) for k in meta["zones"]}, solar=solar,
                          layers={k: _read_frame(entry, v, meta) for k, v in meta["layers"].items()})
        prepared = Prepared(crs=CRS.from_wkt(meta["crs"]), context=context,
                            inventory=_read_frame(entry, "inventory", meta), survey=_read_frame(entry, "survey", meta),
                            report=Report(rows=meta["report"]), organisations=_read_frame(entry, "organisations", meta),
                            coverage=meta["coverage"], coverage_basis=meta["coverage_basis"],
                            conflicts=_read_frame(entry, "conflicts", meta))
        return prepared, _read_frame(entry, "features", meta)
    except Exception as exc:  # a damaged entry is recomputed, never trusted
        log.warning("stage cache %s unreadable (%s); recomputing", entry, exc)
        shutil.rmtree(entry, ignore_errors=True)
        return None


def clean_leftovers(folder: Path) -> None:
    """Remove ``.part`` folders that a killed run left in the project's cache folder."""
    if Path(folder).is_dir():
        for part in Path(folder).glob("*.part"):
            shutil.rmtree(part, ignore_errors=True)
