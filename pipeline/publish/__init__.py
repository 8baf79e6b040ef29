"""Stage 6, publish: tables (CSV, XLSX, GeoPackage), the Folium maps, the
annex, fact sheets, figures and the inputs report, each a writer in one
registry (:data:`OUTPUTS`) that :func:`publish` calls with one view of the
run (:class:`Published`). Every function here writes files atomically and
returns the paths it wrote; every input text reaching HTML is escaped."""

from .maps import write_maps
from .report import inputs_report
from .run import OUTPUTS, Folders, Published, PublishOptions, publish, published_view, register_output
from .view import view_of
from .tables import write_tables

__all__ = ["OUTPUTS", "Folders", "Published", "PublishOptions", "inputs_report", "publish", "published_view",
           "register_output", "view_of", "write_maps", "write_tables"]
