"""Write a ready project config for a Greek municipality (``idle-assets init``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from anyascii import anyascii

from .common import settings
from .common.config import BoundarySpec
from .common.errors import InputError
from .extract.boundary import select_feature
from .common.io import read_vector
from .score.profiles import builtin_profile_names

KALLIKRATIS_ATTRIBUTION = "Boundaries: geodata.gov.gr, Όρια Δήμων Καλλικράτη (CC BY 3.0)"


_OU = re.compile(r"ο[υύ]|Ο[ΥΎυύ]")


def slug(text: str) -> str:
    """ASCII slug of a (Greek) name in modern transliteration: ``'Βόλου' -> 'volou'``.

    anyascii transliterates letter by letter (``ου -> oy``); the digraph ου is
    written ``ou`` first, as ELOT 743 does.
    """
    latin = anyascii(_OU.sub("ou", str(text)))
    return re.sub(r"[^a-z0-9]+", "-", latin.lower()).strip("-") or "project"


def _rel(path: Path, start: Path) -> str:
    try:
        return os.path.relpath(Path(path).resolve(), start.resolve())
    except ValueError:  # another drive on Windows
        return str(Path(path).resolve())


def find_municipality(municipality: str, boundaries: Path) -> tuple[str, str]:
    """The ``(name, code)`` of a Kallikratis municipality given by code or name.

    Parameters
    ----------
    municipality : str
        Kallikratis code (``KWD_YPES``, e.g. ``9105``) or Greek name (accents
        and case ignored, e.g. ``Βόλου`` or ``βολου``).
    boundaries : Path
        File of the 326 Kallikratis municipalities (fields ``NAME``, ``KWD_YPES``).

    Raises
    ------
    InputError
        For a missing file, an unknown code or an unknown or ambiguous name.
    """
    if not Path(boundaries).exists():
        raise InputError("init", [f"--boundaries {boundaries}: file not found"])
    is_code = municipality.strip().isdigit()
    spec = BoundarySpec(path=Path(boundaries), code=municipality.strip() if is_code else None,
                        name=None if is_code else municipality)
    what = f"boundaries {boundaries}"
    row = select_feature(read_vector(Path(boundaries), what), spec.code, spec.name, spec.code_field, spec.name_field, what)
    return str(row[spec.name_field].iloc[0]), str(row[spec.code_field].iloc[0])


def declared_coverage(osm: Path, boundaries: Path, code: str) -> tuple[float | None, str | None]:
    """Share of the municipality the OSM file covers, measured as a run
    measures it (:func:`pipeline.transform.osm_coverage`): inside the bounds
    its header declares or, for a small file declaring none, the box of its
    nodes; and that basis. ``(None, None)`` when not known before a run."""
    from .extract.osm import declared_extent, extent_coverage, node_extent

    if not Path(osm).is_file():
        return None, None
    extent, basis = declared_extent(Path(osm)), "declared"
    if extent is None and Path(osm).stat().st_size <= settings.OSM_CLIP_ABOVE_BYTES:
        extent, basis = node_extent(Path(osm)), "nodes"  # one quick pass over a small file's nodes
    if extent is None:
        return None, None
    spec = BoundarySpec(path=Path(boundaries), code=code)
    table = read_vector(Path(boundaries), f"boundaries {boundaries}")
    return extent_coverage(extent, table[table[spec.code_field].astype(str) == code]), basis


def project_name(name: str, code: str) -> str:
    """``('Βόλου', '9105') -> 'volou-9105'``."""
    return f"{slug(name)}-{code}"


def municipality_config(name: str, code: str, osm: Path, boundaries: Path, config_path: Path) -> str:
    """YAML text of a project config for one Kallikratis municipality; paths in
    it are made relative to ``config_path``, where it will be written."""
    if not Path(osm).exists():
        raise InputError("init", [f"--osm {osm}: file not found"])
    where = Path(config_path).parent
    uses = "\n".join(f"    - {n}" for n in builtin_profile_names())
    return f"""\
