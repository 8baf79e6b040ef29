"""Stage 6, publish: tables (CSV, XLSX, GeoPackage), the Folium maps, the
annex, figures and the inputs report, all written by :func:`publish`. Every function here writes files atomically and returns the
paths it wrote; every input text reaching HTML is escaped."""

from .maps import write_maps
from .report import inputs_report
from .run import OUTPUTS, Published, PublishOptions, publish, register_output
from .tables import write_tables

__all__ = ["OUTPUTS", "Published", "PublishOptions", "inputs_report", "publish", "register_output", "write_maps",
           "write_tables"]
