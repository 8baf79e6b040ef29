"""The embedded ledger as a GeoPackage (OGC 12-128r18): the SQLite file also
holds a ``sites`` feature layer (each asset's id, name and shape in lon/lat)
with the GeoPackage's own tables, so QGIS or any GDAL tool opens the
ledger's sites directly; the ledger's tables stay as they are beside it.

A GeoPackage geometry is the ``GP`` header (version 0, little-endian, no
envelope, the SRS id) followed by the WKB."""

from __future__ import annotations

import sqlite3
import struct

from pyproj import CRS

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300  # GeoPackage 1.3
SRS = 4326


def gpkg_blob(wkb: bytes | None) -> bytes | None:
    """A WKB geometry as a GeoPackage geometry blob."""
    if wkb is None:
        return None
    return b"GP" + bytes([0, 0b0000_0001]) + struct.pack("<i", SRS) + bytes(wkb)


def make_geopackage(db: sqlite3.Connection) -> None:
    """Turn the ledger's SQLite file into a GeoPackage with a ``sites`` layer of its assets."""
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {USER_VERSION}")
    db.execute("""CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
                  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
                  description TEXT)""")
    db.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
        ("WGS 84 geodetic", SRS, "EPSG", SRS, CRS.from_epsg(SRS).to_wkt(), "longitude/latitude coordinates in WGS 84"),
    ])
    db.execute("""CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
                  identifier TEXT UNIQUE, description TEXT DEFAULT '',
                  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
                  srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""")
    db.execute("""CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
                  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
                  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
                  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
                  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""")
    db.execute("""CREATE TABLE sites (fid INTEGER PRIMARY KEY AUTOINCREMENT, ledger_id TEXT NOT NULL UNIQUE
                  REFERENCES assets(ledger_id), name TEXT, geom BLOB)""")
    db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES "
               "('sites', 'features', 'sites', 'the plan''s ledger: every site ever found', ?)", (SRS,))
    db.execute("INSERT INTO gpkg_geometry_columns VALUES ('sites', 'geom', 'GEOMETRY', ?, 0, 0)", (SRS,))
    rows = db.execute("SELECT ledger_id, name, geometry FROM assets ORDER BY ledger_id").fetchall()
    db.executemany("INSERT INTO sites (ledger_id, name, geom) VALUES (?, ?, ?)",
                   [(i, n, gpkg_blob(g)) for i, n, g in rows])
