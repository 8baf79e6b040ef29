"""Stage 6, publish: tables (CSV, XLSX, GeoPackage), the Folium map and the
inputs report. Every function here writes files atomically and returns the
paths it wrote; every input text reaching HTML is escaped."""

from .maps import write_maps
from .report import inputs_report
from .tables import write_tables

__all__ = ["inputs_report", "write_maps", "write_tables"]
