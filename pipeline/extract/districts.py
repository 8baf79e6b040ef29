"""Districts of a large municipality (its δημοτικές ενότητες or κοινότητες,
e.g. from geodata.gov.gr): polygons with a name, over which the run states how
completely OpenStreetMap maps the buildings, district by district."""

from __future__ import annotations

import geopandas as gpd
import shapely
from pydantic import Field

from ..common.errors import InputError
from ..common.io import read_vector
from ..common.schema import FilePath, OptionalCrs, Strict
from .registry import Reading, Source, register_source

#: Name fields tried, in this order, when ``name_field`` is not given.
NAME_FIELDS = ("name", "NAME", "name_el", "ΟΝΟΜΑ", "onoma", "ONOMA", "LAU_NAME", "NAME_GR")


class DistrictSource(Strict):
    """Polygons of the municipality's districts, each with a name."""

    path: FilePath
    layer: str | None = None
    name_field: str | None = Field(None, description=f"default: the first of {', '.join(NAME_FIELDS)}")
    crs: OptionalCrs = Field(None, description="CRS to assume when the file has none")
    attribution: str | None = None


def read_districts(src: DistrictSource, reading: Reading | None = None) -> gpd.GeoDataFrame:
    """``district`` (the name, as text) and geometry, in the file's CRS; only
    districts within the boundary's box when the boundary is known."""
    what = f"districts {src.path}"
    gdf = read_vector(src.path, what, layer=src.layer, crs=src.crs, setting="sources.districts.crs")
    field = src.name_field or next((f for f in NAME_FIELDS if f in gdf.columns), None)
    if field is None or field not in gdf.columns:
        raise InputError(what, [f"no name field {src.name_field or NAME_FIELDS}; set sources.districts.name_field "
                                f"(fields: {', '.join(map(str, gdf.columns.drop('geometry')))})"])
    names = gdf[field].astype(object).where(gdf[field].notna(), None)
    problems = [f"feature {i + 1}: {field} is empty" for i, n in enumerate(names) if n is None or not str(n).strip()]
    if problems:
        raise InputError(what, problems[:50])
    out = gpd.GeoDataFrame({"district": names.map(lambda n: str(n).strip()).to_numpy(dtype=object)},
                           geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
    if reading is not None and reading.bbox is not None:
        box = gpd.GeoSeries([shapely.box(*reading.bbox)], crs=4326).to_crs(out.crs).iloc[0]
        out = out[out.intersects(box)]
    return out.reset_index(drop=True)


register_source(Source("districts", "sources.districts", "districts", lambda spec, reading: read_districts(spec, reading),
                       model=DistrictSource))
