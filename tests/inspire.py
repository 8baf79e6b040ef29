"""Build INSPIRE CadastralParcels (CP 4.0) GML documents from real parcels,
as a cadastre's file download or a WFS 2.0 GetFeature page would deliver them."""

from __future__ import annotations

from xml.sax.saxutils import escape

import geopandas as gpd

NS = (
    'xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" '
    'xmlns:cp="http://inspire.ec.europa.eu/schemas/cp/4.0" '
    'xmlns:base="http://inspire.ec.europa.eu/schemas/base/3.3" '
    'xmlns:xlink="http://www.w3.org/1999/xlink"'
)


def _poslist(ring) -> str:
    return " ".join(f"{x:.2f} {y:.2f}" for x, y in ring.coords)


def _surface(geom, srs: str, gid: str) -> str:
    polys = getattr(geom, "geoms", [geom])
    members = []
    for i, p in enumerate(polys):
        interiors = "".join(f"<gml:interior><gml:LinearRing><gml:posList>{_poslist(r)}</gml:posList></gml:LinearRing></gml:interior>"
                            for r in p.interiors)
        members.append(f'<gml:surfaceMember><gml:Polygon gml:id="{gid}.p{i}" srsName="{srs}"><gml:exterior><gml:LinearRing>'
                       f"<gml:posList>{_poslist(p.exterior)}</gml:posList></gml:LinearRing></gml:exterior>{interiors}"
                       f"</gml:Polygon></gml:surfaceMember>")
    return f'<gml:MultiSurface gml:id="{gid}.g" srsName="{srs}">{"".join(members)}</gml:MultiSurface>'


def parcel_member(row, srs: str) -> str:
    gid = escape(row["gml_id"])
    return (
        f'<cp:CadastralParcel gml:id="{gid}">'
        f"<cp:areaValue uom=\"m2\">{int(row['areaValue'])}</cp:areaValue>"
        f"<cp:beginLifespanVersion>{escape(str(row['beginLifespanVersion']))}</cp:beginLifespanVersion>"
        f'<cp:endLifespanVersion xsi:nil="true" nilReason="other:unpopulated" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
        f"<cp:geometry>{_surface(row.geometry, srs, gid)}</cp:geometry>"
        f"<cp:inspireId><base:Identifier><base:localId>{escape(row['localId'])}</base:localId>"
        f"<base:namespace>{escape(row['namespace'])}</base:namespace></base:Identifier></cp:inspireId>"
        f"<cp:label>{escape(str(row['label']))}</cp:label>"
        f"<cp:nationalCadastralReference>{escape(str(row['nationalCadastralReference']))}</cp:nationalCadastralReference>"
        f"</cp:CadastralParcel>"
    )


def cadastral_parcels_gml(parcels: gpd.GeoDataFrame, number_matched: int | None = None) -> bytes:
    """A WFS 2.0 FeatureCollection of INSPIRE cadastral parcels (the form of
    both INSPIRE download files and GetFeature responses)."""
    srs = f"http://www.opengis.net/def/crs/EPSG/0/{parcels.crs.to_epsg()}"
    members = "".join(f"<wfs:member>{parcel_member(r, srs)}</wfs:member>" for _, r in parcels.iterrows())
    matched = number_matched if number_matched is not None else len(parcels)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<wfs:FeatureCollection {NS} timeStamp="2026-01-01T00:00:00Z" '
            f'numberMatched="{matched}" numberReturned="{len(parcels)}">{members}</wfs:FeatureCollection>').encode()