# idle-assets project: Δήμος {name} (Kallikratis code {code})
# Written by `idle-assets init`. Paths are relative to this file.
project:
  name: {project_name(name, code)}
  title: "Δήμος {name}"
crs: {settings.DEFAULT_CRS_GREECE}   # Greek Grid (GGRS87), metres

boundary:
  path: {_rel(boundaries, where)}
  code: "{code}"
  attribution: "{KALLIKRATIS_ATTRIBUTION}"

sources:
  osm:
    path: {_rel(osm, where)}
  # The municipality's asset register (CSV or XLSX). Columns: register_id, name,
  # owner, status (idle / unused / partly used / in use), kind (land / building),
  # and a location: osm_ref (way/123) or x, y in `crs`.
  # register:
  #   path: ../data/raw/{slug(name)}/register.csv
  #   crs: EPSG:2100
  #   columns: {{register_id: "Κωδικός", status: "Κατάσταση"}}
  # Field survey export (KoboToolbox / ODK).
  # survey:
  #   path: ../data/raw/{slug(name)}/survey.csv
  #   attach_distance_m: 50
  #   private: [notes, surveyor]           # never published
  # Organisations that answered the open call: name, legal_form (ΚοινΣΕπ,
  # Συνεταιρισμός Εργαζομένων, Ενεργειακή Κοινότητα, ...), uses (profile names,
  # separated by ;), space_m2, x, y; contact columns stay private.
  # organisations:
  #   path: ../data/raw/{slug(name)}/foreis.csv
  #   crs: EPSG:4326
  # Cadastral parcels (GeoPackage, Shapefile, GeoJSON or INSPIRE GML; or a WFS).
  # parcels:
  #   path: ../data/raw/{slug(name)}/parcels.gpkg
  #   owner_field: OWNER                  # gives assets their ownership
  # Copernicus Urban Atlas of the Functional Urban Area (land without current use,
  # green urban areas, urban fabric), from land.copernicus.eu.
  # urban_atlas:
  #   path: ../data/raw/{slug(name)}/urban_atlas_2018.gpkg
  # Rasters summarised per asset: dem (elevation; slope from it), irradiance, landcover.
  # rasters:
  #   - {{path: ../data/raw/{slug(name)}/dem.tif, kind: dem}}
  #   - {{path: ../data/raw/{slug(name)}/pvgis_irradiance.tif, kind: irradiance, unit: kWh/m²/year}}
  # Zones that restrict uses: flood (Floods Directive maps), protected (Natura 2000).
  # zones:
  #   - {{path: ../data/raw/{slug(name)}/flood_zones.gpkg, kind: flood}}
  #   - {{path: ../data/raw/{slug(name)}/natura2000.gpkg, kind: protected}}

profiles:
  use:
{uses}
  # weights: {{social_farm: {{area_m2: 0.4}}}}

# The plan: which assets go to which use. Each target caps a number of sites
# or a solar capacity over some uses; the assignment first approaches every
# target, then maximises the total score. Set them from the strategic plan.
plan:
  min_score: 50
  ownership: public                       # only municipal and other public assets (or: any)
  # targets:
  #   - {{uses: [social_farm], count: 2, label: "2 social farms"}}
  #   - {{uses: [recycling_centre], count: 1, label: "1 recycling and reuse centre"}}
  #   - {{uses: [solar_ground, solar_rooftop], kwp: 1000, label: "1 MW for the energy community"}}
  #   - {{uses: [consumer_coop], count: 1, label: "1 consumer co-op shop"}}
  # organisation_max_distance_m: 10000   # propose organisations within 10 km of a site

# The plan's ledger: every asset ever found and its path from report to
# operating, kept across runs (`idle-assets status`). A GeoPackage beside
# this config (QGIS opens its 'sites' layer); officers who share it use
# PostgreSQL/PostGIS instead:
#   url: postgresql://officer:${{IDLE_ASSETS_LEDGER_PASSWORD}}@db.example.gr/plan
ledger:
  path: {project_name(name, code)}.ledger.gpkg
"""
