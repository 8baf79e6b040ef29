"""Stage 6, publish: tables (CSV, XLSX, GeoPackage), the Folium maps, the
annex, figures and the inputs report, all written by :func:`publish`. Every function here writes files atomically and returns the
paths it wrote; every input text reaching HTML is escaped."""

from .maps import write_maps
from .report import inputs_report
from .run import PublishOptions, publish
from .tables import write_tables

__all__ = ["PublishOptions", "inputs_report", "publish", "write_maps", "write_tables"]
