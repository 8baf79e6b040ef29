"""Rasters (DEM, irradiance, land cover): read only the window that covers the
study area, in the raster's own CRS. Reprojection happens in transform."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.errors import RasterioIOError
from rasterio.warp import transform_bounds
from pydantic import Field
from rasterio.windows import Window, from_bounds

from ..common import settings
from ..common.errors import InputError
from ..common.io import check_readable
from ..common.schema import FilePath, OptionalCrs, Strict
from .registry import Source, register_source


class RasterSource(Strict):
    """A GeoTIFF summarised per asset: ``dem`` (elevation in metres; slope is
    derived from it), ``irradiance`` (e.g. yearly kWh/m²) or ``landcover``
    (class codes, e.g. CORINE). One raster per kind."""

    path: FilePath
    kind: Literal["dem", "irradiance", "landcover"]
    band: int = Field(1, ge=1)
    crs: OptionalCrs = Field(None, description="CRS to assume when the file has none")
    nodata: float | None = Field(None, description="nodata value to use when the file declares none")
    unit: str | None = Field(None, description="unit of an irradiance raster, e.g. kWh/m²/year")
    attribution: str | None = None


@dataclass
class RasterLayer:
    """A raster band as a float32 array (NaN where no data) on a grid."""

    kind: str
    array: np.ndarray
    transform: Affine
    crs: CRS
    path: Path
    unit: str | None = None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        h, w = self.array.shape
        x0, y0 = self.transform @ (0, 0)
        x1, y1 = self.transform @ (w, h)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def read_raster(src: RasterSource, bbox_wgs84: tuple[float, float, float, float]) -> RasterLayer:
    """Read the part of ``src`` that covers ``bbox_wgs84`` (lon/lat box).

    Raises
    ------
    InputError
        For a missing or unreadable file, a raster without CRS (unless the
        config gives one), a missing band, or a raster that does not cover the box.
    """
    what = f"raster {src.path}"
    problems = check_readable(src.path, what)
    if problems:
        raise InputError(what, problems)
    try:
        with rasterio.open(src.path) as ds:
            crs = ds.crs or (CRS.from_user_input(src.crs) if src.crs else None)
            if crs is None:
                raise InputError(what, ["the raster has no CRS; set 'crs' for it in the config"])
            if src.band > ds.count:
                raise InputError(what, [f"band {src.band} asked for, the file has {ds.count}"])
            left, bottom, right, top = transform_bounds(settings.WGS84, crs, *bbox_wgs84)
            exact = from_bounds(left, bottom, right, top, transform=ds.transform)
            col0, row0 = math.floor(exact.col_off), math.floor(exact.row_off)
            window = Window(col0, row0, math.ceil(exact.col_off + exact.width) - col0,
                            math.ceil(exact.row_off + exact.height) - row0)
            full = Window(0, 0, ds.width, ds.height)
            try:
                window = window.intersection(full)
            except rasterio.errors.WindowError:
                raise InputError(what, [f"the raster (bounds {tuple(round(v, 4) for v in ds.bounds)} in "
                                        f"{crs.to_string()}) does not cover the study area"]) from None
            data = ds.read(src.band, window=window, masked=True).astype("float32")
            nodata = ds.nodata if ds.nodata is not None else src.nodata
            transform = ds.window_transform(window)
    except RasterioIOError as exc:
        raise InputError(what, [f"cannot be read as a raster ({exc})"]) from None
    array = data.filled(np.nan)
    if nodata is not None:
        array[array == nodata] = np.nan
    if np.isnan(array).all():
        raise InputError(what, ["no valid cell over the study area (all nodata)"])
    unit = src.unit or {"dem": "m", "irradiance": "kWh/m²/year", "landcover": "class"}[src.kind]
    return RasterLayer(src.kind, array, transform, CRS.from_user_input(crs), Path(src.path), unit)


register_source(Source("rasters", "sources.rasters", "raster", lambda spec, reading: read_raster(spec, reading.box()),
                       model=RasterSource, many=True, key="kind", title=lambda s: f"raster {s.kind}"))
